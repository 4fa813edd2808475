"""`run`, `backfill` and `import`: the commands that move posts into the lake."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from twitter_pipeline.cli.app import app
from twitter_pipeline.cli.interrupt import landed
from twitter_pipeline.cli.progress import (
    api_errors_text,
    check_format,
    err_console,
    format_option,
    out_console,
    page_progress,
    print_json,
    show_wait,
    summary_table,
    window_progress,
)
from twitter_pipeline.errors import ConfigError
from twitter_pipeline.times import parse_time

if TYPE_CHECKING:  # the pipeline imports the heavy stack: load it only when a command runs
    from twitter_pipeline.pipeline import RunSummary

QUERY_HELP = (
    "Search query in X API syntax, e.g. '#python lang:en -is:retweet'. Default: TWITTER_PIPELINE_QUERY."
)
LAKE_HELP = (
    "Where data lands: a local folder or s3://bucket/prefix. Default: TWITTER_PIPELINE_LAKE or ./lake."
)
SOURCE_HELP = (
    "'api' (the X API at X_API_BASE_URL with X_BEARER_TOKEN) or 'emulator' (a built-in local X API "
    "started for the run). Default: api when X_BEARER_TOKEN is set, otherwise emulator."
)
ENDPOINT_HELP = "'recent' (last 7 days) or 'all' (full archive; needs an access level that allows it)."
MAX_POSTS_HELP = (
    "Budget: read at most this many posts in this run. A window whose estimate does not fit is not "
    "started; reads are counted page by page. Default: TWITTER_PIPELINE_MAX_POSTS_PER_RUN (none)."
)
DRY_RUN_HELP = "Print the estimate (posts, requests, time, cost) and fetch no post."
COLLECTION_HELP = (
    "Run a named collection from the collections file (its query or accounts, endpoint, fields and "
    "state) instead of --query; repeat for several."
)
CONFIG_HELP = (
    "Collections file for --collection. Default: TWITTER_PIPELINE_COLLECTIONS, else ./collections.toml."
)


@app.command()
def run(
    query: str | None = typer.Option(None, "--query", "-q", metavar="QUERY", help=QUERY_HELP),
    start: str | None = typer.Option(
        None,
        "--start",
        metavar="ISO",
        help="Window start, ISO 8601 (UTC if no offset). With --end: a closed window.",
    ),
    end: str | None = typer.Option(
        None,
        "--end",
        metavar="ISO",
        help="Window end, ISO 8601 (exclusive). Without --start/--end the run polls "
        "for posts newer than the last run (first run: the last hour).",
    ),
    endpoint: str = typer.Option("recent", "--endpoint", metavar="recent|all", help=ENDPOINT_HELP),
    max_pages: int | None = typer.Option(
        None,
        "--max-pages",
        metavar="N",
        min=1,
        help="Stop after this many pages (the rest is fetched by the next run).",
    ),
    collection: list[str] | None = typer.Option(
        None, "--collection", "-c", metavar="NAME", help=COLLECTION_HELP
    ),
    config: str | None = typer.Option(None, "--config", metavar="FILE", help=CONFIG_HELP),
    lake: str | None = typer.Option(None, "--lake", metavar="URI", help=LAKE_HELP),
    source: str | None = typer.Option(None, "--source", metavar="api|emulator", help=SOURCE_HELP),
    force: bool = typer.Option(False, "--force", help="Fetch a closed window again even if it is complete."),
    no_quality: bool = typer.Option(
        False, "--no-quality", help="Skip the data-quality checks after loading."
    ),
    max_posts: int | None = typer.Option(None, "--max-posts", min=1, metavar="N", help=MAX_POSTS_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
    fmt: str = format_option("the run summary"),
) -> None:
    """Fetch one window of posts into the raw zone, then load it into the lake's tables."""
    from twitter_pipeline import pipeline

    check_format(fmt)
    from twitter_pipeline.settings import load_settings

    settings = load_settings(lake=lake)
    landed.lake = settings.lake
    chosen = pipeline.resolve_source(settings, source)
    if dry_run:
        _dry_run(settings, chosen, query, collection, config, start, end, None, endpoint, max_posts, fmt)
        return
    if chosen == "emulator":
        err_console.print(
            "[cyan]source: built-in X API emulator: synthetic posts[/] "
            "(set X_BEARER_TOKEN and use another lake for the live API)"
        )
    if collection:
        from twitter_pipeline.cli import collections_cmd

        collections_cmd.reject_with_collection(query=query, endpoint=endpoint != "recent")
        collections_cmd.run_named(
            settings,
            collection,
            config=config,
            source=chosen,
            start=start,
            end=end,
            max_pages=max_pages,
            force=force,
            quality=not no_quality,
            max_posts=max_posts,
            fmt=fmt,
        )
        return
    summary = _run_with_progress(
        settings,
        f"{chosen} {endpoint}",
        query=query,
        start=start,
        end=end,
        endpoint=endpoint,
        source=chosen,
        max_pages=max_pages,
        force=force,
        quality=not no_quality,
        max_posts=max_posts,
    )
    _print_summary(summary, fmt)


