"""The declared table contracts: every table present, keys and partitions valid, conventions kept."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from twitter_pipeline.transform.schema import TABLES, TIMESTAMP
from twitter_pipeline.transform.schema_doc import rewrite

EXPECTED = {
    "tweets": ("id",),
    "included_tweets": ("id",),
    "users": ("id",),
    "media": ("media_key",),
    "places": ("id",),
    "polls": ("id",),
    "hashtags": ("tweet_id", "start"),
    "mentions": ("tweet_id", "start"),
    "urls": ("tweet_id", "entity_index"),
    "cashtags": ("tweet_id", "start"),
    "entity_annotations": ("tweet_id", "start", "end"),
    "context_annotations": ("tweet_id", "domain_id", "entity_id"),
    "tweet_references": ("tweet_id", "referenced_tweet_id", "type"),
    "api_errors": ("error_key",),
}
SCHEMA_DOC = Path(__file__).parents[2] / "docs" / "schema.md"


def test_every_table_is_declared_with_its_natural_key() -> None:
    assert {name: spec.keys for name, spec in TABLES.items()} == EXPECTED
    assert all(spec.name == name for name, spec in TABLES.items())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_table_conventions(name: str) -> None:
    spec = TABLES[name]
    schema = spec.schema
    assert spec.description
    for key in spec.keys:
        assert not schema.field(key).nullable, f"{name}.{key} is a merge key and must be non-null"
    for column in spec.partition_by:
        assert schema.field(column).type == pa.string()
    assert schema.field("fetched_at").type == TIMESTAMP
    for field in schema:
        if field.name == "id" or field.name.endswith("_id"):
            assert field.type == pa.string(), f"{name}.{field.name}: ids are strings"
        if pa.types.is_timestamp(field.type):
            assert field.type == TIMESTAMP
        if pa.types.is_integer(field.type):
            assert field.type == pa.int64()
    assert [doc.name for doc in spec.columns_doc] == schema.names
    assert all(doc.description and doc.source for doc in spec.columns_doc)


def test_tweets_are_partitioned_by_created_date() -> None:
    assert TABLES["tweets"].partition_by == ("created_date",)
    assert TABLES["included_tweets"].schema == TABLES["tweets"].schema


def test_schema_doc_lists_every_table_and_column() -> None:
    text = SCHEMA_DOC.read_text(encoding="utf-8")
    for name, spec in TABLES.items():
        assert f"### `{name}`" in text, f"docs/schema.md has no section for {name}"
        section = text.split(f"### `{name}`", 1)[1].split("\n### ", 1)[0]
        for column in spec.schema.names:
            assert f"| `{column}` |" in section, f"docs/schema.md: {name}.{column} is not documented"


def test_schema_doc_is_current() -> None:
    text = SCHEMA_DOC.read_text(encoding="utf-8")
    assert rewrite(text) == text, "run: python -m twitter_pipeline.transform.schema_doc docs/schema.md"
