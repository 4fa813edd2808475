"""The HTML report: run the named queries, draw the charts, render one self-contained page.

One file, no network: charts are SVG data URIs, styles are inline, there is no script. Every
value that comes from the lake (post text, handles, names, hashtags, places) is HTML-escaped:
post text is untrusted input.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from twitter_pipeline.analyze import charts, queries
from twitter_pipeline.analyze.lake_sql import LakeConnection, connect
from twitter_pipeline.errors import StorageError
from twitter_pipeline.logs import event
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.storage.files import write_atomic
from twitter_pipeline.times import parse_utc

logger = logging.getLogger("twitter_pipeline.analyze.report")

# No scripts, no fetches: only the page's own styles and data: images (post text is untrusted).
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
TEXT_LIMIT = 400  # characters of a post shown in the top-posts table
_DIGITS = re.compile(r"^[0-9]{1,20}$")
_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,50}$")
_LANG = re.compile(r"^[A-Za-z-]{1,12}$")

# templates/ ships with the package; autoescaping escapes every value, Markup marks what is already HTML
_TEMPLATES = Environment(
    loader=PackageLoader("twitter_pipeline.analyze", "templates"), autoescape=True, keep_trailing_newline=True
)
_parts: Any = _TEMPLATES.get_template("parts.html").module  # its macros, called as functions


@dataclass
class Section:
    """One panel of the report: a title, a note (plain text) and its body (HTML from the templates)."""

    key: str
    title: str
    body: Markup
    note: str = ""
    wide: bool = False


@dataclass
class Report:
    """The rendered page and the numbers behind it (tests and the DAG use both)."""

    html: str
    posts: int
    charts: int
    sections: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _n(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "–"


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "–"


def _figure(svg: str, alt: str, caption: str = "") -> Markup:
    return Markup(_parts.figure(charts.data_uri(svg), alt, caption))


def _empty(text: str = "No posts in this window.") -> Markup:
    return Markup(_parts.empty(text))


def _table(headers: list[tuple[str, str]], rows: list[list[object]], cls: str = "") -> Markup:
    """headers: (label, css class); cells: plain values (escaped) or Markup from the parts."""
    return Markup(_parts.table(headers, rows, cls))


def _user(username: object, author_id: object) -> Markup:
    return Markup(_parts.user(username, author_id, bool(username and _HANDLE.match(str(username)))))


# -- sections ------------------------------------------------------------------------------------
def _over_time(lake: LakeConnection, start: Any, end: Any, bucket: str) -> Section:
    table = queries.posts_over_time(lake, start, end, bucket=bucket)
    if table.num_rows == 0:
        return Section("posts-over-time", "Posts over time", _empty(), wide=True)
    svg = charts.time_bars(table.column("bucket").to_pylist(), table.column("posts").to_pylist())
    peak = max(table.to_pylist(), key=lambda r: r["posts"])
    note = f"{_bucket_label(bucket)} buckets; busiest: {_when(peak['bucket'])} with {peak['posts']:,} posts"
    return Section(
        "posts-over-time", "Posts over time", _figure(svg, f"Posts per {bucket}, UTC"), note=note, wide=True
    )


def _bucket_label(interval: str) -> str:
    """'15 minutes' → '15-minute', '1 hour' → 'hourly'."""
    number, unit = interval.split(" ", 1)
    if number == "1":
        return {"hour": "hourly", "day": "daily", "minute": "1-minute"}.get(unit, unit)
    return f"{number}-{unit.rstrip('s')}"


def _ranked(key: str, title: str, table: pa.Table, label: str, prefix: str, colour: str) -> Section:
    if table.num_rows == 0:
        return Section(key, title, _empty(f"No {title.lower()} in this window."))
    labels = [f"{prefix}{v}" for v in table.column(label).to_pylist()]
    svg = charts.hbar(labels, table.column("posts").to_pylist(), colour=colour)
    return Section(key, title, _figure(svg, f"{title}: " + ", ".join(labels[:5])), note="by number of posts")


def _authors_table(table: pa.Table, metric: str) -> Markup:
    if table.num_rows == 0:
        return _empty()
    rows = [
        [
            _user(r["username"], r["author_id"]),
            _parts.text(charts.short(r["name"], 32)),
            _n(r["followers"]),
            _n(r["posts"]),
            _n(r["engagement"]),
        ]
        for r in table.to_pylist()
    ]
    headers = [("author", ""), ("name", ""), ("followers", "num"), ("posts", "num"), ("engagement", "num")]
    headers = [(h, c + (" sorted" if h == metric else "")) for h, c in headers]
    return _table(headers, rows)


def _languages(lake: LakeConnection, start: Any, end: Any) -> Section:
    table = queries.language_mix(lake, start, end)
    if table.num_rows == 0:
        return Section("languages", "Language mix", _empty())
    rows = table.to_pylist()
    top, rest = rows[:11], rows[11:]
    labels = [r["lang"] for r in top] + (["other"] if rest else [])
    values = [r["posts"] for r in top] + ([sum(r["posts"] for r in rest)] if rest else [])
    svg = charts.hbar(labels, values, colour=charts.PALETTE[1])
    note = f"{len(rows)} language tags detected by X; und = undetermined"
    return Section("languages", "Language mix", _figure(svg, "Posts per language"), note=note)


def _engagement(lake: LakeConnection, start: Any, end: Any, posts: int) -> Section:
    table = queries.engagement_distribution(lake, start, end)
    if posts == 0:
        return Section("engagement", "Engagement distribution", _empty())
    svg = charts.columns(
        table.column("bucket").to_pylist(), table.column("posts").to_pylist(), colour=charts.PALETTE[4]
    )
    return Section(
        "engagement",
        "Engagement distribution",
        _figure(svg, "Posts per engagement bucket"),
        note="engagement = likes + reposts + replies + quotes, at fetch time",
    )


def _post_types(lake: LakeConnection, start: Any, end: Any, posts: int) -> Section:
    table = queries.post_type_mix(lake, start, end)
    if posts == 0:
        return Section("post-types", "Originals, replies, quotes, reposts", _empty())
    labels = table.column("kind").to_pylist()
    values = table.column("posts").to_pylist()
    svg = charts.columns(labels, values, colour=charts.PALETTE[2])
    note = " · ".join(f"{k} {_pct(v, posts)}" for k, v in zip(labels, values, strict=True))
    return Section(
        "post-types",
        "Originals, replies, quotes, reposts",
        _figure(svg, "Posts by kind"),
        note=note + " (one kind per post: repost > reply > quote)",
    )


def _media(lake: LakeConnection, start: Any, end: Any, posts: int) -> Section:
    table = queries.media_share(lake, start, end)
    if posts == 0:
        return Section("media", "Media", _empty())
    labels = [
        ("no media" if k == "none" else k.replace("_", " ")) for k in table.column("media_type").to_pylist()
    ]
    svg = charts.hbar(labels, table.column("posts").to_pylist(), colour=charts.PALETTE[3])
    with_media = posts - sum(r["posts"] for r in table.to_pylist() if r["media_type"] == "none")
    return Section(
        "media",
        "Media",
        _figure(svg, "Posts per media type"),
        note=f"{_pct(with_media, posts)} of posts carry media; a post with two types counts in both",
    )


def _places(lake: LakeConnection, start: Any, end: Any, geotagged: int, posts: int) -> Section:
    table = queries.places(lake, start, end, limit=12)
    if table.num_rows == 0:
        text = "No tagged places in this window." if posts else "No posts in this window."
        return Section("places", "Places", _empty(text))
    rows = table.to_pylist()
    labels = [r["place"] for r in rows]
    svg = charts.hbar(labels, [r["posts"] for r in rows], colour=charts.PALETTE[5])
    return Section(
        "places",
        "Places",
        _figure(svg, "Posts per tagged place"),
        note=f"{_pct(geotagged, posts)} of posts are geotagged ({geotagged:,})",
    )


def _top_posts(lake: LakeConnection, start: Any, end: Any) -> Section:
    table = queries.top_posts(lake, start, end, limit=10)
    if table.num_rows == 0:
        return Section("top-posts", "Top posts by engagement", _empty(), wide=True)
    rows = []
    for r in table.to_pylist():
        text = r["text"] or ""
        if len(text) > TEXT_LIMIT:
            text = text[: TEXT_LIMIT - 1] + "…"
        lang = r["lang"] if r["lang"] and _LANG.match(r["lang"]) else ""
        post_id = str(r["id"]) if _DIGITS.match(str(r["id"])) else ""
        rows.append(
            [
                _parts.author_cell(_user(r["username"], r["author_id"]), _when(r["created_at"])),
                _parts.post(text, lang, post_id),
                _n(r["likes"]),
                _n(r["reposts"]),
                _n(r["replies"]),
                _n(r["quotes"]),
                Markup("<b>{}</b>").format(_n(r["engagement"])),
            ]
        )
    headers = [
        ("author", "author"),
        ("post", "text"),
        ("likes", "num"),
        ("reposts", "num"),
        ("replies", "num"),
        ("quotes", "num"),
        ("engagement", "num sorted"),
    ]
    return Section("top-posts", "Top posts by engagement", _table(headers, rows, "posts"), wide=True)


def _sentiment(lake: LakeConnection, start: Any, end: Any, bucket: str) -> Section:
    table = queries.sentiment_over_time(lake, start, end, bucket=bucket)
    if table.num_rows == 0:
        return Section("sentiment", "Sentiment over time", _empty(), wide=True)
    data = table.to_pydict()
    english, scored = sum(data["english"]), sum(data["scored"])
    unscored = sum(data["unscored"])
    svg = charts.sentiment_bars(
        data["bucket"],
        {name: data[name] for name in ("positive", "neutral", "negative")} | {"unscored": data["unscored"]},
        data["mean_compound"],
    )
    positive, negative = sum(data["positive"]), sum(data["negative"])
    note = (
        f"English posts scored with VADER (compound ≥ 0.05 positive, ≤ −0.05 negative): "
        f"{_pct(positive, english)} positive, {_pct(negative, english)} negative. "
        f"{unscored:,} posts in other languages are shown as not scored — VADER reads English only."
    )
    if scored < english:
        note += f" Estimated from a deterministic sample of {scored:,} of {english:,} English posts."
    return Section(
        "sentiment",
        "Sentiment over time",
        _figure(svg, "Posts per sentiment over time"),
        note=note,
        wide=True,
    )


def _api_errors(lake: LakeConnection) -> Section:
    table = queries.api_errors(lake)
    title = "Partial API errors"
    if table.num_rows == 0:
        return Section("api-errors", title, _empty("No partial errors recorded in this lake."))
    rows = [[_parts.text(r["title"]), r["resource_type"], _n(r["errors"])] for r in table.to_pylist()]
    note = "objects X could not return next to the results (deleted, protected, suspended…), whole lake"
    return Section(
        "api-errors", title, _table([("problem", ""), ("resource", ""), ("errors", "num")], rows), note=note
    )


def _quality(lake: LakeConnection) -> Section:
    if not lake.has("quality"):
        body = _empty(
            "No data-quality results in this lake yet: checks run after each load "
            "(twitter-pipeline run without --no-quality) and land in the quality table."
        )
        return Section("quality", "Data quality", body, wide=True)
    history = queries.quality_history(lake).to_pylist()
    latest = queries.quality_checks(lake, limit_runs=1).to_pylist()
    failed = [r for r in latest if r["passed"] is False]
    badge = (
        _parts.badge(True, "all checks passed")
        if latest and not failed
        else _parts.badge(False, f"{len(failed)} failed")
        if failed
        else ""
    )
    summary = " · ".join(
        f"{h['severity']}: {h['failed']:,} failed of {h['checks']:,} checks over {h['runs']:,} runs"
        for h in history
    )

    def row(r: dict[str, Any]) -> list[object]:
        return [
            _parts.badge(bool(r["passed"]), "pass" if r["passed"] else "fail"),
            r["table"],
            r["check_name"],
            r["severity"],
            charts.short(r["observed"], 40),
            charts.short(r["expected"], 40),
            _parts.text(charts.short(r["detail"], 160)),
        ]

    headers = [
        ("result", ""),
        ("table", ""),
        ("check", ""),
        ("severity", ""),
        ("observed", "num"),
        ("expected", "num"),
        ("detail", ""),
    ]
    run = latest[0] if latest else None
    body = Markup(_parts.latest_run(run["run_id"], _when(run["checked_at"]), badge)) if run else Markup()
    passed = [r for r in latest if r["passed"] is not False]
    if failed:
        body += _table(headers, [row(r) for r in failed])
    if passed:
        body += _parts.passed_checks(len(passed), _table(headers, [row(r) for r in passed]))
    if not latest:
        body += _empty("The quality table is empty.")
    return Section("quality", "Data quality", body, note=summary, wide=True)


def _spending(lake: LakeConnection) -> Section:
    title = "Post reads and budget"
    if not lake.has("usage"):
        body = _empty(
            "No post reads recorded in this lake yet: every run records what it read in the usage table."
        )
        return Section("spending", title, body, wide=True)
    rows = queries.reads_per_day(lake).to_pylist()
    if not rows:
        return Section("spending", title, _empty("The usage table is empty."), wide=True)
    budget = next((r["max_posts_per_month"] for r in reversed(rows) if r["max_posts_per_month"]), None)
    days = [datetime(r["day"].year, r["day"].month, r["day"].day, tzinfo=UTC) for r in rows]
    svg = charts.reads_vs_budget(days, [int(r["posts_read"] or 0) for r in rows], budget)
    this_month = [
        r for r in rows if (r["day"].year, r["day"].month) == (rows[-1]["day"].year, rows[-1]["day"].month)
    ]
    used = sum(int(r["posts_read"] or 0) for r in this_month)
    note = f"{used:,} posts read in {rows[-1]['day']:%B %Y}" + (
        f" of a {budget:,} monthly budget ({_pct(used, budget)})" if budget else " (no monthly budget set)"
    )
    table = _table(
        [("day", ""), ("posts read", "num"), ("estimated", "num"), ("runs", "num"),
         ("stopped by budget", "num"), ("per-run budget", "num")],
        [
            [r["day"], _n(r["posts_read"]), _n(r["posts_estimated"]), _n(r["runs"]), _n(r["stopped"]),
             _n(r["max_posts_per_run"]) if r["max_posts_per_run"] else "–"]
            for r in reversed(rows[-14:])
        ],
    )  # fmt: skip
    body = _figure(svg, "Post reads per day against the monthly budget") + table
    return Section("spending", title, body, note=note, wide=True)


# -- page -----------------------------------------------------------------------------------------
def build_report(
    lake: LakeStorage | str,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    now: datetime | None = None,
    title: str = "X posts report",
    collection: str | None = None,
) -> Report:
    """Query the lake and render the whole report (a new or empty lake gives a report that says so)."""
    started = time.monotonic()
    storage = lake if isinstance(lake, LakeStorage) else LakeStorage(lake)
    if collection:
        title = f"{title} · collection {collection}"
    with connect(storage, declared=True, collection=collection) as con:
        head = queries.summary(con, start, end).to_pylist()[0]
        posts = int(head["posts"])
        counts = queries.table_counts(con)
        first, last = head["first_post"], head["last_post"]
        bucket = queries.choose_bucket((end or last) - (start or first)) if (first and last) else "1 hour"
        sections = [
            _over_time(con, start, end, bucket),
            _sentiment(con, start, end, bucket),
            _ranked(
                "hashtags",
                "Top hashtags",
                queries.top_hashtags(con, start, end),
                "hashtag",
                "#",
                charts.ACCENT,
            ),
            _ranked(
                "mentions",
                "Top mentioned accounts",
                queries.top_mentions(con, start, end),
                "username",
                "@",
                charts.PALETTE[6],
            ),
            Section(
                "active-authors",
                "Most active authors",
                _authors_table(queries.most_active_authors(con, start, end), "posts"),
                note="by posts in the window",
            ),
            Section(
                "engaged-authors",
                "Most engaged authors",
                _authors_table(queries.most_engaged_authors(con, start, end), "engagement"),
                note="by total engagement of their posts in the window",
            ),
            _languages(con, start, end),
            _post_types(con, start, end, posts),
            _engagement(con, start, end, posts),
            _media(con, start, end, posts),
            _top_posts(con, start, end),
            _places(con, start, end, int(head["geotagged_posts"]), posts),
            _api_errors(con),
            _quality(con),
            _spending(con),
        ]
    page = _page(title, storage.uri, start, end, now or datetime.now(UTC), head, counts, sections)
    seconds = round(time.monotonic() - started, 2)
    chart_count = page.count('data-chart="1"')
    event(logger, "report built", posts=posts, charts=chart_count, seconds=seconds)
    return Report(
        html=page, posts=posts, charts=chart_count, sections=[s.key for s in sections], seconds=seconds
    )


def _page(
    title: str,
    lake_uri: str,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
    head: dict[str, Any],
    counts: dict[str, int],
    sections: list[Section],
) -> str:
    posts = int(head["posts"])
    if start or end:
        window = f"{_when(start) if start else 'the beginning'} → {_when(end) if end else 'now'}"
    else:
        window = "everything in the lake"
    kpis = [
        _parts.kpi("posts", _n(posts)),
        _parts.kpi("authors", _n(head["authors"])),
        _parts.kpi("languages", _n(head["languages"]), f"{_pct(head['english_posts'], posts)} English"),
        _parts.kpi(
            "engagement",
            charts._thousands(head["engagement"]) if posts else "0",
            f"{charts._thousands(head['likes'])} likes",
        ),
        _parts.kpi(
            "with media", _pct(head["posts_with_media"], posts), f"{_n(head['posts_with_media'])} posts"
        ),
        _parts.kpi("geotagged", _pct(head["geotagged_posts"], posts), f"{_n(head['geotagged_posts'])} posts"),
    ]
    banner = None
    if posts == 0:
        banner = (
            Markup(
                "This lake has no tables yet: collect posts first, e.g. <code>twitter-pipeline run</code>."
            )
            if not counts
            else "No posts were created in this window: widen it with --start/--end."
        )
    return _TEMPLATES.get_template("report.html").render(
        csp=Markup(CSP),  # our own constant: its quotes stay as written
        title=title,
        lake_uri=lake_uri,
        window=window,
        span=f"{_when(head['first_post'])} → {_when(head['last_post'])}" if posts else "no posts",
        generated=_when(now),
        kpis=kpis,
        inventory=" · ".join(f"{name} {count:,}" for name, count in counts.items()) or "no tables yet",
        banner=banner,
        sections=sections,
    )


def write_report(report: Report, out: str | Path) -> Path:
    """Write the page to a local file atomically (a reader never sees half a report)."""
    from twitter_pipeline.analyze.output import check_out_path

    path = check_out_path(out)
    try:
        write_atomic(path, report.html.encode("utf-8"))
    except OSError as exc:
        raise StorageError(
            f"cannot write the report to {path}: {exc.strerror or exc}; pick another --out"
        ) from None
    return path


def publish_report(
    lake: LakeStorage | str, key: str, start: datetime | None = None, end: datetime | None = None
) -> dict[str, Any]:
    """Build the report and store it in the lake under `key` (atomic write); small JSON-safe summary.

    The Airflow report DAG calls this: the page lands next to the data it describes, local or S3.
    """
    storage = lake if isinstance(lake, LakeStorage) else LakeStorage(lake)
    report = build_report(storage, start, end)
    storage.write_bytes(key, report.html.encode("utf-8"))
    return {
        "uri": storage.location(key),
        "posts": report.posts,
        "charts": report.charts,
        "seconds": report.seconds,
    }


REPORTS_PREFIX = "reports"


def daily_report_key(day: date) -> str:
    """``reports/report-YYYY-MM-DD.html``: one page per UTC day, rewritten as that day's data grows."""
    return f"{REPORTS_PREFIX}/report-{day:%Y-%m-%d}.html"


def publish_daily_report(lake: LakeStorage | str, day: date) -> dict[str, Any]:
    """The report on posts created during one UTC day, stored at `daily_report_key(day)` in the lake."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return publish_report(lake, daily_report_key(day), start, start + timedelta(days=1))


def day_of_window(extra: dict[str, Any] | None, fallback: datetime) -> date:
    """The UTC day a tweets-table update is about: its window's start if the event says, else `fallback`."""
    window = (extra or {}).get("window") or {}
    candidates = [window.get("start") if isinstance(window, dict) else None, (extra or {}).get("start")]
    for value in candidates:
        try:
            moment = parse_utc(value) if isinstance(value, str) and value else None
        except ValueError:
            moment = None
        if moment is not None:
            return moment.date()
    return fallback.astimezone(UTC).date()