@app.command()
def backfill(
    start: str = typer.Option(
        ..., "--start", metavar="ISO", help="Range start, ISO 8601 (UTC if no offset)."
    ),
    end: str = typer.Option(..., "--end", metavar="ISO", help="Range end, ISO 8601 (exclusive)."),
    every: str = typer.Option(
        "1h", "--every", metavar="DURATION", help="Window length: 15m, 1h, 6h, 1d … each a resumable unit."
    ),
    query: str | None = typer.Option(None, "--query", "-q", metavar="QUERY", help=QUERY_HELP),
    endpoint: str = typer.Option("recent", "--endpoint", metavar="recent|all", help=ENDPOINT_HELP),
    lake: str | None = typer.Option(None, "--lake", metavar="URI", help=LAKE_HELP),
    source: str | None = typer.Option(None, "--source", metavar="api|emulator", help=SOURCE_HELP),
    no_quality: bool = typer.Option(
        False, "--no-quality", help="Skip the data-quality checks after loading."
    ),
    collection: str | None = typer.Option(
        None,
        "--collection",
        "-c",
        metavar="NAME",
        help="Backfill this named collection from the collections file.",
    ),
    config: str | None = typer.Option(None, "--config", metavar="FILE", help=CONFIG_HELP),
    max_posts: int | None = typer.Option(None, "--max-posts", min=1, metavar="N", help=MAX_POSTS_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
    fmt: str = format_option("the backfill summary"),
) -> None:
    """Fetch a time range window by window; windows already complete are skipped."""
    from twitter_pipeline import pipeline
    from twitter_pipeline.extract.window import split_windows

    check_format(fmt)
    from twitter_pipeline.settings import load_settings

    settings = load_settings(lake=lake)
    landed.lake = settings.lake
    chosen = pipeline.resolve_source(settings, source)
    start_at, end_at = parse_time(start, "--start"), parse_time(end, "--end")
    if start_at is None or end_at is None or start_at >= end_at:
        raise ConfigError("--start must be before --end")
    if dry_run:
        names = [collection] if collection else None
        every_delta = parse_every(every)
        _dry_run(settings, chosen, query, names, config, start, end, every_delta, endpoint, max_posts, fmt)
        return
    if collection:
        from twitter_pipeline.cli import collections_cmd

        collections_cmd.reject_with_collection(query=query, endpoint=endpoint != "recent")
        collections_cmd.backfill_named(
            settings,
            collection,
            config=config,
            source=chosen,
            start=start_at,
            end=end_at,
            every=parse_every(every),
            quality=not no_quality,
            max_posts=max_posts,
            fmt=fmt,
        )
        return
    windows = split_windows(start_at, end_at, parse_every(every))
    totals: dict[str, Any] = {"windows": len(windows), "skipped": 0, "pages": 0, "posts": 0, "errors": 0}
    with window_progress() as progress:
        task = progress.add_task("backfill", total=len(windows), posts=0, status="")

        def on_window(window_start: Any, window_end: Any, summary: RunSummary) -> None:
            totals["skipped"] += int(summary.skipped)
            totals["pages"] += summary.pages if not summary.skipped else 0
            totals["posts"] += summary.posts if not summary.skipped else 0
            totals["errors"] += summary.errors
            landed.update(windows=int(progress.tasks[0].completed) + 1)
            progress.update(task, advance=1, posts=totals["posts"], status=f"{window_end:%Y-%m-%d %H:%M}")

        pipeline.backfill(
            settings,
            start=start_at,
            end=end_at,
            every=parse_every(every),
            query=query,
            endpoint=endpoint,
            source=chosen,
            quality=not no_quality,
            on_window=on_window,
            max_posts=max_posts,
            on_wait=lambda s, u=None, r="": show_wait(lambda t: progress.update(task, status=t), s, u, r),
        )
    totals["lake"] = settings.lake
    if fmt == "json":
        print_json(totals)
        return
    out_console.print(summary_table("backfill", totals))


@app.command("import")
def import_(
    files: list[Path] = typer.Argument(
        ..., metavar="FILE", help="twarc2 JSONL archives (.jsonl, .jsonl.gz) or single-page .json files."
    ),
    lake: str | None = typer.Option(None, "--lake", metavar="URI", help=LAKE_HELP),
    no_quality: bool = typer.Option(
        False, "--no-quality", help="Skip the data-quality checks after loading."
    ),
    fmt: str = format_option("the import summary"),
) -> None:
    """Load saved API response pages through the same raw zone → tables path as `run`."""
    from twitter_pipeline.extract.read_ahead import ReadAhead

    check_format(fmt)
    read_ahead = ReadAhead(files)  # reads and hashes the files while the pipeline's libraries load
    from twitter_pipeline import pipeline
    from twitter_pipeline.settings import load_settings

    settings = load_settings(lake=lake)
    landed.lake = settings.lake
    with page_progress() as progress:
        task = progress.add_task("import", total=None, posts=0, status="")

        def on_progress(posts: int, pages: int) -> None:
            progress.update(task, completed=pages, posts=posts)
            landed.update(pages=pages, posts=posts)

        summary = pipeline.import_files(
            settings, files, on_progress=on_progress, quality=not no_quality, read_ahead=read_ahead
        )
    _print_summary(summary, fmt)


def _dry_run(
    settings: Any,
    source: str,
    query: str | None,
    collections: list[str] | None,
    config: str | None,
    start: str | None,
    end: str | None,
    every: timedelta | None,
    endpoint: str,
    max_posts: int | None,
    fmt: str = "table",
) -> None:
    """What the run would read, per query or collection; nothing is fetched and the lake is not written."""
    from twitter_pipeline import cost
    from twitter_pipeline.cli.estimate_cmd import show

    options: dict[str, Any] = {"start": start, "end": end, "every": every, "source": source}
    options.update(max_posts=max_posts, polling=not (start or end))
    estimates: list[Any] = []
    if collections:
        from twitter_pipeline.collections import load_collections

        loaded = load_collections(config)
        for name in dict.fromkeys(collections):
            item = loaded.get(name)
            if item.kind != "search":
                err_console.print(f"collection {name}: account timelines cannot be counted (set max_posts)")
                continue
            estimates.append(cost.estimate(settings, collection=item, **{**options, "polling": False}))
    else:
        estimates.append(cost.estimate(settings, query=query, endpoint=endpoint, **options))
    if fmt == "json":
        print_json({"dry_run": True, "estimates": [e.to_dict() for e in estimates]})
        return
    for found in estimates:
        show(found)
    out_console.print("dry run: no post was fetched")


def parse_every(text: str) -> timedelta:
    """`15m`, `1h`, `6h`, `1d`, `90s` → timedelta."""
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
    text = text.strip().lower()
    if len(text) >= 2 and text[-1] in units and text[:-1].isdigit() and int(text[:-1]) > 0:
        return timedelta(**{units[text[-1]]: int(text[:-1])})
    raise ConfigError(f"--every {text!r} is not a duration: use e.g. 15m, 1h, 1d")


def _run_with_progress(settings: Any, label: str, **options: Any) -> RunSummary:
    from twitter_pipeline import pipeline

    with page_progress() as progress:
        task = progress.add_task(label, total=None, posts=0, status="")

        def on_progress(posts: int, pages: int) -> None:
            progress.update(task, completed=pages, posts=posts, status="")
            landed.update(pages=pages, posts=posts)

        def on_wait(seconds: float, until: Any = None, reason: str = "") -> None:
            show_wait(lambda text: progress.update(task, status=text), seconds, until, reason)

        def on_table_loaded(load: Any) -> None:
            progress.update(task, status=f"loaded {load.table}")

        summary = pipeline.run(
            settings, on_progress=on_progress, on_wait=on_wait, on_table_loaded=on_table_loaded, **options
        )
        progress.update(task, status="done")
    return summary


def _print_summary(summary: RunSummary, fmt: str = "table") -> None:
    if fmt == "json":
        print_json(summary.to_dict())
        return
    rows: dict[str, Any] = {
        "run": summary.run_id,
        "source": summary.source,
        "pages": summary.pages,
        "posts": summary.posts,
        "users": summary.users,
        "api errors": api_errors_text(summary.errors, summary.table_rows),
        "posts read": f"{summary.posts_read} (estimate {summary.posts_estimated})"
        if summary.posts_estimated is not None
        else summary.posts_read,
        "seconds": summary.seconds,
        "complete": "yes" if summary.complete else "no (run again to continue)",
        "lake": summary.lake,
    }
    if summary.table_rows:
        rows["rows merged"] = ", ".join(f"{k}={v}" for k, v in summary.table_rows.items() if v)
    if summary.quality:
        rows["quality"] = summary.quality.get("headline") or summary.quality.get("status", "")
    out_console.print(summary_table("run summary", rows))
    for note in summary.notes:
        out_console.print(f"note: {note}")
