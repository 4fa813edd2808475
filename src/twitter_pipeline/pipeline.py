"""The one place that chains the stages: extract → raw zone → transform → load → quality.

The CLI and the Airflow DAG call these functions and nothing deeper. Between extract and load
only a small, JSON-safe `ExtractManifest` travels (Airflow passes it through XCom); the data
itself stays in the lake's raw zone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import orjson

from twitter_pipeline.errors import ApiError, ConfigError
from twitter_pipeline.extract.checkpointed import ExtractResult, OnPage
from twitter_pipeline.extract.client import XApiClient
from twitter_pipeline.extract.pages import RawPage
from twitter_pipeline.extract.state import StateStore
from twitter_pipeline.extract.window import SearchRequest, extract_window
from twitter_pipeline.logs import event, register_secret
from twitter_pipeline.raw.zone import RawZone
from twitter_pipeline.settings import Settings
from twitter_pipeline.storage import LakeStorage

logger = logging.getLogger("twitter_pipeline.pipeline")

Source = Literal["api", "emulator"]
SOURCES: tuple[str, ...] = ("api", "emulator")
ENDPOINTS: tuple[str, ...] = ("recent", "all")
MANIFESTS_PREFIX = "manifests"
EMULATOR_TOKEN_BYTES = 24


@dataclass
class ExtractManifest:
    """What an extraction produced: small and JSON-safe; the raw keys live in the lake."""

    run_id: str
    lake: str
    source: str
    endpoint: str
    query: str
    start: str | None
    end: str | None
    pages: int
    posts: int
    newest_id: str | None
    errors: int
    complete: bool
    skipped: bool
    manifest_key: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExtractManifest:
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class RunSummary:
    """What a whole run did, for the CLI's closing table and the Airflow logs."""

    run_id: str
    source: str
    lake: str
    pages: int = 0
    posts: int = 0
    users: int = 0
    errors: int = 0
    seconds: float = 0.0
    complete: bool = True
    skipped: bool = False
    table_rows: dict[str, int] = field(default_factory=dict)
    quality: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- choosing what to run ------------------------------------------------------------------------
def resolve_source(settings: Settings, source: str | None) -> Source:
    """`api` when a bearer token is configured, otherwise the built-in emulator."""
    if source is None or source == "":
        return "api" if settings.has_token else "emulator"
    if source not in SOURCES:
        raise ConfigError(f"unknown source {source!r}: use --source api or --source emulator")
    if source == "api" and not settings.has_token:
        raise ConfigError("X_BEARER_TOKEN is not set: export it, or run with --source emulator")
    return source  # type: ignore[return-value]


def resolve_query(settings: Settings, query: str | None, source: Source) -> str:
    """The query to search: option, then TWITTER_PIPELINE_QUERY, then (emulator only) the demo query."""
    chosen = (query or "").strip() or (settings.query or "").strip()
    if chosen:
        return chosen
    if source == "emulator":
        from twitter_pipeline.emulator.constants import DEMO_QUERY

        return DEMO_QUERY
    raise ConfigError("no search query: pass --query or set TWITTER_PIPELINE_QUERY")


