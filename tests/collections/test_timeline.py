"""User timelines over real HTTP to the emulator: pagination, since_id from state, resume, the 3,200 cap."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.collections.conftest import NOW, QUIET, requests_to
from tests.fixtures.emulator import EMULATOR_TEST_TOKEN
from twitter_pipeline.collections.state import CollectionStateStore
from twitter_pipeline.collections.timeline import (
    TIMELINE_ENDPOINT,
    TimelineRequest,
    extract_timeline,
    is_capped,
)
from twitter_pipeline.emulator import EmulatorServer
from twitter_pipeline.extract.client import XApiClient
from twitter_pipeline.extract.state import Window
from twitter_pipeline.raw.zone import RawZone
from twitter_pipeline.storage import LakeStorage

pytestmark = pytest.mark.integration


def _user_id(emu: EmulatorServer, handle: str) -> str:
    return emu.world.user_by_username[handle.lower()].id


def test_timeline_pages_then_since_id_from_state(frozen: EmulatorServer, tmp_path) -> None:
    storage = LakeStorage(str(tmp_path / "lake"))
    raw, state = RawZone(storage), CollectionStateStore(storage, "people")
    user = _user_id(frozen, QUIET[0])
    start = NOW - timedelta(days=2)
    with XApiClient(frozen.base_url, EMULATOR_TEST_TOKEN) as client:
        first = extract_timeline(
            client, raw, state, TimelineRequest(user, start_time=start, max_results=5), run_id="r1"
        )
        assert first.complete and first.pages >= 2 and first.posts > 5
        calls = requests_to(frozen, f"/2/users/{user}/tweets")
        assert "pagination_token" not in calls[0].params
        assert all("pagination_token" in c.params for c in calls[1:])
        assert all(c.params["max_results"] == "5" for c in calls)
        # Every page is in the raw zone, in order, and the posts are the user's own, newest first.
        pages = [raw.read(k) for k in first.raw_keys]
        ids = [int(p["id"]) for page in pages for p in page.payload.get("data", [])]
        assert ids == sorted(ids, reverse=True) and len(set(ids)) == first.posts
        assert all(p["author_id"] == user for page in pages for p in page.payload.get("data", []))
        assert all(k.startswith(f"raw/endpoint={TIMELINE_ENDPOINT}/") for k in first.raw_keys)
        assert state.newest_id(TIMELINE_ENDPOINT, user) == str(max(ids))

        frozen.reset_ledger()
        second = extract_timeline(client, raw, state, TimelineRequest(user), run_id="r2")
        (call,) = requests_to(frozen, f"/2/users/{user}/tweets")
        assert call.params["since_id"] == str(max(ids)) and "start_time" not in call.params
        assert second.posts == 0 and second.complete


def test_exclude_and_interrupted_run_resumes(frozen: EmulatorServer, tmp_path) -> None:
    storage = LakeStorage(str(tmp_path / "lake"))
    raw, state = RawZone(storage), CollectionStateStore(storage, "people")
    user = _user_id(frozen, QUIET[0])
    request = TimelineRequest(
        user, start_time=NOW - timedelta(days=2), exclude=("replies", "retweets"), max_results=5
    )
    with XApiClient(frozen.base_url, EMULATOR_TEST_TOKEN) as client:
        part = extract_timeline(client, raw, state, request, run_id="r1", max_pages=1)
        assert not part.complete and state.newest_id(TIMELINE_ENDPOINT, user) is None
        rest = extract_timeline(client, raw, state, request, run_id="r2")
    assert rest.resumed and rest.run_id == "r1" and rest.complete and rest.pages > 1
    calls = requests_to(frozen, f"/2/users/{user}/tweets")
    assert all(c.params["exclude"] == "replies,retweets" for c in calls)
    assert "pagination_token" in calls[1].params  # the second call continued, not restarted
    posts = [p for k in rest.raw_keys for p in raw.read(k).payload.get("data", [])]
    assert len({p["id"] for p in posts}) == len(posts) == rest.posts
    assert all(r["type"] == "quoted" for p in posts for r in p.get("referenced_tweets", []))


def test_closed_window_is_done_once(frozen: EmulatorServer, tmp_path) -> None:
    storage = LakeStorage(str(tmp_path / "lake"))
    raw, state = RawZone(storage), CollectionStateStore(storage, "people")
    user = _user_id(frozen, QUIET[1])
    window = TimelineRequest(user, start_time=NOW - timedelta(days=1), end_time=NOW, incremental=False)
    with XApiClient(frozen.base_url, EMULATOR_TEST_TOKEN) as client:
        first = extract_timeline(client, raw, state, window, run_id="r1")
        frozen.reset_ledger()
        again = extract_timeline(client, raw, state, window, run_id="r2")
    assert again.skipped and again.raw_keys == first.raw_keys and not frozen.requests


def test_cap_detection_rule() -> None:
    assert is_capped(Window(), 3200, None)
    assert is_capped(Window(), 40, tweet_count=10_000)  # exclude hid most, the account is bigger
    assert not is_capped(Window(since_id="5"), 40, tweet_count=10_000)
    assert not is_capped(Window(), 40, tweet_count=100)


def test_whole_timeline_stops_at_3200_and_says_so(frozen: EmulatorServer, tmp_path) -> None:
    storage = LakeStorage(str(tmp_path / "lake"))
    busiest = frozen.world.users[0].id  # posts tens of times a day: far more than 3,200 by NOW
    with XApiClient(frozen.base_url, EMULATOR_TEST_TOKEN) as client:
        result = extract_timeline(
            client, RawZone(storage), CollectionStateStore(storage, "c"), TimelineRequest(busiest), run_id="r"
        )
    assert result.posts == 3200 and result.capped and result.pages == 32
