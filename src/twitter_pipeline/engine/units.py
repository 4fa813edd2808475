"""The search and import units of work (collections define theirs in `collections.runner`).

A search unit is one closed window (`--start/--end`, a backfill window, an Airflow interval) or one
polling step (everything newer than the last committed run). An import unit is one set of archive
files, identified by their contents.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from twitter_pipeline.engine.work import Extraction, OnProgress
from twitter_pipeline.extract.archive import fits_in_memory
from twitter_pipeline.extract.checkpointed import ExtractResult, finalize
from twitter_pipeline.extract.endpoints import SEARCH_NAMES, search_endpoint
from twitter_pipeline.extract.read_ahead import ReadAhead
from twitter_pipeline.extract.state import Checkpoint, StateStore, Window
from twitter_pipeline.extract.window import SearchRequest, extract_window, resolve_window
from twitter_pipeline.raw.zone import RawZone
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.times import parse_utc
from twitter_pipeline.transform import iter_table_batches
from twitter_pipeline.transform.schema import TABLES, TableSpec

if TYPE_CHECKING:  # annotations only: an import never loads the HTTP client
    from twitter_pipeline.extract.client import XApiClient

ALREADY_COMPLETE = "window already complete: nothing fetched (use --force to fetch it again)"
STOPPED_AT_MAX_PAGES = "stopped at --max-pages: the next run continues where this one stopped"


def parse_iso(text: str | None) -> datetime | None:
    """An ISO time from a state document (as sent to the API) → aware UTC datetime."""
    if not text:
        return None
    return parse_utc(text)


def window_lease_name(kind: str, source: str, endpoint: str, query: str, window: Window) -> str:
    """One lease per closed window (parallel backfills stay possible), one per polling scope."""
    scope = f"{kind} {source}/{endpoint} {query!r}"
    if window.closed:
        return f"{scope} window {window.start_time or '-'}..{window.end_time or window.until_id}"
    return f"{scope} polling"


def checkpoint_extraction(
    state: StateStore, checkpoint: Checkpoint, lease_name: str, metadata: Mapping[str, object]
) -> Extraction:
    """What a checkpoint holds, as an extraction; finished ones commit by finalizing the checkpoint."""
    window = checkpoint.window
    extraction = Extraction(
        run_id=checkpoint.run_id,
        raw_keys=list(checkpoint.raw_keys),
        posts=checkpoint.posts,
        errors=checkpoint.errors_count,
        newest_id=checkpoint.newest_id,
        complete=checkpoint.finished,
        metadata={**metadata, "lease_name": lease_name},
    )
    if window.closed:
        extraction.window_start, extraction.window_end = window_bounds(window)
    if checkpoint.finished:
        extraction.commit = lambda: finalize(state, checkpoint)
    return extraction


def result_extraction(
    state: StateStore, result: ExtractResult, lease_name: str, metadata: Mapping[str, object]
) -> Extraction:
    """An extract call's result as an extraction (skipped when its closed window was committed)."""
    if result.skipped:
        return Extraction(
            run_id=result.run_id,
            raw_keys=list(result.raw_keys),
            posts=result.posts,
            newest_id=result.newest_id,
            skipped=True,
            notes=[ALREADY_COMPLETE],
        )
    if result.checkpoint is not None:
        return checkpoint_extraction(state, result.checkpoint, lease_name, metadata)
    extraction = Extraction(  # stopped early (--max-pages): loaded now, committed by a later run
        run_id=result.run_id,
        raw_keys=list(result.raw_keys),
        posts=result.posts,
        errors=result.errors_count,
        newest_id=result.newest_id,
        complete=result.complete,
        metadata={**metadata, "lease_name": lease_name},
    )
    if result.window.closed:
        extraction.window_start, extraction.window_end = window_bounds(result.window)
    if not result.complete:
        extraction.notes.append(STOPPED_AT_MAX_PAGES)
    return extraction


def window_bounds(window: Window) -> tuple[datetime | None, datetime | None]:
    """A closed window's [start, end) as UTC datetimes: what the created_at-in-window check needs."""
    return parse_iso(window.start_time), parse_iso(window.end_time)


@dataclass
class SearchUnit:
    """One search window or polling step of one (source, endpoint, query)."""

    storage: LakeStorage
    client: XApiClient
    source: str
    request: SearchRequest
    max_pages: int | None = None
    force: bool = False
    specs: Mapping[str, TableSpec] = field(default_factory=lambda: TABLES)

    def __post_init__(self) -> None:
        self.state = StateStore(self.storage, self.source)
        self.raw = RawZone(self.storage)
        self.name = SEARCH_NAMES[search_endpoint(self.request.endpoint)]
        self.query = self.request.query.strip()
        self.fixed_window = Window(
            start_time=_iso(self.request.start_time), end_time=_iso(self.request.end_time)
        )

    @property
    def lease_name(self) -> str:
        return window_lease_name("search", self.source, self.name, self.query, self.fixed_window)

    def _metadata(self, window: Window) -> dict[str, object]:
        return {
            "query": self.query,
            "endpoint": self.name,
            "start": window.start_time,
            "end": window.end_time,
        }

    def _lease_of(self, window: Window) -> str:
        return window_lease_name("search", self.source, self.name, self.query, window)

    def pending(self) -> list[Extraction]:
        return [
            checkpoint_extraction(self.state, c, self._lease_of(c.window), self._metadata(c.window))
            for c in self.state.checkpoints(self.name, self.query)
            if c.finished
        ]

    def extract(self, on_progress: OnProgress | None) -> Extraction:
        def on_page(page: object, key: str, so_far: ExtractResult) -> None:
            if on_progress is not None:
                on_progress(so_far.posts, so_far.pages)

        result = extract_window(
            self.client,
            self.raw,
            self.state,
            self.request,
            max_pages=self.max_pages,
            on_page=on_page,
            force=self.force,
            finalize_when_done=False,
        )
        return result_extraction(
            self.state, result, self._lease_of(result.window), self._metadata(result.window)
        )

    def estimate(self) -> tuple[int, str] | None:
        """Posts this unit would still read, from the counts endpoint (None: nothing to fetch)."""
        _, window = resolve_window(self.state, self.request)
        if window.closed and not self.force and self.state.window_done(self.name, self.query, window):
            return None
        posts = estimate_window(self.client, self.request.endpoint, self.query, window)
        if posts is None:
            return None
        checkpoint = self.state.checkpoint(self.name, self.query, window)
        if checkpoint is not None:  # a resumed window: what its earlier run read is not read again
            posts = max(0, posts - checkpoint.posts)
        return posts, f"the window {describe_window(window)} of {self.query!r}"

    def interrupted(self) -> Extraction | None:
        _, window = resolve_window(self.state, self.request)
        checkpoint = self.state.checkpoint(self.name, self.query, window)
        if checkpoint is None or not checkpoint.seq:
            return None
        return checkpoint_extraction(self.state, checkpoint, self.lease_name, self._metadata(window))

    def batches(self, extraction: Extraction) -> Iterable[Mapping[str, pa.Table]]:
        return iter_table_batches(self.raw.read_many(extraction.raw_keys))


