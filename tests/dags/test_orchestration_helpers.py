"""The package-side Airflow helpers: windows from data intervals, endpoint choice, retry policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from twitter_pipeline.errors import ApiError, AuthError, ConfigError, QualityError, StorageError
from twitter_pipeline.orchestration.failures import fail_fast_on_permanent_errors
from twitter_pipeline.orchestration.schedule import choose_endpoint, window_for_interval

NOW = datetime(2026, 11, 26, 12, 30, tzinfo=UTC)


def test_window_is_the_data_interval_in_utc() -> None:
    start, end = datetime(2026, 11, 26, 10, tzinfo=UTC), datetime(2026, 11, 26, 11, tzinfo=UTC)
    window = window_for_interval(start, end, now=NOW)
    assert (window.start, window.end, window.endpoint) == (start, end, "recent")


def test_unfinished_interval_stops_before_now() -> None:
    window = window_for_interval(datetime(2026, 11, 26, 12, tzinfo=UTC), NOW + timedelta(minutes=30), now=NOW)
    assert window.end == NOW - timedelta(seconds=30)


@pytest.mark.parametrize(
    ("start", "end"),
    [(None, NOW), (NOW, None), (NOW, NOW), (NOW + timedelta(hours=1), NOW + timedelta(hours=2))],
)
def test_empty_or_missing_interval_is_a_config_error(start, end) -> None:
    with pytest.raises(ConfigError):
        window_for_interval(start, end, now=NOW)


def test_old_windows_use_full_archive_search() -> None:
    assert choose_endpoint(NOW - timedelta(days=6), NOW) == "recent"
    assert choose_endpoint(NOW - timedelta(days=7), NOW) == "all"
    assert choose_endpoint(NOW - timedelta(days=400), NOW) == "all"


@pytest.mark.parametrize("error", [AuthError("bad token"), ConfigError("bad"), QualityError("dupes")])
def test_permanent_errors_fail_without_retry(error: Exception) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match=type(error).__name__), fail_fast_on_permanent_errors():
        raise error


@pytest.mark.parametrize("error", [ApiError("503"), StorageError("S3 down")])
def test_transient_errors_are_left_to_airflow_retries(error: Exception) -> None:
    with pytest.raises(type(error)), fail_fast_on_permanent_errors():
        raise error