def parse_time(value: str | datetime | None, name: str) -> datetime | None:
    """ISO 8601 → aware UTC datetime; a naive time is taken as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(
                f"{name} {value!r} is not an ISO 8601 time: use e.g. 2026-11-26T10:00:00Z"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_run_bounds(
    start: str | datetime | None, end: str | datetime | None, max_pages: int | None
) -> tuple[datetime | None, datetime | None]:
    """--start/--end as UTC times, checked with --max-pages: every fetching run takes these three."""
    start_at, end_at = parse_time(start, "--start"), parse_time(end, "--end")
    if start_at and end_at and start_at >= end_at:
        raise ConfigError("--start must be before --end")
    if max_pages is not None and max_pages < 1:
        raise ConfigError("--max-pages must be at least 1")
    return start_at, end_at


def writable_lake(settings: Settings) -> LakeStorage:
    """The lake, probed with a write first: a run should fail before it fetches or lands anything."""
    storage = LakeStorage(settings.lake)
    storage.check_writable()
    return storage


def default_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last complete UTC hour: stable, so a rerun in the same hour fetches the same window."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    end = now.replace(minute=0, second=0, microsecond=0)
    return end - timedelta(hours=1), end


# -- the API client and its source --------------------------------------------------------------
@contextmanager
def open_client(
    settings: Settings, source: Source, *, on_wait: Callable[..., None] | None = None
) -> Iterator[XApiClient]:
    """A client for the live API, or for an in-process emulator started on a free loopback port."""
    if source == "api":
        token = settings.bearer_token.get_secret_value() if settings.bearer_token else ""
        register_secret(token)
        with XApiClient(settings.api_base_url, token, on_wait=on_wait) as client:
            yield client
        return
    import secrets

    from twitter_pipeline.emulator.config import EmulatorConfig
    from twitter_pipeline.emulator.server import EmulatorServer

    token = secrets.token_urlsafe(EMULATOR_TOKEN_BYTES)
    register_secret(token)
    with EmulatorServer(EmulatorConfig(token=token)) as server:
        event(logger, "emulator started", base_url=server.base_url)
        with XApiClient(server.base_url, token, on_wait=on_wait) as client:
            yield client


# -- stages ---------------------------------------------------------------------------------------
def extract(
    settings: Settings,
    *,
    query: str | None = None,
    start: str | datetime | None = None,
    end: str | datetime | None = None,
    endpoint: str = "recent",
    source: str | None = None,
    max_pages: int | None = None,
    max_results: int | None = None,
    force: bool = False,
    on_page: OnPage | None = None,
    on_wait: Callable[..., None] | None = None,
) -> ExtractManifest:
    """Fetch one window into the raw zone (resuming an interrupted run of it) and write its manifest.

    With `start`/`end` the window is closed: it is fetched once and later calls skip it (unless
    `force`). With neither, the run polls: since the newest post of the last run, or the last hour.
    """
    if endpoint not in ENDPOINTS:
        raise ConfigError(f"unknown endpoint {endpoint!r}: use --endpoint recent or --endpoint all")
    chosen = resolve_source(settings, source)
    text = resolve_query(settings, query, chosen)
    start_at, end_at = parse_run_bounds(start, end, max_pages)

    storage = writable_lake(settings)
    raw, state = RawZone(storage), StateStore(storage)
    request = _search_request(state, text, endpoint, start_at, end_at, max_results)

    try:
        with open_client(settings, chosen, on_wait=on_wait) as client:
            result = extract_window(
                client, raw, state, request, max_pages=max_pages, on_page=on_page, force=force
            )
    except ApiError as exc:
        # Stopped mid-window (usage cap, retries exhausted): record what did land so the caller
        # can still load it; the checkpoint stays and the next run continues the window.
        partial = _interrupted_result(state, request)
        if partial is not None and partial.pages:
            exc.partial_manifest = _write_manifest(storage, partial, chosen, text)  # type: ignore[attr-defined]
        raise
    manifest = _write_manifest(storage, result, chosen, text)
    event(logger, "extracted", run_id=result.run_id, pages=result.pages, posts=result.posts)
    return manifest


def _interrupted_result(state: StateStore, request: SearchRequest) -> ExtractResult | None:
    from twitter_pipeline.extract.window import resolve_window

    name, window = resolve_window(state, request)
    checkpoint = state.checkpoint(name, request.query.strip(), window)
    return ExtractResult.from_checkpoint(checkpoint) if checkpoint is not None else None


def _write_manifest(storage: LakeStorage, result: ExtractResult, source: str, query: str) -> ExtractManifest:
    manifest = ExtractManifest(
        run_id=result.run_id,
        lake=storage.uri,
        source=source,
        endpoint=result.endpoint,
        query=query,
        start=result.window.start_time,
        end=result.window.end_time,
        pages=result.pages,
        posts=result.posts,
        newest_id=result.newest_id,
        errors=result.errors_count,
        complete=result.complete,
        skipped=result.skipped,
        manifest_key=f"{MANIFESTS_PREFIX}/run={result.run_id}.json",
    )
    body = {**manifest.to_dict(), "raw_keys": list(result.raw_keys)}
    storage.write_bytes(manifest.manifest_key, orjson.dumps(body, option=orjson.OPT_INDENT_2))
    return manifest


def _search_request(
    state: StateStore,
    query: str,
    endpoint: str,
    start: datetime | None,
    end: datetime | None,
    max_results: int | None,
) -> SearchRequest:
    if start or end:  # a closed window is its own unit: no since_id from other runs
        return SearchRequest(
            query=query,
            endpoint=endpoint,
            start_time=start,
            end_time=end,
            max_results=max_results,
            incremental=False,
        )
    from twitter_pipeline.extract.client import SEARCH_NAMES, search_endpoint

    name = SEARCH_NAMES[search_endpoint(endpoint)]
    has_cursor = state.newest_id(name, query) is not None
    has_checkpoint = any(True for _ in state.checkpoints(name, query))
    first_start = None if (has_cursor or has_checkpoint) else default_window()[1] - timedelta(hours=1)
    return SearchRequest(
        query=query, endpoint=endpoint, start_time=first_start, max_results=max_results, incremental=True
    )


def manifest_raw_keys(storage: LakeStorage, manifest: ExtractManifest) -> list[str]:
    data = orjson.loads(storage.read_bytes(manifest.manifest_key))
    return list(data.get("raw_keys") or [])


def load(
    settings: Settings,
    manifest: ExtractManifest,
    *,
    on_table_loaded: Callable[[Any], None] | None = None,
) -> Any:
    """Transform the manifest's raw pages and merge them into the Delta tables (idempotent)."""
    from twitter_pipeline.load import load_window
    from twitter_pipeline.transform import iter_table_batches

    storage = LakeStorage(manifest.lake or settings.lake)
    keys = manifest_raw_keys(storage, manifest)
    pages = RawZone(storage).read_many(keys)
    metadata = {
        "query": manifest.query,
        "endpoint": manifest.endpoint,
        "start": manifest.start,
        "end": manifest.end,
        "raw_pages": len(keys),
        "raw_posts": manifest.posts,
        "raw_keys_manifest": manifest.manifest_key,
    }
    return load_window(
        storage,
        manifest.run_id,
        iter_table_batches(pages),
        metadata=metadata,
        on_table_loaded=on_table_loaded,
    )


