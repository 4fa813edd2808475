"""End to end: N posts from the emulator → raw zone → Delta tables on S3 (moto), as a user runs it.

Quality checks are on, as they are by default. After the big run, the same servers measure the
cost of one small window (1 minute, about a thousand posts at the full-size density) on that lake
against the same window on a lake that holds almost nothing: what each later window costs must not
grow with the lake.

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


def _warm_counts(run_argv: list[str], env: dict[str, str]) -> float:
    """Ask the emulator, untimed, for the counts the run asks for first (its estimate).

    The real API answers a counts request in about a second; our emulator tallies every post of
    every bucket (tens of µs each, millions in a dense 24-hour window) and remembers the tallies.
    Without this the timed run would measure the emulator's counting, not the pipeline.
    """
    keep = {"--endpoint", "--query", "--start", "--end", "--lake"}
    options = [
        item for pair in zip(run_argv[2::2], run_argv[3::2], strict=False) if pair[0] in keep for item in pair
    ]
    # hourly buckets: each stays well inside the client's timeout; the run's daily buckets sum them
    argv = [run_argv[0], "estimate", *options, "--granularity", "hour", "--format", "json"]
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=3600, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(
            f"the counts warm-up (twitter-pipeline estimate) exited {done.returncode}: {tail[0]}"
        )
    return time.perf_counter() - started


def bench_e2e(posts: int, smoke: bool = False, log=print, window_rounds: int = 3) -> Section:
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
            "--max-pages", str(pages), "--lake", lake,
        ]  # fmt: skip
        log(f"e2e: {posts:,} posts ({pages:,} pages) into {lake}; world {density:,} posts/hour")
        warm_seconds = _warm_counts(argv, env)
        log(f"  emulator counts for the window warmed in {warm_seconds:.0f} s (untimed)")
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
        window = _window_costs(argv, lake, env, end, window_rounds, log) if window_rounds else None
    peak = usage.ru_maxrss * 1024  # Linux reports kilobytes
    tweets = rows.get("tweets", 0)
    pipeline_cpu = usage.ru_utime + usage.ru_stime
    section.rows.append(
        Row("e2e", f"emulator → raw → Delta on S3, {posts:,} posts", rate(posts, seconds, "posts"),
            f"{seconds:.1f} s wall; {tweets:,} rows in tweets")
    )  # fmt: skip
    met = peak < RSS_TARGET_BYTES
    section.rows.append(
        Row("e2e", "pipeline peak RSS (quality on)", f"{peak / 2**20:,.0f} MiB",
            "ru_maxrss of the CLI process", "< 1024 MiB", met)
    )  # fmt: skip
    if window is not None:
        _window_rows(section, window, tweets or posts)
    section.details.append(
        f"Window {start:%Y-%m-%d %H:%M}–{end:%Y-%m-%d %H:%M} UTC, recent search, {pages:,} pages of "
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


WINDOW_MINUTES = 1
WINDOW_TARGET = 1.3  # a window on the big lake costs at most 1.3x the same window on an empty one


def _window_argv(argv: list[str], lake: str, start: datetime, end: datetime) -> list[str]:
    """The e2e command for another lake and window, without --max-pages (a window runs to its end)."""
    out, skip = [], False
    for item in argv:
        if skip:
            skip = False
            continue
        if item in ("--start", "--end", "--max-pages", "--lake"):
            skip = True
            continue
        out.append(item)
    return [*out, "--start", start.isoformat(), "--end", end.isoformat(), "--lake", lake]


def _window_costs(
    argv: list[str], big_lake: str, env: dict[str, str], after: datetime, rounds: int, log=print
) -> dict[str, list[float]]:
    """Wall seconds of the same small windows on the big lake and on a near-empty one, interleaved.

    Window 0 is a warm-up on both lakes (on the empty one it creates the tables, a one-time cost
    a lake pays once); windows 1..rounds are measured. Both lakes get exactly the same windows.
    """
    empty_lake = f"s3://{BUCKET}/window-{uuid.uuid4().hex[:8]}"
    costs: dict[str, list[float]] = {"big": [], "empty": [], "big cpu": [], "empty cpu": []}
    log_path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"bench-window-{os.getpid()}.log")
    for number in range(rounds + 1):
        start = after + timedelta(minutes=WINDOW_MINUTES * number)
        end = start + timedelta(minutes=WINDOW_MINUTES)
        for name, lake in (("big", big_lake), ("empty", empty_lake)):
            code, seconds, usage = _run_pipeline(_window_argv(argv, lake, start, end), env, log_path)
            if code != 0:
                with open(log_path, "rb") as fh:
                    tail = fh.read().decode(errors="replace").strip().splitlines()[-2:]
                raise RuntimeError(f"window run exited with {code}: {' / '.join(tail)}")
            if number:
                costs[name].append(seconds)
                costs[f"{name} cpu"].append(usage.ru_utime + usage.ru_stime)
        if number:
            big, empty = costs["big"][-1], costs["empty"][-1]
            big_cpu, empty_cpu = costs["big cpu"][-1], costs["empty cpu"][-1]
            log(
                f"  window {number}/{rounds}: big lake {big:.2f} s ({big_cpu:.2f} s CPU), "
                f"empty {empty:.2f} s ({empty_cpu:.2f} s CPU)"
            )
    return costs


def _window_rows(section: Section, costs: dict[str, list[float]], lake_posts: int) -> None:
    """Wall time as a user sees it, and CPU seconds of the process: the cost that a busy machine
    does not inflate (on a shared 2-core machine the wall time mostly measures the neighbours)."""
    from bench.common import median

    for label, unit in (("", "wall"), (" cpu", "CPU")):
        big, empty = costs[f"big{label}"], costs[f"empty{label}"]
        ratios = sorted(b / e for b, e in zip(big, empty, strict=True))
        section.rows.append(
            Row("window", f"one small window, near-empty lake ({unit})", f"{median(empty):.2f} s",
                f"median of {len(empty)}; whole `run` process, quality on")
        )  # fmt: skip
        section.rows.append(
            Row("window", f"the same window, lake of {lake_posts:,} posts ({unit})", f"{median(big):.2f} s",
                f"median of {len(big)}")
        )  # fmt: skip
        ratio = median(ratios)
        section.rows.append(
            Row("window", f"big lake / near-empty lake ({unit} time)", f"{ratio:.2f}×",
                f"per-round {ratios[0]:.2f}–{ratios[-1]:.2f}", f"≤ {WINDOW_TARGET}×", ratio <= WINDOW_TARGET)
        )  # fmt: skip
    section.details.append(
        f"Window cost: {len(costs['big'])} closed {WINDOW_MINUTES}-minute windows just after the big run's "
        "range, same query, each run once on the big lake and once on a lake that holds only a warm-up "
        "window (its tables exist), interleaved; each is the whole `twitter-pipeline run` process "
        "(lease, repair check, fetch, raw zone, MERGE into every table, quality checks) on moto S3. "
        "Wall: as a user sees it; CPU: user + system seconds of that process (`os.wait4`)."
    )
