"""The one place that speaks HTTP to the X API: auth, rate limits, retries, error translation.

Everything above this module sees either a validated JSON-object body or a `PipelineError` with a
one-line message naming the fix. The bearer token lives only in the Authorization header of the
httpx client: it is never stored on this object, logged, or put into an exception text.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from tenacity import RetryCallState

from twitter_pipeline.errors import ApiError, ApiUnreachableError, AuthError, ConfigError, UsageCapError
from twitter_pipeline.extract.rate_limit import Clock, OnWait, RateLimiter, Sleep
from twitter_pipeline.extract.retry import (
    ConnectFailure,
    RetryPolicy,
    TransientError,
    build_retrying,
    last_reason,
)
from twitter_pipeline.logs import register_secret

logger = logging.getLogger("twitter_pipeline.extract")

USER_AGENT = "twitter-pipeline/0.1"
RETRY_STATUSES = frozenset({500, 502, 503, 504})
MAX_RATE_LIMIT_RETRIES = 50  # consecutive 429s on one request before we give up
# A host that never answered gets this many attempts (a few seconds), not the full policy: a wrong
# X_API_BASE_URL or no network should be one clear error quickly. Once it has answered, a lost
# connection mid-run gets the full retry policy.
FIRST_CONTACT_ATTEMPTS = 3


@dataclass(frozen=True)
class HttpResponse:
    """A successful response: exact body bytes (a JSON object) plus the headers worth keeping."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _problem(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _problem_text(problem: Mapping[str, Any], fallback: str) -> str:
    """The most useful words of a Problem body: detail, then the per-parameter messages."""
    parts: list[str] = []
    for key in ("detail", "title"):
        value = problem.get(key)
        if isinstance(value, str) and value.strip():
            parts.append(value.strip().rstrip("."))
            break
    for error in problem.get("errors") or []:
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            message = error["message"].strip().rstrip(".")
            if message and message not in parts:
                parts.append(message)
    text = ": ".join(parts) or fallback
    return " ".join(text.split())  # one line


