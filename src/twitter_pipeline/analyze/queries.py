"""The report's questions as named SQL queries, importable on their own.

Every function takes a `LakeConnection` (``twitter_pipeline.analyze.connect(lake)``) and an
optional UTC window ``[start, end)`` on ``tweets.created_at`` and returns an Arrow table, so a
notebook gets exactly the numbers the report shows. Windows filter the results table (`tweets`);
entity tables (hashtags, mentions…) are joined to it, so expansions never count as posts.

Engagement of a post = likes + reposts + replies + quotes (impressions are reported apart: they
are only visible to the author's plan and often missing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyarrow as pa

from twitter_pipeline.analyze.lake_sql import LakeConnection

ENGAGEMENT = (
    "(coalesce({t}.like_count, 0) + coalesce({t}.retweet_count, 0) "
    "+ coalesce({t}.reply_count, 0) + coalesce({t}.quote_count, 0))"
)
IS_ENGLISH = "({t}.lang = 'en' OR {t}.lang LIKE 'en-%')"

# Histogram edges of the engagement distribution: [low, high) per bucket, high None = open.
ENGAGEMENT_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0", 0, 1),
    ("1–9", 1, 10),
    ("10–99", 10, 100),
    ("100–999", 100, 1_000),
    ("1k–9.9k", 1_000, 10_000),
    ("10k+", 10_000, None),
)
POST_KINDS: tuple[str, ...] = ("original", "reply", "quote", "retweet")

# Time bucket by span of the data: about 12–150 bars whatever the window.
_BUCKETS: tuple[tuple[timedelta, str], ...] = (
    (timedelta(hours=3), "5 minutes"),
    (timedelta(hours=12), "15 minutes"),
    (timedelta(days=3), "1 hour"),
    (timedelta(days=14), "6 hours"),
    (timedelta(days=120), "1 day"),
)


@dataclass(frozen=True)
class Period:
    """A half-open UTC interval on ``created_at``; either end may be open (None)."""

    start: datetime | None = None
    end: datetime | None = None

    def where(self, alias: str = "t") -> tuple[str, dict[str, object]]:
        """SQL conditions and parameters; also prunes ``created_date`` partitions."""
        clauses: list[str] = ["TRUE"]
        params: dict[str, object] = {}
        if self.start is not None:
            clauses.append(f"{alias}.created_at >= $start AND {alias}.created_date >= $start_date")
            params.update(start=self.start, start_date=self.start.strftime("%Y-%m-%d"))
        if self.end is not None:
            clauses.append(f"{alias}.created_at < $end AND {alias}.created_date <= $end_date")
            params.update(end=self.end, end_date=self.end.strftime("%Y-%m-%d"))
        return " AND ".join(clauses), params


def _run(lake: LakeConnection, sql: str, window: Period, alias: str = "t", **params: object) -> pa.Table:
    where, window_params = window.where(alias)
    return lake.query(sql.replace("{window}", where), {**window_params, **params})


def _eng(alias: str = "t") -> str:
    return ENGAGEMENT.format(t=alias)


def choose_bucket(span: timedelta) -> str:
    """A DuckDB interval for time series over `span` (5 minutes … 1 week)."""
    for limit, interval in _BUCKETS:
        if span <= limit:
            return interval
    return "7 days"


def data_span(lake: LakeConnection, start: datetime | None = None, end: datetime | None = None) -> tuple:
    """(first, last) created_at of the window's posts; (None, None) when there are none."""
    row = _run(
        lake, "SELECT min(t.created_at), max(t.created_at) FROM tweets t WHERE {window}", Period(start, end)
    )
    return row.column(0)[0].as_py(), row.column(1)[0].as_py()


def _bucket_for(lake: LakeConnection, start: datetime | None, end: datetime | None) -> str:
    first, last = data_span(lake, start, end)
    low, high = start or first, end or last
    if low is None or high is None:
        return "1 hour"
    return choose_bucket(high - low)


