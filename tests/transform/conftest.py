"""Fixture pages for the transform tests: hand-written response pages in tests/transform/data/."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from twitter_pipeline.raw.pages import PageRequest, RawPage

DATA = Path(__file__).parent / "data"
SEARCH = PageRequest("search_recent", "/2/tweets/search/recent", {"query": "rockets"})
T1 = datetime(2024, 10, 29, 13, 0, tzinfo=UTC)
T2 = datetime(2024, 10, 30, 8, 0, tzinfo=UTC)


def page_from_file(name: str, fetched_at: datetime = T1) -> RawPage:
    """The file's exact bytes as a page body (pretty-printed files stay multi-line on purpose)."""
    return RawPage(request=SEARCH, body=(DATA / name).read_bytes(), fetched_at=fetched_at)


def page_from_bytes(body: bytes, fetched_at: datetime = T1) -> RawPage:
    return RawPage(request=SEARCH, body=body, fetched_at=fetched_at)


def source_json(name: str) -> dict:
    return orjson.loads((DATA / name).read_bytes())


@pytest.fixture
def load_page() -> Callable[..., RawPage]:
    return page_from_file
