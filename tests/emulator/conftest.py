"""Helpers shared by the emulator tests: a frozen clock and a client bound to an emulator."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.fixtures.emulator import EMULATOR_TEST_TOKEN, EmulatorFactory
from twitter_pipeline.emulator import EmulatorServer

NOW = datetime(2026, 3, 1, tzinfo=UTC)
WINDOW = {"start_time": "2026-02-28T10:00:00Z", "end_time": "2026-02-28T11:00:00Z"}
AUTH = {"Authorization": f"Bearer {EMULATOR_TEST_TOKEN}"}


@pytest.fixture
def frozen(emulator_factory: EmulatorFactory) -> EmulatorServer:
    """An emulator whose world clock is frozen at NOW, so windows and bodies are reproducible."""
    return emulator_factory(now=NOW)


@pytest.fixture
def client(frozen: EmulatorServer):
    with httpx.Client(base_url=frozen.base_url, headers=AUTH, timeout=30) as c:
        yield c
