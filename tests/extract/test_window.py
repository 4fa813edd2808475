"""extract_window: pages land in the raw zone, state moves forward, interrupted runs resume."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from twitter_pipeline.errors import ApiError, ConfigError
from twitter_pipeline.extract.client import XApiClient
from twitter_pipeline.extract.retry import RetryPolicy
from twitter_pipeline.extract.state import StateStore
from twitter_pipeline.extract.window import SearchRequest, extract_window, is_window_complete, split_windows
from twitter_pipeline.raw.zone import RawZone
from twitter_pipeline.storage import LakeStorage

from .fake_api import TOKEN, FakeClock, FakeSearchApi, respond


@pytest.fixture
def lake(tmp_path):
    storage = LakeStorage(str(tmp_path / "lake"))
    return RawZone(storage), StateStore(storage)


def client_for(api: FakeSearchApi, **kwargs) -> XApiClient:
    clock = FakeClock()
    return XApiClient(
        "http://127.0.0.1:1",
        TOKEN,
        http_transport=httpx.MockTransport(api),
        clock=clock.time,
        sleep=clock.sleep,
        **kwargs,
    )


def ids_in(raw: RawZone, keys: list[str]) -> list[str]:
    return [t["id"] for key in keys for t in raw.read(key).payload.get("data") or []]


def test_pages_land_and_next_run_is_incremental(lake):
    raw, state = lake
    api = FakeSearchApi(count=25, page_size=10)
    result = extract_window(client_for(api), raw, state, SearchRequest("q", max_results=10))
    assert result.complete and result.pages == 3 and result.posts == 25
    assert [k.rsplit("/", 1)[-1] for k in result.raw_keys] == [
        "page-000001.jsonl.gz",
        "page-000002.jsonl.gz",
        "page-000003.jsonl.gz",
    ]
    assert all(f"/run={result.run_id}/" in k and "endpoint=search_recent" in k for k in result.raw_keys)
    assert sorted(ids_in(raw, result.raw_keys)) == sorted(api.served_ids)
    assert result.newest_id == str(api.first_id + 24)
    assert state.newest_id("search_recent", "q") == result.newest_id
    assert list(state.checkpoints()) == []

    api.count = 30  # five new posts
    again = extract_window(client_for(api), raw, state, SearchRequest("q", max_results=10))
    assert again.run_id != result.run_id and again.posts == 5
    assert api.requests[-1].url.params["since_id"] == result.newest_id
    assert state.newest_id("search_recent", "q") == str(api.first_id + 29)


def test_max_pages_then_resume_fetches_nothing_twice(lake):
    raw, state = lake
    api = FakeSearchApi(count=45, page_size=10)
    seen: list[int] = []
    first = extract_window(
        client_for(api),
        raw,
        state,
        SearchRequest("q", max_results=10),
        max_pages=2,
        on_page=lambda page, key, res: seen.append(res.pages),
    )
    assert not first.complete and first.pages == 2 and seen == [1, 2]
    assert state.newest_id("search_recent", "q") is None  # not published until complete
    second = extract_window(client_for(api), raw, state, SearchRequest("q", max_results=10))
    assert second.resumed and second.complete and second.run_id == first.run_id
    assert second.pages == 5 and second.fetched_pages == 3
    assert len(api.requests) == 5
    served = api.served_ids
    assert len(served) == len(set(served)) == 45
    assert sorted(ids_in(raw, second.raw_keys)) == sorted(served)


def test_failure_keeps_checkpoint_and_resume_continues(lake):
    raw, state = lake
    api = FakeSearchApi(count=30, page_size=10)
    policy = RetryPolicy(max_attempts=2, initial_wait=0.01)

    def fail_third(request):
        return respond(503, b"down")(request) if request.url.params.get("next_token") == "20" else None

    api.faults = [lambda r: None, lambda r: None, fail_third, fail_third]
    with pytest.raises(ApiError):
        extract_window(client_for(api, retry_policy=policy), raw, state, SearchRequest("q", max_results=10))
    [checkpoint] = list(state.checkpoints())
    assert checkpoint.seq == 2 and checkpoint.next_token == "20"
    result = extract_window(client_for(api), raw, state, SearchRequest("q", max_results=10))
    assert result.complete and result.pages == 3 and result.run_id == checkpoint.run_id
    assert len(api.served_ids) == len(set(api.served_ids)) == 30


def test_page_written_but_checkpoint_not_moved_is_recovered(lake):
    raw, state = lake
    api = FakeSearchApi(count=30, page_size=10)
    first = extract_window(client_for(api), raw, state, SearchRequest("q", max_results=10), max_pages=1)
    # Simulate a crash right after the raw write of page 2: write it without moving the checkpoint.
    page2 = next(client_for(api).search("recent", "q", max_results=10, next_token="10"))
    raw.write(first.run_id, 2, page2)
    before = len(api.requests)
    result = extract_window(client_for(api), raw, state, SearchRequest("q", max_results=10))
    assert result.complete and result.pages == 3
    assert len(api.requests) == before + 1  # only page 3 was fetched
    assert sorted(ids_in(raw, result.raw_keys)) == sorted({str(api.first_id + i) for i in range(30)})


def test_closed_windows_complete_once(lake):
    raw, state = lake
    api = FakeSearchApi(count=5)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    request = SearchRequest(
        "q", endpoint="all", start_time=start, end_time=start + timedelta(days=1), incremental=False
    )
    assert not is_window_complete(state, request)
    first = extract_window(client_for(api), raw, state, request)
    assert first.complete and not first.skipped
    assert is_window_complete(state, request)
    again = extract_window(client_for(api), raw, state, request)
    assert again.skipped and again.run_id == first.run_id and again.posts == 5
    assert len(api.requests) == 1
    params = api.requests[0].url.params
    assert params["start_time"] == "2026-01-01T00:00:00Z" and "since_id" not in params


def test_split_windows():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    windows = split_windows(start, start + timedelta(days=2, hours=12), timedelta(days=1))
    assert windows == [
        (start, start + timedelta(days=1)),
        (start + timedelta(days=1), start + timedelta(days=2)),
        (start + timedelta(days=2), start + timedelta(days=2, hours=12)),
    ]
    with pytest.raises(ConfigError):
        split_windows(start, start, timedelta(days=1))
    with pytest.raises(ConfigError):
        split_windows(start, start + timedelta(days=1), timedelta(0))


def test_failure_before_first_page_leaves_no_checkpoint(lake):
    raw, state = lake
    problem = {"title": "Invalid Request", "detail": "bad query", "parameter": "query"}
    api = FakeSearchApi(faults=[respond(400, problem)])
    with pytest.raises(ApiError, match="fix the query"):
        extract_window(client_for(api), raw, state, SearchRequest("(("))
    assert list(state.checkpoints()) == []
    assert list(raw.keys()) == []


def test_incremental_request_without_start_resumes_a_run_that_had_one(lake):
    # The first run of a query bounds its start; its resumption asks for "everything new" without one.
    raw, state = lake
    api = FakeSearchApi(count=30, page_size=10)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    first = extract_window(
        client_for(api), raw, state, SearchRequest("q", start_time=start, max_results=10), max_pages=1
    )
    resumed = extract_window(client_for(api), raw, state, SearchRequest("q", max_results=10))
    assert resumed.resumed and resumed.run_id == first.run_id and resumed.complete
    assert resumed.window.start_time == "2026-01-01T00:00:00Z"
    assert len(api.served_ids) == len(set(api.served_ids)) == 30
    assert all(r.url.params.get("start_time") == "2026-01-01T00:00:00Z" for r in api.requests)
