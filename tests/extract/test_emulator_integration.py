"""The extract stage over real HTTP against the local emulator, faults included."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from twitter_pipeline.emulator import DEMO_QUERY
from twitter_pipeline.errors import ApiError, AuthError, UsageCapError
from twitter_pipeline.extract.client import XApiClient
from twitter_pipeline.extract.retry import RetryPolicy
from twitter_pipeline.extract.state import StateStore
from twitter_pipeline.extract.window import SearchRequest, extract_window
from twitter_pipeline.raw.zone import RawZone
from twitter_pipeline.storage import LakeStorage

pytestmark = pytest.mark.integration

HOUR = datetime(2026, 3, 1, tzinfo=UTC)
FAST_RETRY = RetryPolicy(max_attempts=8, initial_wait=0.01, max_wait=0.05, jitter=0.01)


@pytest.fixture
def lake(tmp_path):
    storage = LakeStorage(str(tmp_path / "lake"))
    return RawZone(storage), StateStore(storage)


def archive_request(minutes: int = 60, **kwargs) -> SearchRequest:
    return SearchRequest(
        DEMO_QUERY,
        endpoint="all",
        start_time=HOUR,
        end_time=HOUR + timedelta(minutes=minutes),
        max_results=100,
        incremental=False,
        **kwargs,
    )


def raw_ids(raw: RawZone, keys: list[str]) -> list[str]:
    return [post["id"] for key in keys for post in raw.read(key).payload.get("data") or []]


def client(server, **kwargs) -> XApiClient:
    kwargs.setdefault("min_interval", {})
    return XApiClient(server.base_url, server.token, retry_policy=FAST_RETRY, **kwargs)


def test_window_lands_every_served_post_exactly_once(emulator, lake):
    raw, state = lake
    result = extract_window(client(emulator), raw, state, archive_request())
    assert result.complete and result.pages > 5
    ids = raw_ids(raw, result.raw_keys)
    assert len(ids) == len(set(ids)) == result.posts
    assert set(ids) == emulator.served_ids
    assert result.newest_id == max(ids, key=int)
    tokens = [r.params.get("next_token") for r in emulator.requests if r.status == 200]
    assert len(tokens) == len(set(tokens)) == result.pages


def test_incremental_recent_run_sends_since_id(emulator, lake):
    raw, state = lake
    end = datetime.now(UTC) - timedelta(minutes=2)
    first = extract_window(
        client(emulator),
        raw,
        state,
        SearchRequest("data", start_time=end - timedelta(minutes=3), end_time=end, max_results=100),
    )
    assert first.complete and first.newest_id
    assert state.newest_id("search_recent", "data") == first.newest_id
    second = extract_window(client(emulator), raw, state, SearchRequest("data", max_results=100))
    assert second.complete
    first_request_of_second = next(r for r in emulator.requests if "start_time" not in r.params)
    assert first_request_of_second.params["since_id"] == first.newest_id
    ids = raw_ids(raw, second.raw_keys)
    assert all(int(i) > int(first.newest_id) for i in ids)


def test_posts_spelling_against_emulator(emulator, lake):
    raw, state = lake
    result = extract_window(client(emulator, spelling="posts"), raw, state, archive_request(minutes=5))
    assert result.complete and result.posts > 0
    page = raw.read(result.raw_keys[0])
    assert "post.fields" in page.request.params
    assert "author_id" in page.payload["data"][0]


@pytest.mark.parametrize(
    "faults",
    [
        {"error_rate": 0.3},
        {"truncate_rate": 0.3},
        {"reset_rate": 0.3},
        {"burst_every": 4, "burst_length": 2},
    ],
    ids=["5xx", "truncated", "reset", "429-burst"],
)
def test_faults_are_survived_without_loss_or_duplicates(emulator_factory, lake, faults):
    server = emulator_factory(**faults)
    raw, state = lake
    waits: list[tuple[float, str]] = []
    api = client(server, sleep=lambda s: None, on_wait=lambda s, until, reason: waits.append((s, reason)))
    result = extract_window(api, raw, state, archive_request())
    assert result.complete
    ids = raw_ids(raw, result.raw_keys)
    assert len(ids) == len(set(ids))
    assert set(ids) == server.served_ids
    assert any(r.fault for r in server.requests), "the fault never fired"
    assert waits, "faults must be waited out, and reported"
    if "burst_every" in faults:
        assert any("429" in reason and 2 <= s <= 4 for s, reason in waits)


def test_per_second_limit_and_proactive_pacing(emulator_factory, lake):
    server = emulator_factory(search_all_per_second=1)
    raw, state = lake
    waits: list[tuple[float, str]] = []
    unpaced = client(server, min_interval={}, on_wait=lambda s, u, reason: waits.append((s, reason)))
    result = extract_window(unpaced, raw, state, archive_request(minutes=10))
    assert result.complete and result.pages >= 2
    assert any(r.fault == "per_second" for r in server.requests)
    assert all(s == 1.0 for s, reason in waits if "per-second" in reason)

    server.reset_ledger()
    paced = XApiClient(server.base_url, server.token)  # default: search_all paced at 1 request/s
    again = extract_window(paced, raw, state, archive_request(minutes=10), force=True)
    assert again.complete
    assert not any(r.fault for r in server.requests)


def test_usage_cap_stops_cleanly_and_keeps_checkpoint(emulator_factory, lake):
    server = emulator_factory(usage_cap=250, usage_cap_period="Daily")
    raw, state = lake
    with pytest.raises(UsageCapError, match="Daily") as err:
        extract_window(client(server), raw, state, archive_request())
    assert server.token not in str(err.value)
    [checkpoint] = list(state.checkpoints())
    assert checkpoint.seq == len(checkpoint.raw_keys) >= 2
    assert set(raw_ids(raw, checkpoint.raw_keys)) == server.served_ids
    assert sum(1 for r in server.requests if r.fault == "usage_cap") == 1  # never retried


def test_wrong_token_and_bad_query(emulator, lake, caplog):
    raw, state = lake
    with caplog.at_level(logging.DEBUG), pytest.raises(AuthError, match="check X_BEARER_TOKEN"):
        extract_window(XApiClient(emulator.base_url, "not-the-token-777"), raw, state, archive_request())
    assert "not-the-token-777" not in caplog.text
    with pytest.raises(ApiError, match="fix the query"):
        extract_window(
            client(emulator),
            raw,
            state,
            SearchRequest("(unbalanced", endpoint="all", start_time=HOUR, end_time=HOUR + timedelta(hours=1)),
        )
    assert emulator.token not in caplog.text
    assert list(state.checkpoints()) == []


def test_the_checkpoint_is_saved_per_few_seconds_not_per_page(emulator, lake, monkeypatch):
    """Durability is a property of the run: a fast window of many pages saves its checkpoint a few
    times (each save syncs the pages before it), not once per page; the result is the same."""
    raw, state = lake
    saves: list[int] = []
    original = StateStore.save_checkpoint

    def counting_save(self, checkpoint):  # type: ignore[no-untyped-def]
        saves.append(checkpoint.seq)
        for key in checkpoint.raw_keys:  # every page a saved checkpoint names is already complete
            raw.read(key)
        return original(self, checkpoint)

    monkeypatch.setattr(StateStore, "save_checkpoint", counting_save)
    result = extract_window(client(emulator), raw, state, archive_request(), finalize_when_done=False)
    assert result.complete and result.pages > 5
    assert saves[0] == 0 and saves[-1] == result.pages  # the claim, then the finished run
    assert len(saves) <= 2 + result.pages // 5, f"{len(saves)} saves for {result.pages} pages"
    assert set(raw_ids(raw, result.raw_keys)) == emulator.served_ids
