"""The emulated endpoints as a pure function: (path, query parameters, clock) → status and JSON body.

Kept free of sockets, auth, rate limits and faults (server.py owns those) so the API logic is easy to reason
about: validation against the spec's bounds and enums, the windowed newest-first scan, pagination tokens.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from twitter_pipeline.emulator import constants as c
from twitter_pipeline.emulator.query import (
    QueryError,
    compile_cheap,
    compile_matcher,
    compile_sketch,
    parse,
)
from twitter_pipeline.emulator.render import (
    FieldSelection,
    RenderCache,
    Renderer,
    normalise_expansions,
    normalise_tweet_fields,
    problem_type,
)
from twitter_pipeline.emulator.world import REPLY, RETWEET, World, WorldPost

_ID_RE = re.compile(c.ID_PATTERN)
_USERNAME_RE = re.compile(c.USERNAME_PATTERN)
_USER_POSTS_RE = re.compile(r"^/2/users/([^/]+)/tweets$")
_USER_BY_NAME_RE = re.compile(r"^/2/users/by/username/([^/]+)$")
_FULL_COST = 25  # scan budget units for generating one post (a cheap pre-check costs 1)

_FIELD_PARAMS = ("expansions", "media.fields", "poll.fields", "place.fields", "user.fields")
SEARCH_PARAMS = (
    "query", "start_time", "end_time", "since_id", "until_id", "max_results", "next_token",
    "pagination_token", "sort_order", "tweet.fields", "post.fields", *_FIELD_PARAMS,
)  # fmt: skip
USER_POSTS_PARAMS = (
    "since_id", "until_id", "max_results", "pagination_token", "exclude", "start_time", "end_time",
    "tweet.fields", "post.fields", *_FIELD_PARAMS,
)  # fmt: skip
USER_LOOKUP_PARAMS = ("user.fields", "expansions", "tweet.fields", "post.fields")

ENDPOINT_SEARCH_RECENT = "search_recent"
ENDPOINT_SEARCH_ALL = "search_all"
ENDPOINT_USER_POSTS = "user_posts"
ENDPOINT_USER_BY_USERNAME = "user_by_username"
ENDPOINT_COUNTS_RECENT = "counts_recent"
ENDPOINT_COUNTS_ALL = "counts_all"
ENDPOINT_USAGE = "usage"


@dataclass
class ApiResponse:
    """What the server sends: status, JSON body, and the post ids in `data` (for the served ledger)."""

    status: int
    body: dict[str, Any]
    endpoint: str = ""
    post_ids: list[str] = field(default_factory=list)


class InvalidRequest(Exception):
    """Collects parameter errors; becomes the spec's InvalidRequestProblem."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors[0]["message"] if errors else "invalid request")
        self.errors = errors


def invalid_request_body(errors: list[dict[str, Any]], v167: bool = False) -> dict[str, Any]:
    return {
        "errors": errors,
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": problem_type("invalid-request", v167),
    }


def endpoint_of(path: str) -> str | None:
    """Which rate-limit bucket a path belongs to (None = unknown path)."""
    if path == c.SEARCH_RECENT_PATH:
        return ENDPOINT_SEARCH_RECENT
    if path == c.SEARCH_ALL_PATH:
        return ENDPOINT_SEARCH_ALL
    if path == c.COUNTS_RECENT_PATH:
        return ENDPOINT_COUNTS_RECENT
    if path == c.COUNTS_ALL_PATH:
        return ENDPOINT_COUNTS_ALL
    if path == c.USAGE_PATH:
        return ENDPOINT_USAGE
    if _USER_POSTS_RE.match(path):
        return ENDPOINT_USER_POSTS
    if _USER_BY_NAME_RE.match(path):
        return ENDPOINT_USER_BY_USERNAME
    return None


