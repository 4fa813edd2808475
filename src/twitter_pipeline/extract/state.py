"""Incremental state and checkpoints as small JSON documents under ``<lake>/state/``.

State is data, not a hidden global: a cursor per (endpoint, query) holding the ``newest_id`` of the
last complete run (the next run asks for ``since_id`` = that), a checkpoint per running window
(where to resume: run id, next token, pages written), and a record per completed window so a
backfill never fetches the same window twice. Keys use a hash of endpoint+query (queries can hold
any character); the documents carry the readable endpoint and query inside.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from twitter_pipeline.errors import StorageError
from twitter_pipeline.storage import LakeStorage

STATE_PREFIX = "state"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def query_key(endpoint: str, query: str, source: str = "") -> str:
    """Stable short id of an (endpoint, query) pair, safe in any storage key.

    `source` ("api" or "emulator") keeps the state of one kind of source apart from the other's, so a
    window completed on synthetic data can never be taken as done for the live API.
    """
    text = f"{source}\n{endpoint}\n{query}" if source else f"{endpoint}\n{query}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Window:
    """The request bounds a checkpoint belongs to (ISO strings as sent to the API, or None)."""

    start_time: str | None = None
    end_time: str | None = None
    since_id: str | None = None
    until_id: str | None = None

    def key(self) -> str:
        text = "|".join(v or "" for v in (self.start_time, self.end_time, self.since_id, self.until_id))
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    @property
    def closed(self) -> bool:
        """A window with a fixed end can be completed once and for all."""
        return bool(self.end_time or self.until_id)


@dataclass
class Checkpoint:
    """Where a running window stands; written only after the pages it lists are in the raw zone."""

    endpoint: str
    query: str
    window: Window
    run_id: str
    next_token: str | None = None
    seq: int = 0  # pages written so far; the next page gets seq + 1
    raw_keys: list[str] = field(default_factory=list)
    posts: int = 0
    newest_id: str | None = None
    oldest_id: str | None = None
    errors_count: int = 0
    started_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)

    @property
    def finished(self) -> bool:
        """Every page is written (the last one had no next_token); only bookkeeping is left."""
        return self.seq > 0 and not self.next_token

    def to_dict(self) -> dict[str, Any]:
        """The stored form; the raw keys as runs, so saving after every page stays O(1) in size."""
        data = asdict(self)
        data["window"] = asdict(self.window)
        data["raw_key_runs"] = pack_page_keys(data.pop("raw_keys"))
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checkpoint:
        data = dict(data)
        data["window"] = Window(**data.get("window") or {})
        if "raw_key_runs" in data:
            data["raw_keys"] = unpack_page_keys(data.pop("raw_key_runs"))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


_PAGE_MARK = "/page-"


def pack_page_keys(keys: list[str]) -> list[list[Any]]:
    """Consecutive raw page keys of one folder as ``[folder, first_seq, last_seq, suffix]`` runs.

    A run's pages are ``{folder}/page-{seq:06d}{suffix}``; a key of any other shape is kept whole
    as ``[key]``. A 10,000-page window packs to a few runs instead of a megabyte of keys.
    """
    runs: list[list[Any]] = []
    for key in keys:
        folder, mark, rest = key.rpartition(_PAGE_MARK)
        digits, dot, suffix = rest.partition(".")
        if not mark or not digits.isdigit() or len(digits) != 6:
            runs.append([key])
            continue
        seq, suffix = int(digits), dot + suffix
        last = runs[-1] if runs else None
        if last and len(last) == 4 and last[0] == folder and last[3] == suffix and last[2] + 1 == seq:
            last[2] = seq
        else:
            runs.append([folder, seq, seq, suffix])
    return runs


def unpack_page_keys(runs: list[list[Any]]) -> list[str]:
    keys: list[str] = []
    for run in runs:
        if len(run) == 1:
            keys.append(run[0])
        else:
            folder, first, last, suffix = run
            keys.extend(f"{folder}{_PAGE_MARK}{seq:06d}{suffix}" for seq in range(first, last + 1))
    return keys


def newer_id(a: str | None, b: str | None) -> str | None:
    """The larger of two post ids (ids are numeric strings; compare as numbers)."""
    if not a:
        return b
    if not b:
        return a
    return a if int(a) >= int(b) else b


def older_id(a: str | None, b: str | None) -> str | None:
    if not a:
        return b
    if not b:
        return a
    return a if int(a) <= int(b) else b


class StateStore:
    """Reads and writes the state documents through `LakeStorage` (atomic writes)."""

    def __init__(self, storage: LakeStorage, source: str = "") -> None:
        self.storage = storage
        self.source = source

    # -- keys ---------------------------------------------------------------------------------
    def _base(self, endpoint: str, query: str) -> str:
        return f"{STATE_PREFIX}/{endpoint}/{query_key(endpoint, query, self.source)}"

    def cursor_key(self, endpoint: str, query: str) -> str:
        return f"{self._base(endpoint, query)}/cursor.json"

    def checkpoint_key(self, endpoint: str, query: str, window: Window) -> str:
        return f"{self._base(endpoint, query)}/checkpoints/{window.key()}.json"

    def window_key(self, endpoint: str, query: str, window: Window) -> str:
        return f"{self._base(endpoint, query)}/windows/{window.key()}.json"

    # -- io -----------------------------------------------------------------------------------
    def _read(self, key: str) -> dict[str, Any] | None:
        try:
            blob = self.storage.read_bytes(key)
        except FileNotFoundError:
            return None
        try:
            data = orjson.loads(blob)
        except orjson.JSONDecodeError:
            raise StorageError(
                f"the state document {self.storage.location(key)} is not valid JSON: delete it to start "
                "that query's state afresh"
            ) from None
        return data if isinstance(data, dict) else None

    def _write(self, key: str, data: dict[str, Any]) -> None:
        self.storage.write_bytes(key, orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))

    # -- cursor (newest_id of the last complete run) ------------------------------------------
    def cursor(self, endpoint: str, query: str) -> dict[str, Any] | None:
        return self._read(self.cursor_key(endpoint, query))

    def newest_id(self, endpoint: str, query: str) -> str | None:
        cursor = self.cursor(endpoint, query)
        return (cursor or {}).get("newest_id")

    def advance_cursor(self, endpoint: str, query: str, newest: str | None, run_id: str) -> str | None:
        """Move ``newest_id`` forward (never back: a backfill of old windows must not rewind it)."""
        cursor = self.cursor(endpoint, query) or {}
        merged = newer_id(cursor.get("newest_id"), newest)
        self._write(
            self.cursor_key(endpoint, query),
            {
                "endpoint": endpoint,
                "query": query,
                "newest_id": merged,
                "last_run_id": run_id,
                "updated_at": _now(),
            },
        )
        return merged

    # -- checkpoints --------------------------------------------------------------------------
    def checkpoint(self, endpoint: str, query: str, window: Window) -> Checkpoint | None:
        data = self._read(self.checkpoint_key(endpoint, query, window))
        return Checkpoint.from_dict(data) if data else None

    def save_checkpoint(self, checkpoint: Checkpoint) -> None:
        checkpoint.updated_at = _now()
        key = self.checkpoint_key(checkpoint.endpoint, checkpoint.query, checkpoint.window)
        self._write(key, checkpoint.to_dict())

    def clear_checkpoint(self, endpoint: str, query: str, window: Window) -> None:
        self.storage.delete(self.checkpoint_key(endpoint, query, window))

    def checkpoints(self, endpoint: str | None = None, query: str | None = None) -> Iterator[Checkpoint]:
        """Unfinished runs: of one (endpoint, query), or all in the lake (for `status`-like commands)."""
        # One scope's checkpoints folder only: its completed-window records are never listed.
        prefix = (
            f"{self._base(endpoint, query)}/checkpoints" if endpoint and query is not None else STATE_PREFIX
        )
        for key in self.storage.list(prefix):
            if "/checkpoints/" in key and key.endswith(".json"):
                data = self._read(key)
                if data:
                    yield Checkpoint.from_dict(data)

    # -- completed windows --------------------------------------------------------------------
    def window_done(self, endpoint: str, query: str, window: Window) -> dict[str, Any] | None:
        return self._read(self.window_key(endpoint, query, window))

    def mark_window_done(self, endpoint: str, query: str, window: Window, summary: dict[str, Any]) -> None:
        record = {"endpoint": endpoint, "query": query, "window": asdict(window), "completed_at": _now()}
        record.update(summary)
        self._write(self.window_key(endpoint, query, window), record)
