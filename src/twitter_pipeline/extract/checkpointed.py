"""Checkpointed pagination into the raw zone: the one loop search windows and user timelines share.

Order of effects per page: fetch → write to the raw zone → count it into the checkpoint, which is
saved every few seconds and when the loop ends. A crash at any point therefore loses nothing and, on
the next call, fetches nothing twice: pages that reached the raw zone but not the saved checkpoint
are recovered from the raw zone (each page's next_token is in its body).
Callers only say which window to fetch and how to request its pages.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Self, TypeVar

from twitter_pipeline.errors import PipelineError
from twitter_pipeline.extract.state import Checkpoint, StateStore, Window, newer_id, older_id
from twitter_pipeline.raw.pages import RawPage
from twitter_pipeline.raw.zone import RAW_PREFIX, RawZone
from twitter_pipeline.times import parse_utc

logger = logging.getLogger("twitter_pipeline.extract")


@dataclass
class ExtractResult:
    """What one call did (pages/posts count the whole run, including resumed parts)."""

    run_id: str
    endpoint: str  # "search_recent" | "search_all" | "user_tweets"
    query: str  # the search query, or the user id of a timeline
    window: Window
    raw_keys: list[str] = field(default_factory=list)
    pages: int = 0
    posts: int = 0
    newest_id: str | None = None
    oldest_id: str | None = None
    errors_count: int = 0
    complete: bool = False
    resumed: bool = False
    skipped: bool = False  # the window was already complete; nothing fetched
    fetched_pages: int = 0  # pages fetched by this call (not by earlier, interrupted calls)
    # The finished, not yet finalized checkpoint (when the caller commits after its own load).
    checkpoint: Checkpoint | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_checkpoint(cls, source: Checkpoint, **extra: Any) -> Self:
        """What the run holds so far; `extra` sets the fields a checkpoint does not know."""
        checkpoint = source
        counts = {
            "run_id": checkpoint.run_id,
            "endpoint": checkpoint.endpoint,
            "query": checkpoint.query,
            "window": checkpoint.window,
            "raw_keys": list(checkpoint.raw_keys),
            "pages": checkpoint.seq,
            "posts": checkpoint.posts,
            "newest_id": checkpoint.newest_id,
            "oldest_id": checkpoint.oldest_id,
            "errors_count": checkpoint.errors_count,
        }
        return cls(**{**counts, **extra})

    @classmethod
    def from_done_window(cls, endpoint: str, query: str, window: Window, done: Mapping[str, Any]) -> Self:
        """A window completed by an earlier run, from its record (nothing is fetched again)."""
        return cls(
            run_id=str(done.get("run_id", "")),
            endpoint=endpoint,
            query=query,
            window=window,
            raw_keys=list(done.get("raw_keys") or []),
            pages=int(done.get("pages") or 0),
            posts=int(done.get("posts") or 0),
            newest_id=done.get("newest_id"),
            complete=True,
            skipped=True,
        )


ResultT = TypeVar("ResultT", bound=ExtractResult)
OnPage = Callable[[RawPage, str, ExtractResult], None]
# next_token (None for the first page) → the pages from there on; a generator, so it can be closed.
FetchPages = Callable[[str | None], Generator[RawPage, None, None]]
# A finished checkpoint → extra result fields, worked out before the checkpoint is cleared.
DescribeFinished = Callable[[Checkpoint], Mapping[str, Any]]


def new_run_id(now: datetime | None = None) -> str:
    """Sortable and unique: ``20260131T120000Z-1a2b3c``."""
    now = now or datetime.now(UTC)
    return f"{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def extract_checkpointed(
    raw_zone: RawZone,
    state: StateStore,
    endpoint: str,
    query: str,
    window: Window,
    fetch_pages: FetchPages,
    *,
    result_type: type[ResultT] = ExtractResult,  # type: ignore[assignment]
    run_id: str | None = None,
    max_pages: int | None = None,
    on_page: OnPage | None = None,
    force: bool = False,
    describe_finished: DescribeFinished | None = None,
    finalize_when_done: bool = True,
) -> ResultT:
    """Fetch every page of one (endpoint, query, window) into the raw zone, resuming an interrupted run.

    On completion the state's newest_id moves forward, a closed window is recorded as complete and
    the checkpoint is removed — unless `finalize_when_done` is False: then the finished checkpoint
    stays (it is the pending-load journal) and comes back as `result.checkpoint`, for the run engine
    to `finalize` only after the pages are loaded. `max_pages` stops early (the checkpoint stays, so
    the next call continues). A completed closed window is skipped unless `force`.
    """
    if not force and window.closed:
        done = state.window_done(endpoint, query, window)
        if done is not None:
            logger.info(
                "window already complete, skipping", extra={"endpoint": endpoint, "window": str(window)}
            )
            return result_type.from_done_window(endpoint, query, window, done)

    checkpoint = state.checkpoint(endpoint, query, window)
    resumed = checkpoint is not None
    if checkpoint is None:
        checkpoint = Checkpoint(endpoint=endpoint, query=query, window=window, run_id=run_id or new_run_id())
        state.save_checkpoint(checkpoint)  # claim the run id before the first page
    else:
        recover_unrecorded_pages(raw_zone, checkpoint, state)
        logger.info(
            "resuming run %s at page %d",
            checkpoint.run_id,
            checkpoint.seq + 1,
            extra={"endpoint": endpoint, "query": query, "run_id": checkpoint.run_id, "seq": checkpoint.seq},
        )

    fetched = 0
    if not checkpoint.finished:
        pages = fetch_pages(checkpoint.next_token)
        saver = _CheckpointSaver(state, checkpoint)
        try:
            for page in pages:
                key = raw_zone.write(checkpoint.run_id, checkpoint.seq + 1, page)
                record_page(checkpoint, page, key)
                saver.page_recorded()
                fetched += 1
                if on_page is not None:
                    on_page(
                        page,
                        key,
                        result_type.from_checkpoint(checkpoint, resumed=resumed, fetched_pages=fetched),
                    )
                if max_pages is not None and fetched >= max_pages and not checkpoint.finished:
                    saver.save()
                    return result_type.from_checkpoint(checkpoint, resumed=resumed, fetched_pages=fetched)
            saver.save()
        except PipelineError:
            if checkpoint.seq == 0:  # nothing landed: leave no stale checkpoint behind
                state.clear_checkpoint(endpoint, query, window)
            else:
                saver.save_quietly()
            raise
        except BaseException:  # Ctrl-C, SIGTERM: the next run starts from here without a recovery
            saver.save_quietly()
            raise
        finally:
            pages.close()

    extra = dict(describe_finished(checkpoint)) if describe_finished is not None else {}
    if finalize_when_done:
        finalize(state, checkpoint)
    else:
        extra["checkpoint"] = checkpoint
    return result_type.from_checkpoint(
        checkpoint, resumed=resumed, fetched_pages=fetched, complete=True, **extra
    )


# The checkpoint is saved (a durable write: it syncs the pages before it) at most this often while
# pages arrive, and always when the loop ends. In between, a crash loses nothing: the next run
# recovers the pages the raw zone holds past the checkpoint (`recover_unrecorded_pages`), and a page
# a power loss cut short is fetched again. One save per page cost a sync (locally) or a PUT (S3).
CHECKPOINT_EVERY_SECONDS = 5.0


class _CheckpointSaver:
    """Saves a run's checkpoint on a timer rather than per page; `save` forces it."""

    def __init__(self, state: StateStore, checkpoint: Checkpoint) -> None:
        self.state, self.checkpoint = state, checkpoint
        self.saved_seq = checkpoint.seq
        self.saved_at = time.monotonic()

    def page_recorded(self) -> None:
        if time.monotonic() - self.saved_at >= CHECKPOINT_EVERY_SECONDS:
            self.save()

    def save(self) -> None:
        if self.checkpoint.seq != self.saved_seq:
            self.state.save_checkpoint(self.checkpoint)
            self.saved_seq, self.saved_at = self.checkpoint.seq, time.monotonic()

    def save_quietly(self) -> None:
        """On the way out of a failure: a failing save must not hide the error that stopped the run."""
        try:
            self.save()
        except Exception as exc:  # the raw zone still holds the pages: the next run recovers them
            logger.warning("could not save the checkpoint on the way out (%s); the next run recovers it", exc)


