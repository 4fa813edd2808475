"""The emulator's HTTP side: auth, rate limits, faults and the served-posts ledger, over stdlib sockets.

`http.server` (not a framework) because faults need the raw socket: a body cut short after a full
Content-Length, or a TCP reset (SO_LINGER 0) before any byte. Every fault is decided by the request number
and the seed, so a test that replays the same requests sees the same faults.
"""

from __future__ import annotations

import contextlib
import math
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import orjson

from twitter_pipeline.emulator import constants as c
from twitter_pipeline.emulator.api import (
    ENDPOINT_COUNTS_ALL,
    ENDPOINT_COUNTS_RECENT,
    ENDPOINT_SEARCH_ALL,
    ENDPOINT_USAGE,
    ApiResponse,
    EmulatedApi,
    InvalidRequest,
    endpoint_of,
    invalid_request_body,
)
from twitter_pipeline.emulator.config import EmulatorConfig
from twitter_pipeline.emulator.world import World, mix64

UNAUTHORIZED_BODY = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
TOO_MANY_REQUESTS_BODY = {
    "title": "Too Many Requests",
    "detail": "Too Many Requests",
    "type": "about:blank",
    "status": 429,
}


@dataclass(frozen=True)
class RequestRecord:
    """One request as the emulator saw it (for tests): never holds the bearer token."""

    number: int
    path: str
    params: dict[str, str]
    status: int  # 0 = connection reset before any response
    fault: str | None = None  # "burst", "per_second", "5xx", "truncate", "reset", "usage_cap", "rate_limit"
    # wall-clock seconds when the request arrived and when its answer was logged: tests of several
    # clients (Airflow workers) read from these which requests were in flight at the same moment
    received: float = 0.0
    answered: float = 0.0


class _Bucket:
    """A fixed 15-minute-style window per (token, endpoint), as the x-rate-limit-* headers describe."""

    __slots__ = ("count", "limit", "reset", "second", "second_count")

    def __init__(self, limit: int, reset: float) -> None:
        self.limit = limit
        self.reset = reset
        self.count = 0
        self.second = 0
        self.second_count = 0


