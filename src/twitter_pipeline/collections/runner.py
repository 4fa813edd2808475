"""Run a collection through the run engine: a `CollectionUnit` (search window or account timelines).

One collection run is one load: every page it fetched (timelines of all its accounts, lookups,
or the search window) is transformed and merged in one `load_window`, together with its
`collection_posts` links; cursors move only after that load committed (the engine's rule).
`run_collections` runs several and isolates them: one failing collection is recorded as failed and
the others still run (the CLI and the Airflow DAG report which failed).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import pyarrow as pa

from twitter_pipeline import pipeline
from twitter_pipeline.collections.accounts import lookup_page_as_users, resolve_accounts
from twitter_pipeline.collections.config import Collection, CollectionsConfig
from twitter_pipeline.collections.membership import (
    COLLECTION_POSTS,
    COLLECTION_POSTS_SPEC,
    MembershipBuilder,
)
from twitter_pipeline.collections.state import CollectionStateStore
from twitter_pipeline.collections.timeline import (
    TIMELINE_DEPTH,
    TIMELINE_ENDPOINT,
    TimelineRequest,
    extract_timeline,
)
from twitter_pipeline.engine.units import (
    ALREADY_COMPLETE,
    STOPPED_AT_MAX_PAGES,
    checkpoint_extraction,
    describe_window,
    estimate_window,
    parse_iso,
    result_extraction,
    window_lease_name,
)
from twitter_pipeline.engine.work import Extraction, OnProgress
from twitter_pipeline.errors import PipelineError, one_line
from twitter_pipeline.extract.checkpointed import OnPage, new_run_id
from twitter_pipeline.extract.client import XApiClient
from twitter_pipeline.extract.endpoints import SEARCH_NAMES, format_time
from twitter_pipeline.extract.state import Checkpoint, Window, newer_id
from twitter_pipeline.extract.window import SearchRequest, extract_window, resolve_window
from twitter_pipeline.logs import event
from twitter_pipeline.raw.pages import RawPage
from twitter_pipeline.raw.zone import RawZone
from twitter_pipeline.settings import Settings
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.transform.schema import TABLES, TableSpec

logger = logging.getLogger("twitter_pipeline.collections")

OK, FAILED, SKIPPED = "ok", "failed", "skipped"


@dataclass
class CollectionRunSummary:
    """What one collection run did; JSON-safe (Airflow passes it through XCom)."""

    collection: str
    kind: str
    status: str = OK  # ok | failed | skipped (closed window already loaded)
    error: str | None = None
    run_id: str = ""
    source: str = ""
    lake: str = ""
    pages: int = 0
    posts: int = 0
    accounts: int = 0
    lookups: int = 0
    errors: int = 0
    newest_id: str | None = None
    complete: bool = True
    capped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    table_rows: dict[str, int] = field(default_factory=dict)
    quality: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def failed(self) -> bool:
        return self.status == FAILED


@dataclass
class CollectionUnit:
    """One run of one collection: its search window, or every account's timeline since its cursor."""

    storage: LakeStorage
    client: XApiClient
    source: str
    collection: Collection
    summary: CollectionRunSummary
    start: datetime | None = None
    end: datetime | None = None
    max_pages: int | None = None
    force: bool = False
    now: datetime | None = None
    run_id: str = field(default_factory=new_run_id)

    def __post_init__(self) -> None:
        self.state = CollectionStateStore(self.storage, self.collection.key, self.source)
        self.raw = RawZone(self.storage)
        self.specs: Mapping[str, TableSpec] = {**TABLES, COLLECTION_POSTS: COLLECTION_POSTS_SPEC}
        self.window = Window(start_time=format_time(self.start), end_time=format_time(self.end))
        self._landed: list[Extraction] = []

    # -- scope -------------------------------------------------------------------------------------
    def _lease_of(self, window: Window) -> str:
        return window_lease_name(
            "collection", self.source, self.collection.kind, self.collection.name, window
        )

    @property
    def lease_name(self) -> str:
        return self._lease_of(self.window)

    def _metadata(self, **extra: object) -> dict[str, object]:
        return {
            "collection": self.collection.name,
            "kind": self.collection.kind,
            "query": self.collection.target,
            "endpoint": self.collection.api_endpoint,
            **extra,
        }

    def pending(self) -> list[Extraction]:
        """Finished, uncommitted windows of this collection (search or any account's timeline)."""
        return [
            checkpoint_extraction(
                self.state, c, self._lease_of(c.window), self._metadata(staged_under=self._run_of(c))
            )
            for c in self.state.checkpoints()
            if c.finished
        ]

    def _run_of(self, checkpoint: Checkpoint) -> str:
        """The collection run that fetched a checkpoint (timelines: ``<run>-<user_id>``)."""
        if self.collection.kind == "search":
            return checkpoint.run_id
        return checkpoint.run_id.rsplit("-", 1)[0]

    # -- extraction --------------------------------------------------------------------------------
    def extract(self, on_progress: OnProgress | None) -> Extraction:
        on_page = _progress_adapter(on_progress)
        if self.collection.kind == "search":
            return self._extract_search(on_page)
        return self._extract_accounts(on_page)

    def interrupted(self) -> Extraction | None:
        """What landed before a stop: finished accounts and the checkpoint being fetched."""
        keys: list[str] = [k for e in self._landed for k in e.raw_keys]
        posts = sum(e.posts for e in self._landed)
        for checkpoint in self.state.checkpoints():
            ours = self.collection.kind == "search" or checkpoint.run_id.startswith(self.run_id)
            if ours and checkpoint.seq and not checkpoint.finished:
                keys.extend(checkpoint.raw_keys)
                posts += checkpoint.posts
        if not keys:
            return None
        return Extraction(run_id=self.run_id, raw_keys=list(dict.fromkeys(keys)), posts=posts, complete=False)

    def _fields(self) -> dict[str, str]:
        """The client's rich default fields, with the collection's overrides (comma-joined)."""
        overrides = {param: ",".join(names) for param, names in (self.collection.fields or {}).items()}
        return {**self.client.field_params, **overrides}

    def _first_start(self) -> datetime | None:
        lookback = self.collection.lookback_delta
        return None if lookback is None else (self.now or datetime.now(UTC)) - lookback

    def estimate(self) -> tuple[int, str] | None:
        """A search collection's posts to read, from the counts endpoint (timelines cannot be counted)."""
        if self.collection.kind != "search":
            return None
        request = self._search_request()
        name, window = resolve_window(self.state, request)
        if window.closed and not self.force and self.state.window_done(name, request.query, window):
            return None
        posts = estimate_window(self.client, request.endpoint, request.query, window)
        if posts is None:
            return None
        checkpoint = self.state.checkpoint(name, request.query, window)
        if checkpoint is not None:
            posts = max(0, posts - checkpoint.posts)
        return posts, f"collection {self.collection.name!r} window {describe_window(window)}"

    def _search_request(self) -> SearchRequest:
        endpoint = self.collection.api_endpoint
        name, query = SEARCH_NAMES[endpoint], self.collection.query or ""
        start, end = self.start, self.end
        incremental = not (start or end)
        if incremental:
            open_runs = [c for c in self.state.checkpoints(name, query) if not c.window.closed]
            if open_runs:
                start = parse_iso(open_runs[0].window.start_time)
            elif self.state.newest_id(name, query) is None:
                start = self._first_start()
        return SearchRequest(
            query=query,
            endpoint=endpoint,
            start_time=start,
            end_time=end,
            max_results=self.collection.max_results,
            incremental=incremental,
        )

    def _extract_search(self, on_page: OnPage | None) -> Extraction:
        request = self._search_request()
        result = extract_window(
            self.client.with_fields(self._fields()),
            self.raw,
            self.state,
            request,
            max_pages=self.max_pages,
            on_page=on_page,
            run_id=self.run_id,
            force=self.force,
            finalize_when_done=False,
        )
        extraction = result_extraction(self.state, result, self._lease_of(result.window), self._metadata())
        self.run_id = extraction.run_id
        return extraction

    def _extract_accounts(self, on_page: OnPage | None) -> Extraction:
        summary, collection = self.summary, self.collection
        resolution = resolve_accounts(
            self.storage, self.raw, self.client, collection.accounts or (), self.run_id
        )
        summary.accounts, summary.lookups = len(resolution.accounts), resolution.lookups
        summary.missing = sorted(resolution.missing)
        combined = Extraction(
            run_id=self.run_id,
            metadata=self._metadata(lookup_keys=list(resolution.raw_keys)),
            skipped=not resolution.raw_keys,
        )
        for handle, reason in sorted(resolution.missing.items()):
            combined.notes.append(
                f"@{handle} not resolved ({reason}): fix or remove it in the collections file"
            )
        incremental = not (self.start or self.end)
        pages_left = self.max_pages
        for account in resolution.accounts:
            if pages_left is not None and pages_left <= 0:
                combined.complete = False
                break
            first = None
            if incremental and self.state.newest_id(TIMELINE_ENDPOINT, account.user_id) is None:
                first = self._first_start()
            request = TimelineRequest(
                user_id=account.user_id,
                start_time=self.start or first,
                end_time=self.end,
                exclude=collection.exclude,
                max_results=collection.max_results,
                incremental=incremental,
            )
            result = extract_timeline(
                self.client,
                self.raw,
                self.state,
                request,
                run_id=f"{self.run_id}-{account.user_id}",
                max_pages=pages_left,
                on_page=on_page,
                force=self.force,
                fields=self._fields(),
                tweet_count=account.tweet_count,
                finalize_when_done=False,
            )
            if pages_left is not None:
                pages_left -= result.fetched_pages
            part = result_extraction(self.state, result, self.lease_name, {})
            if not part.skipped:
                self._landed.append(part)
            _merge_into(combined, part)
            if result.capped:
                summary.capped.append(account.username)
                combined.notes.append(
                    f"@{account.username}: the timeline endpoint reaches only the most recent "
                    f"{TIMELINE_DEPTH:,} posts; older ones need full-archive search (from:{account.username})"
                )
            combined.notes.extend(f"@{account.username}: {problem}" for problem in result.problems)
        if self.end is not None:  # a closed window: every timeline shares it
            combined.window_start, combined.window_end = self.start, self.end
        if not combined.complete:
            combined.notes.append(STOPPED_AT_MAX_PAGES)
        if combined.skipped:
            combined.notes.append(ALREADY_COMPLETE)
        commits = [p.commit for p in self._landed if p.commit is not None]

        def commit_all() -> None:
            for commit in commits:
                commit()

        combined.commit = commit_all
        return combined

    # -- load --------------------------------------------------------------------------------------
    def batches(self, extraction: Extraction) -> Iterator[Mapping[str, pa.Table]]:
        from twitter_pipeline.transform import DEFAULT_PAGES_PER_BATCH, pages_to_tables
        from twitter_pipeline.transform.page_reader import read_pages
        from twitter_pipeline.transform.tables import tables_from_page_table

        builder = MembershipBuilder(self.collection.name, self.collection.kind, extraction.run_id)
        lookup_keys = list(extraction.metadata.get("lookup_keys") or [])
        if lookup_keys:
            yield pages_to_tables([lookup_page_as_users(p) for p in self.raw.read_many(lookup_keys)])
        keys = iter(extraction.raw_keys)
        while chunk := list(islice(keys, DEFAULT_PAGES_PER_BATCH)):
            pages = list(self.raw.read_many(chunk))
            page_table = read_pages(pages)  # parsed once: the lake tables and the links share it
            tables = tables_from_page_table(page_table)
            tables[COLLECTION_POSTS] = builder.table(pages, page_table)
            yield tables


