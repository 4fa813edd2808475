"""Every field and expansion we send must be a value the official spec's enum accepts."""

from __future__ import annotations

import pytest

from tests.spec_files import load_spec
from twitter_pipeline.extract.fields import POST_FIELDS_SCHEMA_EXTRAS, field_params, field_sets

SPEC_FOR = {"tweets": "2.159", "posts": "2.167"}


def spec_enums(version: str) -> dict[str, set[str]]:
    spec = load_spec(version)
    op = spec["paths"]["/2/tweets/search/recent"]["get"]
    enums: dict[str, set[str]] = {}
    for param in op["parameters"]:
        if "$ref" in param:
            param = spec["components"]["parameters"][param["$ref"].rsplit("/", 1)[-1]]
        items = param.get("schema", {}).get("items", {})
        if "enum" in items:
            enums[param["name"]] = set(items["enum"])
    return enums


@pytest.mark.parametrize("spelling", ["tweets", "posts"])
def test_every_value_is_in_the_spec_enum(spelling):
    enums = spec_enums(SPEC_FOR[spelling])
    for name, values in field_sets(spelling).items():
        assert name in enums, f"{name} is not a parameter of spec {SPEC_FOR[spelling]}"
        unknown = set(values) - enums[name]
        if name == "post.fields":  # the 2.167 enum lags its own Post schema; see fields.py
            unknown -= set(POST_FIELDS_SCHEMA_EXTRAS)
        assert not unknown, f"{name} values not in the spec: {sorted(unknown)}"
        assert len(values) == len(set(values))


def test_post_field_extras_are_properties_of_the_post_schema():
    spec = load_spec(SPEC_FOR["posts"])
    properties = set(spec["components"]["schemas"]["Post"]["properties"])
    assert set(POST_FIELDS_SCHEMA_EXTRAS) <= properties


def test_spellings_differ_where_the_spec_renamed():
    tweets, posts = field_params("tweets"), field_params("posts")
    assert "tweet.fields" in tweets and "post.fields" not in tweets
    assert "referenced_tweets.id" in tweets["expansions"].split(",")
    assert "note_tweet" in tweets["tweet.fields"].split(",")
    assert "post.fields" in posts and "tweet.fields" not in posts
    assert "referenced_posts" in posts["expansions"].split(",")
    assert "edit_history_post_ids" in posts["expansions"].split(",")
    with pytest.raises(ValueError):
        field_params("statuses")  # type: ignore[arg-type]
