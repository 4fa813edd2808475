"""Counts and usage endpoints over real HTTP: spec shapes, buckets, pages, limits, agreement with search."""

from __future__ import annotations

import httpx
import pytest

from tests.emulator.conftest import AUTH, NOW, WINDOW
from twitter_pipeline.emulator import DEMO_QUERY, EmulatorServer

pytestmark = pytest.mark.integration
COUNTS_RECENT = "/2/tweets/counts/recent"
COUNTS_ALL = "/2/tweets/counts/all"
SEARCH_RECENT = "/2/tweets/search/recent"
USAGE = "/2/usage/tweets"


def _search_ids(client: httpx.Client, params: dict[str, str]) -> list[str]:
    ids: list[str] = []
    token = None
    while True:
        page = {**params, "max_results": "100", **({"next_token": token} if token else {})}
        body = client.get(SEARCH_RECENT, params=page).json()
        ids += [post["id"] for post in body.get("data") or []]
        token = body["meta"].get("next_token")
        if not token:
            return ids


def test_counts_have_the_spec_shape_and_aligned_buckets(client: httpx.Client) -> None:
    params = {"query": "data", "start_time": "2026-02-28T10:17:00Z", "end_time": "2026-02-28T12:00:00Z"}
    resp = client.get(COUNTS_RECENT, params=params)
    assert resp.status_code == 200
    assert {"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"} <= set(resp.headers)
    body = resp.json()
    assert set(body) == {"data", "meta"}
    starts = [b["start"] for b in body["data"]]
    ends = [b["end"] for b in body["data"]]
    assert starts == ["2026-02-28T10:17:00.000Z", "2026-02-28T11:00:00.000Z"]  # default granularity: hour
    assert ends == ["2026-02-28T11:00:00.000Z", "2026-02-28T12:00:00.000Z"]
    assert all(set(b) == {"start", "end", "tweet_count"} for b in body["data"])
    assert body["meta"]["total_tweet_count"] == sum(b["tweet_count"] for b in body["data"]) > 0
    v167 = client.get(COUNTS_RECENT, params={**params, "search_count.fields": "start,end,post_count"}).json()
    assert [b["post_count"] for b in v167["data"]] == [b["tweet_count"] for b in body["data"]]
    assert v167["meta"]["total_post_count"] == body["meta"]["total_tweet_count"]


@pytest.mark.parametrize("query", [DEMO_QUERY, "data -is:retweet", "#python OR #ai", "data is:reply lang:en"])
def test_counts_equal_the_posts_search_returns(client: httpx.Client, query: str) -> None:
    window = {"query": query, **WINDOW}
    counted = client.get(COUNTS_RECENT, params={**window, "granularity": "minute"}).json()
    ids = _search_ids(client, window)
    assert len(ids) == len(set(ids))
    assert counted["meta"]["total_tweet_count"] == len(ids)
    assert len(counted["data"]) == 60


def test_asking_again_for_the_same_buckets_gives_the_same_counts(client: httpx.Client) -> None:
    """Bucket tallies are remembered (a client that timed out asks again); answers never change."""
    params = {"query": DEMO_QUERY, **WINDOW, "granularity": "minute"}
    first = client.get(COUNTS_RECENT, params=params).json()
    again = client.get(COUNTS_RECENT, params=params).json()
    other = client.get(COUNTS_RECENT, params={**params, "query": "data -is:retweet"}).json()
    assert again == first
    assert other["meta"]["total_tweet_count"] != first["meta"]["total_tweet_count"]


def test_counts_respect_since_id_and_until_id_like_search(client: httpx.Client) -> None:
    ids = sorted(_search_ids(client, {"query": "data", **WINDOW}), key=int)
    bounds = {"since_id": ids[10], "until_id": ids[-10]}
    counted = client.get(COUNTS_RECENT, params={"query": "data", **WINDOW, **bounds}).json()
    assert counted["meta"]["total_tweet_count"] == len(
        _search_ids(client, {"query": "data", **WINDOW, **bounds})
    )
    since_only = client.get(
        COUNTS_RECENT, params={"query": "data", "since_id": ids[-5], "end_time": WINDOW["end_time"]}
    )
    assert since_only.json()["meta"]["total_tweet_count"] == 4


@pytest.fixture
def sparse(emulator_factory):
    """A world of 60 posts an hour, so counts over days stay quick."""
    emu = emulator_factory(now=NOW, posts_per_hour=60)
    with httpx.Client(base_url=emu.base_url, headers=AUTH, timeout=30) as http:
        yield http


def test_counts_paginate_with_next_token(sparse: httpx.Client) -> None:
    client = sparse
    params = {"query": "data", "start_time": "2026-02-27T00:00:00Z", "end_time": "2026-02-28T06:00:00Z",
              "granularity": "minute"}  # fmt: skip
    first = client.get(COUNTS_RECENT, params=params).json()
    assert len(first["data"]) == 1440 and first["meta"]["next_token"]
    second = client.get(COUNTS_RECENT, params={**params, "next_token": first["meta"]["next_token"]}).json()
    assert "next_token" not in second["meta"]
    assert second["data"][0]["start"] == first["data"][-1]["end"] == "2026-02-28T00:00:00.000Z"
    assert len(second["data"]) == 360
    hourly = client.get(COUNTS_RECENT, params={**params, "granularity": "hour"}).json()
    assert hourly["meta"]["total_tweet_count"] == (
        first["meta"]["total_tweet_count"] + second["meta"]["total_tweet_count"]
    )
    bad = client.get(
        COUNTS_RECENT, params={**params, "granularity": "day", "next_token": first["meta"]["next_token"]}
    )
    assert bad.status_code == 400  # tokens are bound to the same query, window and granularity


