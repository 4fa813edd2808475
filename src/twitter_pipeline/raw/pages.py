"""One API response page exactly as received: what extract lands, the raw zone keeps and transform reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import orjson

# A page's bytes: `bytes`, or a read-only view into the bytes of the file a page was read from (an
# import keeps each archive line inside its file's bytes instead of copying it out: measured
# 0.08 s of a 97 MB archive). Anything bytes-only (`strip`, `replace`) takes `bytes(body)`.
Body = bytes | memoryview


@dataclass(frozen=True)
class PageRequest:
    """What produced a page: endpoint name, URL path and query parameters (never secrets)."""

    endpoint: str  # "search_recent", "search_all", "user_tweets", "import"
    path: str  # "/2/tweets/search/recent"
    params: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "path": self.path, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PageRequest:
        return cls(endpoint=data["endpoint"], path=data["path"], params=dict(data.get("params") or {}))


@dataclass(frozen=True)
class RawPage:
    """One response body (exact bytes) with the request that produced it and when it arrived."""

    request: PageRequest
    body: Body
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: int = 200
    source: str | None = field(default=None, compare=False)  # raw key or file:line, for error messages

    @cached_property
    def payload(self) -> dict[str, Any]:
        """The parsed body; parsing is lazy so pages can be moved around without it."""
        return orjson.loads(self.body)

    @property
    def meta(self) -> dict[str, Any]:
        return self.payload.get("meta") or {}

    @property
    def next_token(self) -> str | None:
        return self.meta.get("next_token")

    @property
    def result_count(self) -> int:
        return int(self.meta.get("result_count") or len(self.payload.get("data") or []))
