"""The report's queries against independent pandas computations over the same lake tables."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from twitter_pipeline.analyze import connect, queries
from twitter_pipeline.analyze.sentiment import compound, label
from twitter_pipeline.load import read_table
from twitter_pipeline.storage import LakeStorage

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def con(demo_lake: Path):
    with connect(str(demo_lake), declared=True) as lake_connection:
        yield lake_connection


@pytest.fixture(scope="module")
def frames(demo_lake: Path) -> dict[str, pd.DataFrame]:
    storage = LakeStorage(str(demo_lake))
    names = ["tweets", "users", "hashtags", "mentions", "media", "places", "tweet_references"]
    return {name: read_table(storage, name).to_pandas() for name in names}


def _engagement(tweets: pd.DataFrame) -> pd.Series:
    cols = ["like_count", "retweet_count", "reply_count", "quote_count"]
    return tweets[cols].fillna(0).sum(axis=1).astype("int64")


def test_every_lake_table_is_a_view(con, demo_lake: Path) -> None:
    on_disk = {p.name for p in (demo_lake / "tables").iterdir() if (p / "_delta_log").is_dir()}
    assert set(con.tables) == on_disk
    assert {"tweets", "users", "hashtags", "quality"} <= on_disk


def test_summary(con, frames) -> None:
    tweets = frames["tweets"]
    row = queries.summary(con).to_pylist()[0]
    assert row["posts"] == len(tweets) > 100
    assert row["authors"] == tweets["author_id"].nunique()
    assert row["languages"] == tweets["lang"].nunique()
    assert row["engagement"] == int(_engagement(tweets).sum())
    assert row["posts_with_media"] == int(
        tweets["media_keys"].map(lambda v: v is not None and len(v) > 0).sum()
    )
    assert row["english_posts"] == int((tweets["lang"] == "en").sum())
    assert row["first_post"] == tweets["created_at"].min().to_pydatetime()


def test_posts_over_time(con, frames) -> None:
    tweets = frames["tweets"]
    got = queries.posts_over_time(con, bucket="5 minutes").to_pandas()
    expected = tweets.groupby(tweets["created_at"].dt.floor("5min")).size()
    assert got["posts"].tolist() == expected.tolist()
    assert [b.to_pydatetime() for b in got["bucket"]] == [b.to_pydatetime() for b in expected.index]
    assert got["posts"].sum() == len(tweets)


def test_window_splits_the_counts(con, frames, demo_window_bounds) -> None:
    start, end = demo_window_bounds
    middle = start + timedelta(minutes=5)
    first = queries.summary(con, start, middle).to_pylist()[0]["posts"]
    second = queries.summary(con, middle, end).to_pylist()[0]["posts"]
    created = frames["tweets"]["created_at"]
    assert first == int((created < pd.Timestamp(middle)).sum())
    assert first + second == len(frames["tweets"])
    assert first > 0 and second > 0


def _entity_top(frames, table: str, column: str) -> pd.Series:
    ids = set(frames["tweets"]["id"])
    entities = frames[table][frames[table]["tweet_id"].isin(ids)]
    return entities.assign(key=entities[column].str.lower()).groupby("key")["tweet_id"].nunique()


def test_top_hashtags(con, frames) -> None:
    expected = _entity_top(frames, "hashtags", "tag")
    got = queries.top_hashtags(con, limit=1000).to_pandas()
    assert dict(zip(got["key"], got["posts"], strict=True)) == expected.to_dict()
    assert got["posts"].is_monotonic_decreasing
    assert got["hashtag"].str.lower().tolist() == got["key"].tolist()


def test_top_mentions(con, frames) -> None:
    expected = _entity_top(frames, "mentions", "username")
    got = queries.top_mentions(con, limit=5).to_pandas()
    assert len(got) == min(5, len(expected))
    assert got["posts"].tolist() == sorted(expected.tolist(), reverse=True)[: len(got)]
    for key, posts in zip(got["key"], got["posts"], strict=True):
        assert expected[key] == posts


def test_authors(con, frames) -> None:
    tweets = frames["tweets"].assign(engagement=_engagement(frames["tweets"]))
    per_author = tweets.groupby("author_id").agg(posts=("id", "size"), engagement=("engagement", "sum"))
    active = queries.most_active_authors(con, limit=10).to_pandas()
    assert active["posts"].tolist() == per_author["posts"].sort_values(ascending=False).head(10).tolist()
    engaged = queries.most_engaged_authors(con, limit=10).to_pandas()
    assert engaged["engagement"].tolist() == (
        per_author["engagement"].sort_values(ascending=False).head(10).tolist()
    )
    users = frames["users"].set_index("id")["username"]
    for author_id, username in zip(active["author_id"], active["username"], strict=True):
        assert users.get(author_id) == username


def test_language_mix(con, frames) -> None:
    got = queries.language_mix(con).to_pandas()
    expected = frames["tweets"]["lang"].fillna("(none)").value_counts()
    assert dict(zip(got["lang"], got["posts"], strict=True)) == expected.to_dict()
    assert got["share"].sum() == pytest.approx(1.0)


def test_engagement_distribution(con, frames) -> None:
    got = queries.engagement_distribution(con).to_pandas()
    engagement = _engagement(frames["tweets"])
    edges = [0, 1, 10, 100, 1_000, 10_000, float("inf")]
    expected = pd.cut(engagement, edges, right=False).value_counts(sort=False).tolist()
    assert got["posts"].tolist() == expected
    assert got["bucket"].tolist() == [b[0] for b in queries.ENGAGEMENT_BUCKETS]


def test_top_posts(con, frames) -> None:
    tweets = frames["tweets"].assign(engagement=_engagement(frames["tweets"]))
    expected = tweets.sort_values(["engagement", "id"], ascending=[False, True]).head(10)
    got = queries.top_posts(con, limit=10).to_pandas()
    assert got["id"].tolist() == expected["id"].tolist()
    assert got["engagement"].tolist() == expected["engagement"].tolist()


def test_post_type_mix(con, frames) -> None:
    refs = frames["tweet_references"]
    ids = frames["tweets"]["id"]
    kinds = {}
    for post_id in ids:
        types = set(refs.loc[refs["tweet_id"] == post_id, "type"])
        kinds[post_id] = (
            "retweet"
            if "retweeted" in types
            else "reply"
            if "replied_to" in types
            else "quote"
            if "quoted" in types
            else "original"
        )
    expected = pd.Series(kinds).value_counts()
    got = queries.post_type_mix(con).to_pandas()
    assert got["kind"].tolist() == list(queries.POST_KINDS)
    assert {k: v for k, v in zip(got["kind"], got["posts"], strict=True) if v} == expected.to_dict()
    assert got["posts"].sum() == len(ids)


def test_media_share(con, frames) -> None:
    tweets, media = frames["tweets"], frames["media"].set_index("media_key")["type"]
    types: dict[str, set[str]] = {}
    none = 0
    for post_id, keys in zip(tweets["id"], tweets["media_keys"], strict=True):
        if keys is None or len(keys) == 0:
            none += 1
            continue
        for key in keys:
            types.setdefault(media.get(key, "unknown"), set()).add(post_id)
    got = queries.media_share(con).to_pandas().set_index("media_type")["posts"].to_dict()
    assert got == {"none": none, **{k: len(v) for k, v in types.items()}}
    assert none < len(tweets)


def test_places(con, frames) -> None:
    tweets = frames["tweets"]
    expected = tweets["place_id"].dropna().value_counts()
    got = queries.places(con, limit=1000).to_pandas()
    assert dict(zip(got["place_id"], got["posts"], strict=True)) == expected.to_dict()
    names = frames["places"].set_index("id")["full_name"]
    for place_id, place in zip(got["place_id"], got["place"], strict=True):
        assert place == names.get(place_id, place_id)


def test_sentiment_scores_english_only(con, frames) -> None:
    tweets = frames["tweets"]
    got = queries.sentiment_over_time(con, bucket="5 minutes").to_pandas()
    english = tweets["lang"] == "en"
    assert got["english"].sum() == int(english.sum())
    assert got["unscored"].sum() == int((~english).sum())
    assert got["scored"].sum() == int(english.sum())  # small lake: no sampling
    assert (got["positive"] + got["neutral"] + got["negative"]).sum() == pytest.approx(english.sum())
    texts = tweets.loc[english].apply(
        lambda r: r["note_text"] if isinstance(r["note_text"], str) else r["text"], axis=1
    )
    labels = texts.map(lambda text: label(compound(text))).value_counts()
    assert got["positive"].sum() == labels.get("positive", 0)
    assert got["negative"].sum() == labels.get("negative", 0)


def test_sentiment_sample_is_labelled_and_scaled(con, frames) -> None:
    english = int((frames["tweets"]["lang"] == "en").sum())
    got = queries.sentiment_over_time(con, bucket="1 hour", max_scored=english // 4).to_pandas()
    assert 0 < got["scored"].sum() < english
    assert (got["positive"] + got["neutral"] + got["negative"]).sum() == pytest.approx(english, abs=1)


def test_quality_checks_come_from_the_quality_table(con, demo_lake: Path) -> None:
    table = read_table(LakeStorage(str(demo_lake)), "quality").to_pandas()
    latest = table[table["run_id"] == table.sort_values("checked_at")["run_id"].iloc[-1]]
    got = queries.quality_checks(con).to_pandas()
    assert len(got) == len(latest) > 0
    assert got["passed"].sum() == latest["passed"].sum()


def test_empty_lake_gives_empty_answers(tmp_path: Path) -> None:
    with connect(str(tmp_path / "nothing"), declared=True) as empty:
        assert empty.tables == {}
        assert queries.summary(empty).to_pylist()[0]["posts"] == 0
        for name, query in queries.QUERIES.items():
            result = query(empty)
            if name in {"engagement_distribution", "post_type_mix", "media_share", "summary"}:
                assert all(
                    v in (0, None)
                    for v in result.column(result.num_columns - 1 if name != "summary" else 0).to_pylist()
                )
            else:
                assert result.num_rows == 0, name
        assert queries.quality_checks(empty).num_rows == 0
