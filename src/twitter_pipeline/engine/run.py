"""`run_unit`: the one order of effects every run follows, whoever calls it.

1. take the unit's lease (a second run of the same unit refuses in one line);
2. repair: load and commit every extraction of the unit's scope that landed but never committed;
3. budget: estimate the unit (counts endpoints, no post read); one that would cross a budget is not
   started;
4. extract: fetch (or land) the unit's pages into the raw zone, checkpointed per page, while the
   budget guard counts every post read (and stops before a page once a budget is spent);
5. load: transform the pages and MERGE them; the load's completion record is written last;
6. commit: only now move cursors, record closed windows complete, clear checkpoints;
7. quality checks on the loaded window.
A failure at any point leaves the finished checkpoints in place, so the next plain run of the same
scope repairs it in step 2 without fetching a page twice. See docs/run-engine.md.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from twitter_pipeline.budget.guard import ReadGuard
from twitter_pipeline.engine.lease import LeaseHeldError, RunLease
from twitter_pipeline.engine.work import Extraction, OnProgress, WorkUnit
from twitter_pipeline.errors import ApiError, BudgetError
from twitter_pipeline.load import LoadSummary, TableLoad, discard_staging, load_window, read_run_record
from twitter_pipeline.logs import event
from twitter_pipeline.storage import LakeStorage

if TYPE_CHECKING:  # the checks load pyarrow.dataset: imported when a run checks its window
    from twitter_pipeline.quality import KeyCounting

logger = logging.getLogger("twitter_pipeline.engine")

OnTableLoaded = Callable[[TableLoad], None]


@dataclass
class UnitOutcome:
    """What one `run_unit` call did."""

    extraction: Extraction
    loaded: LoadSummary | None = None
    repaired: list[Extraction] = field(default_factory=list)
    quality: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def table_rows(self) -> dict[str, int]:
        return {name: t.source_rows for name, t in (self.loaded.tables if self.loaded else {}).items()}


def run_unit(
    storage: LakeStorage,
    unit: WorkUnit,
    *,
    quality: bool = True,
    on_progress: OnProgress | None = None,
    on_table_loaded: OnTableLoaded | None = None,
    guard: ReadGuard | None = None,
) -> UnitOutcome:
    """Run one unit of work end to end (see the module docstring for the order of effects).

    `guard` carries the run's post-read budgets across units (a backfill shares one); without it,
    reads are still counted and recorded.
    """
    started = time.monotonic()
    guard = guard if guard is not None else ReadGuard()
    with RunLease(storage, unit.lease_name):
        repaired = [p for p in unit.pending() if _repair(storage, unit, p, on_table_loaded)]
        estimated: int | None = None
        read_before = guard.read
        try:
            estimated = _admit(unit, guard)
            with guard.watching(getattr(unit, "client", None)):
                extraction = unit.extract(on_progress)
        except (ApiError, BudgetError) as exc:
            partial = unit.interrupted()
            if partial is None or not partial.raw_keys:
                raise
            # Stopped mid-unit (usage cap, budget, retries exhausted): land what was fetched, commit
            # nothing; the checkpoint stays, so the next run continues the window from where it stopped.
            _note_reads(partial, guard.read - read_before, estimated)
            _record_usage(storage, unit, partial, guard, stopped=isinstance(exc, BudgetError))
            _load(storage, unit, partial, on_table_loaded)
            raise type(exc)(
                f"{exc} ({len(partial.raw_keys)} pages / {partial.posts} posts fetched before the stop "
                "were loaded; run again to continue)"
            ) from None
        outcome = UnitOutcome(extraction=extraction, repaired=repaired)
        loading = quality and not extraction.skipped and bool(extraction.raw_keys)
        with _key_counting(storage, unit) if loading else contextlib.nullcontext() as counted:
            if not extraction.skipped:
                _note_reads(extraction, guard.read - read_before, estimated)
                _record_usage(storage, unit, extraction, guard, stopped=False)
                if extraction.raw_keys:
                    outcome.loaded = _load(storage, unit, extraction, _table_loaded(counted, on_table_loaded))
                if extraction.commit is not None:
                    extraction.commit()
            if quality and outcome.loaded is not None:
                outcome.quality = _check(storage, unit, extraction, outcome.loaded, counted)
    outcome.seconds = round(time.monotonic() - started, 2)
    event(
        logger,
        "unit done",
        unit=unit.lease_name,
        run_id=extraction.run_id,
        pages=len(extraction.raw_keys),
        posts=extraction.posts,
        repaired=len(repaired),
        skipped=extraction.skipped,
    )
    return outcome


def _admit(unit: WorkUnit, guard: ReadGuard) -> int | None:
    """The unit's estimate (None when it cannot tell), refused by the guard when it does not fit."""
    estimate = getattr(unit, "estimate", None)
    if estimate is None:
        return None
    found = estimate()
    if found is None:
        return None
    posts, what = found
    guard.admit(posts, what)
    return posts