def estimate_window(client: XApiClient, endpoint: str, query: str, window: Window) -> int | None:
    """The posts the counts endpoint reports for a window; None where counting is not available."""
    import logging

    from twitter_pipeline.errors import ApiError, ApiUnreachableError
    from twitter_pipeline.extract.volume import count_posts

    try:
        counted = count_posts(
            client,
            endpoint,
            query,
            start_time=window.start_time,
            end_time=window.end_time,
            since_id=window.since_id,
            until_id=window.until_id,
            granularity="day",
        )
    except ApiUnreachableError:
        raise
    except ApiError as exc:
        logging.getLogger("twitter_pipeline.engine").warning("no estimate (counts failed): %s", exc)
        return None
    return counted.total


def describe_window(window: Window) -> str:
    start = window.start_time or (f"after id {window.since_id}" if window.since_id else "…")
    return f"{start}..{window.end_time or 'now'}"


def polling_request(
    state: StateStore, query: str, endpoint: str, max_results: int | None, now: datetime | None = None
) -> SearchRequest:
    """A polling step: since the newest committed post, or (first run of the query) the last hour."""
    name = SEARCH_NAMES[search_endpoint(endpoint)]
    has_history = state.newest_id(name, query) is not None or any(
        True for _ in state.checkpoints(name, query)
    )
    first_start = None
    if not has_history:
        now = (now or datetime.now(UTC)).astimezone(UTC)
        first_start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    return SearchRequest(
        query=query, endpoint=endpoint, start_time=first_start, max_results=max_results, incremental=True
    )


@dataclass
class ImportUnit:
    """Saved response pages (twarc2 JSONL, single-page JSON) landed as one import run."""

    storage: LakeStorage
    files: list[Path]
    specs: Mapping[str, TableSpec] = field(default_factory=lambda: TABLES)
    read_ahead: ReadAhead | None = None  # the files, if the command started reading them early

    def __post_init__(self) -> None:
        from twitter_pipeline.extract.archive import import_run_id

        self.raw = RawZone(self.storage)
        early = self.read_ahead.run_id(self.files) if self.read_ahead else None
        self.run_id = early or (import_run_id(self.files) if self.files else "import-empty")
        self._parsed: tuple[str, Iterator[Mapping[str, pa.Table]]] | None = None

    @property
    def lease_name(self) -> str:
        return f"import {self.run_id}"

    def pending(self) -> list[Extraction]:
        return []  # an import's journal is its files: running it again lands and loads the same pages

    def extract(self, on_progress: OnProgress | None) -> Extraction:
        from twitter_pipeline.engine import import_pass
        from twitter_pipeline.extract.archive import land_archives

        if self.files and fits_in_memory(self.files):
            # checked in full before anything lands
            parsed = import_pass.parse_files(self.files, self.read_ahead)
            landing = import_pass.Landing(self.raw, self.run_id, parsed, on_progress)
            self._parsed = (self.run_id, import_pass.batches_after_landing(parsed, landing))
            return Extraction(
                run_id=self.run_id,
                raw_keys=landing.keys,
                posts=parsed.posts,
                errors=parsed.errors,
                metadata={"query": ", ".join(p.name for p in self.files), "endpoint": "import"},
                commit=landing.wait,  # a load already on record reads no batch: still wait here
            )
        landed = land_archives(self.raw, list(self.files), run_id=self.run_id, on_progress=on_progress)
        return Extraction(
            run_id=landed.run_id,
            raw_keys=list(landed.raw_keys),
            posts=landed.posts,
            errors=landed.errors,
            metadata={"query": ", ".join(p.name for p in self.files), "endpoint": "import"},
        )

    def interrupted(self) -> Extraction | None:
        return None

    def batches(self, extraction: Extraction) -> Iterable[Mapping[str, pa.Table]]:
        held, self._parsed = self._parsed, None
        if held is not None and held[0] == extraction.run_id:
            return held[1]  # the pages parsed while checking the files: no second parse
        return iter_table_batches(self.raw.read_many(extraction.raw_keys))


def _iso(value: datetime | str | None) -> str | None:
    from twitter_pipeline.extract.endpoints import format_time

    return format_time(value)
