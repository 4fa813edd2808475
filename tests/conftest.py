"""Shared test setup: fixtures live in tests/fixtures/, one module per real server or resource."""

import logging
from collections.abc import Iterator

import pytest

from twitter_pipeline.logs import remove_stderr_handler

pytest_plugins: list[str] = [
    "tests.fixtures.emulator",
    "tests.fixtures.postgres",
    "tests.fixtures.redis",
    "tests.fixtures.s3",
]


@pytest.fixture(autouse=True)
def _package_logging_reset() -> Iterator[None]:
    """A test that runs the CLI in-process installs a handler on the stderr pytest captured for it;
    later tests would log to that closed stream ("Logging error"): each test starts without it."""
    logger = logging.getLogger("twitter_pipeline")
    level, propagate = logger.level, logger.propagate
    yield
    remove_stderr_handler()
    logger.setLevel(level)
    logger.propagate = propagate