def _problem_parameters(problem: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    if isinstance(problem.get("parameter"), str):
        names.append(problem["parameter"])
    for error in problem.get("errors") or []:
        if isinstance(error, dict) and isinstance(error.get("parameters"), dict):
            names.extend(str(name) for name in error["parameters"])
    return sorted(set(names))


def _check_token_characters(token: str) -> None:
    """A header value must be one line of printable ASCII: say so before any request, never echo it.

    Otherwise a pasted line break is retried as a transient failure and a non-ASCII character ends
    in an encoding traceback.
    """
    for index, char in enumerate(token):
        if 33 <= ord(char) <= 126:
            continue
        kind = (
            "a line break"
            if char in "\r\n"
            else "a space or control character"
            if char.isspace() or ord(char) < 32
            else "a non-ASCII character"
        )
        raise ConfigError(
            f"X_BEARER_TOKEN contains {kind} (character {index + 1} of {len(token)}): "
            "copy the token again as one line, without spaces or quotes"
        )


class Transport:
    """GET requests against one base URL with a bearer token, paced and retried."""

    def __init__(
        self,
        base_url: str,
        bearer_token: str,
        *,
        timeout: float = 30.0,
        retry_policy: RetryPolicy | None = None,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        on_wait: OnWait | None = None,
        min_interval: Mapping[str, float] | None = None,
        http_transport: httpx.BaseTransport | None = None,
    ) -> None:
        base_url = (base_url or "").strip().rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError("X_API_BASE_URL must start with http:// or https://, e.g. https://api.x.com")
        token = (bearer_token or "").strip()
        if not token:
            raise AuthError("X_BEARER_TOKEN is not set: export it (or use the local emulator)")
        register_secret(token)  # last line of defence: log records scrub it even if code slips
        _check_token_characters(token)
        self.base_url = base_url
        self.retry_policy = retry_policy or RetryPolicy()
        self.limiter = RateLimiter(clock=clock, sleep=sleep, on_wait=on_wait, min_interval=min_interval)
        self._http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=http_transport,
            follow_redirects=False,
        )
        self._retry_reason = ""
        self._warned_reason = ""
        self._reached = False  # has the host ever answered?
        self._given_up = False  # a request already gave up on a host that never answered

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    # -- one logical request ------------------------------------------------------------------
    def get(self, bucket: str, path: str, params: Mapping[str, str]) -> HttpResponse:
        """GET `path` until it succeeds, waiting out rate limits and retrying transient failures."""
        for _ in range(MAX_RATE_LIMIT_RETRIES):
            retrying = build_retrying(
                self.retry_policy, self._backoff, self._note_retry, stop_early=self._never_reached
            )
            try:
                response = retrying(self._send_once, bucket, path, params)
            except ConnectFailure as exc:
                if not self._reached:
                    self._given_up = True  # later requests (search after counts) try once, not again
                    raise ApiUnreachableError(
                        f"cannot reach the X API at {self.base_url} ({exc.reason}): check X_API_BASE_URL "
                        "(unset means https://api.x.com) and the network or proxy"
                    ) from None
                raise self._kept_failing(path, exc) from None
            except TransientError as exc:
                raise self._kept_failing(path, exc) from None
            if response.status == 429:
                self._raise_if_usage_capped(response)
                self.limiter.after_429(bucket, response.headers)
                continue
            return response
        raise ApiError(
            f"the X API kept answering 429 (too many requests) for {path}: {MAX_RATE_LIMIT_RETRIES} "
            "waits did not help; check other clients sharing this app's rate limit, then try again"
        )

    def _never_reached(self, state: RetryCallState) -> bool:
        """Stop early on connection failures to a host that has never answered."""
        outcome = state.outcome
        failed_to_connect = outcome is not None and isinstance(outcome.exception(), ConnectFailure)
        attempts = 1 if self._given_up else FIRST_CONTACT_ATTEMPTS
        return failed_to_connect and not self._reached and state.attempt_number >= attempts

    def _kept_failing(self, path: str, exc: TransientError) -> ApiError:
        attempts = self.retry_policy.max_attempts
        return ApiError(
            f"the X API at {self.base_url} kept failing for {path}: {exc.reason} "
            f"(gave up after up to {attempts} attempts); try again later — the run resumes "
            "from its checkpoint"
        )

    def _note_retry(self, state: RetryCallState) -> None:
        self._retry_reason = last_reason(state)
        # The same reason again is news for the debug log, not another warning on the terminal.
        repeated = self._retry_reason == self._warned_reason
        self._warned_reason = self._retry_reason
        logger.log(
            logging.INFO if repeated else logging.WARNING,
            "transient failure, retrying: %s",
            self._retry_reason,
            extra={"attempt": state.attempt_number, "reason": self._retry_reason},
        )

    def _backoff(self, seconds: float) -> None:
        self.limiter.wait(seconds, f"retrying after {self._retry_reason}")

    def _send_once(self, bucket: str, path: str, params: Mapping[str, str]) -> HttpResponse:
        """One HTTP exchange; transient failures raise `TransientError`, user errors `PipelineError`."""
        self.limiter.before_request(bucket)
        started = time.monotonic()
        try:
            response = self._http.get(path, params=dict(params))
            body = response.content
        except (httpx.UnsupportedProtocol, httpx.InvalidURL):
            raise ConfigError(
                f"X_API_BASE_URL {self.base_url!r} is not a usable URL: use e.g. https://api.x.com"
            ) from None
        except httpx.ConnectTimeout as exc:
            raise ConnectFailure(f"connect timed out ({type(exc).__name__})") from None
        except httpx.TimeoutException as exc:
            raise TransientError(f"timed out ({type(exc).__name__})") from None
        except httpx.ConnectError as exc:
            raise ConnectFailure(f"cannot connect: {type(exc).__name__}: {exc}") from None
        except httpx.TransportError as exc:
            raise TransientError(f"cannot reach {self.base_url} ({type(exc).__name__}: {exc})") from None
        self._reached = True
        elapsed = time.monotonic() - started
        headers = {k.lower(): v for k, v in response.headers.items() if k.lower().startswith("x-")}
        self.limiter.observe(bucket, headers)
        status = response.status_code
        logger.info(
            "GET %s -> %s",
            path,
            status,
            extra={
                "endpoint": bucket,
                "path": path,
                "status": status,
                "bytes": len(body),
                "seconds": round(elapsed, 3),
                "rate_limit_remaining": headers.get("x-rate-limit-remaining"),
            },
        )
        if status == 200:
            self._check_body(body)
            return HttpResponse(status=status, body=body, headers=headers)
        if status == 429:
            return HttpResponse(status=status, body=body, headers=headers)
        if status in RETRY_STATUSES:
            raise TransientError(f"HTTP {status} {_problem_text(_problem(body), response.reason_phrase)}")
        self._raise_client_error(status, path, body)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _check_body(body: bytes) -> None:
        """A 200 body must parse as a JSON object; a truncated or garbled one is retried."""
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise TransientError(f"response body is not valid JSON ({len(body)} bytes; truncated?)") from None
        if not isinstance(data, dict):
            raise TransientError(f"response body is JSON but not an object ({type(data).__name__})")

    # -- errors the user must fix --------------------------------------------------------------
    @staticmethod
    def _raise_if_usage_capped(response: HttpResponse) -> None:
        problem = _problem(response.body)
        if str(problem.get("type", "")).endswith("/problems/usage-capped"):
            period = problem.get("period") or "unknown period"
            scope = problem.get("scope") or "Account"
            detail = _problem_text(problem, "usage cap exceeded")
            raise UsageCapError(
                f"the X API usage cap is exhausted ({scope}, {period} cap: {detail}); waiting for the "
                "rate limit does not help — wait for the cap period to reset or raise the cap in the "
                "developer portal, then run again (the run resumes from its checkpoint)"
            )

    def _raise_client_error(self, status: int, path: str, body: bytes) -> None:
        problem = _problem(body)
        text = _problem_text(problem, f"HTTP {status}")
        if status == 401:
            raise AuthError("the bearer token is invalid or revoked: check X_BEARER_TOKEN")
        if status == 403:
            reason = problem.get("reason")
            if str(problem.get("type", "")).endswith("/problems/client-forbidden") or reason:
                raise AuthError(
                    f"the X API refused this app ({reason or 'client-forbidden'}: {text}): the app behind "
                    "X_BEARER_TOKEN must belong to a Project with access to this endpoint — attach it "
                    "in the developer portal"
                )
            raise AuthError(
                f"the X API refused access to {path} (403: {text}): check the access level of the app "
                "behind X_BEARER_TOKEN"
            )
        if status == 400:
            params = _problem_parameters(problem)
            hint = (
                "the recent endpoint covers only the last 7 days: use --endpoint all (the full archive; "
                'endpoint = "all" in a collections file) for older windows, or a later --start'
                if path.endswith("/search/recent") and {"start_time", "end_time"} & set(params)
                else "fix the query (--query / TWITTER_PIPELINE_QUERY)"
                if params == ["query"]
                else f"fix the parameter(s) {', '.join(params)}"
                if params
                else "fix the request options"
            )
            raise ApiError(f"the X API rejected the request to {path}: {text}; {hint} and run again")
        if status == 404:
            raise ApiError(f"the X API has no {path} at {self.base_url} (404: {text}); check X_API_BASE_URL")
        raise ApiError(f"the X API answered {status} for {path}: {text}")
