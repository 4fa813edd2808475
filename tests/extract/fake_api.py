"""A tiny in-memory X API search for unit tests of the transport (httpx.MockTransport).

Integration tests use the real emulator over loopback; this fake exists to script exact edge
cases (a 429 with given headers, a truncated body) that are awkward to provoke over a socket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import orjson

TOKEN = "test-token-SECRET-abc123"


@dataclass
class FakeSearchApi:
    """Serves `count` posts newest first, `page_size` per page, honouring since_id and next_token."""

    count: int = 25
    page_size: int = 10
    first_id: int = 1_000_000_000_000_000_000
    remaining: int = 449
    reset: int = 2_000_000_000
    faults: list[Callable[[httpx.Request], httpx.Response | None]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    served_ids: list[str] = field(default_factory=list)

    def ids(self) -> list[int]:
        return [self.first_id + i for i in range(self.count)][::-1]

    def headers(self) -> dict[str, str]:
        return {
            "x-rate-limit-limit": "450",
            "x-rate-limit-remaining": str(self.remaining),
            "x-rate-limit-reset": str(self.reset),
            "content-type": "application/json",
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.faults:
            response = self.faults.pop(0)(request)
            if response is not None:
                return response
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            body = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
            return httpx.Response(401, json=body, headers=self.headers())
        params = request.url.params
        since = int(params.get("since_id") or 0)
        ids = [i for i in self.ids() if i > since]
        start = int(params.get("next_token") or 0)
        chunk = ids[start : start + self.page_size]
        meta: dict[str, object] = {"result_count": len(chunk)}
        if chunk:
            meta["newest_id"] = str(chunk[0])
            meta["oldest_id"] = str(chunk[-1])
        if start + self.page_size < len(ids):
            meta["next_token"] = str(start + self.page_size)
        data = [{"id": str(i), "text": f"post {i}", "author_id": "12"} for i in chunk]
        self.served_ids.extend(str(i) for i in chunk)
        body: dict[str, object] = {"meta": meta}
        if data:
            body["data"] = data
        return httpx.Response(200, content=orjson.dumps(body), headers=self.headers())


def respond(
    status: int, body: object | bytes = b"", **headers: str
) -> Callable[[httpx.Request], httpx.Response]:
    """A one-shot fault: answer the next request with this status/body/headers."""

    def fault(request: httpx.Request) -> httpx.Response:
        content = body if isinstance(body, bytes) else orjson.dumps(body)
        hdrs = {k.replace("_", "-"): v for k, v in headers.items()}
        return httpx.Response(status, content=content, headers=hdrs)

    return fault


def raise_error(exc_type: type[Exception]) -> Callable[[httpx.Request], httpx.Response]:
    def fault(request: httpx.Request) -> httpx.Response:
        raise exc_type("boom", request=request)  # type: ignore[call-arg]

    return fault


class FakeClock:
    """Injected clock + sleep: sleeping advances time instantly and is recorded."""

    def __init__(self, now: float = 1_999_999_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
