"""Progress output shared by the long-running commands: a live bar on stderr and the closing summary."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

# Outside a terminal (a pipe, a file, a CI log) nothing is wrapped or squeezed to 80 columns: a table
# row stays one line that grep and cut can use, whatever COLUMNS says.
PIPE_WIDTH = 100_000
OUTPUT_FORMATS = ("table", "json")


def _console(stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    tty = hasattr(stream, "isatty") and stream.isatty()
    return Console(stderr=stderr) if tty else Console(stderr=stderr, width=PIPE_WIDTH, soft_wrap=True)


err_console = _console(stderr=True)
out_console = _console(stderr=False)


def format_option(what: str) -> Any:
    """`--format table|json` for a command whose stdout is a listing or a summary."""
    return typer.Option(
        "table",
        "--format",
        "-f",
        metavar="table|json",
        help=f"table: {what} for people; json: one JSON document on stdout, for scripts and jq.",
    )


def check_format(fmt: str) -> str:
    from twitter_pipeline.errors import ConfigError

    if fmt not in OUTPUT_FORMATS:
        raise ConfigError(f"--format {fmt!r} is unknown: use {' or '.join(OUTPUT_FORMATS)}")
    return fmt


def print_json(document: Any) -> None:
    """One JSON document on stdout (dates as ISO 8601 text), newline-terminated."""
    typer.echo(orjson.dumps(document, default=str).decode())


def page_progress() -> Progress:
    """Counts pages and posts as they land; total unknown (the API decides how many pages)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.completed} pages"),
        TextColumn("{task.fields[posts]} posts"),
        TextColumn("[yellow]{task.fields[status]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )


def window_progress() -> Progress:
    """A bar over a known number of windows (backfill)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[posts]} posts"),
        TextColumn("[yellow]{task.fields[status]}"),
        TimeElapsedColumn(),
        console=err_console,
    )


def wait_message(seconds: float, until: Any = None, reason: str = "") -> str:
    """`waiting 12m 30s until 10:15:00 UTC (rate limit)` — long waits show their end time."""
    end = until if isinstance(until, datetime) else None
    if end is None and isinstance(until, int | float):
        end = datetime.fromtimestamp(until, UTC)
    mins, secs = divmod(round(seconds), 60)
    span = f"{mins}m {secs}s" if mins else f"{seconds:.1f}s"
    when = f" until {end.astimezone(UTC):%H:%M:%S} UTC" if end else ""
    return f"waiting {span}{when}" + (f" ({reason})" if reason else "")


LONG_WAIT_S = 10.0  # waits at least this long get their own line outside a terminal


def show_wait(update: Any, seconds: float, until: Any = None, reason: str = "") -> None:
    """A wait on the live progress line; outside a terminal (no live line) long waits get a line too.

    A run that sleeps 15 minutes on a rate-limit window must say so in a CI log or `nohup.out`.
    """
    from twitter_pipeline.logs import scrub

    text = scrub(wait_message(seconds, until, reason))  # a reason may quote a server that echoes the token
    update(text)
    if seconds >= LONG_WAIT_S and not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        err_console.print(text, markup=False, highlight=False)


def api_errors_text(reported: int, table_rows: dict[str, int]) -> str:
    """Distinct API errors (rows of `api_errors`), and how often pages reported them if that differs.

    The same missing post can be reported on several pages; the table keeps it once.
    """
    distinct = table_rows.get("api_errors")
    if distinct is None or distinct == reported:
        return str(reported)
    return f"{distinct} ({reported} reported across pages)"


def summary_table(title: str, rows: dict[str, Any]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    for key, value in rows.items():
        table.add_row(key, str(value))
    return table
