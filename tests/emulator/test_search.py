"""Search endpoints over real HTTP: validation, auth, fields, expansions, spellings, pagination, limits."""

from __future__ import annotations

import httpx
import pytest

from tests.emulator.conftest import AUTH, NOW, WINDOW
from twitter_pipeline.emulator import DEMO_QUERY, EmulatorServer

pytestmark = pytest.mark.integration
RECENT = "/2/tweets/search/recent"
ALL = "/2/tweets/search/all"


def _invalid(resp: httpx.Response) -> list[dict]:
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body["title"] == "Invalid Request"
    hosts = ("twitter.com", "x.com")  # the spelling the request named (see the content-type test)
    assert body["type"] in {f"https://api.{host}/2/problems/invalid-request" for host in hosts}
    assert body["detail"] == "One or more parameters to your request was invalid."
    return body["errors"]


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({}, "query"),
        ({"query": "data", "foo": "1"}, "foo"),
        ({"query": "data", "max_results": "9"}, "max_results"),
        ({"query": "data", "max_results": "101"}, "max_results"),
        ({"query": "data", "tweet.fields": "author_id,bogus"}, "tweet.fields"),
        ({"query": "data", "expansions": "nope"}, "expansions"),
        ({"query": "data", "user.fields": "x"}, "user.fields"),
        ({"query": "data", "media.fields": "x"}, "media.fields"),
        ({"query": "data", "sort_order": "oldest"}, "sort_order"),
        ({"query": "data", "since_id": "12a"}, "since_id"),
        ({"query": "data", "until_id": "12345678901234567890"}, "until_id"),
        ({"query": "data", "start_time": "yesterday"}, "start_time"),
        ({"query": "data", "start_time": "2026-02-01T00:00:00Z"}, "start_time"),  # older than 7 days
        ({"query": "data", "end_time": "2026-02-28T23:59:55Z"}, "end_time"),  # < 10 s before now
        (
            {"query": "data", "start_time": "2026-02-28T11:00:00Z", "end_time": "2026-02-28T10:00:00Z"},
            "start_time",
        ),
        ({"query": "data", "since_id": "5", "until_id": "4"}, "since_id"),
        ({"query": "-data"}, "query"),
        ({"query": "(data"}, "query"),
        ({"query": "data badop:x"}, "query"),
        ({"query": "x" * 4097}, "query"),
        ({"query": "data", "next_token": "garbage"}, "next_token"),
        ({"query": "data", "tweet.fields": "id", "post.fields": "id"}, "tweet.fields"),
    ],
)
def test_invalid_parameters_get_the_problem_body(client: httpx.Client, params: dict, bad: str) -> None:
    errors = _invalid(client.get(RECENT, params=params))
    assert any(bad in e["parameters"] for e in errors), errors
    assert all(e["message"] for e in errors)


def test_errors_carry_the_content_type_and_problem_spelling_of_the_spec(emulator_factory) -> None:
    """Problem bodies are application/problem+json; their type URI follows the spelling asked for."""
    old, new = emulator_factory(now=NOW), emulator_factory(now=NOW, spec_version="2.167")
    for server, params, host in (
        (old, {}, "twitter.com"),
        (old, {"post.fields": "id"}, "x.com"),
        (new, {}, "x.com"),
        (new, {"tweet.fields": "id"}, "twitter.com"),
    ):
        resp = httpx.get(server.base_url + RECENT, params=params, headers=AUTH)
        assert resp.status_code == 400
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.json()["type"] == f"https://api.{host}/2/problems/invalid-request"
    unauthorized = httpx.get(old.base_url + RECENT, params={"query": "data"})
    assert unauthorized.headers["content-type"] == "application/problem+json"
    ok = httpx.get(old.base_url + RECENT, params={"query": "data", **WINDOW}, headers=AUTH)
    assert ok.headers["content-type"] == "application/json; charset=utf-8"


def test_max_results_bounds_differ_per_endpoint(client: httpx.Client) -> None:
    assert client.get(ALL, params={"query": "data", "max_results": 500, **WINDOW}).status_code == 200
    _invalid(client.get(ALL, params={"query": "data", "max_results": 501, **WINDOW}))
    assert client.get(ALL, params={"query": "data", "start_time": "2025-12-01T00:00:00Z"}).status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}])