def check_quality(settings: Settings, manifest: ExtractManifest, loaded: Any = None) -> Any:
    """Run and store the data-quality checks of a loaded window; raises QualityError on an error.

    `loaded` is the `LoadSummary` of the window; without it (a separate Airflow task) the
    window's completion record in the lake supplies the same facts.
    """
    from twitter_pipeline.errors import PipelineError
    from twitter_pipeline.quality import check_window

    storage = LakeStorage(manifest.lake or settings.lake)
    summary = loaded if loaded is not None else _load_summary_from_record(storage, manifest.run_id)
    if summary is None:
        raise PipelineError(f"run {manifest.run_id} has no completed load: run the load step first")
    report = check_window(storage, summary, raw_posts=manifest.posts)
    report.raise_for_errors()
    return report


def _load_summary_from_record(storage: LakeStorage, run_id: str) -> Any:
    from twitter_pipeline.load import LoadSummary, TableLoad, read_run_record

    record = read_run_record(storage, run_id)
    if not record:
        return None
    tables = {name: TableLoad(**values) for name, values in (record.get("tables") or {}).items()}
    names = set(LoadSummary.__dataclass_fields__) - {"tables"}
    return LoadSummary(tables=tables, **{k: v for k, v in record.items() if k in names})


def run(settings: Settings, **options: Any) -> RunSummary:
    """extract → load → quality for one window; the CLI's `run` and the demo."""
    started = time.monotonic()
    check = options.pop("quality", True)
    on_table_loaded = options.pop("on_table_loaded", None)
    try:
        manifest = extract(settings, **options)
    except ApiError as exc:
        partial = getattr(exc, "partial_manifest", None)
        if partial is not None:  # keep what was fetched: load it, then report the stop
            _load_into(
                RunSummary(partial.run_id, partial.source, partial.lake),
                settings,
                partial,
                on_table_loaded,
                check=False,
            )
            raise type(exc)(
                f"{exc} ({partial.pages} pages / {partial.posts} posts fetched before the stop "
                "were loaded; run again to continue the window)"
            ) from None
        raise
    summary = RunSummary(run_id=manifest.run_id, source=manifest.source, lake=manifest.lake)
    summary.pages, summary.posts, summary.errors = manifest.pages, manifest.posts, manifest.errors
    summary.complete, summary.skipped = manifest.complete, manifest.skipped
    if manifest.skipped:
        summary.notes.append("window already complete: nothing fetched (use --force to fetch it again)")
    if manifest.pages and not (manifest.skipped and _already_loaded(manifest)):
        _load_into(summary, settings, manifest, on_table_loaded, check)
    summary.seconds = round(time.monotonic() - started, 2)
    return summary