# -- the queries ---------------------------------------------------------------------------------
def summary(lake: LakeConnection, start: datetime | None = None, end: datetime | None = None) -> pa.Table:
    """One row of headline numbers for the window."""
    sql = f"""
        SELECT count(*) AS posts,
               count(DISTINCT t.author_id) AS authors,
               count(DISTINCT t.lang) AS languages,
               min(t.created_at) AS first_post,
               max(t.created_at) AS last_post,
               CAST(coalesce(sum({_eng()}), 0) AS BIGINT) AS engagement,
               CAST(coalesce(sum(t.like_count), 0) AS BIGINT) AS likes,
               CAST(coalesce(sum(t.impression_count), 0) AS BIGINT) AS impressions,
               count(*) FILTER (WHERE len(t.media_keys) > 0) AS posts_with_media,
               count(*) FILTER (WHERE t.place_id IS NOT NULL OR t.latitude IS NOT NULL) AS geotagged_posts,
               count(*) FILTER (WHERE {IS_ENGLISH.format(t="t")}) AS english_posts
        FROM tweets t WHERE {{window}}
    """
    return _run(lake, sql, Period(start, end))


def posts_over_time(
    lake: LakeConnection,
    start: datetime | None = None,
    end: datetime | None = None,
    bucket: str | None = None,
) -> pa.Table:
    """Posts per time bucket (bucket start, UTC); the bucket width follows the window's span."""
    interval = bucket or _bucket_for(lake, start, end)
    sql = f"""
        SELECT time_bucket(INTERVAL '{_interval(interval)}', t.created_at) AS bucket,
               count(*) AS posts,
               count(DISTINCT t.author_id) AS authors,
               CAST(coalesce(sum({_eng()}), 0) AS BIGINT) AS engagement
        FROM tweets t WHERE {{window}} AND t.created_at IS NOT NULL
        GROUP BY 1 ORDER BY 1
    """
    return _run(lake, sql, Period(start, end))


def top_hashtags(
    lake: LakeConnection, start: datetime | None = None, end: datetime | None = None, limit: int = 15
) -> pa.Table:
    """Hashtags by number of posts using them (case-insensitive; shown in their commonest spelling)."""
    sql = _top_entity_sql("hashtags", "tag", "hashtag")
    return _run(lake, sql, Period(start, end), limit=limit)


def top_mentions(
    lake: LakeConnection, start: datetime | None = None, end: datetime | None = None, limit: int = 15
) -> pa.Table:
    """Accounts @-mentioned in the most posts (handles compared case-insensitively)."""
    sql = _top_entity_sql("mentions", "username", "username")
    return _run(lake, sql, Period(start, end), limit=limit)


def _top_entity_sql(table: str, column: str, label: str) -> str:
    """Entity values by distinct posts, grouped case-insensitively, labelled by the commonest spelling."""
    return f"""
        WITH uses AS (
            SELECT lower(e.{column}) AS key, e.{column} AS value, e.tweet_id
            FROM {table} e JOIN tweets t ON t.id = e.tweet_id WHERE {{window}} AND e.{column} IS NOT NULL
        ),
        spelled AS (
            SELECT key, first(value ORDER BY n DESC, value) AS label
            FROM (SELECT key, value, count(*) AS n FROM uses GROUP BY key, value) GROUP BY key
        )
        SELECT s.label AS {label}, u.key, count(DISTINCT u.tweet_id) AS posts
        FROM uses u JOIN spelled s ON s.key = u.key
        GROUP BY s.label, u.key ORDER BY posts DESC, u.key LIMIT $limit
    """


def _authors(lake: LakeConnection, window: Period, order: str, limit: int) -> pa.Table:
    sql = f"""
        SELECT t.author_id,
               any_value(u.username) AS username,
               any_value(u.name) AS name,
               max(u.followers_count) AS followers,
               count(*) AS posts,
               CAST(coalesce(sum({_eng()}), 0) AS BIGINT) AS engagement,
               CAST(coalesce(sum(t.like_count), 0) AS BIGINT) AS likes
        FROM tweets t LEFT JOIN users u ON u.id = t.author_id
        WHERE {{window}} AND t.author_id IS NOT NULL
        GROUP BY t.author_id ORDER BY {order}, t.author_id LIMIT $limit
    """
    return _run(lake, sql, window, limit=limit)


def most_active_authors(
    lake: LakeConnection, start: datetime | None = None, end: datetime | None = None, limit: int = 10
) -> pa.Table:
    """Authors with the most posts in the window (ties: more engagement first)."""
    return _authors(lake, Period(start, end), "posts DESC, engagement DESC", limit)