def test_missing_or_wrong_token_is_401(frozen: EmulatorServer, headers: dict) -> None:
    resp = httpx.get(frozen.base_url + RECENT, params={"query": "data"}, headers=headers)
    assert resp.status_code == 401
    assert resp.json() == {
        "title": "Unauthorized",
        "type": "about:blank",
        "status": 401,
        "detail": "Unauthorized",
    }
    assert frozen.served_ids == set()


def test_any_token_accepted_when_none_configured(emulator_factory) -> None:
    emu = emulator_factory(token=None, now=NOW)
    resp = httpx.get(
        emu.base_url + RECENT, params={"query": "data", **WINDOW}, headers={"Authorization": "Bearer x"}
    )
    assert resp.status_code == 200


def test_default_fields_only(client: httpx.Client) -> None:
    body = client.get(RECENT, params={"query": DEMO_QUERY, **WINDOW}).json()
    assert len(body["data"]) == 10
    for post in body["data"]:
        assert set(post) == {"id", "text", "edit_history_tweet_ids"}
    assert "includes" not in body
    meta = body["meta"]
    assert meta["result_count"] == 10 and meta["newest_id"] == body["data"][0]["id"]
    assert meta["oldest_id"] == body["data"][-1]["id"] and "next_token" in meta


def test_requested_fields_and_expansions(client: httpx.Client, frozen: EmulatorServer) -> None:
    # Withheld or suspended accounts may be left out of includes, with or without an errors entry.
    hidden = {u.id for u in frozen.world.users if u.withheld or u.suspended}
    params = {
        "query": "#AI OR #Python OR #DataEngineering OR #OpenSource OR data",
        "max_results": 100,
        "tweet.fields": "author_id,created_at,lang,public_metrics,entities,referenced_tweets,attachments,geo,"
        "conversation_id,in_reply_to_user_id,possibly_sensitive,source,reply_settings,withheld",
        "expansions": "author_id,referenced_tweets.id,attachments.media_keys,attachments.poll_ids,"
        "geo.place_id,"
        "entities.mentions.username,in_reply_to_user_id,referenced_tweets.id.author_id",
        "user.fields": "created_at,description,public_metrics,verified,location,profile_image_url,protected",
        "media.fields": "url,preview_image_url,width,height,duration_ms,variants,public_metrics,alt_text",
        "place.fields": "country,country_code,geo,name,place_type",
        "poll.fields": "duration_minutes,end_datetime,voting_status",
        "start_time": "2026-02-28T00:00:00Z",
        "end_time": "2026-02-28T06:00:00Z",
    }
    seen: dict[str, int] = {}
    token = None
    for _ in range(6):
        if token:
            params["next_token"] = token
        body = client.get(RECENT, params=params).json()
        inc = body.get("includes", {})
        users = {u["id"]: u for u in inc.get("users", [])}
        tweets = {t["id"] for t in inc.get("tweets", [])}
        media = {m["media_key"]: m for m in inc.get("media", [])}
        polls = {p["id"] for p in inc.get("polls", [])}
        places = {p["id"] for p in inc.get("places", [])}
        errors = {(e["parameter"], e["resource_id"]) for e in body.get("errors", [])}
        for p in body["data"]:
            assert p["author_id"] in users or p["author_id"] in hidden
            assert p["created_at"].endswith("Z") and "lang" in p
            assert set(p["public_metrics"]) >= {"retweet_count", "like_count", "reply_count", "quote_count"}
            for ref in p.get("referenced_tweets", []):
                assert ref["id"] in tweets or ("referenced_tweets.id", ref["id"]) in errors
                seen[ref["type"]] = seen.get(ref["type"], 0) + 1
            for key in p.get("attachments", {}).get("media_keys", []):
                assert key in media
                seen[media[key]["type"]] = 1
            for pid in p.get("attachments", {}).get("poll_ids", []):
                assert pid in polls
                seen["poll"] = 1
            if "geo" in p:
                assert p["geo"]["place_id"] in places
                seen["place"] = 1
            if "in_reply_to_user_id" in p:
                assert p["in_reply_to_user_id"] in users or p["in_reply_to_user_id"] in hidden
            for m in p.get("entities", {}).get("mentions", []):
                assert m["id"] in users or m["id"] in hidden
                assert p["text"][m["start"] : m["end"]] == "@" + m["username"]
        for u in users.values():
            assert {"created_at", "description", "public_metrics", "verified", "protected"} <= set(u)
        for e in body.get("errors", []):
            assert e["type"].endswith(("resource-not-found", "resource-unavailable"))
            assert {"resource_type", "resource_id", "parameter", "value", "detail", "title"} <= set(e)
            seen["error:" + e["type"].rsplit("/", 1)[1]] = 1
        token = body["meta"].get("next_token")
    assert {"retweeted", "quoted", "replied_to", "photo", "video", "place"} <= set(seen), seen
    assert "error:resource-not-found" in seen or "error:resource-unavailable" in seen, seen


