"""Parse a batch of raw response pages into one Arrow table (one row per page), in bulk.

Why Arrow's JSON reader and not ``json.loads`` + dicts: it parses the bodies in C++ straight into
the columns we need (``api_read_schema.PAGE``), skipping unknown fields, on all cores, without
building a Python object per value. That is what makes the transform cheaper than parsing alone.
Bodies are joined as newline-delimited JSON; a body's own newlines can only be JSON whitespace,
so they are replaced by spaces first.

Bad input never surfaces as a traceback: when the fast path fails, each page is checked on its
own and the first bad one is named in an ``InputError``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from twitter_pipeline.errors import InputError, one_line
from twitter_pipeline.raw.pages import Body, RawPage
from twitter_pipeline.transform import api_read_schema
from twitter_pipeline.transform.schema import TIMESTAMP

_PARSE_OPTIONS = pa_json.ParseOptions(
    explicit_schema=api_read_schema.PAGE, unexpected_field_behavior="ignore", newlines_in_values=False
)
log = logging.getLogger(__name__)

_MIN_BLOCK = 1 << 20
# Blocks Arrow parses side by side: 16 MiB measured best on 2 cores (97 MB archive: 0.73 s wall vs
# 1.57 s in one block, about the same CPU); a small batch stays one block on one thread.
_PARALLEL_BLOCK = 16 << 20
_MAX_BLOCK = 1 << 30


def describe_page(page: RawPage, index: int) -> str:
    """Name a page for an error message: raw key or file and line when known, else request and time."""
    source = getattr(page, "source", None) or getattr(page, "raw_key", None)
    if source:
        return str(source)
    params = page.request.params
    if params.get("file") and params.get("line"):  # pages read by the archive importer
        return f"{params['file']} line {params['line']}"
    return (
        f"page {index + 1} of the batch (endpoint {page.request.endpoint}, "
        f"fetched {page.fetched_at.isoformat()})"
    )


def _single_line(body: Body) -> bytes:
    body = bytes(body)  # no copy for `bytes`; a view (an archive line) is copied for the slow path
    if b"\n" in body or b"\r" in body:
        return body.replace(b"\r", b" ").replace(b"\n", b" ")
    return body


def _parse(bodies: Sequence[bytes]) -> pa.Table:
    total = sum(len(body) + 1 for body in bodies)
    if total > _MAX_BLOCK and len(bodies) > 1:  # Arrow's block size is an int32
        half = len(bodies) // 2
        return pa.concat_tables([_parse(bodies[:half]), _parse(bodies[half:])]).combine_chunks()
    return _parse_text(b"\n".join(bodies))


def _parse_text(text: bytes) -> pa.Table:
    """Newline-delimited JSON bodies as one table (blank lines are skipped, as by Arrow)."""
    parallel = len(text) > 2 * _PARALLEL_BLOCK
    block = _PARALLEL_BLOCK if parallel else max(_MIN_BLOCK, len(text) + 1)
    table = pa_json.read_json(
        pa.BufferReader(text),
        read_options=pa_json.ReadOptions(block_size=block, use_threads=parallel),
        parse_options=_PARSE_OPTIONS,
    )
    return table.combine_chunks() if parallel else table


def _normalized_body(page: RawPage, index: int) -> bytes:
    """Validate one body and rewrite the shapes the fast path cannot take (``data`` as one object)."""
    try:
        payload = orjson.loads(page.body)
    except orjson.JSONDecodeError as err:
        raise InputError(
            f"{describe_page(page, index)} is not valid JSON ({one_line(err)}): "
            "re-fetch the window or remove the truncated file"
        ) from None
    if not isinstance(payload, dict):
        raise InputError(
            f"{describe_page(page, index)} is not a JSON object (got {type(payload).__name__}): "
            "expected an X API v2 response page or a twarc2 JSONL line"
        )
    if isinstance(payload.get("data"), dict):  # single-object lookups (/2/tweets/:id)
        payload["data"] = [payload["data"]]
        return orjson.dumps(payload)
    return _single_line(page.body)


def _fetched_at_array(pages: Sequence[RawPage]) -> pa.Array:
    stamps = [p.fetched_at if p.fetched_at.tzinfo else p.fetched_at.replace(tzinfo=UTC) for p in pages]
    return pa.array(stamps, type=TIMESTAMP)


def read_pages(pages: Sequence[RawPage]) -> pa.Table:
    """One row per page: ``data``, ``includes``, ``errors`` (``api_read_schema.PAGE``) and ``fetched_at``."""
    if not pages:
        return api_read_schema.PAGE.empty_table().append_column("fetched_at", pa.array([], TIMESTAMP))
    bodies = [_single_line(p.body) for p in pages]
    for index, body in enumerate(bodies):
        if not body.strip():
            raise InputError(
                f"{describe_page(pages[index], index)} is empty: re-fetch the window or remove the file"
            )
    try:
        table = _parse(bodies)
        if table.num_rows != len(pages):
            raise ValueError("a body holds more than one JSON value")
    except (pa.ArrowInvalid, ValueError):
        table = _parse_carefully(pages)
    _reject_lone_posts(table, pages)
    return table.append_column("fetched_at", _fetched_at_array(pages))


def read_archive_text(text: bytes, pages: Sequence[RawPage]) -> pa.Table | None:
    """`read_pages` of an archive file's pages, parsed from the file's own bytes (no joined copy).

    `pages` are the non-blank lines of `text`, in order. None when this fast path cannot read them
    (a line that is not one JSON object of the expected shape, a page over Arrow's block size…):
    `read_pages` then checks each page and names the bad one.
    """
    if len(text) > 2 * _PARALLEL_BLOCK and max(len(p.body) for p in pages) >= _PARALLEL_BLOCK:
        return None  # a page larger than a block cannot be parsed in blocks
    try:
        table = _parse_text(text)
    except pa.ArrowInvalid:
        return None
    if table.num_rows != len(pages):
        return None
    _reject_lone_posts(table, pages)
    return table.append_column("fetched_at", _fetched_at_array(pages))


def _reject_lone_posts(table: pa.Table, pages: Sequence[RawPage]) -> None:
    """A line holding one post (``twarc2 flatten`` output, a tweet dump) would silently give no rows.

    Only rows without ``data``, ``includes`` and ``errors`` are looked at: usually none, or a few
    empty result pages.
    """
    shapeless = pc.and_(
        pc.and_(pc.is_null(table["data"]), pc.is_null(table["includes"])), pc.is_null(table["errors"])
    )
    for index in pc.indices_nonzero(shapeless).to_pylist():
        payload = orjson.loads(pages[index].body)
        if "id" in payload and ("text" in payload or "edit_history_tweet_ids" in payload):
            raise InputError(
                f"{describe_page(pages[index], index)} is a single post, not a response page: import the "
                "original twarc2 JSONL (one API response per line), not `twarc2 flatten` output"
            )


def _parse_carefully(pages: Sequence[RawPage]) -> pa.Table:
    """Slow path: validate each page, normalize odd shapes, coerce stray value types, name bad pages."""
    bodies = [_normalized_body(page, index) for index, page in enumerate(pages)]
    try:
        table = _parse(bodies)
        if table.num_rows == len(pages):
            return table
    except pa.ArrowInvalid:
        pass
    for index, (page, body) in enumerate(zip(pages, bodies, strict=True)):
        try:
            _parse([body])
        except pa.ArrowInvalid:
            bodies[index] = _coerced_body(page, index, body)
    try:
        table = _parse(bodies)
        if table.num_rows == len(pages):
            return table
    except pa.ArrowInvalid:
        pass
    raise InputError(
        f"a batch of {len(pages)} pages starting with {describe_page(pages[0], 0)} could not be read: "
        "check the files are X API v2 response pages"
    )


_SECTIONS = {"data": list, "includes": dict, "errors": list}


def _coerced_body(page: RawPage, index: int, body: bytes) -> bytes:
    """Rewrite a page whose values have unexpected types: what fits is kept, the rest becomes null.

    Real archives hold values the spec does not foresee (numeric ids, numbers as strings…). Dropping
    one odd value beats failing a whole import; a warning names the page and the first such value.
    A page whose sections themselves have the wrong shape is not an API response: that is an error.
    """
    payload = orjson.loads(body)
    for section, kind in _SECTIONS.items():
        if payload.get(section) is not None and not isinstance(payload[section], kind):
            raise InputError(
                f"{describe_page(page, index)} does not match the X API v2 response shape "
                f"(`{section}` is a {type(payload[section]).__name__}, expected {kind.__name__}): "
                "check the file is an X API v2 or twarc2 archive"
            )
    dropped: list[str] = []
    coerced = {
        field.name: _coerce(payload.get(field.name), field.type, field.name, dropped)
        for field in api_read_schema.PAGE
    }
    if dropped:
        log.warning(
            "%s: %d value(s) of unexpected type read as null (first: %s)",
            describe_page(page, index),
            len(dropped),
            dropped[0],
        )
    return orjson.dumps(coerced)


_INT64 = (-(2**63), 2**63 - 1)


def _coerce(value: Any, data_type: pa.DataType, path: str, dropped: list[str]) -> Any:
    """``value`` made to fit ``data_type`` (JSON values only), or None with a note in ``dropped``."""
    if value is None:
        return None
    if pa.types.is_struct(data_type):
        if isinstance(value, dict):
            return {
                f.name: _coerce(value[f.name], f.type, f"{path}.{f.name}", dropped)
                for f in data_type
                if f.name in value
            }
    elif pa.types.is_list(data_type):
        if isinstance(value, list):
            return [_coerce(item, data_type.value_type, f"{path}[]", dropped) for item in value]
    elif pa.types.is_string(data_type):
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)  # e.g. numeric ids in hand-made archives
    elif pa.types.is_boolean(data_type):
        if isinstance(value, bool):
            return value
    elif pa.types.is_integer(data_type):
        number = _as_int(value)
        if number is not None and _INT64[0] <= number <= _INT64[1]:
            return number
    elif pa.types.is_floating(data_type) and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    dropped.append(f"{path}={str(value)[:40]!r}")
    return None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None