class EmulatorServer:
    """A local X API v2 on loopback. `with EmulatorServer(cfg) as emu: httpx.get(emu.base_url + ...)`."""

    def __init__(self, config: EmulatorConfig | None = None, **overrides: Any) -> None:
        config = config or EmulatorConfig()
        if overrides:
            config = config.with_(**overrides)
        self.config = config
        self.world = World(config.seed, config.posts_per_hour, config.world_start, config.users)
        self.api = EmulatedApi(
            self.world, self._now, config.max_scan, default_v167=config.spec_version == "2.167"
        )
        self._lock = threading.Lock()
        self._request_count = 0
        self._records: list[RequestRecord] = []
        self._served: set[str] = set()
        self._served_total = 0
        self._served_by_day: dict[str, int] = {}  # distinct posts first served per UTC day (usage)
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -----------------------------------------------------------------------------------------
    def start(self) -> EmulatorServer:
        if self._httpd is not None:
            return self
        handler = type("_BoundHandler", (_Handler,), {"emulator": self})
        httpd = ThreadingHTTPServer((self.config.host, self.config.port), handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="x-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Block until stop() (the CLI's foreground mode)."""
        self.start()
        assert self._thread is not None
        while self._httpd is not None and self._thread.is_alive():
            self._thread.join(timeout=0.5)

    # ---- properties for callers and tests --------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the emulator is not running: call start() first")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        host = self.config.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def token(self) -> str | None:
        """The bearer token the emulator requires (None = any non-empty token is accepted)."""
        return self.config.token

    @property
    def served_ids(self) -> set[str]:
        """Ids of every post returned in `data` of a fully sent 200 response."""
        with self._lock:
            return set(self._served)

    @property
    def served_total(self) -> int:
        """Posts returned in fully sent 200 responses, duplicates included."""
        with self._lock:
            return self._served_total

    @property
    def posts_read(self) -> int:
        """Distinct posts served, as /2/usage/tweets reports them in `project_usage`."""
        with self._lock:
            return sum(self._served_by_day.values())

    @property
    def project_cap(self) -> int:
        """The monthly cap /2/usage/tweets reports: a Monthly usage_cap, else a default that is not
        enforced (a Daily usage_cap is enforced with 429s only, as the usage endpoint reports months)."""
        cfg = self.config
        monthly = cfg.usage_cap is not None and cfg.usage_cap_period == "Monthly"
        return cfg.usage_cap if monthly and cfg.usage_cap is not None else c.DEFAULT_PROJECT_CAP

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    @property
    def request_count(self) -> int:
        with self._lock:
            return self._request_count

    def reset_ledger(self) -> None:
        """Forget served ids, request log and rate-limit windows (between test phases)."""
        with self._lock:
            self._served.clear()
            self._served_by_day.clear()
            self._served_total = 0
            self._records.clear()
            self._buckets.clear()

    def _now(self) -> datetime:
        return self.config.now or datetime.now(UTC)

    # ---- request processing (called from handler threads) ----------------------------------------------
    def _decide(self, n: int, salt: int, rate: float) -> bool:
        return rate > 0 and mix64(self.config.seed, n, 1000 + salt) % 1_000_000 < int(rate * 1_000_000)

    def _process(self, path: str, raw_query: str, auth: str | None) -> _Outcome:
        cfg = self.config
        with self._lock:
            self._request_count += 1
            n = self._request_count
        params = _params_for_log(raw_query)
        endpoint = endpoint_of(path)
        token = _bearer(auth)
        if token is None or (cfg.token is not None and token != cfg.token):
            return _Outcome(n, path, params, 401, UNAUTHORIZED_BODY, self._headers_peek(None, endpoint))
        if cfg.delay_ms:
            time.sleep(cfg.delay_ms / 1000)
        if self._decide(n, 1, cfg.reset_rate):
            return _Outcome(n, path, params, 0, None, {}, fault="reset")
        now = time.time()
        if (
            cfg.burst_every
            and cfg.burst_length
            and n >= cfg.burst_every
            and n % cfg.burst_every < cfg.burst_length
        ):
            headers = self._headers_peek(token, endpoint)
            if headers:
                headers["x-rate-limit-remaining"] = "0"
                headers["x-rate-limit-reset"] = str(int(now) + cfg.burst_reset_s)
            return _Outcome(n, path, params, 429, TOO_MANY_REQUESTS_BODY, headers, fault="burst")
        if self._decide(n, 2, cfg.error_rate):
            status = 503 if mix64(cfg.seed, n, 1003) % 2 else 500
            title = "Service Unavailable" if status == 503 else "Internal Server Error"
            body = {"title": title, "detail": title, "type": "about:blank", "status": status}
            return _Outcome(n, path, params, status, body, self._headers_peek(token, endpoint), fault="5xx")
        unbilled = endpoint in (ENDPOINT_COUNTS_RECENT, ENDPOINT_COUNTS_ALL, ENDPOINT_USAGE)
        if cfg.usage_cap is not None and endpoint is not None and not unbilled:
            with self._lock:
                capped = len(self._served) >= cfg.usage_cap
            if capped:
                body = {
                    "title": "UsageCapExceeded",
                    "detail": f"Usage cap exceeded: {cfg.usage_cap_period} product cap",
                    "type": c.PROBLEM_USAGE_CAPPED,
                    "period": cfg.usage_cap_period,
                    "scope": "Account",
                    "status": 429,
                }
                return _Outcome(
                    n, path, params, 429, body, self._headers_peek(token, endpoint), fault="usage_cap"
                )
        headers, limited = self._consume(token, endpoint, now)
        if limited:
            return _Outcome(n, path, params, 429, TOO_MANY_REQUESTS_BODY, headers, fault=limited)
        if endpoint == ENDPOINT_USAGE:
            return _Outcome(n, path, params, *self._usage(raw_query), headers)
        with self._lock:  # the world's cache and generators are not thread-safe; pages are CPU-bound anyway
            resp: ApiResponse = self.api.handle(path, raw_query)
        truncate = resp.status == 200 and self._decide(n, 3, cfg.truncate_rate)
        return _Outcome(
            n, path, params, resp.status, resp.body, headers, post_ids=resp.post_ids,
            fault="truncate" if truncate else None,
        )  # fmt: skip

    def _usage(self, raw_query: str) -> tuple[int, dict[str, Any]]:
        from twitter_pipeline.emulator.usage import usage

        with self._lock:
            by_day = dict(self._served_by_day)
        try:
            v167 = self.config.spec_version == "2.167"
            resp = usage(raw_query, by_day, self.project_cap, self.config.cap_reset_day, self._now(), v167)
        except InvalidRequest as exc:
            return 400, invalid_request_body(exc.errors, self.config.spec_version == "2.167")
        return resp.status, resp.body

    def _bucket(self, token: str, endpoint: str, now: float) -> _Bucket:
        key = (token, endpoint)
        bucket = self._buckets.get(key)
        if bucket is None or now >= bucket.reset:
            limit = self.config.rate_limits.get(endpoint, 300)
            # Windows start on a whole second, so x-rate-limit-reset (whole epoch seconds) is exact
            # and a client that waits for it loses no time to rounding.
            bucket = _Bucket(limit, math.floor(now) + self.config.rate_limit_window_s)
            self._buckets[key] = bucket
        return bucket

    def _headers_peek(self, token: str | None, endpoint: str | None) -> dict[str, str]:
        if endpoint is None:
            return {}
        now = time.time()
        with self._lock:
            if token is None:
                limit = self.config.rate_limits.get(endpoint, 300)
                return _rate_headers(limit, limit, int(now) + self.config.rate_limit_window_s)
            b = self._bucket(token, endpoint, now)
            return _rate_headers(b.limit, max(0, b.limit - b.count), b.reset)

    def _consume(self, token: str, endpoint: str | None, now: float) -> tuple[dict[str, str], str | None]:
        if endpoint is None:
            return {}, None
        with self._lock:
            b = self._bucket(token, endpoint, now)
            if b.count >= b.limit:
                return _rate_headers(b.limit, 0, b.reset), "rate_limit"
            per_second = self.config.search_all_per_second
            if endpoint == ENDPOINT_SEARCH_ALL and per_second:
                second = int(now)
                if b.second == second and b.second_count >= per_second:
                    return _rate_headers(b.limit, b.limit - b.count, b.reset), "per_second"
                if b.second != second:
                    b.second, b.second_count = second, 0
                b.second_count += 1
            b.count += 1
            return _rate_headers(b.limit, b.limit - b.count, b.reset), None

    def _record(self, outcome: _Outcome, fully_sent: bool) -> set[str]:
        """Log the request; a fully sent 200 adds its post ids to the ledger (returns the new ones)."""
        with self._lock:
            self._records.append(
                RequestRecord(
                    outcome.number,
                    outcome.path,
                    outcome.params,
                    outcome.status,
                    outcome.fault,
                    received=outcome.received,
                    answered=time.time(),
                )
            )
            if not (fully_sent and outcome.status == 200 and outcome.post_ids):
                return set()
            added = set(outcome.post_ids) - self._served
            self._served.update(added)
            day = self._now().date().isoformat()
            self._served_by_day[day] = self._served_by_day.get(day, 0) + len(added)
            self._served_total += len(outcome.post_ids)
            return added

    def _unserve(self, added: set[str], count: int) -> None:
        with self._lock:
            self._served.difference_update(added)
            self._served_total -= count
            day = self._now().date().isoformat()
            self._served_by_day[day] = self._served_by_day.get(day, 0) - len(added)


@dataclass
class _Outcome:
    number: int
    path: str
    params: dict[str, str]
    status: int
    body: dict[str, Any] | None
    headers: dict[str, str]
    post_ids: list[str] | None = None
    fault: str | None = None
    received: float = field(default_factory=time.time)


JSON_CONTENT_TYPE = "application/json; charset=utf-8"
PROBLEM_CONTENT_TYPE = "application/problem+json"


def content_type_for(status: int, body: Any) -> str:
    """The media type the official spec declares for this body.

    The spec pairs ``application/problem+json`` with its ``Problem`` schema (``type``, ``title``,
    ``detail``…) and ``application/json`` with ``Error`` (``code``, ``message``) and with every 2xx
    body (partial ``errors`` next to data included).
    """
    if status >= 400 and isinstance(body, dict) and "type" in body and "title" in body:
        return PROBLEM_CONTENT_TYPE
    return JSON_CONTENT_TYPE


def _rate_headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(math.ceil(reset)),
    }


