"""End to end: N posts from the emulator → raw zone → Delta tables on S3 (moto), as a user runs it.

Three processes, each on its own: the emulator (``twitter-pipeline emulator``, rate limits raised),
``moto_server``, and the pipeline itself — the real CLI, ``twitter-pipeline run --source api
--endpoint recent … --lake s3://…``. The pipeline's peak RSS comes from ``os.wait4`` (the kernel's
``ru_maxrss`` of that process alone); CPU seconds of all three show which one limited the rate.

The recent-search endpoint (100 posts a page) is used rather than full-archive (500 a page) because
the client paces full-archive requests to the API's 1 request/second, which would measure the
pacing, not the pipeline. ``--max-pages`` stops the run at exactly N posts of a window holding more.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from bench.common import Row, Section, rate
from bench.servers import cli_path, emulator, moto_s3
from twitter_pipeline.emulator.constants import DEMO_QUERY

RSS_TARGET_BYTES = 1 << 30
BUCKET = "bench-lake"
PAGE_POSTS = 100  # recent search's max_results
WINDOW_HOURS = 24
DEMO_QUERY_SHARE = 0.4  # the demo query matches about 40 % of the emulator's posts
MAX_POSTS_PER_HOUR = 3_600_000


def _world_density(posts: int) -> int:
    """Posts per hour so a 24-hour window holds ~1.5× the posts wanted (the run stops at N)."""
    wanted = math.ceil(posts * 1.5 / DEMO_QUERY_SHARE / WINDOW_HOURS)
    return max(3_600, min(MAX_POSTS_PER_HOUR, wanted))


def _run_pipeline(argv: list[str], env: dict[str, str], log_path: str) -> tuple[int, float, object]:
    """Run the CLI; return (exit code, wall seconds, rusage of that process alone)."""
    with open(log_path, "wb") as log_file:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, seconds, usage


def _count_rows(lake: str, env: dict[str, str]) -> dict[str, int]:
    code = (
        "import sys, json\n"
        "from twitter_pipeline.storage import LakeStorage\n"
        "from twitter_pipeline.load.read import table_dataset\n"
        "s = LakeStorage(sys.argv[1])\n"
        "out = {}\n"
        "for name in ('tweets', 'users', 'hashtags', 'mentions'):\n"
        "    d = table_dataset(s, name)\n"
        "    out[name] = d.count_rows() if d is not None else 0\n"
        "print(json.dumps(out))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, lake], env=env, capture_output=True, text=True, timeout=600
    )
    if out.returncode != 0 or not out.stdout.strip():
        return {}
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_e2e(posts: int, smoke: bool = False, log=print) -> Section:
    section = Section("e2e")
    pages = math.ceil(posts / PAGE_POSTS)
    density = _world_density(posts)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    start = end - timedelta(hours=WINDOW_HOURS)
    lake = f"s3://{BUCKET}/e2e-{uuid.uuid4().hex[:8]}"
    log_path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"bench-e2e-{os.getpid()}.log")
    emulator_options = (
        "--posts-per-hour", str(density),
        "--recent-limit", str(10**9),
        "--all-limit", str(10**9),
        "--all-per-second", "0",
    )  # fmt: skip
    with moto_s3(BUCKET) as (s3, s3_env), emulator(*emulator_options) as (emu, token):
        env = {
            **os.environ,
            **s3_env,
            "X_BEARER_TOKEN": token,
            "X_API_BASE_URL": emu.url,
            "TWITTER_PIPELINE_LAKE": "",
            "TWITTER_PIPELINE_STORAGE_TIMEOUT": "60",
        }
        argv = [
            cli_path("twitter-pipeline"), "run",
            "--source", "api", "--endpoint", "recent", "--query", DEMO_QUERY,
            "--start", start.isoformat(), "--end", end.isoformat(),
            "--max-pages", str(pages), "--lake", lake, "--no-quality",
        ]  # fmt: skip
        log(f"e2e: {posts:,} posts ({pages:,} pages) into {lake}; world {density:,} posts/hour")
        emulator_cpu_before = emu.cpu_seconds() or 0.0
        moto_cpu_before = s3.cpu_seconds() or 0.0
        code, seconds, usage = _run_pipeline(argv, env, log_path)
        emulator_cpu = (emu.cpu_seconds() or 0.0) - emulator_cpu_before
        moto_cpu = (s3.cpu_seconds() or 0.0) - moto_cpu_before
        if code != 0:
            with open(log_path, "rb") as fh:
                tail = fh.read().decode(errors="replace").strip().splitlines()[-3:]
            raise RuntimeError(f"the pipeline exited with {code}: {' / '.join(tail)} (log: {log_path})")
        rows = _count_rows(lake, env)
    peak = usage.ru_maxrss * 1024  # Linux reports kilobytes
    tweets = rows.get("tweets", 0)
    pipeline_cpu = usage.ru_utime + usage.ru_stime
    section.rows.append(
        Row("e2e", f"emulator → raw → Delta on S3, {posts:,} posts", rate(posts, seconds, "posts"),
            f"{seconds:.1f} s wall; {tweets:,} rows in tweets")
    )  # fmt: skip
    met = peak < RSS_TARGET_BYTES
    section.rows.append(
        Row("e2e", "pipeline peak RSS", f"{peak / 2**20:,.0f} MiB", "ru_maxrss of the CLI process",
            "< 1024 MiB", met)
    )  # fmt: skip
    section.details.append(
        f"Window {start:%Y-%m-%d %H:%M}–{end:%H:%M} UTC, recent search, {pages:,} pages of "
        f"{PAGE_POSTS}; emulator world {density:,} posts/hour. CPU seconds during the run: pipeline "
        f"{pipeline_cpu:.0f} (user {usage.ru_utime:.0f}, system {usage.ru_stime:.0f}), emulator "
        f"{emulator_cpu:.0f}, moto S3 {moto_cpu:.0f}; wall {seconds:.0f} s on {os.cpu_count()} cores. "
        f"Rows: {rows or 'could not be counted'}."
    )
    if tweets and tweets != posts:
        section.details.append(f"NOTE: {tweets:,} rows in tweets for {posts:,} posts requested.")
    busiest = max(
        ("pipeline", pipeline_cpu), ("emulator", emulator_cpu), ("moto", moto_cpu), key=lambda x: x[1]
    )
    section.details.append(
        f"Busiest process: {busiest[0]} ({busiest[1] / seconds:.0%} of one core over the run)."
    )
    if not met:
        section.details.append(
            f"MISSED: peak RSS {peak / 2**20:,.0f} MiB is {peak / RSS_TARGET_BYTES:.2f}× the 1 GiB target."
        )
    return section
