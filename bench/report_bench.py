"""How long the HTML report takes on N posts, relative to one DuckDB scan of `tweets` (not a test).

    python bench/report_bench.py                     # 1,000,000 posts (lake built once, then reused)
    python bench/report_bench.py --posts 100000      # smaller
    python bench/report_bench.py --lake /path/lake   # reuse a lake you built before
    python bench/report_bench.py --smoke             # seconds: a 10-minute emulator window (CI)

The ratio (report seconds / scan seconds) is the number to watch: it says how many full scans the
report costs, independent of the machine. The emulator is rate-limited like the real API (450
requests of 100 posts per 15 minutes), so a million posts cannot be collected in reasonable time:
the bench collects a real base lake with `twitter-pipeline backfill` (up to ~20k posts), then
replicates its posts (tweets and the per-post tables: hashtags, mentions, urls, tweet_references)
back in time with new ids until N posts exist. Users, media and places are shared by the copies.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

POSTS_PER_HOUR = 1_700  # what the demo query matches in the emulator's world, roughly
BASE_POSTS_MAX = 20_000
PER_POST_TABLES = ("hashtags", "mentions", "urls", "tweet_references")
ID_STEP = 1 << 40  # copies get ids shifted by k * ID_STEP: distinct, still digits


def _cli(*args: str) -> None:
    command = [sys.executable, "-c", "from twitter_pipeline.cli import main; main()", *args]
    subprocess.run(command, check=True)


def build_base(lake: Path, posts: int) -> None:
    """Collect a real lake from the emulator: enough whole hours for min(posts, BASE_POSTS_MAX) posts."""
    hours = max(1, math.ceil(min(posts, BASE_POSTS_MAX) / POSTS_PER_HOUR))
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    start = end - timedelta(hours=hours)
    print(f"collecting {hours} h of emulator posts into {lake} …", flush=True)
    _cli(
        "backfill",
        "--source",
        "emulator",  # synthetic data is chosen explicitly on any lake but the demo's ./lake
        "--start",
        start.isoformat(),
        "--end",
        end.isoformat(),
        "--every",
        "1h",
        "--lake",
        str(lake),
    )


def _shift_ids(column: pa.ChunkedArray, k: int) -> pa.Array:
    as_int = pc.cast(column, pa.uint64())
    return pc.cast(pc.subtract(as_int, pa.scalar(k * ID_STEP, pa.uint64())), pa.string())


def amplify(lake: Path, posts: int) -> None:
    """Append shifted copies of the base posts until the lake holds at least `posts` posts."""
    from deltalake import write_deltalake

    from twitter_pipeline.load import read_table
    from twitter_pipeline.storage import LakeStorage
    from twitter_pipeline.transform.schema import TABLES

    storage = LakeStorage(str(lake))
    base = read_table(storage, "tweets")
    have = base.num_rows
    if have >= posts:
        return
    low, high = pc.min_max(base.column("created_at")).values()
    span = timedelta(hours=math.ceil((high.as_py() - low.as_py()).total_seconds() / 3600) or 1)
    copies = math.ceil(posts / have) - 1
    per_post = {name: read_table(storage, name) for name in PER_POST_TABLES}
    print(f"replicating {have:,} posts ×{copies} back in time ({span} apart) …", flush=True)
    for k in range(1, copies + 1):
        shift = pa.scalar(k * span, pa.duration("us"))
        created = pc.subtract(base.column("created_at"), shift)
        copy = base.set_column(base.schema.get_field_index("id"), "id", _shift_ids(base.column("id"), k))
        copy = copy.set_column(copy.schema.get_field_index("created_at"), "created_at", created)
        copy = copy.set_column(
            copy.schema.get_field_index("created_date"),
            "created_date",
            pc.strftime(created, format="%Y-%m-%d"),
        )
        if k == copies:  # the last copy only as far as needed
            copy = copy.slice(0, posts - have * copies)
        write_deltalake(
            storage.location("tables/tweets"),
            copy.cast(TABLES["tweets"].schema),
            mode="append",
            partition_by=["created_date"],
        )
        kept = pa.chunked_array([copy.column("id")]).combine_chunks()
        for name, table in per_post.items():
            shifted = table.set_column(0, "tweet_id", _shift_ids(table.column("tweet_id"), k))
            shifted = shifted.filter(pc.is_in(shifted.column("tweet_id"), value_set=kept))
            write_deltalake(
                storage.location(f"tables/{name}"), shifted.cast(TABLES[name].schema), mode="append"
            )
        print(f"  copy {k}/{copies}", flush=True)


def ensure_lake(lake: Path, posts: int) -> None:
    if not (lake / "tables" / "tweets" / "_delta_log").is_dir():
        build_base(lake, posts)
    amplify(lake, posts)


def time_scan(lake: str, repeat: int) -> float:
    """Best of `repeat`: one DuckDB pass over tweets touching the columns the report reads most."""
    from twitter_pipeline.analyze import connect

    best = math.inf
    for _ in range(repeat):
        started = time.perf_counter()
        with connect(lake) as con:
            con.query(
                "SELECT count(*), count(DISTINCT author_id), sum(like_count), max(length(text)), "
                "min(created_at) FROM tweets"
            )
        best = min(best, time.perf_counter() - started)
    return best


def time_report(lake: str, repeat: int) -> tuple[float, int]:
    from twitter_pipeline.analyze.report import build_report

    times, posts = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        report = build_report(lake)
        times.append(time.perf_counter() - started)
        posts = report.posts
    return min(times), posts


def smoke_lake(root: Path) -> Path:
    from twitter_pipeline import pipeline
    from twitter_pipeline.settings import load_settings

    lake = root / "lake"
    end = (datetime.now(UTC) - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    pipeline.run(load_settings(lake=str(lake)), source="emulator", start=end - timedelta(minutes=10), end=end)
    return lake


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000, help="posts in the lake (default 1,000,000)")
    parser.add_argument("--lake", help="reuse (or build once) this lake; default /tmp/tp-bench-lake-<posts>")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement, best kept (default 3)")
    parser.add_argument("--smoke", action="store_true", help="a 10-minute emulator window, one run: seconds")
    args = parser.parse_args()

    if args.smoke:
        lake = str(smoke_lake(Path(tempfile.mkdtemp(prefix="tp-bench-smoke-"))))
        repeat = 1
    else:
        lake_path = Path(args.lake or f"/tmp/tp-bench-lake-{args.posts}")
        ensure_lake(lake_path, args.posts)
        lake, repeat = str(lake_path), args.repeat

    time_scan(lake, 1)  # warm the page cache and imports for both measurements
    scan = time_scan(lake, repeat)
    report, posts = time_report(lake, repeat)
    print(f"lake            {lake}")
    print(f"posts           {posts:,}")
    print(f"duckdb scan     {scan:8.3f} s  (best of {repeat})")
    print(f"report          {report:8.3f} s  (best of {repeat})")
    print(f"ratio           {report / scan:8.1f} × one scan of tweets")


if __name__ == "__main__":
    main()