def _merge_into(combined: Extraction, part: Extraction) -> None:
    """Count one account's timeline into the collection run's extraction."""
    combined.raw_keys.extend(part.raw_keys if not part.skipped else [])
    combined.posts += part.posts if not part.skipped else 0
    combined.errors += part.errors
    combined.newest_id = newer_id(combined.newest_id, part.newest_id)
    combined.complete = combined.complete and part.complete
    combined.skipped = combined.skipped and part.skipped
    combined.notes.extend(n for n in part.notes if n not in combined.notes and n != ALREADY_COMPLETE)


def _progress_adapter(on_progress: OnProgress | None) -> OnPage | None:
    """Per-page callbacks of several extract calls → one running (posts, pages) count."""
    if on_progress is None:
        return None
    totals = {"posts": 0, "pages": 0}

    def on_page(page: RawPage, key: str, so_far: object) -> None:
        data = page.payload.get("data")
        totals["posts"] += len(data) if isinstance(data, list) else 0
        totals["pages"] += 1
        on_progress(totals["posts"], totals["pages"])

    return on_page


# -- entry points -------------------------------------------------------------------------------
def run_collection(
    settings: Settings,
    collection: Collection,
    *,
    source: str | None = None,
    start: str | datetime | None = None,
    end: str | datetime | None = None,
    max_pages: int | None = None,
    force: bool = False,
    quality: bool = True,
    client: XApiClient | None = None,
    on_progress: OnProgress | None = None,
    on_wait: Callable[..., None] | None = None,
    now: datetime | None = None,
    max_posts: int | None = None,
    guard: Any = None,
) -> CollectionRunSummary:
    """Extract and load one collection through the run engine; raises `PipelineError` after recording it.

    Budgets: `max_posts` (else TWITTER_PIPELINE_MAX_POSTS_PER_RUN), the collection's own `max_posts`
    and the per-month setting, whichever is tightest.
    """
    from twitter_pipeline.budget.limits import add_project_cap, build_guard
    from twitter_pipeline.engine.run import run_unit

    started = time.monotonic()
    chosen = pipeline.resolve_source(settings, source)
    start_at, end_at = pipeline.parse_run_bounds(start, end, max_pages)
    storage = pipeline.lake_for_source(settings, chosen)
    state = CollectionStateStore(storage, collection.key, chosen)
    summary = CollectionRunSummary(collection.name, collection.kind, source=chosen, lake=storage.uri)
    state.write_record(name=collection.name, kind=collection.kind, target=collection.target)
    try:
        with _client(settings, chosen, client, on_wait) as api:
            unit = CollectionUnit(
                storage, api, chosen, collection, summary, start_at, end_at, max_pages, force, now
            )
            if guard is None:
                guard = build_guard(
                    storage,
                    settings,
                    max_posts=max_posts,
                    collection=collection.name,
                    collection_max=collection.max_posts,
                )
                add_project_cap(guard, api)
            outcome = run_unit(storage, unit, quality=quality, on_progress=on_progress, guard=guard)
    except Exception as exc:
        state.write_record(last_run_at=_now(), last_status=FAILED, last_error=one_line(exc))
        raise
    extraction = outcome.extraction
    summary.run_id = extraction.run_id
    summary.pages = len(extraction.raw_keys) + len(extraction.metadata.get("lookup_keys") or [])
    summary.posts, summary.errors = extraction.posts, extraction.errors + len(summary.missing)
    summary.newest_id, summary.complete = extraction.newest_id, extraction.complete
    summary.table_rows, summary.quality = outcome.table_rows, outcome.quality
    summary.notes.extend(extraction.notes)
    summary.notes.extend(
        f"repaired: loaded {len(r.raw_keys)} pages / {r.posts} posts of the interrupted run {r.run_id}"
        for r in outcome.repaired
    )
    if extraction.skipped and not outcome.repaired:
        summary.status = SKIPPED
    summary.seconds = round(time.monotonic() - started, 2)
    record = state.write_record(
        last_run_id=summary.run_id,
        last_run_at=_now(),
        last_status=summary.status,
        last_error=None,
        newest_id=summary.newest_id if extraction.complete and not extraction.skipped else None,
        last_posts=summary.posts,
        runs=int(state.record().get("runs") or 0) + 1,
        posts_fetched=int(state.record().get("posts_fetched") or 0) + summary.posts,
        missing=summary.missing,
        capped=summary.capped,
    )
    summary.newest_id = record.get("newest_id")
    event(
        logger,
        "collection run",
        collection=collection.name,
        status=summary.status,
        pages=summary.pages,
        posts=summary.posts,
    )
    return summary