def _note_reads(extraction: Extraction, read: int, estimated: int | None) -> None:
    """Posts read by this call and the estimate it made go into the run record with the load."""
    extraction.metadata["posts_read"] = read
    extraction.metadata["posts_estimated"] = estimated


def _record_usage(
    storage: LakeStorage, unit: WorkUnit, extraction: Extraction, guard: ReadGuard, *, stopped: bool
) -> None:
    from twitter_pipeline.budget.ledger import record_usage
    from twitter_pipeline.budget.limits import limit_values

    if getattr(unit, "client", None) is None:
        return  # imports read nothing from the API
    per_run, per_month = limit_values(guard)
    record_usage(
        storage,
        extraction.run_id,
        unit.lease_name,
        posts_read=int(extraction.metadata.get("posts_read") or 0),
        posts_estimated=extraction.metadata.get("posts_estimated"),
        max_posts_per_run=per_run,
        max_posts_per_month=per_month,
        stopped_by_budget=stopped,
    )


def _repair(storage: LakeStorage, unit: WorkUnit, pending: Extraction, on_table_loaded: Any) -> bool:
    """Load and commit an interrupted run's pages; skip one whose own run is still alive elsewhere."""
    own = pending.metadata.get("lease_name") in (None, unit.lease_name)
    try:
        if own:
            _load_and_commit(storage, unit, pending, on_table_loaded)
        else:
            with RunLease(storage, str(pending.metadata["lease_name"])):
                _load_and_commit(storage, unit, pending, on_table_loaded)
    except LeaseHeldError:
        return False  # its run is alive: that run will load it
    event(logger, "repaired pending load", run_id=pending.run_id, pages=len(pending.raw_keys))
    return True


def _load_and_commit(storage: LakeStorage, unit: WorkUnit, pending: Extraction, on_table_loaded: Any) -> None:
    if pending.raw_keys:
        _load(storage, unit, pending, on_table_loaded)
    if pending.commit is not None:
        pending.commit()
    # A run whose load failed may have staged these pages under its own id (a collection's run
    # stages all its accounts at once; each account's checkpoint repairs under its own id).
    staged_under = pending.metadata.get("staged_under")
    if isinstance(staged_under, str) and staged_under != pending.run_id:
        discard_staging(storage, staged_under)


def _load(
    storage: LakeStorage, unit: WorkUnit, extraction: Extraction, on_table_loaded: OnTableLoaded | None
) -> LoadSummary:
    """Load the extraction's pages, unless a completion record already covers exactly these pages."""
    done = _recorded_load(storage, extraction)
    if done is not None:
        return done
    metadata = {
        **{k: v for k, v in extraction.metadata.items() if k not in ("lease_name", "staged_under")},
        "raw_pages": len(extraction.raw_keys),
        "raw_posts": extraction.posts,
    }
    return load_window(
        storage,
        extraction.run_id,
        unit.batches(extraction),
        specs=unit.specs,
        metadata=metadata,
        on_table_loaded=on_table_loaded,
        window_start=extraction.window_start,
        window_end=extraction.window_end,
    )


def _recorded_load(storage: LakeStorage, extraction: Extraction) -> LoadSummary | None:
    """The completion record of this very load (a crash came after it and before the commit)."""
    record = read_run_record(storage, extraction.run_id)
    if not record or (record.get("metadata") or {}).get("raw_pages") != len(extraction.raw_keys):
        return None
    return summary_from_record(record)


def summary_from_record(record: dict[str, Any]) -> LoadSummary:
    tables = {name: TableLoad(**values) for name, values in (record.get("tables") or {}).items()}
    names = set(LoadSummary.__dataclass_fields__) - {"tables"}
    return LoadSummary(tables=tables, **{k: v for k, v in record.items() if k in names})


def _key_counting(storage: LakeStorage, unit: WorkUnit) -> KeyCounting:
    """The quality checks' key counts, taken as each table commits (see `quality.KeyCounting`)."""
    from twitter_pipeline.quality import KeyCounting

    return KeyCounting(storage, unit.specs)


def _table_loaded(counted: KeyCounting | None, on_table_loaded: OnTableLoaded | None) -> OnTableLoaded | None:
    """The load's `on_table_loaded`: the early key count, then the caller's own callback."""
    if counted is None:
        return on_table_loaded

    def loaded(load: TableLoad) -> None:
        counted.table_loaded(load)
        if on_table_loaded is not None:
            on_table_loaded(load)

    return loaded


def _check(
    storage: LakeStorage,
    unit: WorkUnit,
    extraction: Extraction,
    loaded: LoadSummary,
    counted: KeyCounting | None = None,
) -> dict[str, Any]:
    from twitter_pipeline.quality import check_window

    report = check_window(storage, loaded, raw_posts=extraction.posts, specs=unit.specs, counted=counted)
    counts = report.counts()
    report.raise_for_errors()
    return counts
