"""X API v2 search as a generator of raw pages: callers see pages, never HTTP.

Each call follows ``meta.next_token`` until the result set ends, so a caller can write every page
to the raw zone as it arrives and checkpoint after each one. The same code serves the live API and
the local emulator: only the base URL differs.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Generator, Iterator, Mapping
from datetime import datetime
from typing import Protocol

import httpx

from twitter_pipeline.errors import ConfigError
from twitter_pipeline.extract.endpoints import (
    COUNTS_NAMES,
    COUNTS_PATHS,
    GRANULARITIES,
    SEARCH_NAMES,
    SEARCH_PATHS,
    USAGE_PATH,
    format_time,
    search_endpoint,
)
from twitter_pipeline.extract.fields import Spelling, field_params
from twitter_pipeline.extract.rate_limit import Clock, OnWait, Sleep
from twitter_pipeline.extract.retry import RetryPolicy
from twitter_pipeline.extract.transport import Transport
from twitter_pipeline.raw.pages import PageRequest, RawPage
from twitter_pipeline.spec import (
    QUERY_MAX_LENGTH,
    SEARCH_MAX_RESULTS,
    TIMELINE_MAX_RESULTS,
    check_max_results,
)

logger = logging.getLogger("twitter_pipeline.extract")

# Full-archive search allows at most 1 request per second (not announced by any header).
DEFAULT_MIN_INTERVAL: dict[str, float] = {"search_all": 1.0}


class ReadHook(Protocol):
    """Told of every paginated request and page (the budget guard counts post reads with it)."""

    def before_request(self, endpoint: str) -> None: ...

    def after_page(self, endpoint: str, page: RawPage) -> None: ...


class XApiClient:
    """A bearer-token client for the X API v2 (or anything that speaks it, like the emulator)."""

    def __init__(
        self,
        base_url: str,
        bearer_token: str,
        *,
        spelling: Spelling = "tweets",
        timeout: float = 30.0,
        retry_policy: RetryPolicy | None = None,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        on_wait: OnWait | None = None,
        min_interval: Mapping[str, float] | None = None,
        http_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.spelling = spelling
        self._fields = field_params(spelling)
        self.read_hooks: list[ReadHook] = []  # shared with `with_fields` clones
        self.transport = Transport(
            base_url,
            bearer_token,
            timeout=timeout,
            retry_policy=retry_policy,
            clock=clock,
            sleep=sleep,
            on_wait=on_wait,
            min_interval=DEFAULT_MIN_INTERVAL if min_interval is None else min_interval,
            http_transport=http_transport,
        )

    @property
    def base_url(self) -> str:
        return self.transport.base_url

    @property
    def field_params(self) -> dict[str, str]:
        """The fields and expansions every request asks for (`tweet.fields`, `expansions`, …)."""
        return dict(self._fields)

    def with_fields(self, overrides: Mapping[str, str]) -> XApiClient:
        """A client asking for other fields that shares this one's connection and rate-limit state."""
        clone = copy.copy(self)
        clone._fields = {**self._fields, **overrides}
        return clone

    def __repr__(self) -> str:
        return f"XApiClient(base_url={self.base_url!r}, spelling={self.spelling!r})"

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> XApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- search -------------------------------------------------------------------------------
    def search_params(
        self,
        endpoint: str,
        query: str,
        *,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        since_id: str | None = None,
        until_id: str | None = None,
        max_results: int | None = None,
        sort_order: str | None = None,
    ) -> dict[str, str]:
        """The query parameters of the first page (validated, without secrets)."""
        short = search_endpoint(endpoint)
        query = (query or "").strip()
        if not query:
            raise ConfigError("the search query is empty: pass --query or set TWITTER_PIPELINE_QUERY")
        if len(query) > QUERY_MAX_LENGTH:
            raise ConfigError(
                f"the search query has {len(query)} characters; the X API allows {QUERY_MAX_LENGTH}"
            )
        low, high = SEARCH_MAX_RESULTS[short]
        if max_results is None:
            max_results = high
        if not low <= int(max_results) <= high:
            raise ConfigError(
                f"max_results={max_results} is out of range for {short} search: use {low}–{high}"
            )
        params: dict[str, str] = {"query": query, "max_results": str(int(max_results))}
        optional = {
            "start_time": format_time(start_time),
            "end_time": format_time(end_time),
            "since_id": _tweet_id("since_id", since_id),
            "until_id": _tweet_id("until_id", until_id),
            "sort_order": sort_order,
        }
        params.update({key: value for key, value in optional.items() if value})
        params.update(self._fields)
        return params

    def search(
        self,
        endpoint: str = "recent",
        query: str = "",
        *,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        since_id: str | None = None,
        until_id: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
        sort_order: str | None = None,
    ) -> Generator[RawPage, None, None]:
        """Yield every response page of a search, following ``meta.next_token``.

        Pass `next_token` to resume a result set where an earlier run stopped.
        """
        short = search_endpoint(endpoint)
        params = self.search_params(
            short,
            query,
            start_time=start_time,
            end_time=end_time,
            since_id=since_id,
            until_id=until_id,
            max_results=max_results,
            sort_order=sort_order,
        )
        yield from self.paginate(SEARCH_NAMES[short], SEARCH_PATHS[short], params, next_token=next_token)

    # -- counts and usage (no post is read, so nothing is billed) ---------------------------------
    def counts(
        self,
        endpoint: str = "recent",
        query: str = "",
        *,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        since_id: str | None = None,
        until_id: str | None = None,
        granularity: str = "hour",
        next_token: str | None = None,
    ) -> Iterator[RawPage]:
        """Yield every page of ``/2/tweets/counts/{recent,all}``: posts per bucket, oldest first."""
        short = search_endpoint(endpoint)
        if granularity not in GRANULARITIES:
            raise ConfigError(f"unknown granularity {granularity!r}: use minute, hour or day")
        params = self.search_params(
            short, query, start_time=start_time, end_time=end_time, since_id=since_id, until_id=until_id
        )
        params = {k: v for k, v in params.items() if k in _COUNT_PARAMS}
        params["granularity"] = granularity
        yield from self.paginate(COUNTS_NAMES[short], COUNTS_PATHS[short], params, next_token=next_token)

    def usage(self, days: int = 7) -> RawPage:
        """One ``/2/usage/tweets`` page: the project's cap, its usage so far and the reset day."""
        if not 1 <= int(days) <= 90:
            raise ConfigError(f"days={days} is out of range for the usage endpoint: use 1–90")
        params = {
            "days": str(int(days)),
            "usage.fields": "cap_reset_day,daily_project_usage,project_cap,project_id,project_usage",
        }
        response = self.transport.get("usage", USAGE_PATH, params)
        return RawPage(request=PageRequest("usage", USAGE_PATH, params), body=response.body)

    # -- users (for collections of accounts) ----------------------------------------------------
    def get_user_by_username(self, username: str) -> RawPage:
        """One user lookup page (``/2/users/by/username/{username}``) with the default user fields."""
        handle = (username or "").strip().lstrip("@")
        if not handle or not handle.replace("_", "").isalnum():
            raise ConfigError(f"{username!r} is not an X username: use letters, digits and _ only")
        path = f"/2/users/by/username/{handle}"
        params = {"user.fields": self._fields["user.fields"]}
        response = self.transport.get("user_lookup", path, params)
        return RawPage(request=PageRequest("user_lookup", path, params), body=response.body)

    def user_tweets(
        self,
        user_id: str,
        *,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        since_id: str | None = None,
        until_id: str | None = None,
        max_results: int = 100,
        pagination_token: str | None = None,
    ) -> Iterator[RawPage]:
        """A user's timeline (``/2/users/{id}/tweets``), paged with ``pagination_token``."""
        user = _tweet_id("user_id", user_id)
        try:
            check_max_results(max_results, TIMELINE_MAX_RESULTS, "user timelines")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        params: dict[str, str] = {"max_results": str(int(max_results))}
        optional = {
            "start_time": format_time(start_time),
            "end_time": format_time(end_time),
            "since_id": _tweet_id("since_id", since_id),
            "until_id": _tweet_id("until_id", until_id),
        }
        params.update({key: value for key, value in optional.items() if value})
        params.update(self._fields)
        path = f"/2/users/{user}/tweets"
        yield from self.paginate(
            "user_tweets", path, params, next_token=pagination_token, token_param="pagination_token"
        )

    def paginate(
        self,
        name: str,
        path: str,
        params: Mapping[str, str],
        *,
        next_token: str | None = None,
        token_param: str = "next_token",
    ) -> Generator[RawPage, None, None]:
        """Generic ``next_token`` pagination (timelines use ``pagination_token``)."""
        token = next_token
        while True:
            page_params = dict(params)
            if token:
                page_params[token_param] = token
            for hook in self.read_hooks:
                hook.before_request(name)
            response = self.transport.get(name, path, page_params)
            page = RawPage(
                request=PageRequest(endpoint=name, path=path, params=page_params),
                body=response.body,
                status=response.status,
            )
            for hook in self.read_hooks:
                hook.after_page(name, page)
            yield page
            token = page.next_token
            if not token:
                return


_COUNT_PARAMS = frozenset({"query", "start_time", "end_time", "since_id", "until_id"})


def _tweet_id(name: str, value: str | int | None) -> str | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    if not text.isdigit() or len(text) > 19:
        raise ConfigError(
            f"{name}={text!r} is not a post id: use the digits of an id, e.g. 1460323737035677698"
        )
    return text
