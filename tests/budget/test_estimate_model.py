"""The arithmetic behind an estimate: pages per window, wall time under the rate limits, bucket size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from twitter_pipeline.budget.estimate import REQUEST_SECONDS, granularity_for, pages_for, wall_time
from twitter_pipeline.errors import ConfigError
from twitter_pipeline.settings import DEFAULT_PRICE_PER_POST, load_settings

T0 = datetime(2026, 2, 1, tzinfo=UTC)


def test_pages_per_window() -> None:
    assert [pages_for(n, 100) for n in (0, 1, 100, 101, 1000)] == [1, 1, 1, 2, 10]


@pytest.mark.parametrize(
    ("requests", "endpoint", "seconds"),
    [
        (0, "recent", 0.0),
        (450, "recent", 450 * REQUEST_SECONDS),  # one 15-minute window's worth: no wait
        (451, "recent", 900 + REQUEST_SECONDS),  # the 451st waits for the reset
        (300, "all", 300 * 1.0),  # the archive is paced at 1 request per second
        (601, "all", 2 * 900 + 1.0),
    ],
)
def test_wall_time_under_the_rate_limits(requests: int, endpoint: str, seconds: float) -> None:
    assert wall_time(requests, endpoint) == pytest.approx(seconds)


def test_buckets_are_fine_enough_for_every_window_edge() -> None:
    assert granularity_for([(T0, T0 + timedelta(hours=1))]) == "minute"
    assert granularity_for([(T0, T0 + timedelta(days=2))]) == "hour"
    days = [(T0 + timedelta(days=k), T0 + timedelta(days=k + 1)) for k in range(10)]
    assert granularity_for(days) == "day"
    six_hours = [(T0 + timedelta(hours=6 * k), T0 + timedelta(hours=6 * (k + 1))) for k in range(20)]
    assert granularity_for(six_hours) == "hour"
    twenty_minutes = [
        (T0 + timedelta(minutes=20 * k), T0 + timedelta(minutes=20 * (k + 1))) for k in range(9)
    ]
    assert granularity_for(twenty_minutes) == "minute"


def test_the_price_is_a_setting_with_the_published_rate_as_default(monkeypatch) -> None:
    monkeypatch.delenv("TWITTER_PIPELINE_PRICE_PER_POST", raising=False)
    assert load_settings().price_per_post == DEFAULT_PRICE_PER_POST == 0.005
    monkeypatch.setenv("TWITTER_PIPELINE_PRICE_PER_POST", "0.0025")
    assert load_settings().price_per_post == 0.0025
    monkeypatch.setenv("TWITTER_PIPELINE_MAX_POSTS_PER_RUN", "0")
    with pytest.raises(ConfigError, match="TWITTER_PIPELINE_MAX_POSTS_PER_RUN"):
        load_settings()