def run_collections(
    settings: Settings,
    config: CollectionsConfig,
    names: Sequence[str] | None = None,
    *,
    source: str | None = None,
    **options: Any,
) -> list[CollectionRunSummary]:
    """Run each chosen collection (all by default) in turn; a failure is reported, not propagated."""
    chosen = [config.get(n) for n in names] if names else list(config)
    mode = pipeline.resolve_source(settings, source)
    summaries: list[CollectionRunSummary] = []
    with _client(settings, mode, None, options.pop("on_wait", None)) as api:
        for collection in chosen:
            summaries.append(
                run_collection_isolated(settings, collection, source=mode, client=api, **options)
            )
    return summaries


def run_collection_isolated(
    settings: Settings, collection: Collection, **options: Any
) -> CollectionRunSummary:
    """`run_collection`, with any failure turned into a `failed` summary (for mapped Airflow tasks)."""
    started = time.monotonic()
    try:
        return run_collection(settings, collection, **options)
    except Exception as exc:  # isolation is the point: one collection must not stop the others
        if not isinstance(exc, PipelineError):
            logger.exception("collection %s failed unexpectedly", collection.name)
        return CollectionRunSummary(
            collection.name,
            collection.kind,
            status=FAILED,
            error=one_line(exc),
            lake=settings.lake,
            complete=False,
            seconds=round(time.monotonic() - started, 2),
        )


