"""`sql` and `report`: look at what is in the lake."""

from __future__ import annotations

from pathlib import Path

import typer

from twitter_pipeline.cli.app import app

COLLECTION_HELP = (
    "Only the posts of this collection (from collections.toml): tweets, hashtags, mentions, urls and "
    "tweet_references are filtered; the full tables stay available as <name>_all."
)
LAKE_HELP = (
    "The lake to read: a local folder or s3://bucket/prefix. Default: TWITTER_PIPELINE_LAKE or ./lake."
)


@app.command()
def sql(
    query: str = typer.Argument(
        ...,
        metavar="STATEMENT",
        help="One SQL statement (DuckDB dialect). Every lake table is a view: tweets, users, hashtags, "
        "mentions, urls, media, places, polls, tweet_references, included_tweets, api_errors, quality… "
        'e.g. "SELECT lang, count(*) FROM tweets GROUP BY 1 ORDER BY 2 DESC".',
    ),
    lake: str | None = typer.Option(None, "--lake", metavar="URI", help=LAKE_HELP),
    fmt: str = typer.Option(
        "table",
        "--format",
        "-f",
        metavar="table|csv|json|parquet",
        help="table: a grid for the terminal (long text cut to 60 characters); csv: comma-separated with "
        "a header (lists/structs as JSON text); json: one JSON array of objects; parquet: a Parquet file "
        "(needs --out).",
    ),
    out: str | None = typer.Option(
        None,
        "--out",
        "-o",
        metavar="FILE",
        help="Write csv/json/parquet to this file instead of stdout (replaced atomically).",
    ),
    max_rows: int = typer.Option(
        100,
        "--max-rows",
        metavar="N",
        min=1,
        help="Rows shown by --format table (the others always write every row).",
    ),
    collection: str | None = typer.Option(None, "--collection", "-c", metavar="NAME", help=COLLECTION_HELP),
) -> None:
    """Run SQL over the lake's Delta tables with DuckDB (local folder or S3, no extensions needed)."""
    from twitter_pipeline.analyze import connect
    from twitter_pipeline.analyze.output import FORMATS, check_out_path, write_result
    from twitter_pipeline.errors import ConfigError
    from twitter_pipeline.storage import LakeStorage

    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r} is unknown: use {', '.join(FORMATS)}")
    if fmt == "parquet" and not out:
        raise ConfigError("--format parquet writes a binary file: add --out result.parquet")
    from twitter_pipeline.settings import load_settings

    settings = load_settings(lake=lake)
    if out:
        check_out_path(out)  # before the query, which may take a while
    LakeStorage(settings.lake).check_is_lake()
    with connect(settings.lake, collection=collection) as con:
        result = con.query_one(query)
    write_result(result, fmt, out, max_rows=max_rows)


@app.command()
def report(
    lake: str | None = typer.Option(None, "--lake", metavar="URI", help=LAKE_HELP),
    out: Path = typer.Option(
        Path("report.html"),
        "--out",
        "-o",
        metavar="FILE",
        help="The HTML file to write (one self-contained file, no network).",
    ),
    start: str | None = typer.Option(
        None,
        "--start",
        metavar="ISO",
        help="Only posts created at or after this time, ISO 8601 (UTC if no offset). "
        "Default: the first post in the lake.",
    ),
    end: str | None = typer.Option(
        None,
        "--end",
        metavar="ISO",
        help="Only posts created before this time, ISO 8601 (exclusive). Default: the last post.",
    ),
    collection: str | None = typer.Option(None, "--collection", "-c", metavar="NAME", help=COLLECTION_HELP),
) -> None:
    """Write an HTML report with charts: activity, hashtags, mentions, authors, languages, engagement,
    post kinds, media, places, sentiment and data quality."""
    from twitter_pipeline.analyze.output import check_out_path
    from twitter_pipeline.analyze.report import build_report, write_report
    from twitter_pipeline.cli.progress import err_console
    from twitter_pipeline.errors import ConfigError
    from twitter_pipeline.storage import LakeStorage
    from twitter_pipeline.times import parse_time

    start_at, end_at = parse_time(start, "--start"), parse_time(end, "--end")
    if start_at and end_at and start_at >= end_at:
        raise ConfigError("--start must be before --end")
    from twitter_pipeline.settings import load_settings

    settings = load_settings(lake=lake)
    check_out_path(out)
    LakeStorage(settings.lake).check_is_lake()
    with err_console.status("querying the lake and drawing charts…"):
        built = build_report(settings.lake, start_at, end_at, collection=collection)
        path = write_report(built, out)
    err_console.print(
        f"report: {path} ({built.posts:,} posts, {built.charts} charts, {len(built.html) / 1e6:.1f} MB, "
        f"{built.seconds:.1f} s)"
    )