def test_both_spellings(client: httpx.Client) -> None:
    base = {"query": "is:quote #AI OR is:quote #Python OR is:quote data", "max_results": 50, **WINDOW}
    old = client.get(RECENT, params={**base, "tweet.fields": "referenced_tweets,public_metrics",
                                     "expansions": "referenced_tweets.id"}).json()  # fmt: skip
    new = client.get(RECENT, params={**base, "post.fields": "referenced_posts,public_metrics,author_id",
                                     "expansions": "referenced_posts"}).json()  # fmt: skip
    assert old["data"] and [p["id"] for p in old["data"]] == [p["id"] for p in new["data"]]
    o, n = old["data"][0], new["data"][0]
    assert (
        "edit_history_tweet_ids" in o and "referenced_tweets" in o and "retweet_count" in o["public_metrics"]
    )
    assert "edit_history_post_ids" in n and "referenced_posts" in n and "repost_count" in n["public_metrics"]
    assert "edit_history_tweet_ids" not in n and "author_id" in n
    assert "tweets" in old["includes"] and "posts" in new["includes"]
    assert "tweets" not in new["includes"]


def test_pagination_covers_window_exactly_once_newest_first(client: httpx.Client) -> None:
    params = {"query": DEMO_QUERY, "max_results": 100, "tweet.fields": "created_at", **WINDOW}
    ids: list[int] = []
    times: list[str] = []
    pages = 0
    while True:
        body = client.get(RECENT, params=params).json()
        pages += 1
        for p in body.get("data", []):
            ids.append(int(p["id"]))
            times.append(p["created_at"])
        if "next_token" not in body["meta"]:
            break
        params["next_token"] = body["meta"]["next_token"]
    assert len(ids) >= 1000, "the demo query must give ≥1,000 posts per hour"
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids, reverse=True)
    assert all(WINDOW["start_time"][:13] <= t[:13] < WINDOW["end_time"][:13] for t in times)
    # the union of two half-windows is the same set: no gaps at the boundaries
    halves: set[int] = set()
    for start, end in (("10:00", "10:30"), ("10:30", "11:00")):
        p = {"query": DEMO_QUERY, "max_results": 100, "start_time": f"2026-02-28T{start}:00Z",
             "end_time": f"2026-02-28T{end}:00Z"}  # fmt: skip
        while True:
            body = client.get(RECENT, params=p).json()
            halves.update(int(x["id"]) for x in body.get("data", []))
            if "next_token" not in body["meta"]:
                break
            p["next_token"] = body["meta"]["next_token"]
    assert halves == set(ids)


def test_since_id_until_id_bound_results(client: httpx.Client) -> None:
    first = client.get(RECENT, params={"query": DEMO_QUERY, "max_results": 100, **WINDOW}).json()
    newest, oldest = first["meta"]["newest_id"], first["meta"]["oldest_id"]
    between = client.get(
        RECENT, params={"query": DEMO_QUERY, "max_results": 100, "since_id": oldest, "until_id": newest}
    ).json()
    got = [int(p["id"]) for p in between["data"]]
    assert got and all(int(oldest) < g < int(newest) for g in got)
    assert len(got) == 98
    newer = client.get(
        RECENT, params={"query": DEMO_QUERY, "since_id": newest, "end_time": WINDOW["end_time"]}
    )
    assert "data" not in newer.json() and newer.json()["meta"] == {"result_count": 0}


def test_token_bound_to_query(client: httpx.Client) -> None:
    body = client.get(RECENT, params={"query": DEMO_QUERY, **WINDOW}).json()
    token = body["meta"]["next_token"]
    _invalid(client.get(RECENT, params={"query": "data", "next_token": token, **WINDOW}))
    assert (
        client.get(RECENT, params={"query": DEMO_QUERY, "pagination_token": token, **WINDOW}).status_code
        == 200
    )


