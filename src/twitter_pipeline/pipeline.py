"""The one place that chains the stages, for the CLI and the Airflow DAGs.

Each public function here builds a unit of work (a search window or polling step, a backfill's
windows, an archive import) and hands it to the run engine (`engine.run_unit`), which owns the
order of effects: lease → repair → extract → load → commit → quality. Collections have their own
unit in `collections.runner` and go through the same engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from twitter_pipeline.defaults import DEFAULT_LAKE
from twitter_pipeline.engine.work import OnProgress
from twitter_pipeline.errors import ConfigError
from twitter_pipeline.extract.window import SearchRequest
from twitter_pipeline.logs import event, register_secret
from twitter_pipeline.settings import Settings
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.times import parse_time

if TYPE_CHECKING:  # the engine loads the heavy stack: imported when a run starts
    from twitter_pipeline.engine.run import UnitOutcome
    from twitter_pipeline.extract.client import XApiClient
    from twitter_pipeline.extract.read_ahead import ReadAhead

logger = logging.getLogger("twitter_pipeline.pipeline")

Source = Literal["api", "emulator"]
SOURCES: tuple[str, ...] = ("api", "emulator")
ENDPOINTS: tuple[str, ...] = ("recent", "all")
EMULATOR_TOKEN_BYTES = 24
NO_TOKEN = (
    "X_BEARER_TOKEN is not set: export it to read the live X API, or choose synthetic data explicitly "
    "with --source emulator (or TWITTER_PIPELINE_SOURCE=emulator)"
)


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
    posts_read: int = 0  # billed post reads of this run (resumed parts read earlier are not counted)
    posts_estimated: int | None = None  # what the counts endpoint said before the window started
    table_rows: dict[str, int] = field(default_factory=dict)
    quality: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- choosing what to run ------------------------------------------------------------------------
def is_default_lake(settings: Settings) -> bool:
    """The zero-configuration demo lake ``./lake`` (relative to where the command runs)."""
    if settings.lake.startswith("s3://"):
        return False
    return Path(settings.lake).expanduser().resolve() == Path(DEFAULT_LAKE).resolve()


def resolve_source(settings: Settings, source: str | None) -> Source:
    """Which source feeds this run; the emulator only when chosen, or in the zero-config demo.

    Order: the `source` argument (`--source`), then TWITTER_PIPELINE_SOURCE, then `api` when a token
    is set. With none of them, the emulator is used only on the default local lake ``./lake``
    (the demo); anywhere else a missing token is an error, so synthetic posts never reach a real lake.
    """
    chosen = (source or settings.source or "").strip()
    if chosen:
        if chosen not in SOURCES:
            raise ConfigError(f"unknown source {chosen!r}: use --source api or --source emulator")
        if chosen == "api" and not settings.has_token:
            raise ConfigError(NO_TOKEN)
        return chosen  # type: ignore[return-value]
    if settings.has_token:
        return "api"
    if is_default_lake(settings):
        return "emulator"
    raise ConfigError(NO_TOKEN)


def lake_for_source(settings: Settings, source: Source) -> LakeStorage:
    """The writable lake, claimed for `source`'s kind: a lake never holds both synthetic and live posts."""
    from twitter_pipeline.engine.source_marker import claim_lake_source

    storage = writable_lake(settings)
    claim_lake_source(storage, source, settings.api_base_url if source == "api" else None)
    return storage


def resolve_query(settings: Settings, query: str | None, source: Source) -> str:
    """The query to search: option, then TWITTER_PIPELINE_QUERY, then (emulator only) the demo query."""
    chosen = (query or "").strip() or (settings.query or "").strip()
    if chosen:
        return chosen
    if source == "emulator":
        from twitter_pipeline.emulator.constants import DEMO_QUERY

        return DEMO_QUERY
    raise ConfigError("no search query: pass --query or set TWITTER_PIPELINE_QUERY")


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
    from twitter_pipeline.extract.client import XApiClient  # httpx: not loaded by an import

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


# -- runs ---------------------------------------------------------------------------------------
def run(
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
    quality: bool = True,
    on_progress: OnProgress | None = None,
    on_wait: Callable[..., None] | None = None,
    on_table_loaded: Callable[[Any], None] | None = None,
    max_posts: int | None = None,
) -> RunSummary:
    """One search unit through the run engine: a closed window (`start`/`end`) or a polling step.

    A closed window is fetched once; later calls skip it unless `force`. Without bounds the run polls
    for posts newer than the last committed run (first run: the last complete hour).
    """
    from twitter_pipeline.budget.limits import add_project_cap, build_guard

    search = _SearchOptions.of(settings, query, endpoint, source, max_pages, max_results)
    start_at, end_at = parse_run_bounds(start, end, max_pages)
    storage = lake_for_source(settings, search.source)
    guard = build_guard(storage, settings, max_posts=max_posts)
    with open_client(settings, search.source, on_wait=on_wait) as client:
        add_project_cap(guard, client)
        return _run_search(
            storage, client, search, start_at, end_at, force, quality, on_progress, on_table_loaded, guard
        )


