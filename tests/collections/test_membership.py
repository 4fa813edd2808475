"""`collection_posts` links from a batch's page table: latest fetch wins, the run's first fetch is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from twitter_pipeline.collections.membership import MembershipBuilder
from twitter_pipeline.raw.pages import PageRequest, RawPage
from twitter_pipeline.transform.page_reader import read_pages

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def page(endpoint: str, path: str, ids: list[str], minutes: int) -> RawPage:
    body = orjson.dumps({"data": [{"id": i, "text": f"post {i}"} for i in ids], "meta": {}})
    return RawPage(PageRequest(endpoint, path), body, fetched_at=T0 + timedelta(minutes=minutes))


def links(builder: MembershipBuilder, pages: list[RawPage]) -> dict[str, dict]:
    table = builder.table(pages, read_pages(pages))
    return {row["tweet_id"]: row for row in table.to_pylist()}


def test_each_post_links_once_with_its_latest_fetch_and_the_runs_first() -> None:
    builder = MembershipBuilder("ai", "accounts", "run-1")
    first = links(
        builder,
        [
            page("user_tweets", "/2/users/11/tweets", ["1", "2"], 0),
            page("user_tweets", "/2/users/22/tweets", ["2", ""], 5),
        ],
    )
    assert set(first) == {"1", "2"}  # an empty id links nothing
    assert first["2"]["account_id"] == "22" and first["2"]["fetched_at"] == T0 + timedelta(minutes=5)
    assert first["2"]["first_fetched_at"] == T0 and first["2"]["first_run_id"] == "run-1"
    assert first["1"]["collection"] == "ai" and first["1"]["kind"] == "accounts"

    later = links(builder, [page("user_tweets", "/2/users/11/tweets", ["1", "3"], 30)])
    assert later["1"]["fetched_at"] == T0 + timedelta(minutes=30)
    assert later["1"]["first_fetched_at"] == T0  # the run's first fetch, from an earlier batch
    assert later["3"]["first_fetched_at"] == T0 + timedelta(minutes=30)


def test_search_pages_link_without_an_account_and_other_pages_link_nothing() -> None:
    builder = MembershipBuilder("q", "search", "run-2")
    found = links(
        builder,
        [
            page("search_recent", "/2/tweets/search/recent", ["7"], 0),
            page("users_by", "/2/users/by", ["99"], 1),  # a lookup page: its data are users
        ],
    )
    assert list(found) == ["7"]
    assert found["7"]["account_id"] is None and found["7"]["endpoint"] == "search_recent"