def test_same_seed_same_bytes(emulator_factory) -> None:
    params = {"query": DEMO_QUERY, "max_results": 100, "tweet.fields": "author_id,entities,public_metrics",
              "expansions": "author_id,referenced_tweets.id", **WINDOW}  # fmt: skip
    bodies = []
    for seed in (42, 42, 43):
        emu = emulator_factory(now=NOW, seed=seed)
        bodies.append(httpx.get(emu.base_url + RECENT, params=params, headers=AUTH).content)
    assert bodies[0] == bodies[1]
    assert bodies[0] != bodies[2]


def test_rate_limit_headers_and_429(emulator_factory) -> None:
    emu = emulator_factory(now=NOW, rate_limits={"search_recent": 3, "search_all": 2})
    with httpx.Client(base_url=emu.base_url, headers=AUTH) as c:
        remaining = []
        for _ in range(3):
            r = c.get(RECENT, params={"query": "data", **WINDOW})
            assert r.status_code == 200
            assert r.headers["x-rate-limit-limit"] == "3"
            remaining.append(int(r.headers["x-rate-limit-remaining"]))
        assert remaining == [2, 1, 0]
        r = c.get(RECENT, params={"query": "data", **WINDOW})
        assert r.status_code == 429
        assert r.json() == {
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        }
        assert r.headers["x-rate-limit-remaining"] == "0" and int(r.headers["x-rate-limit-reset"]) > 1e9
        # other endpoint, separate bucket
        r = c.get(ALL, params={"query": "data", **WINDOW})
        assert r.status_code == 200 and r.headers["x-rate-limit-limit"] == "2"
        # other token, separate bucket
        r = c.get(RECENT, params={"query": "data", **WINDOW}, headers={"Authorization": "Bearer other"})
        assert r.status_code == 401  # token configured: only the right one is accepted
    assert {rec.fault for rec in emu.requests} >= {"rate_limit"}


def test_rate_limit_window_resets(emulator_factory) -> None:
    import time

    emu = emulator_factory(now=NOW, token=None, rate_limits={"search_recent": 1}, rate_limit_window_s=2)
    h = {"Authorization": "Bearer a"}
    url = emu.base_url + RECENT
    time.sleep(1.02 - time.time() % 1)  # windows start on whole seconds: begin just after one
    assert httpx.get(url, params={"query": "data", **WINDOW}, headers=h).status_code == 200
    r = httpx.get(url, params={"query": "data", **WINDOW}, headers=h)
    assert r.status_code == 429
    assert (
        httpx.get(url, params={"query": "data", **WINDOW}, headers={"Authorization": "Bearer b"}).status_code
        == 200
    )
    time.sleep(max(0.0, int(r.headers["x-rate-limit-reset"]) - time.time()) + 0.05)
    assert httpx.get(url, params={"query": "data", **WINDOW}, headers=h).status_code == 200


def test_full_archive_per_second_limit(emulator_factory) -> None:
    emu = emulator_factory(now=NOW, search_all_per_second=1)
    with httpx.Client(base_url=emu.base_url, headers=AUTH) as c:
        statuses = [c.get(ALL, params={"query": "data", **WINDOW}) for _ in range(3)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and all(int(r.headers["x-rate-limit-remaining"]) > 0 for r in limited)


def test_served_ids_ledger(client: httpx.Client, frozen: EmulatorServer) -> None:
    body = client.get(RECENT, params={"query": DEMO_QUERY, "max_results": 100, **WINDOW}).json()
    assert frozen.served_ids == {p["id"] for p in body["data"]}
    assert frozen.requests[-1].status == 200 and frozen.requests[-1].params["query"] == DEMO_QUERY


def test_selective_query_over_huge_world_returns_short_pages(emulator_factory) -> None:
    emu = emulator_factory(now=NOW, posts_per_hour=1_000_000, max_scan=2_000)
    body = httpx.get(
        emu.base_url + RECENT,
        params={"query": '"this phrase never occurs"', **WINDOW},
        headers=AUTH,
        timeout=30,
    ).json()
    assert body["meta"]["result_count"] == 0 and "next_token" in body["meta"]
