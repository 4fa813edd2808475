"""pages_to_tables on hand-written pages: real values, both API spellings, dedupe, schema conformity."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from tests.transform.conftest import T1, T2, page_from_bytes, page_from_file, source_json
from twitter_pipeline.transform import TABLES, pages_to_tables

OLD = "search_page_tweets_naming.json"
NEW = "search_page_posts_naming.json"
POST_A = "1851234567890123456"
POST_B = "1851234999990000001"
POST_C = "1849999999999999999"
QUOTED = "1850000000000000000"


def rows_by(table: pa.Table, key: str = "id") -> dict[str, dict]:
    return {row[key]: row for row in table.to_pylist()}


def assert_conforms(tables: dict[str, pa.Table]) -> None:
    assert set(tables) == set(TABLES)
    for name, table in tables.items():
        assert table.schema.equals(TABLES[name].schema), name
        keys = TABLES[name].keys
        assert table.group_by(list(keys)).aggregate([]).num_rows == table.num_rows, f"{name}: duplicate keys"


@pytest.fixture(scope="module")
def old() -> dict[str, pa.Table]:
    return pages_to_tables([page_from_file(OLD)])


def test_one_tweets_row_per_data_post_with_source_text(old: dict[str, pa.Table]) -> None:
    source = {post["id"]: post for post in source_json(OLD)["data"]}
    tweets = rows_by(old["tweets"])
    assert set(tweets) == set(source) == {POST_A, POST_B, POST_C}
    for post_id, post in source.items():
        assert tweets[post_id]["text"] == post["text"]
    assert tweets[POST_A]["text"] == "Ünïcödé 🚀 #日本語 @ana_b https://t.co/abc"
    assert_conforms(old)


def test_tweet_columns_are_flattened(old: dict[str, pa.Table]) -> None:
    a = rows_by(old["tweets"])[POST_A]
    assert a["created_at"] == datetime(2024, 10, 29, 12, 8, 9, tzinfo=UTC)
    assert a["created_date"] == "2024-10-29"
    assert (a["retweet_count"], a["reply_count"], a["like_count"]) == (2, 1, 10)
    assert (a["quote_count"], a["bookmark_count"], a["impression_count"]) == (0, 1, 345)
    assert (a["place_id"], a["longitude"], a["latitude"]) == ("01a9a39529b27f36", -73.99, 40.73)
    assert a["media_keys"] == ["3_1851234567000000000"]
    assert a["edit_history_tweet_ids"] == [POST_A]
    assert (a["is_edit_eligible"], a["edits_remaining"]) == (True, 5)
    assert a["editable_until"] == datetime(2024, 10, 29, 13, 8, 9, tzinfo=UTC)
    assert (a["lang"], a["source"], a["reply_settings"]) == ("ja", "Twitter for iPhone", "everyone")
    assert a["possibly_sensitive"] is False
    assert a["fetched_at"] == T1

    b = rows_by(old["tweets"])[POST_B]
    assert b["note_text"].startswith("A long thread start with many words")
    assert b["in_reply_to_user_id"] == "111"
    assert b["withheld_country_codes"] == ["DE", "FR"]
    assert b["withheld_copyright"] is False
    assert b["poll_ids"] == ["1851234999980000000"]
    assert b["edit_history_tweet_ids"] == ["1851234999990000000", POST_B]


def test_missing_optional_fields_become_nulls(old: dict[str, pa.Table]) -> None:
    c = rows_by(old["tweets"])[POST_C]
    assert c["text"] == "just text, default fields only"
    assert c["created_at"] is None and c["author_id"] is None and c["like_count"] is None
    assert c["media_keys"] is None and c["longitude"] is None
    # created_at was not requested: the partition date comes from the snowflake id.
    assert c["created_date"] == "2024-10-26"


def test_entity_offsets_point_at_the_entity_text(old: dict[str, pa.Table]) -> None:
    tweets = rows_by(old["tweets"]) | rows_by(old["included_tweets"])
    hashtags = old["hashtags"].to_pylist()
    assert {(h["tweet_id"], h["tag"], h["in_note_text"]) for h in hashtags} == {
        (POST_A, "日本語", False),
        (POST_B, "climate", True),
        (POST_B, "science", True),
        (QUOTED, "orig", False),
    }
    for tag in hashtags:
        post = tweets[tag["tweet_id"]]
        text = post["note_text"] if tag["in_note_text"] else post["text"]
        assert text[tag["start"] : tag["end"]] == "#" + tag["tag"]

    [mention] = old["mentions"].to_pylist()
    assert (mention["tweet_id"], mention["start"], mention["end"]) == (POST_A, 15, 21)
    assert (mention["username"], mention["user_id"]) == ("ana_b", "333")

    urls = rows_by(old["urls"], "tweet_id")
    assert urls[POST_A]["start"] == 22 and urls[POST_A]["end"] == 38
    assert urls[POST_A]["unwound_url"] == "https://example.org/rockets?ref=x"
    assert (urls[POST_A]["status"], urls[POST_A]["title"]) == (200, "Rockets")
    assert urls[POST_B]["display_url"] == "x.com/i/web/status/1…"


def test_references_and_included_tweets(old: dict[str, pa.Table]) -> None:
    references = {
        (r["tweet_id"], r["referenced_tweet_id"], r["type"]) for r in old["tweet_references"].to_pylist()
    }
    assert references == {(POST_A, QUOTED, "quoted"), (POST_B, POST_A, "replied_to")}
    included = rows_by(old["included_tweets"])
    # POST_A is in includes too (it was replied to) but it is a result: it stays in tweets only.
    assert set(included) == {QUOTED}
    assert included[QUOTED]["text"] == "The original 😀 #orig"
    assert included[QUOTED]["retweet_count"] == 7
    assert included[QUOTED]["media_keys"] == ["7_1851234567000000001"]


def test_includes_of_every_kind(old: dict[str, pa.Table]) -> None:
    users = rows_by(old["users"])
    assert set(users) == {"111", "222", "333", "444"}
    assert users["444"]["username"] == "a_very_long_handle_from_2009"  # longer than the spec allows
    assert users["111"]["name"] == "Rocket Fan 🚀"
    assert (users["111"]["tweet_count"], users["111"]["followers_count"]) == (4567, 1200)
    assert users["111"]["pinned_tweet_id"] == POST_A
    assert users["111"]["created_at"] == datetime(2012, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert users["222"]["withheld_country_codes"] == ["TR"]

    media = rows_by(old["media"], "media_key")
    photo, video = media["3_1851234567000000000"], media["7_1851234567000000001"]
    assert (photo["type"], photo["width"], photo["alt_text"]) == ("photo", 1200, "A rocket on the pad")
    assert (video["duration_ms"], video["view_count"]) == (30500, 4321)
    assert video["variants"][0] == {
        "bit_rate": 832000,
        "content_type": "video/mp4",
        "url": "https://video.twimg.com/1.mp4",
    }
    assert video["variants"][1]["bit_rate"] is None

    [place] = old["places"].to_pylist()
    assert (place["full_name"], place["country_code"]) == ("Manhattan, NY", "US")
    assert (place["bbox_west"], place["bbox_north"]) == (-74.026675, 40.877483)

    [poll] = old["polls"].to_pylist()
    assert (poll["total_votes"], poll["voting_status"], poll["duration_minutes"]) == (15, "closed", 1440)
    assert poll["options"][1] == {"position": 2, "label": "No ❌", "votes": 5}
    assert poll["end_datetime"] == datetime(2024, 10, 30, 12, 9, 52, tzinfo=UTC)

    [error] = old["api_errors"].to_pylist()
    assert error["resource_id"] == "1840000000000000000"
    assert error["type"] == "https://api.twitter.com/2/problems/not-authorized-for-resource"
    assert error["error_key"] == (
        "https://api.twitter.com/2/problems/not-authorized-for-resource|tweet|1840000000000000000"
        "|referenced_tweets.id||1840000000000000000"
    )


def test_both_spellings_give_equal_tables(old: dict[str, pa.Table]) -> None:
    new = pages_to_tables([page_from_file(NEW)])
    assert_conforms(new)
    for name in TABLES:
        assert new[name].equals(old[name]), f"{name} differs between the 2.159 and 2.167 spellings"


def test_empty_and_errors_only_pages() -> None:
    empty = pages_to_tables([page_from_file("empty_page.json")])
    assert_conforms(empty)
    assert all(table.num_rows == 0 for table in empty.values())

    only_errors = pages_to_tables([page_from_file("errors_only_page.json")])
    assert_conforms(only_errors)
    assert {name for name, table in only_errors.items() if table.num_rows} == {"api_errors"}
    assert sorted(only_errors["api_errors"]["resource_id"].to_pylist()) == [
        "1840000000000000001",
        "1840000000000000002",
    ]
    assert pages_to_tables([])["tweets"].num_rows == 0


def test_twarc2_line_is_a_page() -> None:
    tables = pages_to_tables([page_from_file("twarc2_line.jsonl")])
    assert_conforms(tables)
    tweets = rows_by(tables["tweets"])
    assert set(tweets) == {POST_A, "1851240000000000777"}
    assert tweets["1851240000000000777"]["text"] == "Неделя été 🌍 — RT worthy"
    assert set(rows_by(tables["included_tweets"])) == {QUOTED}
    assert tables["tweet_references"].to_pylist()[0]["type"] == "retweeted"


@pytest.mark.parametrize("order", ["fetch order", "reverse order"])
def test_dedupe_keeps_the_last_fetched_version(order: str) -> None:
    pages = [page_from_file(OLD, T1), page_from_file("twarc2_line.jsonl", T2)]
    if order == "reverse order":
        pages.reverse()
    tables = pages_to_tables(pages)
    assert_conforms(tables)
    tweets = rows_by(tables["tweets"])
    assert len(tweets) == 4  # A, B, C and the twarc-only post; A once
    assert tweets[POST_A]["like_count"] == 12 and tweets[POST_A]["fetched_at"] == T2
    assert tweets[POST_B]["fetched_at"] == T1
    assert rows_by(tables["users"])["333"]["name"] == "Ana B. (renamed)"
    hashtags = tables["hashtags"].to_pylist()
    assert [h["fetched_at"] for h in hashtags if h["tweet_id"] == POST_A] == [T2]


def test_equal_fetch_times_keep_the_later_page() -> None:
    first = b'{"data":[{"id":"5","text":"first"}]}'
    second = b'{"data":[{"id":"5","text":"second"},{"id":"6","text":"other"}]}'
    tables = pages_to_tables([page_from_bytes(first), page_from_bytes(second)])
    assert rows_by(tables["tweets"])["5"]["text"] == "second"
    assert tables["tweets"].num_rows == 2


def test_rows_without_a_key_are_dropped() -> None:
    tables = pages_to_tables([page_from_bytes(b'{"data":[{"text":"no id"},{"id":"7","text":"ok"}]}')])
    assert tables["tweets"]["id"].to_pylist() == ["7"]


def test_single_object_data_and_crlf_bodies() -> None:
    lookup = page_from_bytes(b'{"data": {"id": "8", "text": "looked up"}}')
    crlf = page_from_bytes(b'{\r\n "data": [\r\n  {"id": "9", "text": "line\\nbreak"}\r\n ]\r\n}\r\n')
    tables = pages_to_tables([lookup, crlf])
    assert rows_by(tables["tweets"])["8"]["text"] == "looked up"
    assert rows_by(tables["tweets"])["9"]["text"] == "line\nbreak"


def test_entities_listed_twice_at_one_offset_are_deduplicated() -> None:
    body = (
        b'{"data":[{"id":"1","text":"#a #b","entities":{"hashtags":['
        b'{"start":0,"end":2,"tag":"a"},{"start":0,"end":2,"tag":"a-again"},{"start":3,"end":5,"tag":"b"}]}}]}'
    )
    tables = pages_to_tables([page_from_bytes(body)])
    assert_conforms(tables)
    assert [(h["start"], h["tag"]) for h in tables["hashtags"].to_pylist()] == [(0, "a-again"), (3, "b")]
