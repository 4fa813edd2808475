"""The collections file: named searches and account lists, validated once, with one-line errors.

A collection is the unit users think in ("the #python search", "the maintainers' timelines"): it has
its own name, source (a query or a list of handles), options, schedule and incremental state. The
file is TOML (`collections.toml`, or the path in TWITTER_PIPELINE_COLLECTIONS)::

    [[collections]]
    name = "python"
    query = "#python lang:en -is:retweet"

    [[collections]]
    name = "maintainers"
    accounts = ["gvanrossum", "@raymondh"]
    exclude = ["retweets", "replies"]
    schedule = "@daily"
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from croniter import croniter
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from twitter_pipeline.errors import ConfigError
from twitter_pipeline.extract.fields import field_sets
from twitter_pipeline.spec import SEARCH_MAX_RESULTS, TIMELINE_MAX_RESULTS

COLLECTIONS_ENV = "TWITTER_PIPELINE_COLLECTIONS"
DEFAULT_COLLECTIONS_FILE = "collections.toml"
DEFAULT_SCHEDULE = "@hourly"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
HANDLE_PATTERN = re.compile(r"^[A-Za-z0-9_]{1,15}$")
SEARCH_ENDPOINTS = ("recent", "all")
TIMELINE_ENDPOINT = "timeline"
EXCLUDES = ("retweets", "replies")
SCHEDULE_PRESETS = ("@hourly", "@daily", "@weekly", "@monthly", "@yearly")
_DURATION = re.compile(r"^(\d+)([smhd])$")
_DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,?-]+$")

Kind = Literal["search", "accounts"]


def parse_duration(text: str, name: str = "lookback") -> timedelta:
    """`90s`, `15m`, `6h`, `7d` → timedelta (collections use it for the first run's lookback)."""
    match = _DURATION.match(text.strip().lower())
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"{name} {text!r} is not a duration: use e.g. 6h or 7d")
    return timedelta(**{_DURATION_UNITS[match.group(2)]: int(match.group(1))})


def validate_schedule(text: str) -> str:
    """A preset (@hourly, @daily…) or a five-field cron expression that croniter accepts."""
    value = " ".join(text.split())
    if value in SCHEDULE_PRESETS:
        return value
    parts = value.split(" ")
    ok = len(parts) == 5 and all(_CRON_FIELD.match(p) for p in parts)
    if ok:
        ok = bool(croniter.is_valid(value))
    if not ok:
        raise ValueError(
            f"schedule {text!r} is not a cron expression: use a preset ({', '.join(SCHEDULE_PRESETS)}) "
            "or five fields like '0 */6 * * *'"
        )
    return value