def _already_loaded(manifest: ExtractManifest) -> bool:
    """A skipped window was loaded before unless its load was interrupted (then load it now)."""
    from twitter_pipeline.load import read_run_record

    record = read_run_record(LakeStorage(manifest.lake), manifest.run_id)
    return bool(record) and (record.get("metadata") or {}).get("raw_pages") == manifest.pages


def _load_into(
    summary: RunSummary,
    settings: Settings,
    manifest: ExtractManifest,
    on_table_loaded: Callable[[Any], None] | None,
    check: bool,
) -> None:
    loaded = load(settings, manifest, on_table_loaded=on_table_loaded)
    summary.table_rows = {name: t.source_rows for name, t in loaded.tables.items()}
    summary.users = summary.table_rows.get("users", 0)
    if check:
        report = check_quality(settings, manifest, loaded)
        summary.quality = report.counts()


# -- import of saved archives ------------------------------------------------------------------
def import_files(
    settings: Settings,
    paths: Sequence[str | Path],
    *,
    on_page: Callable[[RawPage, str], None] | None = None,
    quality: bool = True,
) -> RunSummary:
    """Replay twarc2 JSONL archives / saved JSON pages through raw zone → tables.

    Files are validated completely before anything lands, so a malformed line leaves the lake as
    it was. The run id derives from the files' contents: importing the same files again rewrites
    the same raw objects and merges the same rows (no duplicates).
    """
    from twitter_pipeline.extract.archive import land_archives

    started = time.monotonic()
    files = [Path(p) for p in paths]
    storage = writable_lake(settings)
    landed = land_archives(RawZone(storage), files, on_page=on_page)
    run_id, keys, posts, errors = landed.run_id, landed.raw_keys, landed.posts, landed.errors
    manifest = ExtractManifest(
        run_id=run_id,
        lake=storage.uri,
        source="import",
        endpoint="import",
        query=", ".join(p.name for p in files),
        start=None,
        end=None,
        pages=len(keys),
        posts=posts,
        newest_id=None,
        errors=errors,
        complete=True,
        skipped=False,
        manifest_key=f"{MANIFESTS_PREFIX}/run={run_id}.json",
    )
    body = {**manifest.to_dict(), "raw_keys": keys}
    storage.write_bytes(manifest.manifest_key, orjson.dumps(body, option=orjson.OPT_INDENT_2))
    summary = RunSummary(run_id=run_id, source="import", lake=storage.uri, pages=len(keys), posts=posts)
    summary.errors = errors
    if keys:
        _load_into(summary, settings, manifest, None, quality)
    summary.seconds = round(time.monotonic() - started, 2)
    return summary