def most_engaged_authors(
    lake: LakeConnection, start: datetime | None = None, end: datetime | None = None, limit: int = 10
) -> pa.Table:
    """Authors whose posts in the window drew the most engagement in total."""
    return _authors(lake, Period(start, end), "engagement DESC, posts DESC", limit)


def language_mix(
    lake: LakeConnection, start: datetime | None = None, end: datetime | None = None
) -> pa.Table:
    """Posts per language tag X detected (``und`` = undetermined; null → ``(none)``)."""
    sql = """
        SELECT coalesce(t.lang, '(none)') AS lang, count(*) AS posts,
               count(*) / sum(count(*)) OVER () AS share
        FROM tweets t WHERE {window} GROUP BY 1 ORDER BY posts DESC, lang
    """
    return _run(lake, sql, Period(start, end))


def engagement_distribution(
    lake: LakeConnection, start: datetime | None = None, end: datetime | None = None
) -> pa.Table:
    """Posts per engagement bucket (0, 1–9, 10–99 …); every bucket present, empty ones as 0."""
    values = ", ".join(
        f"({i}, '{label}', {low}, {'NULL' if high is None else high})"
        for i, (label, low, high) in enumerate(ENGAGEMENT_BUCKETS)
    )
    sql = f"""
        WITH buckets(ord, label, low, high) AS (VALUES {values}),
        posts AS (SELECT {_eng()} AS engagement FROM tweets t WHERE {{window}})
        SELECT b.label AS bucket, b.low, b.high, count(p.engagement) AS posts
        FROM buckets b LEFT JOIN posts p
          ON p.engagement >= b.low AND (b.high IS NULL OR p.engagement < b.high)
        GROUP BY b.ord, b.label, b.low, b.high ORDER BY b.ord
    """
    return _run(lake, sql, Period(start, end))


def top_posts(
    lake: LakeConnection, start: datetime | None = None, end: datetime | None = None, limit: int = 10
) -> pa.Table:
    """The window's posts with the most engagement (full text of long posts)."""
    sql = f"""
        SELECT t.id, t.created_at, t.author_id, u.username, t.lang,
               coalesce(t.note_text, t.text) AS text,
               {_eng()} AS engagement,
               coalesce(t.like_count, 0) AS likes, coalesce(t.retweet_count, 0) AS reposts,
               coalesce(t.reply_count, 0) AS replies, coalesce(t.quote_count, 0) AS quotes,
               t.impression_count AS impressions
        FROM tweets t LEFT JOIN users u ON u.id = t.author_id
        WHERE {{window}} ORDER BY engagement DESC, t.id LIMIT $limit
    """
    return _run(lake, sql, Period(start, end), limit=limit)


def post_type_mix(
    lake: LakeConnection, start: datetime | None = None, end: datetime | None = None
) -> pa.Table:
    """Posts by kind: retweet, else reply, else quote, else original (one kind per post)."""
    kinds = ", ".join(f"({i}, '{kind}')" for i, kind in enumerate(POST_KINDS))
    sql = f"""
        WITH kinds(ord, kind) AS (VALUES {kinds}),
        refs AS (
            SELECT tweet_id,
                   bool_or(type = 'retweeted') AS is_retweet,
                   bool_or(type = 'replied_to') AS is_reply,
                   bool_or(type = 'quoted') AS is_quote
            FROM tweet_references GROUP BY tweet_id
        ),
        classified AS (
            SELECT CASE WHEN r.is_retweet THEN 'retweet' WHEN r.is_reply THEN 'reply'
                        WHEN r.is_quote THEN 'quote' ELSE 'original' END AS kind
            FROM tweets t LEFT JOIN refs r ON r.tweet_id = t.id WHERE {{window}}
        )
        SELECT k.kind, count(c.kind) AS posts
        FROM kinds k LEFT JOIN classified c ON c.kind = k.kind
        GROUP BY k.ord, k.kind ORDER BY k.ord
    """
    return _run(lake, sql, Period(start, end))