class Collection(BaseModel):
    """One named collection: exactly one of `query` (a search) or `accounts` (user timelines)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    query: str | None = None
    accounts: tuple[str, ...] | None = None
    endpoint: str | None = None  # search: recent | all; accounts: timeline
    exclude: tuple[str, ...] = ()
    fields: dict[str, tuple[str, ...]] | None = None
    schedule: str = DEFAULT_SCHEDULE
    lookback: str | None = None  # first run only: how far back to start (default 1h; accounts: all)
    max_results: int | None = None
    max_posts: int | None = None  # the most posts one run of this collection may read (a budget)
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not NAME_PATTERN.match(value):
            raise ValueError(
                f"name {value!r} is not usable: use 1–64 lowercase letters, digits, '-' or '_', "
                "starting with a letter or digit"
            )
        return value

    @field_validator("query")
    @classmethod
    def _query(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value:
            raise ValueError('query is empty: write the search, e.g. query = "#python -is:retweet"')
        if len(value) > 4096:
            raise ValueError(f"query has {len(value)} characters; the X API allows 4096")
        return value

    @field_validator("accounts")
    @classmethod
    def _accounts(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        handles: list[str] = []
        for raw in value:
            handle = raw.strip().removeprefix("@")
            if not HANDLE_PATTERN.match(handle):
                raise ValueError(
                    f"account {raw!r} is not an X handle: use 1–15 letters, digits or '_' (an '@' is fine)"
                )
            if handle.lower() not in {h.lower() for h in handles}:
                handles.append(handle)
        if not handles:
            raise ValueError('accounts is empty: list at least one handle, e.g. accounts = ["XDevelopers"]')
        return tuple(handles)

    @field_validator("exclude")
    @classmethod
    def _exclude(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if item not in EXCLUDES:
                raise ValueError(f"exclude {item!r} is unknown: use any of {', '.join(EXCLUDES)}")
        return tuple(sorted(set(value)))

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: dict[str, tuple[str, ...]] | None) -> dict[str, tuple[str, ...]] | None:
        if value is None:
            return None
        known = {**field_sets("tweets"), **field_sets("posts")}
        for param, names in value.items():
            if param not in known:
                raise ValueError(f"fields key {param!r} is unknown: use any of {', '.join(sorted(known))}")
            unknown = [n for n in names if n not in known[param]]
            if unknown or not names:
                raise ValueError(
                    f"fields.{param} {unknown or '[]'} not supported: choose from {', '.join(known[param])}"
                )
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        return validate_schedule(value)

    @field_validator("lookback")
    @classmethod
    def _lookback(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Collection:
        if (self.query is None) == (self.accounts is None):
            raise ValueError("give exactly one of query (a search) or accounts (user timelines)")
        if self.query is not None:
            if self.endpoint not in (None, *SEARCH_ENDPOINTS):
                raise ValueError(f"endpoint {self.endpoint!r} is not a search endpoint: use recent or all")
            if self.exclude:
                raise ValueError("exclude applies to accounts only: in a query write -is:retweet -is:reply")
            low, high = SEARCH_MAX_RESULTS[self.endpoint or "recent"]
        else:
            if self.endpoint not in (None, TIMELINE_ENDPOINT):
                raise ValueError(f"endpoint {self.endpoint!r} does not apply to accounts: use timeline")
            low, high = TIMELINE_MAX_RESULTS
        if self.max_posts is not None and self.max_posts < 1:
            raise ValueError(f"max_posts={self.max_posts} must be at least 1 (or leave it out: no budget)")
        if self.max_results is not None and not low <= self.max_results <= high:
            raise ValueError(f"max_results={self.max_results} is out of range here: use {low}–{high}")
        return self

    # -- derived -----------------------------------------------------------------------------------
    @property
    def kind(self) -> Kind:
        return "search" if self.query is not None else "accounts"

    @property
    def api_endpoint(self) -> str:
        """`recent`/`all` for searches, `timeline` for accounts."""
        if self.kind == "search":
            return self.endpoint or "recent"
        return TIMELINE_ENDPOINT

    @property
    def key(self) -> str:
        """The state key and the `collection` value in the lake (names are lowercase already)."""
        return self.name

    @property
    def lookback_delta(self) -> timedelta | None:
        if self.lookback:
            return parse_duration(self.lookback)
        return timedelta(hours=1) if self.kind == "search" else None

    @property
    def target(self) -> str:
        """What it follows, for listings: the query, or the handles."""
        return self.query if self.query is not None else ", ".join(f"@{h}" for h in self.accounts or ())


class CollectionsConfig(BaseModel):
    """Every collection of one file, in file order, names unique."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    collections: tuple[Collection, ...]
    path: str = ""

    def __iter__(self) -> Iterator[Collection]:  # type: ignore[override]
        return iter(self.collections)

    def __len__(self) -> int:
        return len(self.collections)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.collections]

    def get(self, name: str) -> Collection:
        for collection in self.collections:
            if collection.key == name.strip().lower():
                return collection
        raise ConfigError(
            f"no collection named {name!r} in {self.path or 'the config'}: "
            f"use one of {', '.join(self.names) or '(none defined)'}"
        )


def collections_path(path: str | Path | None = None) -> Path:
    """--config, then TWITTER_PIPELINE_COLLECTIONS (empty means default), then ./collections.toml."""
    chosen = str(path or "").strip() or os.environ.get(COLLECTIONS_ENV, "").strip()
    return Path(chosen or DEFAULT_COLLECTIONS_FILE)


def load_collections(path: str | Path | None = None) -> CollectionsConfig:
    """Read and validate the collections file; every problem is one `ConfigError` line naming the fix."""
    file = collections_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"collections file {file} not found: create it (see collections.example.toml), or pass "
            f"--config PATH or set {COLLECTIONS_ENV}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read collections file {file}: {exc}") from None
    return parse_collections(text, source=str(file))


def parse_collections(text: str, source: str = "collections.toml") -> CollectionsConfig:
    """Validate the TOML text of a collections file (see `load_collections`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML ({exc}): fix the syntax at that line") from None
    unknown = sorted(set(data) - {"collections"})
    if unknown:
        raise ConfigError(
            f"{source}: unknown top-level key {unknown[0]!r}: define collections as [[collections]] tables"
        )
    entries = data.get("collections")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{source} defines no collections: add a [[collections]] table with a name")
    collections: list[Collection] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(entries, start=1):
        label = _label(entry, index)
        try:
            collection = Collection.model_validate(entry)
        except ValidationError as exc:
            raise ConfigError(f"{source}: {label}: {_first_error(exc)}") from None
        if collection.key in seen:
            raise ConfigError(
                f"{source}: duplicate collection name {collection.name!r} (also {seen[collection.key]!r}): "
                "give each collection its own name"
            )
        seen[collection.key] = collection.name
        collections.append(collection)
    return CollectionsConfig(collections=tuple(collections), path=source)


def _label(entry: Any, index: int) -> str:
    name = entry.get("name") if isinstance(entry, dict) else None
    return f"collection {name!r}" if isinstance(name, str) and name.strip() else f"collection #{index}"


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc") or ())
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        allowed = ", ".join(Collection.model_fields)
        return f"unknown key {where!r}: allowed keys are {allowed}"
    if kind == "missing":
        return f"{where} is required"
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    if where and where not in message and kind != "value_error":
        return f"{where}: {message}"
    return message