def backfill(
    settings: Settings,
    *,
    start: str | datetime,
    end: str | datetime,
    every: timedelta,
    query: str | None = None,
    endpoint: str = "recent",
    source: str | None = None,
    max_results: int | None = None,
    quality: bool = True,
    on_window: Callable[[datetime, datetime, RunSummary], None] | None = None,
    on_wait: Callable[..., None] | None = None,
    max_posts: int | None = None,
) -> list[RunSummary]:
    """Run [start, end) window by window, each a resumable closed unit; complete windows are skipped.

    One budget covers the whole backfill: a window that would cross it is not started, and the
    windows before it stay landed.
    """
    from twitter_pipeline.budget.limits import add_project_cap, build_guard
    from twitter_pipeline.extract.window import split_windows

    search = _SearchOptions.of(settings, query, endpoint, source, None, max_results)
    start_at, end_at = parse_run_bounds(start, end, None)
    if start_at is None or end_at is None:
        raise ConfigError("a backfill needs both --start and --end")
    windows = split_windows(start_at, end_at, every)
    storage = lake_for_source(settings, search.source)
    guard = build_guard(storage, settings, max_posts=max_posts)
    summaries: list[RunSummary] = []
    with open_client(settings, search.source, on_wait=on_wait) as client:
        add_project_cap(guard, client)
        for window_start, window_end in windows:
            summary = _run_search(
                storage, client, search, window_start, window_end, False, quality, None, None, guard
            )
            summaries.append(summary)
            if on_window is not None:
                on_window(window_start, window_end, summary)
    return summaries


@dataclass(frozen=True)
class _SearchOptions:
    """The resolved what-to-search of a run or backfill."""

    source: Source
    query: str
    endpoint: str
    max_pages: int | None
    max_results: int | None

    @classmethod
    def of(
        cls,
        settings: Settings,
        query: str | None,
        endpoint: str,
        source: str | None,
        max_pages: int | None,
        max_results: int | None,
    ) -> _SearchOptions:
        if endpoint not in ENDPOINTS:
            raise ConfigError(f"unknown endpoint {endpoint!r}: use --endpoint recent or --endpoint all")
        chosen = resolve_source(settings, source)
        return cls(chosen, resolve_query(settings, query, chosen), endpoint, max_pages, max_results)


def _run_search(
    storage: LakeStorage,
    client: XApiClient,
    search: _SearchOptions,
    start: datetime | None,
    end: datetime | None,
    force: bool,
    quality: bool,
    on_progress: OnProgress | None,
    on_table_loaded: Callable[[Any], None] | None,
    guard: Any = None,
) -> RunSummary:
    from twitter_pipeline.engine.run import run_unit
    from twitter_pipeline.engine.units import SearchUnit, polling_request
    from twitter_pipeline.extract.state import StateStore

    if start or end:  # a closed window is its own unit: no since_id from other runs
        request = SearchRequest(
            query=search.query,
            endpoint=search.endpoint,
            start_time=start,
            end_time=end,
            max_results=search.max_results,
            incremental=False,
        )
    else:
        state = StateStore(storage, search.source)
        request = polling_request(state, search.query, search.endpoint, search.max_results)
    unit = SearchUnit(storage, client, search.source, request, max_pages=search.max_pages, force=force)
    outcome = run_unit(
        storage, unit, quality=quality, on_progress=on_progress, on_table_loaded=on_table_loaded, guard=guard
    )
    return summarize(outcome, search.source, storage.uri)


def summarize(outcome: UnitOutcome, source: str, lake: str) -> RunSummary:
    """A `UnitOutcome` as the run summary the CLI prints and Airflow logs."""
    extraction = outcome.extraction
    summary = RunSummary(run_id=extraction.run_id, source=source, lake=lake)
    summary.pages, summary.posts, summary.errors = (
        len(extraction.raw_keys),
        extraction.posts,
        extraction.errors,
    )
    summary.complete, summary.skipped = extraction.complete, extraction.skipped
    summary.posts_read = int(extraction.metadata.get("posts_read") or 0)
    summary.posts_estimated = extraction.metadata.get("posts_estimated")
    summary.table_rows = outcome.table_rows
    summary.users = summary.table_rows.get("users", 0)
    summary.quality = outcome.quality
    summary.notes = list(extraction.notes)
    for repaired in outcome.repaired:
        summary.notes.append(
            f"repaired: loaded {len(repaired.raw_keys)} pages / {repaired.posts} posts of the interrupted "
            f"run {repaired.run_id}"
        )
    summary.seconds = outcome.seconds
    return summary


# -- import of saved archives ------------------------------------------------------------------
def import_files(
    settings: Settings,
    paths: Sequence[str | Path],
    *,
    on_progress: OnProgress | None = None,
    quality: bool = True,
    read_ahead: ReadAhead | None = None,
) -> RunSummary:
    """Replay twarc2 JSONL archives / saved JSON pages through raw zone → tables (the run engine).

    Files are validated completely before anything lands, so a malformed line leaves the lake as
    it was. The run id derives from the files' contents: importing the same files again rewrites
    the same raw objects and merges the same rows (no duplicates); an import whose load was
    interrupted is repaired by running it again. `read_ahead`: the files, if the caller started
    reading them early (`ReadAhead`, started before this module's imports).
    """
    from twitter_pipeline.engine.run import run_unit
    from twitter_pipeline.engine.units import ImportUnit

    storage = writable_lake(settings)
    unit = ImportUnit(storage, [Path(p) for p in paths], read_ahead=read_ahead)
    outcome = run_unit(storage, unit, quality=quality, on_progress=on_progress)
    return summarize(outcome, "import", storage.uri)


def check_run_quality(settings: Settings, run_id: str, *, lake: str | None = None) -> dict[str, Any]:
    """The quality checks of a loaded run, from its completion record (Airflow's separate task).

    Raises `QualityError` on an error-level finding; returns the counts otherwise.
    """
    from twitter_pipeline.engine.run import summary_from_record
    from twitter_pipeline.load import read_run_record
    from twitter_pipeline.quality import check_window

    storage = LakeStorage(lake or settings.lake)
    record = read_run_record(storage, run_id)
    if not record:
        return {"status": "nothing loaded", "checks": 0, "errors": 0, "warnings": 0}
    loaded = summary_from_record(record)
    report = check_window(storage, loaded, raw_posts=(loaded.metadata or {}).get("raw_posts"))
    report.raise_for_errors()
    return report.counts()
