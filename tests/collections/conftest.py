"""Shared setup for collection tests: a frozen emulator, settings pointing at it, a temp lake."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fixtures.emulator import EMULATOR_TEST_TOKEN, EmulatorFactory
from twitter_pipeline.emulator import EmulatorServer
from twitter_pipeline.settings import Settings, load_settings

NOW = datetime(2026, 3, 1, tzinfo=UTC)
# Accounts of the default world (seed 42) with a few posts a day: timelines stay a handful of pages.
QUIET = ("Yuki_Mor669", "SilvIne916", "Toms_Mor264")
# One search and one account list: the smallest config that exercises both kinds of collection.
SEARCH_AND_ACCOUNTS = f"""
[[collections]]
name = "ai"
query = "#AI -is:retweet"
lookback = "10m"

[[collections]]
name = "people"
accounts = ["{QUIET[0]}", "{QUIET[1]}"]
lookback = "1d"
schedule = "@daily"
"""


@pytest.fixture
def frozen(emulator_factory: EmulatorFactory) -> EmulatorServer:
    """The default world with its clock frozen at NOW (reproducible windows and ids)."""
    return emulator_factory(now=NOW)


@pytest.fixture
def settings(frozen: EmulatorServer, tmp_path: Path) -> Settings:
    """Settings for the live-API code path, aimed at the frozen emulator and a fresh lake."""
    return load_settings(
        lake=str(tmp_path / "lake"), bearer_token=EMULATOR_TEST_TOKEN, api_base_url=frozen.base_url
    )


def requests_to(emulator: EmulatorServer, fragment: str) -> list:
    return [r for r in emulator.requests if fragment in r.path]