def failed_collections(summaries: Sequence[CollectionRunSummary | dict[str, Any]]) -> list[str]:
    """'name: error' of each failed run (accepts summaries or their XCom dicts)."""
    out = []
    for s in summaries:
        data = s.to_dict() if isinstance(s, CollectionRunSummary) else dict(s)
        if data.get("status") == FAILED:
            out.append(f"{data.get('collection')}: {data.get('error')}")
    return out


# -- extraction -----------------------------------------------------------------------------------
@contextmanager
def _client(
    settings: Settings, source: str, client: XApiClient | None, on_wait: Callable[..., None] | None
) -> Iterator[XApiClient]:
    if client is not None:
        yield client
        return
    with pipeline.open_client(settings, source, on_wait=on_wait) as opened:  # type: ignore[arg-type]
        yield opened


# -- backfill ---------------------------------------------------------------------------------------
def backfill_collection(
    settings: Settings,
    collection: Collection,
    start: datetime,
    end: datetime,
    every: timedelta,
    *,
    on_window: Callable[[datetime, datetime, CollectionRunSummary], None] | None = None,
    **options: Any,
) -> list[CollectionRunSummary]:
    """Run the collection window by window over [start, end); complete windows are skipped."""
    from twitter_pipeline.budget.limits import add_project_cap, build_guard
    from twitter_pipeline.extract.window import split_windows

    source = pipeline.resolve_source(settings, options.pop("source", None))
    summaries = []
    with _client(settings, source, None, options.pop("on_wait", None)) as api:
        # One budget for the whole backfill, as `pipeline.backfill` has.
        guard = build_guard(
            pipeline.lake_for_source(settings, source),
            settings,
            max_posts=options.pop("max_posts", None),
            collection=collection.name,
            collection_max=collection.max_posts,
        )
        add_project_cap(guard, api)
        options["guard"] = guard
        for window_start, window_end in split_windows(start, end, every):
            summary = run_collection(
                settings, collection, source=source, start=window_start, end=window_end, client=api, **options
            )
            summaries.append(summary)
            if on_window is not None:
                on_window(window_start, window_end, summary)
    return summaries


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
