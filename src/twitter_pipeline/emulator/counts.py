"""`/2/tweets/counts/recent` and `/2/tweets/counts/all`: how many posts a search would return, per bucket.

The count walks the same world indices with the same matcher as the search endpoints, so for any query
and window the counts add up exactly to the posts a full search pagination returns. Buckets are aligned
to the granularity in UTC (the first and last may be partial: they start at `start_time` and stop at
`end_time`), listed oldest first; a page holds at most `COUNTS_BUCKETS_PER_PAGE` buckets and
`next_token` continues with the next one. Like search, a page stops early (after a whole bucket) once it
has examined its scan budget of posts, so a long window never holds one request for long.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from twitter_pipeline.emulator import constants as c

if TYPE_CHECKING:
    from twitter_pipeline.emulator.api import ApiResponse, EmulatedApi

COUNTS_PARAMS = (
    "query", "start_time", "end_time", "since_id", "until_id", "next_token", "pagination_token",
    "granularity", "search_count.fields",
)  # fmt: skip
_UNIT_MS = {"minute": 60_000, "hour": 3_600_000, "day": 86_400_000}


def bucket_edges(start_ms: int, end_ms: int, granularity: str) -> list[int]:
    """[start, first boundary after start, …, end]: buckets aligned to the granularity in UTC."""
    unit = _UNIT_MS[granularity]
    edges = [start_ms]
    boundary = (start_ms // unit + 1) * unit
    while boundary < end_ms:
        edges.append(boundary)
        boundary += unit
    edges.append(end_ms)
    return edges


def counts(api: EmulatedApi, recent: bool, params: dict[str, str]) -> ApiResponse:
    """One page of counts for a query and window (raises InvalidRequest on bad parameters)."""
    from twitter_pipeline.emulator.api import ApiResponse, InvalidRequest

    errors: list[dict[str, Any]] = []
    api._check_known(params, COUNTS_PARAMS, errors)
    now = api.clock()
    query = params.get("query")
    accept = api._check_query(query, errors)
    granularity = params.get("granularity", c.DEFAULT_GRANULARITY)
    if granularity not in c.GRANULARITIES:
        errors.append(
            {
                "parameters": {"granularity": [granularity]},
                "message": f"The `granularity` query parameter value [{granularity}] is not one of "
                f"[{','.join(c.GRANULARITIES)}]",
            }
        )
        granularity = c.DEFAULT_GRANULARITY
    fields = api._list_param(params, "search_count.fields", c.SEARCH_COUNT_FIELDS, errors)
    # 2.159 spells the count `tweet_count`, 2.167 `post_count`: asked for by name, else the server's version
    v167 = "post_count" in fields or (api.default_v167 and "tweet_count" not in fields)
    count_key = "post_count" if v167 else "tweet_count"
    earliest = now - timedelta(days=c.RECENT_SEARCH_DAYS) if recent else c.FULL_ARCHIVE_START
    default_start = earliest if recent else now - timedelta(days=c.COUNTS_ALL_DEFAULT_DAYS)
    start, end, since_id, until_id = api._window(params, errors, earliest, default_start)
    kind = "counts_recent" if recent else "counts_all"
    fp = api._fingerprint(
        kind, params, ("query", "start_time", "end_time", "since_id", "until_id", "granularity")
    )
    resume_ms = None
    for name in ("next_token", "pagination_token"):
        if name in params:
            resume_ms = api._decode_token(name, params[name], fp, errors)
    if errors:
        raise InvalidRequest(errors)
    assert accept is not None and end is not None and query is not None
    world = api.world
    end_ms = _ms(end)
    if start is not None:
        start_ms = _ms(start)
    else:  # since_id without start_time: the window starts at the first post after since_id
        start_ms = min(world.time_ms(world.first_index_with_id_above(since_id or 0)), end_ms)
    edges = bucket_edges(start_ms, end_ms, granularity)
    first_bucket = 0 if resume_ms is None else max(0, bisect_right(edges, resume_ms) - 1)
    last_bucket = min(len(edges) - 1, first_bucket + c.COUNTS_BUCKETS_PER_PAGE[granularity])
    tallies: list[int] = []
    examined = 0
    for k in range(first_bucket, last_bucket):
        if tallies and examined >= api.scan_budget // 20:
            last_bucket = k  # a short page, as search returns one: the next token continues here
            break
        tally = 0
        # Tallied by the hour (remembered per hour): a day bucket reuses an hourly count's work.
        hours = bucket_edges(edges[k], edges[k + 1], "hour")
        for first_ms, end_ms_of_hour in pairwise(hours):
            lo, hi = _index_range(api, first_ms, end_ms_of_hour, since_id, until_id)
            tally += _tally(api, query, lo, hi, accept)
            examined += max(0, hi - lo)
        tallies.append(tally)
    page_edges = edges[first_bucket : last_bucket + 1]
    data = [
        {"end": _iso_ms(page_edges[k + 1]), "start": _iso_ms(page_edges[k]), count_key: tallies[k]}
        for k in range(len(tallies))
    ]
    meta: dict[str, Any] = {f"total_{count_key}": sum(tallies)}
    if last_bucket < len(edges) - 1:
        meta["next_token"] = api._encode_token(fp, edges[last_bucket])
    return ApiResponse(200, {"data": data, "meta": meta})


def _tally(api: EmulatedApi, query: str, lo: int, hi: int, accept: Any) -> int:
    """Matching posts among world indices [lo, hi), remembered: the world never changes, and a
    client that timed out on a dense bucket asks for the same bucket again."""
    key = (query, lo, hi)
    with api.count_lock:  # a retry waits for the tally still running for it, then reads it
        found = api.count_cache.get(key)
        if found is None:
            found = sum(1 for i in range(lo, hi) if accept(i)[0] is not None)
            if len(api.count_cache) >= _COUNT_CACHE_SIZE:
                api.count_cache.clear()
            api.count_cache[key] = found
    return found


_COUNT_CACHE_SIZE = 4096


def _index_range(
    api: EmulatedApi, start_ms: int, end_ms: int, since_id: int | None, until_id: int | None
) -> tuple[int, int]:
    """The world indices of [start_ms, end_ms), bounded as the search endpoints bound them."""
    world = api.world
    lo = world.first_index_at_or_after(start_ms)
    hi = min(world.first_index_at_or_after(end_ms), world.first_index_at_or_after(_ms(api.clock()) + 1))
    if since_id is not None:
        lo = max(lo, world.first_index_with_id_above(since_id))
    if until_id is not None:
        hi = min(hi, world.first_index_with_id_above(until_id - 1)) if until_id > 0 else 0
    return lo, hi


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _iso_ms(ms: int) -> str:
    return _dt(ms).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
