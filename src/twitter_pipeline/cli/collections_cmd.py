"""`collections`: list the configured collections with their state; helpers for run/backfill --collection."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import orjson
import typer
from rich.table import Table

from twitter_pipeline.cli.app import app
from twitter_pipeline.cli.interrupt import landed
from twitter_pipeline.cli.progress import (
    api_errors_text,
    check_format,
    format_option,
    out_console,
    page_progress,
    print_json,
    show_wait,
    summary_table,
    window_progress,
)
from twitter_pipeline.errors import ConfigError, PipelineError

if TYPE_CHECKING:  # pydantic loads when a command runs, not when the CLI parses its arguments
    from twitter_pipeline.settings import Settings

CONFIG_HELP = (
    "Collections file (TOML with [[collections]] tables). Default: TWITTER_PIPELINE_COLLECTIONS, "
    "else ./collections.toml."
)
COLLECTION_HELP = (
    "Run a named collection from the collections file instead of --query (repeat for several; "
    "one failing collection does not stop the others)."
)
LAKE_HELP = (
    "Where data lands: a local folder or s3://bucket/prefix. Default: TWITTER_PIPELINE_LAKE or ./lake."
)


@app.command("collections")
def collections_(
    config: str | None = typer.Option(None, "--config", metavar="FILE", help=CONFIG_HELP),
    lake: str | None = typer.Option(None, "--lake", metavar="URI", help=LAKE_HELP),
    fmt: str = format_option("one row per collection"),
    as_json: bool = typer.Option(False, "--json", hidden=True, help="JSON lines (one object per line)."),
) -> None:
    """List the collections with their state: kind, query/accounts, schedule, newest_id, last run, posts."""
    from twitter_pipeline.collections import collection_status, load_collections
    from twitter_pipeline.storage import LakeStorage

    check_format(fmt)
    from twitter_pipeline.settings import load_settings

    settings = load_settings(lake=lake)
    loaded = load_collections(config)
    storage = LakeStorage(settings.lake)
    storage.check_is_lake(missing_ok=True)  # no lake yet: every collection "never run"
    rows = collection_status(loaded, storage)
    if fmt == "json":
        print_json([row.to_dict() for row in rows])
        return
    if as_json:
        for row in rows:
            typer.echo(orjson.dumps(row.to_dict()).decode())
        return
    table = Table(title=f"collections in {loaded.path} (lake {settings.lake})", title_justify="left")
    for column in (
        "name",
        "kind",
        "query / accounts",
        "schedule",
        "newest_id",
        "last run",
        "status",
        "posts",
    ):
        table.add_column(column, overflow="fold", justify="right" if column == "posts" else "left")
    for row in rows:
        status = row.last_status or "never run"
        if row.last_error:
            status = f"{status}: {row.last_error}"
        table.add_row(
            row.name if row.configured else f"{row.name} (not in config)",
            row.kind,
            row.target,
            row.schedule,
            row.newest_id or "-",
            row.last_run_at or "-",
            status,
            f"{row.posts:,}",
        )
    out_console.print(table)


# -- used by `run --collection` and `backfill --collection` (cli/run_cmd.py) ------------------------------
def run_named(
    settings: Settings,
    names: list[str],
    *,
    config: str | None,
    source: str,
    start: str | None,
    end: str | None,
    max_pages: int | None,
    force: bool,
    quality: bool,
    max_posts: int | None = None,
    fmt: str = "table",
) -> None:
    """Run the named collections one after another; exit non-zero naming every one that failed."""
    from twitter_pipeline import pipeline
    from twitter_pipeline.collections import load_collections, run_collection_isolated

    loaded = load_collections(config)
    chosen = [loaded.get(name) for name in dict.fromkeys(names)]
    summaries = []
    landed.lake = settings.lake
    before = {"pages": 0, "posts": 0}  # of the collections already finished
    show_status: list[Any] = [None]  # the live progress line of the collection running now

    def on_wait(seconds: float, until: Any = None, reason: str = "") -> None:
        show_wait(show_status[0] or (lambda text: None), seconds, until, reason)

    with pipeline.open_client(settings, source, on_wait=on_wait) as client:  # type: ignore[arg-type]
        for collection in chosen:
            with page_progress() as progress:
                task = progress.add_task(collection.name, total=None, posts=0, status="")
                show_status[0] = lambda text, task=task, progress=progress: progress.update(task, status=text)

                def on_progress(posts: int, pages: int, task: Any = task, progress: Any = progress) -> None:
                    progress.update(task, completed=pages, posts=posts, status="")
                    landed.update(pages=before["pages"] + pages, posts=before["posts"] + posts)

                summary = run_collection_isolated(
                    settings,
                    collection,
                    source=source,
                    client=client,
                    start=start,
                    end=end,
                    max_pages=max_pages,
                    force=force,
                    quality=quality,
                    on_progress=on_progress,
                    max_posts=max_posts,
                )
                progress.update(task, status=summary.status)
            summaries.append(summary)
            before["pages"] += summary.pages
            before["posts"] += summary.posts
            if fmt != "json":
                print_collection_summary(summary)
    if fmt == "json":
        print_json([summary.to_dict() for summary in summaries])
    _fail_if_any_failed(summaries)


def backfill_named(
    settings: Settings,
    name: str,
    *,
    config: str | None,
    source: str,
    start: Any,
    end: Any,
    every: timedelta,
    quality: bool,
    max_posts: int | None = None,
    fmt: str = "table",
) -> None:
    """Backfill one collection window by window (complete windows are skipped)."""
    from twitter_pipeline.collections import backfill_collection, load_collections
    from twitter_pipeline.extract.window import split_windows

    collection = load_collections(config).get(name)
    landed.lake = settings.lake
    windows = split_windows(start, end, every)
    totals: dict[str, Any] = {
        "collection": collection.name,
        "windows": len(windows),
        "skipped": 0,
        "pages": 0,
        "posts": 0,
    }
    notes: list[str] = []
    with window_progress() as progress:
        task = progress.add_task(f"backfill {collection.name}", total=len(windows), posts=0, status="")

        def on_window(window_start: Any, window_end: Any, summary: Any) -> None:
            totals["skipped"] += int(summary.status == "skipped")
            totals["pages"] += summary.pages if summary.status != "skipped" else 0
            totals["posts"] += summary.posts if summary.status != "skipped" else 0
            notes.extend(n for n in summary.notes if n not in notes and "already complete" not in n)
            landed.update(windows=int(progress.tasks[0].completed) + 1)
            progress.update(task, advance=1, posts=totals["posts"], status=f"{window_start:%Y-%m-%d %H:%M}")

        backfill_collection(
            settings,
            collection,
            start,
            end,
            every,
            source=source,
            quality=quality,
            max_posts=max_posts,
            on_window=on_window,
            on_wait=lambda s, u=None, r="": show_wait(lambda t: progress.update(task, status=t), s, u, r),
        )
    totals["lake"] = settings.lake
    if fmt == "json":
        print_json({**totals, "notes": notes})
        return
    out_console.print(summary_table("backfill", totals))
    for note in notes:
        out_console.print(f"note: {note}")


def print_collection_summary(summary: Any) -> None:
    rows: dict[str, Any] = {
        "collection": f"{summary.collection} ({summary.kind})",
        "status": summary.status + (f": {summary.error}" if summary.error else ""),
        "run": summary.run_id or "-",
        "pages": summary.pages,
        "posts": summary.posts,
    }
    if summary.kind == "accounts":
        rows["accounts"] = f"{summary.accounts} resolved, {summary.lookups} looked up"
    rows.update(
        {
            "api errors": api_errors_text(summary.errors, summary.table_rows),
            "newest_id": summary.newest_id or "-",
            "seconds": summary.seconds,
        }
    )
    if summary.table_rows:
        rows["rows merged"] = ", ".join(f"{k}={v}" for k, v in summary.table_rows.items() if v)
    if summary.quality:
        rows["quality"] = summary.quality.get("headline", "")
    rows["lake"] = summary.lake
    out_console.print(summary_table(f"collection {summary.collection}", rows))
    for note in summary.notes:
        out_console.print(f"note: {note}")


def _fail_if_any_failed(summaries: list[Any]) -> None:
    from twitter_pipeline.collections import failed_collections

    failed = failed_collections(summaries)
    if failed:
        raise PipelineError(f"{len(failed)} of {len(summaries)} collection(s) failed — " + "; ".join(failed))


def reject_with_collection(**options: Any) -> None:
    """--collection takes query and endpoint from the collections file: refuse both at once."""
    given = [f"--{name.replace('_', '-')}" for name, value in options.items() if value]
    if given:
        raise ConfigError(
            f"{', '.join(given)} cannot be combined with --collection: set them in the collections file"
        )
