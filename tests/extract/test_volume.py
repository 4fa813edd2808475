"""counts() and usage() of the client over real HTTP against the emulator, rate limits included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from twitter_pipeline.emulator import DEMO_QUERY
from twitter_pipeline.errors import ConfigError
from twitter_pipeline.extract.client import XApiClient
from twitter_pipeline.extract.retry import RetryPolicy
from twitter_pipeline.extract.state import StateStore
from twitter_pipeline.extract.volume import count_posts, read_usage
from twitter_pipeline.extract.window import SearchRequest, extract_window
from twitter_pipeline.raw.zone import RawZone
from twitter_pipeline.storage import LakeStorage

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 1, tzinfo=UTC)
START, END = datetime(2026, 2, 28, 9, 30, tzinfo=UTC), datetime(2026, 2, 28, 11, tzinfo=UTC)


def client(server, **kwargs) -> XApiClient:
    kwargs.setdefault("min_interval", {})
    return XApiClient(server.base_url, server.token, retry_policy=RetryPolicy(max_attempts=3), **kwargs)


def test_count_equals_what_a_window_extraction_reads(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(now=NOW)
    with client(emu) as api:
        counted = count_posts(api, "recent", DEMO_QUERY, start_time=START, end_time=END)
        assert counted.requests == 1 and counted.granularity == "hour"
        assert [b.start for b in counted.buckets] == [START, START.replace(minute=0) + timedelta(hours=1)]
        assert emu.posts_read == 0  # counting reads no post
        storage = LakeStorage(str(tmp_path / "lake"))
        request = SearchRequest(DEMO_QUERY, start_time=START, end_time=END, incremental=False)
        result = extract_window(api, RawZone(storage), StateStore(storage), request)
    assert result.posts == counted.total == emu.posts_read > 0


def test_counts_follow_pages_and_granularity(emulator_factory) -> None:
    emu = emulator_factory(now=NOW, posts_per_hour=30)
    with client(emu) as api:
        by_minute = count_posts(
            api, "all", "data", start_time="2026-02-20T00:00:00Z", end_time="2026-02-22T00:00:00Z",
            granularity="minute",
        )  # fmt: skip
        by_day = count_posts(
            api, "all", "data", start_time="2026-02-20T00:00:00Z", end_time="2026-02-22T00:00:00Z",
            granularity="day",
        )  # fmt: skip
    assert by_minute.requests == 2 and len(by_minute.buckets) == 2880
    assert by_day.requests == 1 and len(by_day.buckets) == 2
    assert by_minute.total == by_day.total > 0


def test_counts_wait_out_their_rate_limit_window(emulator_factory) -> None:
    emu = emulator_factory(now=NOW, rate_limits={"counts_recent": 1}, rate_limit_window_s=3)
    waits: list[str] = []
    with client(emu, on_wait=lambda seconds, until, reason: waits.append(reason)) as api:
        totals = [count_posts(api, "recent", "data", start_time=START, end_time=END).total for _ in range(3)]
    assert len(set(totals)) == 1
    assert waits and all("rate limit" in reason for reason in waits)
    assert not [r for r in emu.requests if r.status == 429]  # waited for the reset instead of collecting 429s


def test_usage_reports_cap_reads_and_reset_day(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(now=NOW, usage_cap=100_000, cap_reset_day=7)
    with client(emu) as api:
        assert read_usage(api).used == 0
        storage = LakeStorage(str(tmp_path / "lake"))
        request = SearchRequest("data", start_time=START, end_time=END, incremental=False)
        result = extract_window(api, RawZone(storage), StateStore(storage), request)
        usage = read_usage(api, days=2)
    assert (usage.cap, usage.used, usage.reset_day) == (100_000, result.posts, 7)
    assert usage.remaining == 100_000 - result.posts
    assert usage.daily == {NOW.date() - timedelta(days=1): 0, NOW.date(): result.posts}


def test_bad_counts_options_fail_before_any_request(emulator) -> None:
    with client(emulator) as api:
        with pytest.raises(ConfigError, match="granularity"):
            count_posts(api, "recent", "data", granularity="week")
        with pytest.raises(ConfigError, match="days"):
            read_usage(api, days=0)
    assert emulator.request_count == 0