class EmulatedApi:
    """Answers requests from one World; `clock` returns the world's "now" (frozen in tests if wanted)."""

    def __init__(
        self,
        world: World,
        clock: Callable[[], datetime],
        max_scan: int = 20_000,
        default_v167: bool = False,
    ) -> None:
        self.world = world
        # Spelling of answers to requests that name neither `tweet.fields` nor `post.fields`.
        self.default_v167 = default_v167
        self.clock = clock
        self.scan_budget = max_scan * 10
        self._floor_cache: dict[tuple[int, int], int] = {}
        self.count_cache: dict[tuple[str, int, int], int] = {}  # see counts._tally
        self.count_lock = threading.Lock()
        self._render_cache = RenderCache()

    # ---- entry point -------------------------------------------------------------------------------------
    def handle(self, path: str, raw_query: str) -> ApiResponse:
        endpoint = endpoint_of(path)
        if endpoint is None:
            return ApiResponse(
                404,
                {
                    "title": "Not Found Error",
                    "type": "about:blank",
                    "status": 404,
                    "detail": f"No route for {path}",
                },
            )
        try:
            params = self._parse_params(raw_query)
            if endpoint in (ENDPOINT_SEARCH_RECENT, ENDPOINT_SEARCH_ALL):
                resp = self._search(endpoint, params)
            elif endpoint in (ENDPOINT_COUNTS_RECENT, ENDPOINT_COUNTS_ALL):
                from twitter_pipeline.emulator.counts import counts

                resp = counts(self, endpoint == ENDPOINT_COUNTS_RECENT, params)
            elif endpoint == ENDPOINT_USER_POSTS:
                m = _USER_POSTS_RE.match(path)
                assert m
                resp = self._user_posts(m.group(1), params)
            else:
                m = _USER_BY_NAME_RE.match(path)
                assert m
                resp = self._user_by_username(m.group(1), params)
        except InvalidRequest as exc:
            return ApiResponse(
                400,
                invalid_request_body(exc.errors, self._v167(k for k, _ in parse_qsl(raw_query))),
                endpoint,
            )
        resp.endpoint = endpoint
        return resp

    def _v167(self, keys: Iterable[str], expansions: Iterable[str] = ()) -> bool:
        """Answer in the 2.167 spelling: asked for by name, or the default when nothing names one."""
        keys = set(keys)
        if "post.fields" in keys or any(
            e in ("referenced_posts", "edit_history_post_ids") for e in expansions
        ):
            return True
        return self.default_v167 and "tweet.fields" not in keys

    @staticmethod
    def _parse_params(raw_query: str) -> dict[str, str]:
        params: dict[str, str] = {}
        errors: list[dict[str, Any]] = []
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            if key in params:
                errors.append(
                    {"parameters": {key: [params[key], value]}, "message": f"Duplicate parameter [{key}]"}
                )
            params[key] = value
        if errors:
            raise InvalidRequest(errors)
        return params

    # ---- validation helpers -------------------------------------------------------------------------------
    @staticmethod
    def _check_known(params: dict[str, str], allowed: tuple[str, ...], errors: list[dict[str, Any]]) -> None:
        for key, value in params.items():
            if key not in allowed:
                errors.append(
                    {
                        "parameters": {key: [value]},
                        "message": f"The query parameter [{key}] is not one of [{','.join(allowed)}]",
                    }
                )

    @staticmethod
    def _list_param(
        params: dict[str, str], name: str, allowed: tuple[str, ...], errors: list[dict[str, Any]]
    ) -> list[str]:
        raw = params.get(name)
        if raw is None:
            return []
        values = [v for v in raw.split(",")]
        bad = [v for v in values if v not in allowed]
        if bad or not raw:
            errors.append(
                {
                    "parameters": {name: [raw]},
                    "message": f"The `{name}` query parameter value [{bad[0] if bad else raw}] is not one of "
                    f"[{','.join(allowed)}]",
                }
            )
            return []
        if len(set(values)) != len(values):
            errors.append(
                {
                    "parameters": {name: [raw]},
                    "message": f"The `{name}` query parameter contains duplicate values",
                }
            )
        return values

    def _selection(self, params: dict[str, str], errors: list[dict[str, Any]]) -> FieldSelection:
        if "tweet.fields" in params and "post.fields" in params:
            errors.append(
                {
                    "parameters": {
                        "tweet.fields": [params["tweet.fields"]],
                        "post.fields": [params["post.fields"]],
                    },
                    "message": "Use either `tweet.fields` or `post.fields`, not both",
                }
            )
        tweet_fields = self._list_param(params, "tweet.fields", c.TWEET_FIELDS_V159, errors)
        post_fields = self._list_param(
            params, "post.fields", c.POST_FIELDS_V167 + c.POST_FIELDS_V167_SCHEMA_EXTRAS, errors
        )
        expansion_enum = tuple(dict.fromkeys(c.TWEET_EXPANSIONS_V159 + c.POST_EXPANSIONS_V167))
        expansions = self._list_param(params, "expansions", expansion_enum, errors)
        user_enum = tuple(dict.fromkeys(c.USER_FIELDS_V159 + c.USER_FIELDS_V167))
        v167 = self._v167(params, expansions)
        return FieldSelection(
            v167=v167,
            tweet_fields=normalise_tweet_fields(post_fields or tweet_fields),
            expansions=normalise_expansions(expansions),
            user_fields=frozenset(self._list_param(params, "user.fields", user_enum, errors)),
            media_fields=frozenset(self._list_param(params, "media.fields", c.MEDIA_FIELDS, errors)),
            place_fields=frozenset(self._list_param(params, "place.fields", c.PLACE_FIELDS, errors)),
            poll_fields=frozenset(self._list_param(params, "poll.fields", c.POLL_FIELDS, errors)),
        )

    @staticmethod
    def _time_param(params: dict[str, str], name: str, errors: list[dict[str, Any]]) -> datetime | None:
        raw = params.get(name)
        if raw is None:
            return None
        try:
            if "T" not in raw:
                raise ValueError(raw)
            value = datetime.fromisoformat(raw.replace("z", "Z").replace("Z", "+00:00"))
            if value.tzinfo is None:
                raise ValueError(raw)
            return value.astimezone(UTC)
        except ValueError:
            errors.append(
                {
                    "parameters": {name: [raw]},
                    "message": f"Invalid '{name}':'{raw}'. '{name}' must be a valid RFC 3339 timestamp "
                    "(YYYY-MM-DDTHH:mm:ssZ).",
                }
            )
            return None

    @staticmethod
    def _id_param(params: dict[str, str], name: str, errors: list[dict[str, Any]]) -> int | None:
        raw = params.get(name)
        if raw is None:
            return None
        if not _ID_RE.match(raw):
            errors.append(
                {
                    "parameters": {name: [raw]},
                    "message": f"The `{name}` query parameter value [{raw}] does not match {c.ID_PATTERN}",
                }
            )
            return None
        return int(raw)

    @staticmethod
    def _max_results(
        params: dict[str, str], bounds: tuple[int, int], errors: list[dict[str, Any]], default: int
    ) -> int:
        raw = params.get("max_results")
        if raw is None:
            return default
        lo, hi = bounds
        if not re.fullmatch(r"-?[0-9]{1,9}", raw) or not lo <= int(raw) <= hi:
            errors.append(
                {
                    "parameters": {"max_results": [raw]},
                    "message": f"The `max_results` query parameter value [{raw}] is not between {lo} "
                    f"and {hi}",
                }
            )
            return default
        return int(raw)

    # ---- windows -------------------------------------------------------------------------------------------
    def _window(
        self,
        params: dict[str, str],
        errors: list[dict[str, Any]],
        earliest: datetime | None,
        default_start: datetime | None,
        search: bool = True,
    ) -> tuple[datetime | None, datetime | None, int | None, int | None]:
        """Window bounds; search end_time must be ≥10 s old, timelines reach up to now."""
        now = self.clock()
        start = self._time_param(params, "start_time", errors)
        end = self._time_param(params, "end_time", errors)
        since_id = self._id_param(params, "since_id", errors)
        until_id = self._id_param(params, "until_id", errors)
        if start is not None and earliest is not None and start < earliest:
            errors.append(
                {
                    "parameters": {"start_time": [params["start_time"]]},
                    "message": f"Invalid 'start_time':'{params['start_time']}'. "
                    "'start_time' must be on or after "
                    f"{_iso(earliest)}",
                }
            )
        min_age = timedelta(seconds=c.END_TIME_MIN_AGE_S if search else 0)
        if end is not None and end > now - min_age:
            errors.append(
                {
                    "parameters": {"end_time": [params["end_time"]]},
                    "message": f"Invalid 'end_time':'{params['end_time']}'. 'end_time' must be a minimum of "
                    f"{c.END_TIME_MIN_AGE_S} seconds prior to the request time.",
                }
            )
        if start is not None and end is not None and start >= end:
            errors.append(
                {
                    "parameters": {"start_time": [params["start_time"]], "end_time": [params["end_time"]]},
                    "message": f"Invalid 'start_time':'{params['start_time']}'. 'start_time' must be before "
                    f"'end_time':'{params['end_time']}'",
                }
            )
        if start is not None and end is None and start >= now - min_age:
            errors.append(
                {
                    "parameters": {"start_time": [params["start_time"]]},
                    "message": f"Invalid 'start_time':'{params['start_time']}'. 'start_time' must be before "
                    "the request time.",
                }
            )
        if since_id is not None and until_id is not None and since_id >= until_id:
            errors.append(
                {
                    "parameters": {"since_id": [params["since_id"]], "until_id": [params["until_id"]]},
                    "message": "Invalid 'since_id'. 'since_id' must be less than 'until_id'.",
                }
            )
        if start is None and since_id is None:
            start = default_start
        if end is None:
            end = now - min_age
        return start, end, since_id, until_id

    def _index_range(
        self, start: datetime | None, end: datetime | None, since_id: int | None, until_id: int | None
    ) -> tuple[int, int]:
        w = self.world
        lo = w.first_index_at_or_after(_ms(start)) if start is not None else 0
        hi = (
            w.first_index_at_or_after(_ms(end))
            if end is not None
            else w.first_index_at_or_after(_ms(self.clock()))
        )
        hi = min(hi, w.first_index_at_or_after(_ms(self.clock()) + 1))
        if since_id is not None:
            lo = max(lo, w.first_index_with_id_above(since_id))
        if until_id is not None:
            hi = min(hi, w.first_index_with_id_above(until_id - 1)) if until_id > 0 else 0
        return lo, hi

    # ---- pagination tokens ---------------------------------------------------------------------------------
    @staticmethod
    def _fingerprint(kind: str, params: dict[str, str], names: tuple[str, ...]) -> str:
        canon = kind + "\x00" + "\x00".join(f"{n}={params.get(n, '')}" for n in names)
        digest = int.from_bytes(hashlib.blake2b(canon.encode(), digest_size=8).digest(), "big")
        return _b36(digest).rjust(13, "0")

    @staticmethod
    def _encode_token(fp: str, pos: int) -> str:
        return fp + _b36(pos)

    def _decode_token(self, name: str, raw: str, fp: str, errors: list[dict[str, Any]]) -> int | None:
        if len(raw) > 13 and raw[:13] == fp and re.fullmatch(r"[0-9a-z]+", raw[13:]):
            return int(raw[13:], 36)
        errors.append(
            {
                "parameters": {name: [raw]},
                "message": f"The `{name}` query parameter value [{raw}] is not a valid token for this "
                "request "
                "(tokens are bound to the same query and window)",
            }
        )
        return None

    # ---- scan ----------------------------------------------------------------------------------------------
    def _scan(
        self,
        indices: Any,
        max_results: int,
        accept: Callable[[int], tuple[WorldPost | None, int]],
    ) -> tuple[list[WorldPost], int | None]:
        """Walk candidate indices (newest first) until the page is full or the scan budget is spent.

        Returns the posts and the exclusive upper index to resume from (None when the range is exhausted).
        The budget keeps a very selective query over a huge world from holding a request for long: the
        page comes back short, with a next_token, as the real API also does.
        """
        found: list[WorldPost] = []
        budget = self.scan_budget
        for i in indices:
            if len(found) >= max_results or budget <= 0:
                return found, i + 1
            post, cost = accept(i)
            budget -= cost
            if post is not None:
                found.append(post)
        return found, None

    def _matcher(self, query: str) -> Callable[[int], tuple[WorldPost | None, int]]:
        world = self.world
        root = parse(query)
        matches = compile_matcher(root, world)
        cheap = compile_cheap(root, world)
        on_sketch = compile_sketch(root, world)

        def accept(i: int) -> tuple[WorldPost | None, int]:
            if world.is_deleted(i):
                return None, 1
            verdict = cheap(i)
            if verdict is False:
                return None, 1
            # The cost stays _FULL_COST whether or not a sketch spares the build: the scan budget (and so
            # where a short page ends) must not depend on how cheaply a post was rejected.
            if verdict is None and on_sketch is not None and world.cached_post(i) is None:
                sketch = world.sketch(i)
                if sketch is not None:
                    verdict = on_sketch(sketch)
                    if verdict is False:
                        world.discard(sketch)
                        return None, _FULL_COST
                    post = world.finish(sketch)
                    return (post if verdict is True or matches(post) else None), _FULL_COST
            post = world.post(i)
            return (post if verdict is True or matches(post) else None), _FULL_COST

        return accept

    def _check_query(self, query: str | None, errors: list[dict[str, Any]]) -> Any:
        """The matcher of a valid query, or None with the API's error appended (search and counts alike)."""
        if not query:
            errors.append(
                {"parameters": {"query": []}, "message": "The `query` query parameter can not be empty"}
            )
            return None
        if len(query) > c.QUERY_MAX_LENGTH:
            errors.append(
                {
                    "parameters": {"query": [query[:64] + "…"]},
                    "message": "The `query` query parameter value is longer than "
                    f"{c.QUERY_MAX_LENGTH} characters",
                }
            )
            return None
        try:
            return self._matcher(query)
        except QueryError as exc:
            errors.append(
                {
                    "parameters": {"query": [query]},
                    "message": f"There were errors processing your request: {exc}",
                }
            )
            return None

    # ---- endpoints -----------------------------------------------------------------------------------------
    def _search(self, endpoint: str, params: dict[str, str]) -> ApiResponse:
        errors: list[dict[str, Any]] = []
        self._check_known(params, SEARCH_PARAMS, errors)
        now = self.clock()
        query = params.get("query")
        accept = self._check_query(query, errors)
        recent = endpoint == ENDPOINT_SEARCH_RECENT
        bounds = c.SEARCH_RECENT_MAX_RESULTS if recent else c.SEARCH_ALL_MAX_RESULTS
        max_results = self._max_results(params, bounds, errors, c.SEARCH_DEFAULT_MAX_RESULTS)
        sort_order = params.get("sort_order")
        if sort_order is not None and sort_order not in c.SORT_ORDERS:
            errors.append(
                {
                    "parameters": {"sort_order": [sort_order]},
                    "message": f"The `sort_order` query parameter value [{sort_order}] is not one of "
                    f"[{','.join(c.SORT_ORDERS)}]",
                }
            )
        sel = self._selection(params, errors)
        earliest = now - timedelta(days=c.RECENT_SEARCH_DAYS) if recent else c.FULL_ARCHIVE_START
        default_start = earliest if recent else now - timedelta(days=30)
        start, end, since_id, until_id = self._window(params, errors, earliest, default_start)
        fp = self._fingerprint(
            endpoint, params, ("query", "start_time", "end_time", "since_id", "until_id", "sort_order")
        )
        resume = None
        for name in ("next_token", "pagination_token"):
            if name in params:
                resume = self._decode_token(name, params[name], fp, errors)
        if errors:
            raise InvalidRequest(errors)
        assert accept is not None
        lo, hi = self._index_range(start, end, since_id, until_id)
        if resume is not None:
            hi = min(hi, resume)
        posts, next_pos = self._scan(range(hi - 1, lo - 1, -1), max_results, accept)
        return self._page(posts, next_pos, fp, sel, now)

    def _page(
        self, posts: list[WorldPost], next_pos: int | None, fp: str, sel: FieldSelection, now: datetime
    ) -> ApiResponse:
        renderer = Renderer(self.world, sel, _ms(now), self._render_cache)
        for p in posts:
            renderer.add_post(p)
        meta: dict[str, Any] = {}
        if posts:
            meta["newest_id"] = posts[0].id
            meta["oldest_id"] = posts[-1].id
        meta["result_count"] = len(posts)
        if next_pos is not None:
            meta["next_token"] = self._encode_token(fp, next_pos)
        return ApiResponse(200, renderer.body(meta), post_ids=[p.id for p in posts])

    def _user_posts(self, user_id: str, params: dict[str, str]) -> ApiResponse:
        errors: list[dict[str, Any]] = []
        self._check_known(params, USER_POSTS_PARAMS, errors)
        if not _ID_RE.match(user_id):
            errors.append(
                {
                    "parameters": {"id": [user_id]},
                    "message": f"The `id` path parameter value [{user_id}] does not match {c.ID_PATTERN}",
                }
            )
        now = self.clock()
        max_results = self._max_results(params, c.USER_POSTS_MAX_RESULTS, errors, 10)
        exclude = set(self._list_param(params, "exclude", c.USER_POSTS_EXCLUDE, errors))
        sel = self._selection(params, errors)
        start, end, since_id, until_id = self._window(params, errors, None, None, search=False)
        fp = self._fingerprint(
            "user_posts:" + user_id, params, ("start_time", "end_time", "since_id", "until_id", "exclude")
        )
        resume = None
        if "pagination_token" in params:
            resume = self._decode_token("pagination_token", params["pagination_token"], fp, errors)
        if errors:
            raise InvalidRequest(errors)
        user = self.world.user_by_id.get(user_id)
        v167 = sel.v167
        if user is None or user.suspended or user.protected:
            if user is None:
                problem = {
                    "value": user_id,
                    "detail": f"Could not find user with id: [{user_id}].",
                    "title": "Not Found Error",
                    "resource_type": "user",
                    "parameter": "id",
                    "resource_id": user_id,
                    "type": problem_type("resource-not-found", v167),
                }
            elif user.suspended:
                problem = {
                    "value": user_id,
                    "detail": f"User has been suspended: [{user_id}].",
                    "title": "Forbidden",
                    "resource_type": "user",
                    "parameter": "id",
                    "resource_id": user_id,
                    "type": problem_type("resource-unavailable", v167),
                }
            else:
                problem = {
                    "value": user_id,
                    "detail": f"Sorry, you are not authorized to see the user with id: [{user_id}].",
                    "title": "Authorization Error",
                    "resource_type": "user",
                    "parameter": "id",
                    "resource_id": user_id,
                    "type": problem_type("not-authorized-for-resource", v167),
                }
            return ApiResponse(200, {"errors": [problem]})
        lo, hi = self._index_range(start, end, since_id, until_id)
        floor = self._timeline_floor(user.index)
        lo = max(lo, floor)
        if resume is not None:
            hi = min(hi, resume)
        world = self.world

        def accept(i: int) -> tuple[WorldPost | None, int]:
            if world.is_deleted(i):
                return None, 1
            kind = world.kind(i)
            if ("retweets" in exclude and kind == RETWEET) or ("replies" in exclude and kind == REPLY):
                return None, 1
            return world.post(i), _FULL_COST

        def candidates() -> Any:
            for i in world.user_indices_before(user.index, hi):
                if i < lo:
                    return
                yield i

        posts, next_pos = self._scan(candidates(), max_results, accept)
        if next_pos is not None and next_pos <= lo:
            next_pos = None
        return self._page(posts, next_pos, fp, sel, now)

    def _timeline_floor(self, user: int) -> int:
        """Lowest index reachable in the user's timeline: only the most recent 3,200 posts are served."""
        visible = self.world.first_index_at_or_after(_ms(self.clock()) + 1)
        key = (user, visible)
        if key in self._floor_cache:
            return self._floor_cache[key]
        count = 0
        floor = 0
        for i in self.world.user_indices_before(user, visible):
            if self.world.is_deleted(i):
                continue
            count += 1
            floor = i
            if count >= c.USER_POSTS_TIMELINE_DEPTH:
                break
        else:
            floor = 0
        if len(self._floor_cache) > 1024:
            self._floor_cache.clear()
        self._floor_cache[key] = floor
        return floor

    def _user_by_username(self, username: str, params: dict[str, str]) -> ApiResponse:
        errors: list[dict[str, Any]] = []
        self._check_known(params, USER_LOOKUP_PARAMS, errors)
        if not _USERNAME_RE.match(username):
            errors.append(
                {
                    "parameters": {"username": [username]},
                    "message": f"The `username` path parameter value "
                    f"[{username}] does not match {c.USERNAME_PATTERN}",
                }
            )
        user_exp = tuple(dict.fromkeys(c.USER_EXPANSIONS_V159 + c.USER_EXPANSIONS_V167))
        self._list_param(params, "expansions", user_exp, errors)
        user_enum = tuple(dict.fromkeys(c.USER_FIELDS_V159 + c.USER_FIELDS_V167))
        user_fields = frozenset(self._list_param(params, "user.fields", user_enum, errors))
        self._list_param(params, "tweet.fields", c.TWEET_FIELDS_V159, errors)
        self._list_param(params, "post.fields", c.POST_FIELDS_V167 + c.POST_FIELDS_V167_SCHEMA_EXTRAS, errors)
        if errors:
            raise InvalidRequest(errors)
        v167 = self._v167(params)
        user = self.world.user_by_username.get(username.lower())
        if user is None or user.suspended:
            detail = (
                f"Could not find user with username: [{username}]."
                if user is None
                else f"User has been suspended: [{username}]."
            )
            return ApiResponse(
                200,
                {
                    "errors": [
                        {
                            "value": username,
                            "detail": detail,
                            "title": "Not Found Error" if user is None else "Forbidden",
                            "resource_type": "user",
                            "parameter": "username",
                            "resource_id": username,
                            "type": problem_type(
                                "resource-not-found" if user is None else "resource-unavailable", v167
                            ),
                        }
                    ]
                },
            )
        renderer = Renderer(self.world, FieldSelection(v167=v167, user_fields=user_fields), _ms(self.clock()))
        return ApiResponse(200, {"data": renderer.user_json(user)})


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if n == 0:
        return "0"
    out = []
    while n:
        n, r = divmod(n, 36)
        out.append(digits[r])
    return "".join(reversed(out))
