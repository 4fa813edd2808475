"""Settings from the environment, built once and validated at the edge.

The environment names are a public contract (README, DAG, deployment scripts):
``X_BEARER_TOKEN``, ``X_API_BASE_URL``, ``TWITTER_PIPELINE_LAKE``, ``TWITTER_PIPELINE_QUERY``.
Empty variables mean "use the default" (an empty lake path must never become ``/``). The defaults
live in `twitter_pipeline.defaults`, which the CLI reads without loading pydantic.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from pydantic import AliasChoices, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from twitter_pipeline.defaults import (
    DEFAULT_API_BASE_URL,
    DEFAULT_LAKE,
    DEFAULT_PRICE_PER_POST,
    DEFAULT_STORAGE_TIMEOUT,
)
from twitter_pipeline.errors import ConfigError
from twitter_pipeline.times import as_utc


class StorageSettings(BaseSettings):
    """What the storage layer reads on its own (every `LakeStorage`, with or without a run)."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", populate_by_name=True)

    # seconds before an unreachable lake (an S3 outage) fails the call
    storage_timeout: float = Field(
        default=DEFAULT_STORAGE_TIMEOUT,
        ge=1,
        validation_alias=AliasChoices("TWITTER_PIPELINE_STORAGE_TIMEOUT", "storage_timeout"),
    )


class Settings(StorageSettings):
    """Everything the pipeline reads from the environment."""

    bearer_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("X_BEARER_TOKEN", "bearer_token")
    )
    api_base_url: str = Field(
        default=DEFAULT_API_BASE_URL, validation_alias=AliasChoices("X_API_BASE_URL", "api_base_url")
    )
    lake: str = Field(default=DEFAULT_LAKE, validation_alias=AliasChoices("TWITTER_PIPELINE_LAKE", "lake"))
    query: str | None = Field(default=None, validation_alias=AliasChoices("TWITTER_PIPELINE_QUERY", "query"))
    # "api" or "emulator"; unset: api with a token, the emulator only on the default demo lake.
    source: str | None = Field(
        default=None, validation_alias=AliasChoices("TWITTER_PIPELINE_SOURCE", "source")
    )

    # Cost control: the price of one post read, and maxima of post reads per run and per calendar month.
    price_per_post: float = Field(
        default=DEFAULT_PRICE_PER_POST,
        ge=0,
        validation_alias=AliasChoices("TWITTER_PIPELINE_PRICE_PER_POST", "price_per_post"),
    )
    max_posts_per_run: int | None = Field(
        default=None,
        ge=1,
        validation_alias=AliasChoices("TWITTER_PIPELINE_MAX_POSTS_PER_RUN", "max_posts_per_run"),
    )
    max_posts_per_month: int | None = Field(
        default=None,
        ge=1,
        validation_alias=AliasChoices("TWITTER_PIPELINE_MAX_POSTS_PER_MONTH", "max_posts_per_month"),
    )

    @field_validator("api_base_url")
    @classmethod
    def _base_url_is_http(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://, for example https://api.x.com")
        return value

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str | None) -> str | None:
        value = (value or "").strip().lower() or None
        if value not in (None, "api", "emulator"):
            raise ValueError("must be 'api' or 'emulator'")
        return value

    @field_validator("lake", "query")
    @classmethod
    def _blank_is_default(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None

    @property
    def has_token(self) -> bool:
        return self.bearer_token is not None and bool(self.bearer_token.get_secret_value().strip())


_Model = TypeVar("_Model", bound=BaseSettings)

_ENV_NAMES = {
    "bearer_token": "X_BEARER_TOKEN",
    "api_base_url": "X_API_BASE_URL",
    "lake": "TWITTER_PIPELINE_LAKE",
    "query": "TWITTER_PIPELINE_QUERY",
    "source": "TWITTER_PIPELINE_SOURCE",
    "price_per_post": "TWITTER_PIPELINE_PRICE_PER_POST",
    "max_posts_per_run": "TWITTER_PIPELINE_MAX_POSTS_PER_RUN",
    "max_posts_per_month": "TWITTER_PIPELINE_MAX_POSTS_PER_MONTH",
    "storage_timeout": "TWITTER_PIPELINE_STORAGE_TIMEOUT",
    "schedule": "TWITTER_PIPELINE_SCHEDULE",
    "collections_schedule": "TWITTER_PIPELINE_COLLECTIONS_SCHEDULE",
    "start_date": "TWITTER_PIPELINE_START_DATE",
    "catchup": "TWITTER_PIPELINE_CATCHUP",
    "max_active_runs": "TWITTER_PIPELINE_MAX_ACTIVE_RUNS",
}


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment plus explicit overrides (CLI options win).

    Validation errors become a one-line `ConfigError` naming the variable to fix.
    """
    clean = {key: value for key, value in overrides.items() if value not in (None, "")}
    settings = _validated(Settings, clean)
    if not settings.lake:
        settings.lake = DEFAULT_LAKE
    return settings


class DagSettings(BaseSettings):
    """What the Airflow DAG files read when Airflow parses them: read once, here, and validated."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", populate_by_name=True)

    lake: str = Field(default=DEFAULT_LAKE, validation_alias=AliasChoices("TWITTER_PIPELINE_LAKE", "lake"))
    schedule: str = Field(
        default="@hourly", validation_alias=AliasChoices("TWITTER_PIPELINE_SCHEDULE", "schedule")
    )
    collections_schedule: str = Field(
        default="@hourly",
        validation_alias=AliasChoices("TWITTER_PIPELINE_COLLECTIONS_SCHEDULE", "collections_schedule"),
    )
    start_date: datetime = Field(
        default=datetime(2026, 1, 1, tzinfo=UTC),
        validation_alias=AliasChoices("TWITTER_PIPELINE_START_DATE", "start_date"),
    )
    catchup: bool = Field(default=False, validation_alias=AliasChoices("TWITTER_PIPELINE_CATCHUP", "catchup"))
    max_active_runs: int = Field(
        default=2, ge=1, validation_alias=AliasChoices("TWITTER_PIPELINE_MAX_ACTIVE_RUNS", "max_active_runs")
    )

    @field_validator("lake", "schedule", "collections_schedule")
    @classmethod
    def _blank_is_default(cls, value: str, info: ValidationInfo) -> str:
        default = cls.model_fields[info.field_name or ""].default
        return value.strip() or str(default)

    @field_validator("start_date")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value)


def load_dag_settings() -> DagSettings:
    """The DAG files' settings; a bad value is one `ConfigError` line (an import error in Airflow)."""
    return _validated(DagSettings, {})


def load_storage_settings() -> StorageSettings:
    """The storage settings from the environment; a bad value is one `ConfigError` line."""
    return _validated(StorageSettings, {})


def _validated(model: type[_Model], values: dict[str, object]) -> _Model:
    try:
        return model(**cast(dict[str, Any], values))  # pydantic validates each value
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else "settings"
        name = _ENV_NAMES.get(field, field)
        raise ConfigError(f"{name} is invalid: {first['msg']}") from None
