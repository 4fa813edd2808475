"""`estimate`: posts, requests, wall time and cost of a window, backfill or collection — nothing read.

Also renders the estimate `run --dry-run` and `backfill --dry-run` print instead of fetching.
"""

from __future__ import annotations

from typing import Any

import typer

from twitter_pipeline.cli.app import app
from twitter_pipeline.cli.progress import out_console
from twitter_pipeline.cli.run_cmd import (
    CONFIG_HELP,
    ENDPOINT_HELP,
    LAKE_HELP,
    QUERY_HELP,
    SOURCE_HELP,
    parse_every,
)
from twitter_pipeline.errors import ConfigError

BARS = " ▁▂▃▄▅▆▇█"
MAX_ROWS = 24  # more buckets than this are drawn as one sparkline


@app.command()
def estimate(
    query: str | None = typer.Option(None, "--query", "-q", metavar="QUERY", help=QUERY_HELP),
    collection: str | None = typer.Option(
        None,
        "--collection",
        "-c",
        metavar="NAME",
        help="Estimate this search collection from the collections file.",
    ),
    config: str | None = typer.Option(None, "--config", metavar="FILE", help=CONFIG_HELP),
    start: str | None = typer.Option(
        None, "--start", metavar="ISO", help="Window or range start, ISO 8601 (UTC)."
    ),
    end: str | None = typer.Option(
        None,
        "--end",
        metavar="ISO",
        help="Window or range end, ISO 8601 (exclusive). Default: the last complete hour.",
    ),
    every: str | None = typer.Option(
        None,
        "--every",
        metavar="DURATION",
        help="Split the range into backfill windows (15m, 1h, 1d …): requests per window.",
    ),
    endpoint: str = typer.Option("recent", "--endpoint", metavar="recent|all", help=ENDPOINT_HELP),
    granularity: str | None = typer.Option(
        None,
        "--granularity",
        metavar="minute|hour|day",
        help="Bucket size: minute, hour or day. Default: from the range's length.",
    ),
    max_posts: int | None = typer.Option(
        None,
        "--max-posts",
        metavar="N",
        min=1,
        help="Compare with this per-run budget (default: the setting).",
    ),
    output: str = typer.Option(
        "table",
        "--format",
        "-f",
        metavar="table|json",
        help="'table' (with a chart) or 'json' (for scripts).",
    ),
    lake: str | None = typer.Option(None, "--lake", metavar="URI", help=LAKE_HELP),
    source: str | None = typer.Option(None, "--source", metavar="api|emulator", help=SOURCE_HELP),
) -> None:
    """How many posts a query matches per bucket, and the requests, time and money reading them takes."""
    from twitter_pipeline import cost

    if output not in ("table", "json"):
        raise ConfigError(f"--format {output!r} is unknown: use table or json")
    if granularity is not None and granularity not in ("minute", "hour", "day"):
        raise ConfigError(f"--granularity {granularity!r} is unknown: use minute, hour or day")
    from twitter_pipeline.settings import load_settings

    settings = load_settings(lake=lake)
    chosen = None
    if collection:
        from twitter_pipeline.collections import load_collections

        if query:
            raise ConfigError("--collection and --query exclude each other: the collection has its query")
        chosen = load_collections(config).get(collection)
    result = cost.estimate(
        settings,
        query=query,
        collection=chosen,
        start=start,
        end=end,
        every=parse_every(every) if every else None,
        endpoint=endpoint,
        source=source,
        granularity=granularity,
        max_posts=max_posts,
    )
    show(result, output)


def show(result: Any, output: str = "table") -> None:
    """Print an estimate: JSON for scripts, else the chart and the totals."""
    if output == "json":
        import orjson

        typer.echo(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2).decode())
        return
    for line in chart_lines(result):
        out_console.print(line, highlight=False, markup=False)
    from twitter_pipeline.cli.progress import summary_table

    out_console.print(summary_table("estimate", summary_rows(result)))


def chart_lines(result: Any) -> list[str]:
    """Posts per bucket: one bar per bucket, or one sparkline when there are many buckets."""
    buckets = result.buckets
    if not buckets:
        return ["(no buckets: the window is empty)"]
    peak = max(b.posts for b in buckets) or 1
    if len(buckets) <= MAX_ROWS:
        width = 40
        fmt = "%Y-%m-%d %H:%M"
        return [
            f"{b.start:{fmt}}  {'█' * round(b.posts / peak * width):<{width}}  {b.posts:,}" for b in buckets
        ]
    spark = "".join(BARS[min(8, round(b.posts / peak * 8))] for b in buckets)
    span = f"{buckets[0].start:%Y-%m-%d %H:%M} → {buckets[-1].end:%Y-%m-%d %H:%M} UTC"
    return [f"posts per {result.granularity}, {span} (peak {peak:,})", spark]


def summary_rows(result: Any) -> dict[str, Any]:
    rows: dict[str, Any] = {
        "query": result.query,
        "endpoint": result.endpoint,
        "posts": f"{result.posts:,}",
        "windows": len(result.windows),
        "search requests": f"{result.requests:,} (+{result.count_requests} counts, which read no post)",
        "expected wall time": f"≈{_duration(result.wall_seconds)} under the rate limits",
        "cost": f"${result.cost:,.2f} at ${result.price_per_post:g} per post read",
    }
    usage = result.usage
    if usage is not None and usage.cap is not None:
        after = None if usage.remaining is None else usage.remaining - result.posts
        rows["project usage"] = f"{usage.used or 0:,} of {usage.cap:,} this month" + (
            f"; {after:,} left after this"
            if after is not None and after >= 0
            else "; this would exceed the cap"
        )
    budget = result.budget or {}
    if budget.get("per_run") is not None:
        fits = "fits" if result.posts <= budget["per_run"] else "does NOT fit: raise --max-posts"
        rows["per-run budget"] = f"{budget['per_run']:,} ({fits})"
    if budget.get("per_month") is not None:
        left = budget["per_month"] - (budget.get("month_used") or 0)
        fits = "fits" if result.posts <= left else "does NOT fit"
        rows["per-month budget"] = f"{budget['per_month']:,}, {max(left, 0):,} left ({fits})"
    return rows


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours}h {rest // 60}m" if hours else f"{rest // 60}m {rest % 60}s"