def page_stats(page: RawPage) -> tuple[int, str | None, str | None, int]:
    """(posts, newest id, oldest id, errors) of one page; posts are its ``data`` items."""
    payload = page.payload
    meta = payload.get("meta") or {}
    data = payload.get("data") or []
    ids = [str(item["id"]) for item in data if isinstance(item, dict) and item.get("id")]
    newest = meta.get("newest_id") or (max(ids, key=int) if ids else None)
    oldest = meta.get("oldest_id") or (min(ids, key=int) if ids else None)
    return len(data), newest, oldest, len(payload.get("errors") or [])


def record_page(checkpoint: Checkpoint, page: RawPage, key: str) -> None:
    """Count a page that is already in the raw zone into the checkpoint (not yet saved)."""
    posts, newest, oldest, errors = page_stats(page)
    checkpoint.seq += 1
    checkpoint.raw_keys.append(key)
    checkpoint.posts += posts
    checkpoint.newest_id = newer_id(checkpoint.newest_id, newest)
    checkpoint.oldest_id = older_id(checkpoint.oldest_id, oldest)
    checkpoint.errors_count += errors
    checkpoint.next_token = page.next_token


def recover_unrecorded_pages(raw_zone: RawZone, checkpoint: Checkpoint, state: StateStore) -> int:
    """Pages written to the raw zone after the last checkpoint write (a crash in between)."""
    by_seq: dict[int, str] = {}
    for key in _run_keys_since_checkpoint(raw_zone, checkpoint):
        name = key.rsplit("/", 1)[-1]
        try:
            by_seq[int(name.removeprefix("page-").split(".", 1)[0])] = key
        except ValueError:
            continue
    recovered = 0
    while checkpoint.seq + 1 in by_seq:
        key = by_seq[checkpoint.seq + 1]
        try:
            page = raw_zone.read(key)
        except (ValueError, OSError) as exc:
            # A page written after the last durability barrier can be cut short by a power loss:
            # it never counted, so it is fetched again and its key rewritten.
            logger.warning("page %s is unreadable (%s): fetching it again", key, exc)
            break
        record_page(checkpoint, page, key)
        recovered += 1
    if recovered:
        state.save_checkpoint(checkpoint)
        logger.info(
            "recovered %d page(s) written before the crash",
            recovered,
            extra={"run_id": checkpoint.run_id, "seq": checkpoint.seq},
        )
    return recovered