def test_counts_all_reaches_the_archive_by_day(sparse: httpx.Client) -> None:
    client = sparse
    params = {"query": "from:nobody OR data", "start_time": "2026-01-01T00:00:00Z",
              "end_time": "2026-01-03T12:00:00Z", "granularity": "day"}  # fmt: skip
    body = client.get(COUNTS_ALL, params=params).json()
    assert [b["start"][:10] for b in body["data"]] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert body["data"][-1]["end"] == "2026-01-03T12:00:00.000Z"
    assert client.get(COUNTS_RECENT, params=params).status_code == 400  # older than 7 days


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({}, "query"),
        ({"query": "data", "granularity": "week"}, "granularity"),
        ({"query": "data", "max_results": "100"}, "max_results"),
        ({"query": "data", "search_count.fields": "nope"}, "search_count.fields"),
        ({"query": "(data"}, "query"),
        ({"query": "data", "next_token": "garbage"}, "next_token"),
    ],
)
def test_counts_reject_invalid_parameters(client: httpx.Client, params: dict, bad: str) -> None:
    resp = client.get(COUNTS_RECENT, params=params)
    assert resp.status_code == 400
    body = resp.json()
    assert body["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert any(bad in e["parameters"] for e in body["errors"])


def test_usage_reports_reads_served_and_the_cap(emulator_factory) -> None:
    emu: EmulatorServer = emulator_factory(now=NOW, usage_cap=5000, cap_reset_day=19)
    with httpx.Client(base_url=emu.base_url, headers=AUTH, timeout=30) as http:
        before = http.get(USAGE).json()["data"]
        assert before == {
            "cap_reset_day": 19,
            "project_cap": 5000,
            "project_id": before["project_id"],
            "project_usage": 0,
        }  # fmt: skip  (2.159 types the numbers as integers)
        ids = _search_ids(http, {"query": "data", **WINDOW})
        _search_ids(http, {"query": "data", **WINDOW})  # the same posts again: usage counts distinct posts
        http.get(COUNTS_RECENT, params={"query": "data", **WINDOW})  # counting reads no post
        after = http.get(USAGE, params={"days": "3", "usage.fields": "project_usage,daily_project_usage"})
        data = after.json()["data"]
        assert set(data) == {"project_usage", "daily_project_usage"}
        assert int(data["project_usage"]) == len(ids) == emu.posts_read
        daily = data["daily_project_usage"]["usage"]
        assert [d["date"] for d in daily] == ["2026-02-27T00:00:00.000Z", "2026-02-28T00:00:00.000Z",
                                              "2026-03-01T00:00:00.000Z"]  # fmt: skip
        assert [d["usage"] for d in daily] == [0, 0, len(ids)]
        assert http.get(USAGE, params={"days": "91"}).status_code == 400
        assert http.get(USAGE, params={"usage.fields": "bogus"}).status_code == 400
        assert "x-rate-limit-limit" in after.headers and after.headers["x-rate-limit-limit"] == "50"


def test_counts_and_usage_stay_available_when_the_cap_is_reached(emulator_factory) -> None:
    emu: EmulatorServer = emulator_factory(now=NOW, usage_cap=150)
    with httpx.Client(base_url=emu.base_url, headers=AUTH, timeout=30) as http:
        params = {"query": "data", **WINDOW, "max_results": "100"}
        first = http.get(SEARCH_RECENT, params=params).json()
        assert http.get(SEARCH_RECENT, params=params).status_code == 200  # the same 100 posts: not capped
        second = http.get(SEARCH_RECENT, params={**params, "next_token": first["meta"]["next_token"]})
        assert second.status_code == 200  # 200 distinct posts now: the next request is capped
        capped = http.get(SEARCH_RECENT, params=params)
        assert capped.status_code == 429 and capped.json()["type"].endswith("/usage-capped")
        assert http.get(COUNTS_RECENT, params={"query": "data", **WINDOW}).status_code == 200
        usage = http.get(USAGE).json()["data"]
        assert int(usage["project_usage"]) == 200 and int(usage["project_cap"]) == 150


def test_counts_have_their_own_rate_limit_window(emulator_factory) -> None:
    emu: EmulatorServer = emulator_factory(now=NOW, rate_limits={"counts_recent": 2, "search_recent": 450})
    with httpx.Client(base_url=emu.base_url, headers=AUTH, timeout=30) as http:
        params = {"query": "data", **WINDOW}
        statuses = [http.get(COUNTS_RECENT, params=params).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert http.get(SEARCH_RECENT, params=params).status_code == 200


def test_usage_numbers_are_strings_in_the_2_167_spelling(emulator_factory) -> None:
    emu: EmulatorServer = emulator_factory(now=NOW, usage_cap=5000, spec_version="2.167")
    with httpx.Client(base_url=emu.base_url, headers=AUTH, timeout=30) as http:
        data = http.get(USAGE, params={"usage.fields": "project_cap,project_usage"}).json()["data"]
        counted = http.get(COUNTS_RECENT, params={"query": "data", **WINDOW}).json()
    assert data == {"project_cap": "5000", "project_usage": "0"}
    assert "total_post_count" in counted["meta"] and all("post_count" in b for b in counted["data"])
