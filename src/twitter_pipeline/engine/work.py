"""What a unit of work is, for the engine: a search window, a polling step, a collection, an import.

A unit knows its scope (what its lease and state are about), how to extract its pages into the raw
zone, how to turn raw pages into table batches, and what to commit once those batches landed. The
engine owns the order in which these happen; units own nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import pyarrow as pa

from twitter_pipeline.transform.schema import TableSpec

# on_page(posts_so_far, pages_so_far) — progress of the extraction, for a progress bar.
OnProgress = Callable[[int, int], None]


@dataclass
class Extraction:
    """Pages one load takes from the raw zone, and the state to commit after they landed.

    `commit` runs only after the load's completion record is durable: it moves cursors, records
    closed windows as complete and clears finished checkpoints. Until then the finished checkpoints
    are the pending-load journal that the next run of the same scope repairs from.
    """

    run_id: str
    raw_keys: list[str] = field(default_factory=list)
    posts: int = 0
    errors: int = 0
    newest_id: str | None = None
    complete: bool = True  # every page of the unit is in the raw zone
    skipped: bool = False  # already committed by an earlier run: nothing to load
    repaired: bool = False  # a pending load of an earlier, interrupted run
    window_start: datetime | None = None
    window_end: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    commit: Callable[[], None] | None = None


class WorkUnit(Protocol):
    """The engine's view of a unit of work."""

    @property
    def lease_name(self) -> str:
        """What the unit's lease is about: two runs with the same name never work at once."""
        ...

    @property
    def specs(self) -> Mapping[str, TableSpec]:
        """The tables its batches fill."""
        ...

    def pending(self) -> list[Extraction]:
        """Extractions of this scope whose pages all landed but whose load never committed."""
        ...

    def extract(self, on_progress: OnProgress | None) -> Extraction:
        """Fetch (or land) the unit's pages into the raw zone, resuming an interrupted run."""
        ...

    def interrupted(self) -> Extraction | None:
        """After `extract` raised: the pages it landed so far (loaded, never committed), if any."""
        ...

    def batches(self, extraction: Extraction) -> Iterable[Mapping[str, pa.Table]]:
        """The extraction's raw pages as table batches, streaming."""
        ...
