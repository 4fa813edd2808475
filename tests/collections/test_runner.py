"""Collections end to end over real HTTP: handle resolution and its cache, three collections of both
kinds in one config, the collection_posts links, state isolation and failure isolation."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

from tests.collections.conftest import NOW, QUIET, requests_to
from twitter_pipeline.collections import (
    COLLECTION_POSTS,
    collection_status,
    failed_collections,
    parse_collections,
    run_collection,
    run_collections,
)
from twitter_pipeline.collections.state import CollectionStateStore
from twitter_pipeline.emulator import EmulatorServer
from twitter_pipeline.load import read_table
from twitter_pipeline.settings import Settings
from twitter_pipeline.storage import LakeStorage

pytestmark = pytest.mark.integration

THREE = f"""
[[collections]]
name = "ai"
query = "#AI -is:retweet"
lookback = "20m"

[[collections]]
name = "python"
query = "#Python -is:retweet"
lookback = "20m"

[[collections]]
name = "people"
accounts = ["{QUIET[0]}", "@{QUIET[1]}"]
exclude = ["retweets"]
lookback = "1d"
"""


def _links(settings: Settings):
    return read_table(LakeStorage(settings.lake), COLLECTION_POSTS)


def test_handles_resolve_once_then_come_from_the_users_table(frozen: EmulatorServer, settings) -> None:
    people = parse_collections(
        f'[[collections]]\nname = "people"\nlookback = "1d"\n'
        f'accounts = ["{QUIET[0]}", "{QUIET[1].upper()}", "nobody_here_1"]\n'
    ).get("people")
    first = run_collection(settings, people, now=NOW)
    lookups = requests_to(frozen, "/2/users/by/username/")
    assert sorted(r.path.rsplit("/", 1)[-1] for r in lookups) == sorted(
        [QUIET[0], QUIET[1].upper(), "nobody_here_1"]
    )
    assert first.accounts == 2 and first.lookups == 3 and first.missing == ["nobody_here_1"]
    assert any("nobody_here_1 not resolved" in note for note in first.notes)
    storage = LakeStorage(settings.lake)
    lookup_pages = list(storage.list("raw/endpoint=user_lookup/"))
    assert len(lookup_pages) == 3  # every lookup response is kept in the raw zone
    users = read_table(storage, "users", columns=["id", "username"]).to_pylist()
    world = frozen.world
    for handle in QUIET[:2]:
        assert {"id": world.user_by_username[handle.lower()].id, "username": handle} in users

    frozen.reset_ledger()
    second = run_collection(settings, people, now=NOW)
    lookups = requests_to(frozen, "/2/users/by/username/")
    assert [r.path.rsplit("/", 1)[-1] for r in lookups] == ["nobody_here_1"]  # only the unknown one
    assert second.accounts == 2 and second.lookups == 1
    for handle in QUIET[:2]:  # the timelines continue from their cursors
        uid = world.user_by_username[handle.lower()].id
        (call,) = requests_to(frozen, f"/2/users/{uid}/tweets")
        assert call.params.get("since_id") and "start_time" not in call.params


def test_three_collections_of_both_kinds_share_tables_and_link_posts(
    frozen: EmulatorServer, settings
) -> None:
    config = parse_collections(THREE)
    summaries = run_collections(settings, config, now=NOW)
    assert [s.status for s in summaries] == ["ok", "ok", "ok"], [s.error for s in summaries]
    assert all(s.posts > 0 and s.quality["errors"] == 0 for s in summaries)
    links = _links(settings)
    by_collection = {
        name: set(links.filter(pc.equal(links["collection"], name))["tweet_id"].to_pylist())
        for name in ("ai", "python", "people")
    }
    assert {n: len(ids) for n, ids in by_collection.items()} == {s.collection: s.posts for s in summaries}
    tweets = set(read_table(LakeStorage(settings.lake), "tweets", columns=["id"])["id"].to_pylist())
    assert set().union(*by_collection.values()) == tweets  # every post row is linked to a collection
    people = links.filter(pc.equal(links["collection"], "people")).to_pylist()
    world = frozen.world
    quiet_ids = {world.user_by_username[h.lower()].id for h in QUIET[:2]}
    assert {r["account_id"] for r in people} == quiet_ids and {r["endpoint"] for r in people} == {
        "user_tweets"
    }
    ai = links.filter(pc.equal(links["collection"], "ai")).to_pylist()
    assert {r["endpoint"] for r in ai} == {"search_recent"} and {r["account_id"] for r in ai} == {None}
    overlap = by_collection["ai"] & by_collection["python"]
    assert overlap, "the two searches should share some posts (#AI #Python)"
    assert len(links) == sum(len(ids) for ids in by_collection.values())  # one row per (collection, post)

    # sql/report filter by collection: post tables show only that collection's posts.
    from twitter_pipeline.analyze.lake_sql import QueryError, connect

    with connect(settings.lake, collection="people") as con:
        shown = set(con.query("SELECT id FROM tweets")["id"].to_pylist())
        tags = con.query("SELECT DISTINCT tweet_id FROM hashtags")["tweet_id"].to_pylist()
        everything = con.query("SELECT count(*) AS n FROM tweets_all")["n"][0].as_py()
    assert shown == by_collection["people"] and set(tags) <= shown and everything == len(tweets)
    with pytest.raises(QueryError, match="collections there: ai, people, python"):
        connect(settings.lake, collection="nope")

    # The listing reflects each collection's state.
    rows = {r.name: r for r in collection_status(config, LakeStorage(settings.lake))}
    for s in summaries:
        assert rows[s.collection].posts == s.posts and rows[s.collection].newest_id == s.newest_id
        assert rows[s.collection].last_status == "ok"

    # A second run keeps the first fetch of each link and moves the last one.
    first_seen = {r["tweet_id"]: r["first_fetched_at"] for r in ai}
    again = run_collections(settings, config, ["ai"], now=NOW)
    assert again[0].status == "ok"
    ai_after = _links(settings).filter(pc.equal(_links(settings)["collection"], "ai")).to_pylist()
    assert all(
        r["first_fetched_at"] == first_seen[r["tweet_id"]] for r in ai_after if r["tweet_id"] in first_seen
    )


def test_state_is_isolated_between_collections(frozen: EmulatorServer, settings) -> None:
    config = parse_collections(THREE)
    run_collections(settings, config, now=NOW)
    storage = LakeStorage(settings.lake)

    def cursors() -> dict[str, str | None]:
        return {c.name: CollectionStateStore(storage, c.key).record().get("newest_id") for c in config}

    before = cursors()
    assert all(before.values())
    # Remove "python", rename "ai" to "ml", add a new account list: the survivors keep their cursors.
    changed = parse_collections(
        THREE.replace('name = "ai"', 'name = "ml"').split('[[collections]]\nname = "python"')[0]
        + THREE.split('lookback = "20m"\n', 2)[2]
        + f'\n[[collections]]\nname = "more-people"\naccounts = ["{QUIET[2]}"]\nlookback = "1d"\n'
    )
    assert changed.names == ["ml", "people", "more-people"]
    frozen.reset_ledger()
    summaries = run_collections(settings, changed, now=NOW)
    assert [s.status for s in summaries] == ["ok", "ok", "ok"]
    after = cursors()
    assert after["python"] == before["python"]  # removed: its state is untouched
    assert after["people"] == before["people"]  # no new posts at the frozen NOW: same cursor
    search_calls = requests_to(frozen, "/2/tweets/search/recent")
    # "ml" is new state (same query as "ai"): it starts from its lookback, not from ai's since_id.
    assert len(search_calls) >= 1 and "since_id" not in search_calls[0].params
    assert "start_time" in search_calls[0].params
    listing = {r.name: r for r in collection_status(changed, storage)}
    assert not listing["ai"].configured and listing["ai"].newest_id == before["ai"]
    assert listing["more-people"].posts > 0


def test_one_failing_collection_does_not_stop_the_others(frozen: EmulatorServer, settings) -> None:
    config = parse_collections(
        THREE + '\n[[collections]]\nname = "broken"\nquery = "(#AI OR"\n'  # unbalanced: the API answers 400
    )
    summaries = run_collections(settings, config, ["broken", "people"], now=NOW)
    assert [s.status for s in summaries] == ["failed", "ok"]
    (failure,) = failed_collections(summaries)
    assert failure.startswith("broken: ") and "\n" not in failure
    rows = {r.name: r for r in collection_status(config, LakeStorage(settings.lake))}
    assert rows["broken"].last_status == "failed" and rows["broken"].last_error
    assert rows["people"].last_status == "ok" and rows["ai"].last_status is None
