"""Render the per-table column reference of docs/schema.md from ``TABLES``, so the doc cannot drift.

Run ``python -m twitter_pipeline.transform.schema_doc docs/schema.md`` after changing a schema: it
rewrites the part between the two markers and leaves the hand-written prose alone. A test fails
when the committed doc differs from what this renders.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa

from twitter_pipeline.transform.schema import TABLES, TableSpec

BEGIN = "<!-- BEGIN GENERATED: python -m twitter_pipeline.transform.schema_doc docs/schema.md -->"
END = "<!-- END GENERATED -->"


def type_name(data_type: pa.DataType) -> str:
    """Arrow type as analysts read it (``list<string>``, ``timestamp[us, UTC]``…)."""
    if pa.types.is_timestamp(data_type):
        zone = f", {data_type.tz}" if data_type.tz else ""
        return f"timestamp[{data_type.unit}{zone}]"
    if pa.types.is_list(data_type):
        return f"list<{type_name(data_type.value_type)}>"
    if pa.types.is_struct(data_type):
        inner = ", ".join(f"{f.name}: {type_name(f.type)}" for f in data_type)
        return f"struct<{inner}>"
    return {"double": "float64", "bool": "boolean"}.get(str(data_type), str(data_type))


def render_table(spec: TableSpec) -> str:
    lines = [f"### `{spec.name}`", "", spec.description, ""]
    lines.append(f"- **Natural key (merge key):** {', '.join(f'`{k}`' for k in spec.keys)}")
    partition = ", ".join(f"`{c}`" for c in spec.partition_by) or "none"
    lines += [f"- **Partitioned by:** {partition}", ""]
    lines += ["| column | type | source in the API JSON | meaning |", "|---|---|---|---|"]
    for field, doc in zip(spec.schema, spec.columns_doc, strict=True):
        key = " (key)" if field.name in spec.keys else ""
        source = doc.source.replace("|", "\\|")
        lines.append(f"| `{field.name}` | `{type_name(field.type)}`{key} | `{source}` | {doc.description} |")
    return "\n".join(lines)


def render_not_kept() -> str:
    """The API fields deliberately not kept, per object, with the reason (``coverage.NOT_KEPT``)."""
    from twitter_pipeline.transform.coverage import NOT_KEPT

    lines = [
        "### Fields deliberately not kept",
        "",
        "Every other field of the official spec's post, user, media, place and poll objects lands in a "
        "column above (checked against both spec versions by `tests/transform/test_field_coverage.py`). "
        "`*` matches any part of a path; `{a,b}` lists alternatives.",
        "",
        "| object | field | why it is not kept |",
        "|---|---|---|",
    ]
    for api_object, entries in NOT_KEPT.items():
        for path, reason in entries.items():
            lines.append(f"| {api_object} | `{path}` | {reason} |")
    return "\n".join(lines)


def render_tables() -> str:
    return "\n\n".join([*(render_table(spec) for spec in TABLES.values()), render_not_kept()])


def rewrite(text: str) -> str:
    """``text`` with the generated block replaced by a fresh rendering."""
    head, found, rest = text.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not (found and found_end):
        raise ValueError(f"markers not found: the doc must contain {BEGIN!r} and {END!r}")
    return f"{head}{BEGIN}\n\n{render_tables()}\n\n{END}{tail}"


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "docs/schema.md")
    path.write_text(rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
