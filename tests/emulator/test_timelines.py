"""User lookup and user timelines from the same world: pagination, exclude, windows, the 3,200 cap."""

from __future__ import annotations

import httpx
import pytest

from tests.emulator.conftest import NOW
from twitter_pipeline.emulator import EmulatorServer

pytestmark = pytest.mark.integration


def _active_user(emu: EmulatorServer):
    world = emu.world
    counts: dict[int, int] = {}
    for i in range(len(world.slot_owner)):
        counts[world.slot_owner[i]] = counts.get(world.slot_owner[i], 0) + 1
    busiest = max(counts, key=counts.__getitem__)
    return world.users[busiest]


def test_user_by_username(client: httpx.Client, frozen: EmulatorServer) -> None:
    user = _active_user(frozen)
    body = client.get(
        f"/2/users/by/username/{user.username}", params={"user.fields": "created_at,public_metrics"}
    ).json()
    assert body["data"]["id"] == user.id and body["data"]["username"] == user.username
    assert "tweet_count" in body["data"]["public_metrics"]
    missing = client.get("/2/users/by/username/nobody_here_1").json()
    assert missing["errors"][0]["type"].endswith("resource-not-found")
    assert client.get("/2/users/by/username/bad-name!").status_code == 400
    assert client.get("/2/users/by/username/" + user.username, params={"user.fields": "x"}).status_code == 400


def test_timeline_pages_newest_first_no_duplicates(client: httpx.Client, frozen: EmulatorServer) -> None:
    user = _active_user(frozen)
    params = {
        "max_results": 100,
        "tweet.fields": "author_id,created_at,referenced_tweets",
        "start_time": "2026-02-28T12:00:00Z",
        "end_time": "2026-02-28T18:00:00Z",
    }
    ids: list[int] = []
    kinds = set()
    while True:
        body = client.get(f"/2/users/{user.id}/tweets", params=params).json()
        for p in body.get("data", []):
            assert p["author_id"] == user.id
            ids.append(int(p["id"]))
            kinds.update(r["type"] for r in p.get("referenced_tweets", []))
        token = body["meta"].get("next_token")
        if not token:
            break
        params["pagination_token"] = token
    assert len(ids) > 50
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    assert "retweeted" in kinds and "replied_to" in kinds
    world = frozen.world
    expected = [
        int(world.id_int(i))
        for i in range(
            world.first_index_at_or_after(int(NOW.timestamp() * 1000) - 12 * 3_600_000),
            world.first_index_at_or_after(int(NOW.timestamp() * 1000) - 6 * 3_600_000),
        )
        if world.author(i) == user.index and not world.is_deleted(i)
    ]
    assert sorted(ids) == sorted(expected)

    params.pop("pagination_token")
    params["exclude"] = "retweets,replies"
    body = client.get(f"/2/users/{user.id}/tweets", params=params).json()
    assert all(
        "referenced_tweets" not in p or p["referenced_tweets"][0]["type"] == "quoted" for p in body["data"]
    )


def test_timeline_reaches_only_most_recent_3200(client: httpx.Client, frozen: EmulatorServer) -> None:
    user = _active_user(frozen)
    params: dict[str, str | int] = {"max_results": 100}
    total = 0
    for _ in range(40):
        body = client.get(f"/2/users/{user.id}/tweets", params=params).json()
        total += body["meta"]["result_count"]
        token = body["meta"].get("next_token")
        if not token:
            break
        params["pagination_token"] = token
    assert total == 3200


def test_timeline_validation_and_unknown_users(client: httpx.Client, frozen: EmulatorServer) -> None:
    user = _active_user(frozen)
    assert client.get(f"/2/users/{user.id}/tweets", params={"max_results": 4}).status_code == 400
    assert client.get(f"/2/users/{user.id}/tweets", params={"exclude": "likes"}).status_code == 400
    assert client.get(f"/2/users/{user.id}/tweets", params={"query": "x"}).status_code == 400
    assert client.get("/2/users/abc/tweets").status_code == 400
    body = client.get("/2/users/1/tweets").json()
    assert body["errors"][0]["type"].endswith("resource-not-found")
    r = client.get(f"/2/users/{user.id}/tweets")
    assert r.headers["x-rate-limit-limit"] == "1500"
    assert r.json()["meta"]["result_count"] == 10
