"""Run a collection: extract (search window or account timelines) → raw zone → tables + links.

One collection run is one load: every page it fetched (timelines of all its accounts, lookups,
or the search window) is transformed and merged in one `load_window`, together with its
`collection_posts` links. `run_collections` runs several and isolates them: one failing collection
is recorded as failed and the others still run (the CLI and the Airflow DAG report which failed).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from twitter_pipeline import pipeline
from twitter_pipeline.collections.accounts import LOOKUP_ENDPOINT, lookup_page_as_users, resolve_accounts
from twitter_pipeline.collections.config import Collection, CollectionsConfig
from twitter_pipeline.collections.membership import (
    COLLECTION_POSTS,
    COLLECTION_POSTS_SPEC,
    MembershipBuilder,
    existing_links,
)
from twitter_pipeline.collections.state import CollectionStateStore
from twitter_pipeline.collections.timeline import TIMELINE_DEPTH, TimelineRequest, extract_timeline
from twitter_pipeline.errors import PipelineError
from twitter_pipeline.extract.checkpointed import ExtractResult, new_run_id
from twitter_pipeline.extract.client import SEARCH_NAMES, XApiClient
from twitter_pipeline.extract.state import Window, newer_id
from twitter_pipeline.extract.window import SearchRequest, extract_window
from twitter_pipeline.logs import event
from twitter_pipeline.raw.zone import RawZone
from twitter_pipeline.settings import Settings
from twitter_pipeline.storage import LakeStorage

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
class _Extraction:
    """Pages one collection run holds in the raw zone, and the facts to report about them."""

    load_run_id: str
    raw_keys: list[str] = field(default_factory=list)
    lookup_keys: list[str] = field(default_factory=list)
    posts: int = 0
    errors: int = 0
    newest_id: str | None = None
    complete: bool = True
    skipped: bool = True  # every window was already complete
    windows: list[tuple[str, str, Window]] = field(default_factory=list)  # (endpoint, query, window)

    def add(self, result: ExtractResult) -> None:
        """Count one extracted window in: a search run has one, an accounts run one per account."""
        self.raw_keys.extend(result.raw_keys)
        self.posts += result.posts
        self.errors += result.errors_count
        self.newest_id = newer_id(self.newest_id, result.newest_id)
        self.complete = self.complete and result.complete
        self.skipped = self.skipped and result.skipped
        if result.window.closed:
            self.windows.append((result.endpoint, result.query, result.window))


@dataclass(frozen=True)
class _RunOptions:
    """What a collection run hands to its extraction, whichever kind (search or accounts) it is."""

    run_id: str
    start: datetime | None
    end: datetime | None
    max_pages: int | None
    force: bool
    on_page: Callable[..., None] | None
    now: datetime | None


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
    on_page: Callable[..., None] | None = None,
    on_wait: Callable[..., None] | None = None,
    now: datetime | None = None,
) -> CollectionRunSummary:
    """Extract and load one collection; raises `PipelineError` (after recording the failure)."""
    started = time.monotonic()
    chosen = pipeline.resolve_source(settings, source)
    start_at, end_at = pipeline.parse_run_bounds(start, end, max_pages)
    storage = pipeline.writable_lake(settings)
    state = CollectionStateStore(storage, collection.key)
    summary = CollectionRunSummary(collection.name, collection.kind, source=chosen, lake=storage.uri)
    run_id = new_run_id()
    options = _RunOptions(run_id, start_at, end_at, max_pages, force, on_page, now)
    state.write_record(name=collection.name, kind=collection.kind, target=collection.target)
    try:
        with _client(settings, chosen, client, on_wait) as api:
            if collection.kind == "search":
                extraction = _extract_search(api, storage, state, collection, options)
            else:
                extraction = _extract_accounts(api, storage, state, collection, summary, options)
        summary.run_id = extraction.load_run_id
        summary.pages = len(extraction.raw_keys) + len(extraction.lookup_keys)
        summary.posts, summary.errors = extraction.posts, extraction.errors + len(summary.missing)
        summary.newest_id, summary.complete = extraction.newest_id, extraction.complete
        if extraction.skipped and _windows_loaded(state, extraction):
            summary.status = SKIPPED
            summary.notes.append("window already complete and loaded: nothing fetched (use --force)")
        elif summary.pages:
            _load(settings, storage, collection, extraction, summary, quality)
            _mark_windows_loaded(state, extraction)
    except Exception as exc:
        state.write_record(
            last_run_id=run_id,
            last_run_at=_now(),
            last_status=FAILED,
            last_error=_one_line(exc),
        )
        raise
    summary.seconds = round(time.monotonic() - started, 2)
    record = state.write_record(
        last_run_id=summary.run_id,
        last_run_at=_now(),
        last_status=summary.status,
        last_error=None,
        newest_id=summary.newest_id,
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
            error=_one_line(exc),
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


def _fields(client: XApiClient, collection: Collection) -> dict[str, str]:
    """The client's rich default fields, with the collection's overrides (comma-joined)."""
    overrides = {param: ",".join(names) for param, names in (collection.fields or {}).items()}
    return {**client.field_params, **overrides}


def _first_start(collection: Collection, now: datetime | None) -> datetime | None:
    lookback = collection.lookback_delta
    if lookback is None:
        return None
    return (now or datetime.now(UTC)) - lookback


def _extract_search(
    client: XApiClient,
    storage: LakeStorage,
    state: CollectionStateStore,
    collection: Collection,
    options: _RunOptions,
) -> _Extraction:
    endpoint = collection.api_endpoint
    name, query = SEARCH_NAMES[endpoint], collection.query or ""
    start, end = options.start, options.end
    incremental = not (start or end)
    if incremental:
        open_runs = [c for c in state.checkpoints(name, query) if not c.window.closed]
        if open_runs:
            start = _parse_window_time(open_runs[0].window.start_time)
        elif state.newest_id(name, query) is None:
            start = _first_start(collection, options.now)
    request = SearchRequest(
        query=query,
        endpoint=endpoint,
        start_time=start,
        end_time=end,
        max_results=collection.max_results,
        incremental=incremental,
    )
    result = extract_window(
        client.with_fields(_fields(client, collection)),
        RawZone(storage),
        state,
        request,
        max_pages=options.max_pages,
        on_page=options.on_page,
        run_id=options.run_id,
        force=options.force,
    )
    extraction = _Extraction(load_run_id=result.run_id)
    extraction.add(result)
    return extraction


def _extract_accounts(
    client: XApiClient,
    storage: LakeStorage,
    state: CollectionStateStore,
    collection: Collection,
    summary: CollectionRunSummary,
    options: _RunOptions,
) -> _Extraction:
    run_id, start, end = options.run_id, options.start, options.end
    raw = RawZone(storage)
    resolution = resolve_accounts(storage, raw, client, collection.accounts or (), run_id)
    summary.accounts, summary.lookups = len(resolution.accounts), resolution.lookups
    summary.missing = sorted(resolution.missing)
    for handle, reason in sorted(resolution.missing.items()):
        summary.notes.append(f"@{handle} not resolved ({reason}): fix or remove it in the collections file")
    extraction = _Extraction(load_run_id=run_id, lookup_keys=list(resolution.raw_keys))
    extraction.skipped = not resolution.raw_keys
    incremental = not (start or end)
    fields = _fields(client, collection)
    pages_left = options.max_pages
    for account in resolution.accounts:
        if pages_left is not None and pages_left <= 0:
            extraction.complete = False
            break
        first = None
        if incremental and state.newest_id("user_tweets", account.user_id) is None:
            first = _first_start(collection, options.now)
        request = TimelineRequest(
            user_id=account.user_id,
            start_time=start or first,
            end_time=end,
            exclude=collection.exclude,
            max_results=collection.max_results,
            incremental=incremental,
        )
        result = extract_timeline(
            client,
            raw,
            state,
            request,
            run_id=f"{run_id}-{account.user_id}",
            max_pages=pages_left,
            on_page=options.on_page,
            force=options.force,
            fields=fields,
            tweet_count=account.tweet_count,
        )
        if pages_left is not None:
            pages_left -= result.fetched_pages
        extraction.add(result)
        if result.capped:
            summary.capped.append(account.username)
            summary.notes.append(
                f"@{account.username}: the timeline endpoint reaches only the most recent "
                f"{TIMELINE_DEPTH:,} posts; older ones need full-archive search (from:{account.username})"
            )
        for problem in result.problems:
            summary.notes.append(f"@{account.username}: {problem}")
    if not extraction.complete:
        summary.notes.append("stopped at --max-pages: the next run continues where this one stopped")
    return extraction


def _parse_window_time(text: str | None) -> datetime | None:
    return pipeline.parse_time(text, "start") if text else None


# -- load -----------------------------------------------------------------------------------------
def _loaded_key(state: CollectionStateStore, endpoint: str, query: str, window: Window) -> str:
    return state.window_key(endpoint, query, window).replace("/windows/", "/loaded/")


def _windows_loaded(state: CollectionStateStore, extraction: _Extraction) -> bool:
    """A skipped (complete) window was loaded before unless its load was interrupted."""
    return bool(extraction.windows) and all(
        state.storage.exists(_loaded_key(state, *w)) for w in extraction.windows
    )


def _mark_windows_loaded(state: CollectionStateStore, extraction: _Extraction) -> None:
    for endpoint, query, window in extraction.windows:
        state.storage.write_bytes(
            _loaded_key(state, endpoint, query, window), extraction.load_run_id.encode()
        )


def _load(
    settings: Settings,
    storage: LakeStorage,
    collection: Collection,
    extraction: _Extraction,
    summary: CollectionRunSummary,
    quality: bool,
) -> None:
    from twitter_pipeline.load import load_window
    from twitter_pipeline.transform import DEFAULT_PAGES_PER_BATCH, TABLES, pages_to_tables

    specs = {**TABLES, COLLECTION_POSTS: COLLECTION_POSTS_SPEC}
    raw = RawZone(storage)
    builder = MembershipBuilder(
        collection.name, collection.kind, extraction.load_run_id, existing_links(storage, collection.name)
    )

    def batches() -> Iterator[dict[str, Any]]:
        if extraction.lookup_keys:
            pages = [lookup_page_as_users(p) for p in raw.read_many(extraction.lookup_keys)]
            yield pages_to_tables(pages)
        keys = iter(extraction.raw_keys)
        while chunk := list(islice(keys, DEFAULT_PAGES_PER_BATCH)):
            pages = list(raw.read_many(chunk))
            tables = pages_to_tables(pages)
            tables[COLLECTION_POSTS] = builder.table(pages)
            yield tables

    loaded = load_window(
        storage,
        extraction.load_run_id,
        batches(),
        specs=specs,
        metadata={
            "collection": collection.name,
            "kind": collection.kind,
            "query": collection.target,
            "endpoint": collection.api_endpoint,
            "raw_pages": len(extraction.raw_keys) + len(extraction.lookup_keys),
            "raw_posts": extraction.posts,
            "lookup_endpoint": LOOKUP_ENDPOINT if extraction.lookup_keys else None,
        },
    )
    summary.table_rows = {name: t.source_rows for name, t in loaded.tables.items()}
    if quality:
        from twitter_pipeline.quality import check_window

        report = check_window(storage, loaded, raw_posts=extraction.posts, specs=specs)
        summary.quality = report.counts()
        report.raise_for_errors()


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
    from twitter_pipeline.extract.window import split_windows

    source = pipeline.resolve_source(settings, options.pop("source", None))
    summaries = []
    with _client(settings, source, None, options.pop("on_wait", None)) as api:
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


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