def media_share(lake: LakeConnection, start: datetime | None = None, end: datetime | None = None) -> pa.Table:
    """Posts per attached media type, plus ``none`` (a post with a photo and a video counts in both)."""
    sql = """
        WITH w AS (SELECT t.id, t.media_keys FROM tweets t WHERE {window}),
        keyed AS (SELECT id, unnest(media_keys) AS media_key FROM w),
        typed AS (
            SELECT k.id, coalesce(m.type, 'unknown') AS media_type
            FROM keyed k LEFT JOIN media m ON m.media_key = k.media_key
        ),
        counted AS (
            SELECT media_type, count(DISTINCT id) AS posts FROM typed GROUP BY 1
            UNION ALL
            SELECT 'none', count(*) FROM w WHERE coalesce(len(media_keys), 0) = 0
        )
        SELECT media_type, posts, posts / nullif((SELECT count(*) FROM w), 0) AS share
        FROM counted ORDER BY media_type = 'none', posts DESC, media_type
    """
    return _run(lake, sql, Period(start, end))


def places(
    lake: LakeConnection, start: datetime | None = None, end: datetime | None = None, limit: int = 15
) -> pa.Table:
    """Tagged places with the most posts (name from `places`, else the bare place id)."""
    sql = """
        SELECT t.place_id, coalesce(any_value(p.full_name), t.place_id) AS place,
               any_value(p.country) AS country, any_value(p.country_code) AS country_code,
               any_value(p.place_type) AS place_type, count(*) AS posts
        FROM tweets t LEFT JOIN places p ON p.id = t.place_id
        WHERE {window} AND t.place_id IS NOT NULL
        GROUP BY t.place_id ORDER BY posts DESC, place LIMIT $limit
    """
    return _run(lake, sql, Period(start, end), limit=limit)


def sentiment_over_time(
    lake: LakeConnection,
    start: datetime | None = None,
    end: datetime | None = None,
    bucket: str | None = None,
    max_scored: int | None = None,
) -> pa.Table:
    """VADER sentiment of English posts per time bucket; other languages counted as ``unscored``.

    Columns: bucket, posts, english, unscored, scored (English posts actually scored),
    positive/neutral/negative (English posts, estimated from the scored ones when sampled) and
    mean_compound. VADER is English-only, so other languages are never guessed.
    """
    from twitter_pipeline.analyze.sentiment import MAX_SCORED_POSTS, score_buckets

    interval = bucket or _bucket_for(lake, start, end)
    window = Period(start, end)
    limit = MAX_SCORED_POSTS if max_scored is None else max_scored
    counts = _run(
        lake,
        f"""
        SELECT time_bucket(INTERVAL '{_interval(interval)}', t.created_at) AS bucket, count(*) AS posts,
               count(*) FILTER (WHERE {IS_ENGLISH.format(t="t")}) AS english
        FROM tweets t WHERE {{window}} AND t.created_at IS NOT NULL GROUP BY 1 ORDER BY 1
        """,
        window,
    )
    english_total = sum(counts.column("english").to_pylist())
    sample = ""
    if english_total > limit > 0:
        # deterministic sample by post id: the same lake gives the same report
        sample = f"AND hash(t.id) % 1000000 < {max(1, limit * 1_000_000 // english_total)}"
    texts = _run(
        lake,
        f"""
        SELECT time_bucket(INTERVAL '{_interval(interval)}', t.created_at) AS bucket,
               coalesce(t.note_text, t.text) AS text, count(*) AS n
        FROM tweets t
        WHERE {{window}} AND t.created_at IS NOT NULL AND {IS_ENGLISH.format(t="t")} {sample}
        GROUP BY 1, 2
        """,
        window,
    )
    return score_buckets(counts, texts if limit > 0 else texts.slice(0, 0))


