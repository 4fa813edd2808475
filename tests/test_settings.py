"""Settings: the public environment contract, empty values, and one-line errors."""

from __future__ import annotations

import pytest

from twitter_pipeline.errors import ConfigError
from twitter_pipeline.settings import DEFAULT_API_BASE_URL, DEFAULT_LAKE, load_settings


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("X_BEARER_TOKEN", "X_API_BASE_URL", "TWITTER_PIPELINE_LAKE", "TWITTER_PIPELINE_QUERY"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_with_no_environment() -> None:
    settings = load_settings()
    assert settings.api_base_url == DEFAULT_API_BASE_URL
    assert settings.lake == DEFAULT_LAKE
    assert settings.query is None and not settings.has_token


def test_environment_names_are_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN", "abc123-token")
    monkeypatch.setenv("X_API_BASE_URL", "http://127.0.0.1:9999/")
    monkeypatch.setenv("TWITTER_PIPELINE_LAKE", "s3://bucket/prefix")
    monkeypatch.setenv("TWITTER_PIPELINE_QUERY", "#python")
    settings = load_settings()
    assert settings.has_token and settings.bearer_token.get_secret_value() == "abc123-token"
    assert settings.api_base_url == "http://127.0.0.1:9999"
    assert settings.lake == "s3://bucket/prefix" and settings.query == "#python"
    assert "abc123-token" not in repr(settings) and "abc123-token" not in str(settings.model_dump())


def test_empty_variables_mean_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("X_BEARER_TOKEN", "X_API_BASE_URL", "TWITTER_PIPELINE_LAKE", "TWITTER_PIPELINE_QUERY"):
        monkeypatch.setenv(name, "")
    settings = load_settings()
    assert settings.lake == DEFAULT_LAKE and settings.api_base_url == DEFAULT_API_BASE_URL
    assert not settings.has_token and settings.query is None


def test_cli_overrides_win_and_none_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWITTER_PIPELINE_LAKE", "/from/env")
    assert load_settings(lake="/from/cli").lake == "/from/cli"
    assert load_settings(lake=None).lake == "/from/env"


def test_bad_base_url_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_API_BASE_URL", "api.x.com")
    with pytest.raises(ConfigError, match=r"^X_API_BASE_URL is invalid"):
        load_settings()


@pytest.mark.parametrize("value", ["abc", "0", "-5"])
def test_a_bad_storage_timeout_is_one_line_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path, value: str
) -> None:
    """It used to fall back to 60 silently; now every reader (a run, a bare LakeStorage) refuses it."""
    from twitter_pipeline.storage import LakeStorage

    monkeypatch.setenv("TWITTER_PIPELINE_STORAGE_TIMEOUT", value)
    with pytest.raises(ConfigError, match=r"^TWITTER_PIPELINE_STORAGE_TIMEOUT is invalid: ") as err:
        LakeStorage(str(tmp_path))
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="TWITTER_PIPELINE_STORAGE_TIMEOUT"):
        load_settings()


def test_storage_timeout_reaches_the_storage(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from twitter_pipeline.storage import LakeStorage

    monkeypatch.setenv("TWITTER_PIPELINE_STORAGE_TIMEOUT", "7.5")
    assert LakeStorage(str(tmp_path)).timeout_s == 7.5
    assert load_settings().storage_timeout == 7.5


def test_dag_settings_read_once_with_defaults_and_one_line_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    from twitter_pipeline.settings import load_dag_settings

    for name in ("SCHEDULE", "START_DATE", "CATCHUP", "MAX_ACTIVE_RUNS", "COLLECTIONS_SCHEDULE"):
        monkeypatch.delenv(f"TWITTER_PIPELINE_{name}", raising=False)
    monkeypatch.setenv("TWITTER_PIPELINE_LAKE", "  ")  # blank means the default, never "/"
    env = load_dag_settings()
    assert (env.lake, env.schedule, env.catchup, env.max_active_runs) == (DEFAULT_LAKE, "@hourly", False, 2)
    assert env.start_date == datetime(2026, 1, 1, tzinfo=UTC)
    monkeypatch.setenv("TWITTER_PIPELINE_START_DATE", "2026-02-01")
    monkeypatch.setenv("TWITTER_PIPELINE_CATCHUP", "true")
    env = load_dag_settings()
    assert env.start_date == datetime(2026, 2, 1, tzinfo=UTC) and env.catchup
    monkeypatch.setenv("TWITTER_PIPELINE_MAX_ACTIVE_RUNS", "many")
    with pytest.raises(ConfigError, match=r"^TWITTER_PIPELINE_MAX_ACTIVE_RUNS is invalid: [^\n]*$"):
        load_dag_settings()
