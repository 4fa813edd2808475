"""`maintain`: keep the lake's Delta tables fast and small (compaction + vacuum)."""

from __future__ import annotations

from dataclasses import asdict

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from twitter_pipeline.cli.app import app
from twitter_pipeline.cli.progress import check_format, err_console, format_option, out_console, print_json
from twitter_pipeline.defaults import DEFAULT_RETENTION_HOURS
from twitter_pipeline.errors import ConfigError


@app.command()
def maintain(
    lake: str | None = typer.Option(
        None,
        "--lake",
        metavar="URI",
        help="The lake to maintain: a local folder or s3://bucket/prefix. "
        "Default: TWITTER_PIPELINE_LAKE or ./lake.",
    ),
    retention_hours: int = typer.Option(
        DEFAULT_RETENTION_HOURS,
        "--retention-hours",
        metavar="HOURS",
        min=0,
        help="Vacuum deletes data files no table version newer than this many hours needs. "
        "Time travel and readers still scanning older versions need those files: keep it above "
        "your longest-running query (default: 168 = one week, Delta's own default).",
    ),
    table: list[str] | None = typer.Option(
        None,
        "--table",
        "-t",
        metavar="TABLE",
        help="Only this table (repeat for several, e.g. -t tweets -t users). Default: every table "
        "under <lake>/tables.",
    ),
    fmt: str = format_option("one row per table"),
) -> None:
    """Compact small files into large ones and vacuum files older versions no longer need.

    Safe while loads run (concurrent commits are retried); rows never change, only files.
    """
    from twitter_pipeline.load.maintain import list_tables, maintain_table
    from twitter_pipeline.storage import LakeStorage

    check_format(fmt)
    from twitter_pipeline.settings import load_settings

    settings = load_settings(lake=lake)
    storage = LakeStorage(settings.lake)
    storage.check_is_lake()
    names = list_tables(storage)
    if table:
        unknown = sorted(set(table) - set(names))
        if unknown:
            known = ", ".join(names) or "none yet"
            raise ConfigError(f"no table {', '.join(unknown)} in {storage.uri}: choose from {known}")
        names = [n for n in names if n in table]
    if not names:
        err_console.print(f"no tables in {storage.uri} yet: nothing to maintain")
        if fmt == "json":
            print_json([])
        return

    results = []
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[current]}"),
        TimeElapsedColumn(),
        console=err_console,
    ) as progress:
        task = progress.add_task("maintaining", total=len(names), current="")
        for name in names:
            progress.update(task, current=name)
            results.append(maintain_table(storage, name, retention_hours=retention_hours))
            progress.advance(task)

    if fmt == "json":
        print_json([asdict(r) for r in results])
        return
    summary = Table(title=f"lake upkeep: {storage.uri}", title_justify="left")
    for column in ("table", "files before", "files after", "compacted", "written", "vacuumed", "version"):
        summary.add_column(column, justify="left" if column == "table" else "right")
    for r in results:
        summary.add_row(
            r.table,
            str(r.files_before),
            str(r.files_after),
            str(r.files_compacted),
            str(r.files_written),
            str(r.files_vacuumed),
            str(r.version),
        )
    out_console.print(summary)