def _bearer(auth: str | None) -> str | None:
    if not auth:
        return None
    scheme, _, value = auth.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        return None
    return value


def _params_for_log(raw_query: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(raw_query, keep_blank_values=True))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = (
        "HTTP/1.1"  # keep-alive: with Content-Length on every answer, clients reuse connections
    )
    disable_nagle_algorithm = True  # TCP_NODELAY: headers then body must not wait for a delayed ACK (~40 ms)
    server_version = "x-api-emulator"
    sys_version = ""
    emulator: EmulatorServer  # bound per server by EmulatorServer.start()

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests and the CLI own the output
        return

    def do_GET(self) -> None:
        path, _, raw_query = self.path.partition("?")
        received = time.time()
        outcome = self.emulator._process(path, raw_query, self.headers.get("Authorization"))
        outcome.received = received
        if outcome.fault == "reset":
            self._reset_connection()
            self.emulator._record(outcome, fully_sent=False)
            return
        body = orjson.dumps(outcome.body)
        self.send_response(outcome.status)
        self.send_header("Content-Type", content_type_for(outcome.status, outcome.body))
        self.send_header("Content-Length", str(len(body)))
        for name, value in outcome.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if outcome.fault == "truncate":
            self.wfile.write(body[: max(1, len(body) // 2)])
            self.wfile.flush()
            self.close_connection = True
            self._close_hard()
            self.emulator._record(outcome, fully_sent=False)
            return
        # Record before the last bytes leave, so a client that has read the body never sees a stale ledger;
        # a failed write takes the record back.
        added = self.emulator._record(outcome, fully_sent=True)
        try:
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            self.emulator._unserve(added, len(outcome.post_ids or ()))

    def _method_not_allowed(self) -> None:
        body = orjson.dumps(
            {
                "title": "Method Not Allowed",
                "type": "about:blank",
                "status": 405,
                "detail": "Only GET is emulated",
            }
        )
        self.send_response(405)
        self.send_header("Content-Type", PROBLEM_CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT = do_DELETE = do_PATCH = _method_not_allowed

    def _reset_connection(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._close_hard()

    def _close_hard(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.close()
