"""Progress output shared by the long-running commands: a live bar on stderr and the closing summary."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

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

err_console = Console(stderr=True)
out_console = Console()


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


def summary_table(title: str, rows: dict[str, Any]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    for key, value in rows.items():
        table.add_row(key, str(value))
    return table
