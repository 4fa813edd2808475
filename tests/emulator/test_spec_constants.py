"""The emulator's embedded enums must equal the official specs (2.159 "tweet" names, 2.167 "post" names)."""

from __future__ import annotations

import pytest

from tests.spec_files import load_spec
from twitter_pipeline.emulator import constants as c


def _params(version: str) -> dict:
    return load_spec(version)["components"]["parameters"]


def _enum(params: dict, name: str) -> tuple[str, ...]:
    return tuple(params[name]["schema"]["items"]["enum"])


def test_v159_enums_match_spec() -> None:
    p = _params("2.159")
    assert _enum(p, "TweetFieldsParameter") == c.TWEET_FIELDS_V159
    assert _enum(p, "TweetExpansionsParameter") == c.TWEET_EXPANSIONS_V159
    assert _enum(p, "UserFieldsParameter") == c.USER_FIELDS_V159
    assert _enum(p, "UserExpansionsParameter") == c.USER_EXPANSIONS_V159
    assert _enum(p, "MediaFieldsParameter") == c.MEDIA_FIELDS
    assert _enum(p, "PlaceFieldsParameter") == c.PLACE_FIELDS
    assert _enum(p, "PollFieldsParameter") == c.POLL_FIELDS


def test_v167_enums_match_spec() -> None:
    p = _params("2.167")
    assert _enum(p, "PostFieldsParameter") == c.POST_FIELDS_V167
    assert _enum(p, "PostExpansionsParameter") == c.POST_EXPANSIONS_V167
    assert _enum(p, "UserFieldsParameter") == c.USER_FIELDS_V167
    assert _enum(p, "UserExpansionsParameter") == c.USER_EXPANSIONS_V167
    assert _enum(p, "MediaFieldsParameter") == c.MEDIA_FIELDS
    assert _enum(p, "PlaceFieldsParameter") == c.PLACE_FIELDS
    assert _enum(p, "PollFieldsParameter") == c.POLL_FIELDS


@pytest.mark.parametrize("version", ["2.159", "2.167"])
def test_search_bounds_match_spec(version: str) -> None:
    spec = load_spec(version)
    for route, bounds in (
        (c.SEARCH_RECENT_PATH, c.SEARCH_RECENT_MAX_RESULTS),
        (c.SEARCH_ALL_PATH, c.SEARCH_ALL_MAX_RESULTS),
    ):
        params = {p["name"]: p for p in spec["paths"][route]["get"]["parameters"] if "name" in p}
        schema = params["max_results"]["schema"]
        assert (schema["minimum"], schema["maximum"]) == bounds
        assert params["query"]["schema"]["maxLength"] == c.QUERY_MAX_LENGTH
        assert tuple(params["sort_order"]["schema"]["enum"]) == c.SORT_ORDERS
    timeline = {p.get("name"): p for p in spec["paths"]["/2/users/{id}/tweets"]["get"]["parameters"]}
    schema = timeline["max_results"]["schema"]
    assert (schema["minimum"], schema["maximum"]) == c.USER_POSTS_MAX_RESULTS
    assert tuple(timeline["exclude"]["schema"]["items"]["enum"]) == c.USER_POSTS_EXCLUDE