def _run_keys_since_checkpoint(raw_zone: RawZone, checkpoint: Checkpoint) -> list[str]:
    """The run's raw keys on the days since its last recorded page: a few narrow listings.

    Raw keys are ``raw/endpoint=…/date=<fetch day>/run=<run>/…``; pages after the checkpoint were
    fetched on the day of its last recorded page or later, so only those days' folders of this run
    are listed, never the endpoint's whole history. A day of slack covers clock skew between hosts.
    """
    endpoint = f"{RAW_PREFIX}/endpoint={checkpoint.endpoint}"
    last_day = _day_of_key(checkpoint.raw_keys[-1]) if checkpoint.raw_keys else None
    if last_day is None:
        try:
            last_day = parse_utc(checkpoint.updated_at).date()
        except (AttributeError, ValueError):
            last_day = None
    first = (last_day - timedelta(days=1)).isoformat() if last_day else ""
    keys: list[str] = []
    for folder in raw_zone.storage.list_dirs(endpoint):
        day = folder.removeprefix("date=")
        if folder.startswith("date=") and day >= first:
            keys.extend(raw_zone.keys(f"{endpoint}/{folder}/run={checkpoint.run_id}"))
    return keys


def _day_of_key(key: str) -> date | None:
    for part in key.split("/"):
        if part.startswith("date="):
            try:
                return date.fromisoformat(part.removeprefix("date="))
            except ValueError:
                return None
    return None


def finalize(state: StateStore, checkpoint: Checkpoint) -> None:
    """Every page is in the raw zone: publish the cursor, record the window, drop the checkpoint.

    Each step is idempotent, so a crash in between is repaired by running this again.
    """
    name, query, window = checkpoint.endpoint, checkpoint.query, checkpoint.window
    state.advance_cursor(name, query, checkpoint.newest_id, checkpoint.run_id)
    if window.closed:
        state.mark_window_done(
            name,
            query,
            window,
            {
                "run_id": checkpoint.run_id,
                "pages": checkpoint.seq,
                "posts": checkpoint.posts,
                "newest_id": checkpoint.newest_id,
                "raw_keys": checkpoint.raw_keys,
            },
        )
    state.clear_checkpoint(name, query, window)
    logger.info(
        "window complete: %d pages, %d posts",
        checkpoint.seq,
        checkpoint.posts,
        extra={"endpoint": name, "run_id": checkpoint.run_id, "newest_id": checkpoint.newest_id},
    )