def quality_checks(lake: LakeConnection, limit_runs: int = 1) -> pa.Table:
    """Data-quality results of the latest `limit_runs` runs (empty when the lake has no `quality` table)."""
    if not lake.has("quality"):
        return pa.table(
            {
                name: pa.array([], type)
                for name, type in [
                    ("run_id", pa.string()),
                    ("checked_at", pa.timestamp("us", tz="UTC")),
                    ("table", pa.string()),
                    ("check_name", pa.string()),
                    ("severity", pa.string()),
                    ("passed", pa.bool_()),
                    ("observed", pa.string()),
                    ("expected", pa.string()),
                    ("detail", pa.string()),
                ]
            }
        )
    sql = """
        WITH runs AS (
            SELECT run_id, max(checked_at) AS last_checked FROM quality
            GROUP BY run_id ORDER BY last_checked DESC LIMIT $runs
        )
        SELECT q.run_id, q.checked_at, CAST(q."table" AS VARCHAR) AS "table",
               CAST(q.check_name AS VARCHAR) AS check_name, CAST(q.severity AS VARCHAR) AS severity,
               CAST(q.passed AS BOOLEAN) AS passed, CAST(q.observed AS VARCHAR) AS observed,
               CAST(q.expected AS VARCHAR) AS expected, CAST(q.detail AS VARCHAR) AS detail
        FROM quality q JOIN runs r ON r.run_id = q.run_id
        ORDER BY q.checked_at DESC, q.passed, "table", check_name
    """
    return lake.query(sql, {"runs": limit_runs})


def quality_history(lake: LakeConnection) -> pa.Table:
    """Checks and failures per severity over every recorded run (empty without a `quality` table)."""
    if not lake.has("quality"):
        return pa.table(
            {
                "severity": pa.array([], pa.string()),
                "checks": pa.array([], pa.int64()),
                "failed": pa.array([], pa.int64()),
                "runs": pa.array([], pa.int64()),
            }
        )
    return lake.query(
        """
        SELECT CAST(severity AS VARCHAR) AS severity, count(*) AS checks,
               count(*) FILTER (WHERE NOT passed) AS failed, count(DISTINCT run_id) AS runs
        FROM quality GROUP BY 1 ORDER BY 1
        """
    )


def api_errors(lake: LakeConnection, limit: int = 10) -> pa.Table:
    """Partial errors X returned next to data (deleted, protected, suspended…), by kind (whole lake)."""
    sql = """
        SELECT coalesce(title, type, '(untitled)') AS title, coalesce(resource_type, '–') AS resource_type,
               count(*) AS errors
        FROM api_errors GROUP BY 1, 2 ORDER BY errors DESC, title, resource_type LIMIT $limit
    """
    return lake.query(sql, {"limit": limit})


def reads_per_day(lake: LakeConnection) -> pa.Table:
    """Billed post reads per UTC day from the `usage` table, with the estimates and budgets of those runs."""
    return lake.query(
        """
        SELECT day, sum(posts_read) AS posts_read, sum(posts_estimated) AS posts_estimated,
               count(*) AS runs, count(*) FILTER (WHERE stopped_by_budget) AS stopped,
               max(max_posts_per_run) AS max_posts_per_run, max(max_posts_per_month) AS max_posts_per_month
        FROM usage GROUP BY day ORDER BY day
        """
    )


def table_counts(lake: LakeConnection, names: Iterable[str] | None = None) -> dict[str, int]:
    """Rows per lake table (whole tables, not windowed): the report header's inventory."""
    out: dict[str, int] = {}
    for name in sorted(names or lake.tables):
        if lake.has(name):
            out[name] = int(lake.query(f'SELECT count(*) FROM "{name}"').column(0)[0].as_py())
    return out


def _interval(text: str) -> str:
    """Only our own interval literals reach SQL: refuse anything else (no injection via `bucket`)."""
    allowed = {interval for _, interval in _BUCKETS} | {"7 days", "1 minute", "30 minutes", "12 hours"}
    if text not in allowed:
        from twitter_pipeline.errors import ConfigError

        raise ConfigError(f"time bucket {text!r} is not supported: use one of {', '.join(sorted(allowed))}")
    return text


QUERIES = {
    "summary": summary,
    "posts_over_time": posts_over_time,
    "top_hashtags": top_hashtags,
    "top_mentions": top_mentions,
    "most_active_authors": most_active_authors,
    "most_engaged_authors": most_engaged_authors,
    "language_mix": language_mix,
    "engagement_distribution": engagement_distribution,
    "top_posts": top_posts,
    "post_type_mix": post_type_mix,
    "media_share": media_share,
    "places": places,
    "sentiment_over_time": sentiment_over_time,
    "api_errors": api_errors,
}
