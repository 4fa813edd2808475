"""Every field of the spec's post, user, media, place and poll objects is landed or deliberately not kept."""

from __future__ import annotations

from typing import Any

import pytest

from tests.spec_files import SPEC_VERSIONS, load_spec
from twitter_pipeline.transform.coverage import (
    NOT_KEPT,
    SPELLING_2159,
    TABLE_SOURCES,
    is_landed,
    landed_paths,
    not_kept_reason,
)
from twitter_pipeline.transform.schema import TABLES

# API object → its schemas in each spec version (2.159's Media is a discriminated union).
OBJECTS = {
    "post": {"2.159": ["Tweet"], "2.167": ["Post"]},
    "user": {"2.159": ["User"], "2.167": ["User"]},
    "media": {"2.159": ["Photo", "Video", "AnimatedGif"], "2.167": ["Media"]},
    "place": {"2.159": ["Place"], "2.167": ["Place"]},
    "poll": {"2.159": ["Poll"], "2.167": ["Poll"]},
}


def spec_fields(spec: dict[str, Any], name: str) -> set[str]:
    """Leaf field paths of a component schema ($ref, allOf and array items followed; 2.159 spelling)."""
    schemas = spec["components"]["schemas"]

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def properties(schema: dict[str, Any]) -> dict[str, Any]:
        schema = resolve(schema)
        found: dict[str, Any] = {}
        for part in schema.get("allOf", []):
            found |= properties(part)
        return found | schema.get("properties", {})

    def walk(schema: dict[str, Any], path: str, out: set[str], depth: int) -> None:
        schema = resolve(schema)
        if "items" in schema:
            walk(schema["items"], path, out, depth)
            return
        props = properties(schema)
        if not props or depth > 6:
            out.add(path)
            return
        for key, child in props.items():
            key = SPELLING_2159.get(key, key)
            walk(child, f"{path}.{key}" if path else key, out, depth + 1)

    fields: set[str] = set()
    walk(schemas[name], "", fields, 0)
    return fields


@pytest.mark.parametrize("version", SPEC_VERSIONS)
@pytest.mark.parametrize("api_object", sorted(OBJECTS))
def test_every_spec_field_is_landed_or_listed_as_not_kept(version: str, api_object: str) -> None:
    spec = load_spec(version)
    fields = set().union(*(spec_fields(spec, name) for name in OBJECTS[api_object][version]))
    assert len(fields) > 5, f"the walk found almost nothing in {OBJECTS[api_object][version]}"
    landed = landed_paths(api_object)
    unaccounted = sorted(
        f for f in fields if not is_landed(api_object, f, landed) and not_kept_reason(api_object, f) is None
    )
    assert not unaccounted, (
        f"spec {version} {api_object} fields neither landed nor in coverage.NOT_KEPT: {unaccounted}"
    )


@pytest.mark.parametrize("api_object", sorted(OBJECTS))
def test_no_landed_field_is_also_listed_as_not_kept(api_object: str) -> None:
    assert [p for p in sorted(landed_paths(api_object)) if not_kept_reason(api_object, p)] == []


def test_the_fields_this_issue_added_are_landed_not_skipped() -> None:
    post, user = landed_paths("post"), landed_paths("user")
    for path in (
        "context_annotations.domain.id",
        "context_annotations.entity.name",
        "entities.annotations.normalized_text",
        "entities.cashtags.tag",
        "note_tweet.entities.cashtags.tag",
        "withheld.scope",
        "entities.urls.media_key",
    ):
        assert path in post and not_kept_reason("post", path) is None, path
    for path in ("withheld.scope", "entities.url.urls.expanded_url", "entities.description.hashtags.tag"):
        assert path in user and not_kept_reason("user", path) is None, path


def test_every_not_kept_entry_matches_a_spec_field() -> None:
    """A stale entry (a field neither spec has) would hide nothing but mislead readers."""
    fields: dict[str, set[str]] = {obj: set() for obj in OBJECTS}
    for version in SPEC_VERSIONS:
        spec = load_spec(version)
        for obj, names in OBJECTS.items():
            for name in names[version]:
                fields[obj] |= spec_fields(spec, name)
    for obj, entries in NOT_KEPT.items():
        for pattern in entries:
            assert any(not_kept_reason(obj, f) == entries[pattern] for f in fields[obj]), (obj, pattern)


def test_table_sources_name_declared_tables() -> None:
    assert set(TABLE_SOURCES) <= set(TABLES)
