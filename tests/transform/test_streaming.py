"""iter_table_batches: bounded batches, each conforming, keys unique within a batch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import orjson
import pytest

from tests.transform.conftest import T1, page_from_bytes
from twitter_pipeline.raw.pages import RawPage
from twitter_pipeline.transform import TABLES, iter_table_batches


def synthetic_pages(count: int, posts_per_page: int = 3) -> Iterator[RawPage]:
    """Lazily made pages; consecutive pages share one post so batches see repeats."""
    for page in range(count):
        ids = [str(1851234567890123456 + page * posts_per_page + i) for i in range(posts_per_page + 1)]
        body = {
            "data": [{"id": i, "text": f"post {i}", "author_id": "1"} for i in ids],
            "includes": {"users": [{"id": "1", "username": f"name_at_page_{page}"}]},
        }
        yield page_from_bytes(orjson.dumps(body), T1 + timedelta(minutes=page))


def test_batches_are_bounded_and_conform() -> None:
    batches = list(iter_table_batches(synthetic_pages(5), pages_per_batch=2))
    assert len(batches) == 3
    assert [b["users"]["username"].to_pylist() for b in batches] == [
        ["name_at_page_1"],
        ["name_at_page_3"],
        ["name_at_page_4"],
    ]
    for batch in batches:
        for name, table in batch.items():
            assert table.schema.equals(TABLES[name].schema)
    per_batch = [len(b["tweets"]) for b in batches]
    assert per_batch == [7, 7, 4]  # 2 pages x 4 posts minus the one shared post
    all_ids = {i for b in batches for i in b["tweets"]["id"].to_pylist()}
    assert len(all_ids) == 5 * 3 + 1


def test_the_iterator_is_consumed_lazily() -> None:
    consumed = 0

    def counting() -> Iterator[RawPage]:
        nonlocal consumed
        for page in synthetic_pages(100):
            consumed += 1
            yield page

    batches = iter_table_batches(counting(), pages_per_batch=10)
    next(batches)
    assert consumed == 10


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        next(iter_table_batches([], pages_per_batch=0))


def test_batches_larger_than_one_arrow_block_are_split(monkeypatch: pytest.MonkeyPatch) -> None:
    from twitter_pipeline.transform import page_reader, pages_to_tables

    pages = list(synthetic_pages(6))
    expected = pages_to_tables(pages)
    monkeypatch.setattr(page_reader, "_MAX_BLOCK", 500)  # a few pages per block
    split = pages_to_tables(pages)
    for name in TABLES:
        assert split[name].equals(expected[name]), name
