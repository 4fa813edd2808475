"""Query results out: a rich table for people, CSV/JSON for tools, Parquet for more analysis.

CSV cannot hold lists or structs, so nested values are written as JSON text there. JSON is one
array of objects; huge integers (DuckDB sums are 128-bit) stay exact as numbers.
"""

from __future__ import annotations

import decimal
import io
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from twitter_pipeline.errors import ConfigError, StorageError
from twitter_pipeline.storage.files import write_atomic

FORMATS = ("table", "csv", "json", "parquet")
CELL_MAX = 60  # characters per cell in the terminal table


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, date | time | datetime):
        return value.isoformat()
    return str(value)


def to_json(table: pa.Table) -> bytes:
    return orjson.dumps(table.to_pylist(), default=_json_default, option=orjson.OPT_NON_STR_KEYS) + b"\n"


def _flat_for_csv(table: pa.Table) -> pa.Table:
    """Nested columns (lists, structs, maps) → JSON text; everything else as is."""
    columns = []
    for column in table.columns:
        nested = pa.types.is_nested(column.type)
        if nested:
            column = pa.array(
                [
                    None if v is None else orjson.dumps(v, default=_json_default).decode()
                    for v in column.to_pylist()
                ],
                pa.string(),
            )
        elif pa.types.is_string_view(column.type):
            column = column.cast(pa.string())
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def to_csv(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(_flat_for_csv(table), sink)
    return sink.getvalue()


def cell(value: Any, limit: int = CELL_MAX) -> str:
    """One terminal cell: one line, cut to `limit` characters with an ellipsis."""
    if value is None:
        return "NULL"
    if isinstance(value, datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, list | dict):
        text = orjson.dumps(value, default=_json_default).decode()
    else:
        text = str(value)
    text = " ".join(text.split())  # newlines and tabs would break the grid
    return text if len(text) <= limit else text[: limit - 1] + "…"


def rich_table(table: pa.Table, max_rows: int) -> Any:
    """A rich Table of the first `max_rows` rows; numbers right-aligned."""
    from rich.table import Table
    from rich.text import Text

    # Text(), never str: post text like "[bold]" or "[/x]" must not be read as rich markup.
    grid = Table(show_lines=False, header_style="bold")
    for field in table.schema:
        numeric = (
            pa.types.is_integer(field.type)
            or pa.types.is_floating(field.type)
            or pa.types.is_decimal(field.type)
        )
        grid.add_column(Text(field.name), justify="right" if numeric else "left", overflow="fold")
    for row in table.slice(0, max_rows).to_pylist():
        grid.add_row(*(Text(cell(v)) for v in row.values()))
    return grid


PIPE_WIDTH = 100_000  # not a terminal: never squeeze rows to 80 columns (grep, cut, less -S)


def _console(stdout: IO | None) -> Any:
    from rich.console import Console

    stream = stdout if stdout is not None else sys.stdout
    tty = hasattr(stream, "isatty") and stream.isatty()
    width = None if tty else PIPE_WIDTH
    return Console(file=stdout, width=width) if stdout is not None else Console(width=width)


def _grid_width(table: pa.Table, max_rows: int) -> int:
    """Characters a grid of the first `max_rows` rows needs (cells cut to CELL_MAX, 3 per border)."""
    rows = table.slice(0, max_rows).to_pylist()
    widths = [max([len(name), *(len(cell(row[name])) for row in rows)]) for name in table.column_names]
    return sum(w + 3 for w in widths) + 1


def _print_records(console: Any, table: pa.Table, max_rows: int) -> None:
    """A result too wide for the terminal as records: one `column │ value` line per field."""
    from rich.text import Text

    names = table.column_names
    label = max(len(n) for n in names)
    limit = max(CELL_MAX, console.width - label - 3)
    for number, row in enumerate(table.slice(0, max_rows).to_pylist(), start=1):
        console.print(Text(f"-[ record {number} ]" + "-" * max(0, min(console.width, 60) - 14)))
        for name in names:
            console.print(Text(f"{name.ljust(label)} │ {cell(row[name], limit)}"), soft_wrap=True)


def write_result(
    table: pa.Table, fmt: str, out: str | None, *, max_rows: int = 100, stdout: IO | None = None
) -> None:
    """Write a result in `fmt` to `out` (a file) or stdout; Parquet requires a file."""
    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r} is unknown: use {', '.join(FORMATS)}")
    if fmt == "parquet" and not out:
        raise ConfigError("--format parquet writes a binary file: add --out result.parquet")
    if fmt == "table":
        if out:
            raise ConfigError(
                "--format table is for the terminal: use --format csv, json or parquet with --out"
            )
        console = _console(stdout)
        shown = min(table.num_rows, max_rows)
        vertical = table.num_columns > 1 and _grid_width(table, max_rows) > console.width
        if vertical:
            _print_records(console, table, max_rows)
        else:
            console.print(rich_table(table, max_rows))
        more = f" (showing {shown}; use --max-rows or --format csv/json)" if shown < table.num_rows else ""
        layout = (
            f", shown as records ({table.num_columns} columns do not fit {console.width}); "
            "--format csv or json for tools"
            if vertical
            else ""
        )
        console.print(f"[dim]{table.num_rows:,} rows{more}{layout}[/dim]")
        return
    data = b"" if fmt == "parquet" else to_csv(table) if fmt == "csv" else to_json(table)
    if not out:
        stream = stdout or sys.stdout
        stream.buffer.write(data) if hasattr(stream, "buffer") else stream.write(data.decode())
        stream.flush()
        return
    path = check_out_path(out)
    try:
        if fmt == "parquet":
            write_atomic(path, lambda tmp: pq.write_table(_plain_strings(table), tmp))
        else:
            write_atomic(path, data)
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror or exc}; choose another --out") from None


def check_out_path(out: str | Path) -> Path:
    """An --out file whose folder exists: a typo in a path must not create directories silently."""
    path = Path(out).expanduser()
    if path.is_dir():
        raise ConfigError(f"--out {out} is a folder: give a file name, e.g. {path / 'result'}")
    if not path.parent.is_dir():
        raise ConfigError(f"--out {out}: the folder {path.parent} does not exist; create it first")
    return path


def _plain_strings(table: pa.Table) -> pa.Table:
    """string_view → string for Parquet readers that predate views."""
    fields = [f.with_type(pa.string()) if pa.types.is_string_view(f.type) else f for f in table.schema]
    return table.cast(pa.schema(fields)) if fields != list(table.schema) else table
