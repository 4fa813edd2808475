"""How fast the local X API emulator serves pages, over real loopback HTTP, as the pipeline asks for them.

Cases: full-archive search, 500 posts a page, with the pipeline's full field set and expansions
(``twitter_pipeline.extract.fields``); recent search, 100 a page, with `DEMO_QUERY` and no fields. Each
run starts a fresh emulator (cold caches, as a first crawl sees it) and follows `next_token`. Prints the
median wall ms/page, the emulator process's CPU ms/page (steadier on a busy machine) and posts/s.

``--baseline REF`` also measures the emulator of a git ref (``git archive`` into a temporary folder, run
in a subprocess) and prints the ratio. Usage::

    python bench/emulator_bench.py --runs 5 --pages 8 --baseline HEAD
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 1, tzinfo=UTC)
WINDOW = {"start_time": "2026-02-01T00:00:00Z", "end_time": "2026-02-28T00:00:00Z"}
RECENT_WINDOW = {"start_time": "2026-02-27T00:00:00Z", "end_time": "2026-02-28T00:00:00Z"}  # within 7 days


def _cases() -> dict[str, tuple[str, dict[str, str]]]:
    from twitter_pipeline.emulator import DEMO_QUERY
    from twitter_pipeline.extract.fields import field_params

    return {
        "search_all 500/page, pipeline fields": (
            "/2/tweets/search/all",
            {"query": DEMO_QUERY, "max_results": "500", **WINDOW, **field_params("tweets")},
        ),
        "search_recent 100/page, DEMO_QUERY": (
            "/2/tweets/search/recent",
            {"query": DEMO_QUERY, "max_results": "100", **RECENT_WINDOW},
        ),
    }


def measure(runs: int, pages: int) -> dict[str, dict[str, float]]:
    """Median wall and CPU ms per page and posts/s per case (in this process, with this checkout)."""
    import httpx

    from twitter_pipeline.emulator import EmulatorConfig, EmulatorServer

    limits = {"search_recent": 10**9, "search_all": 10**9, "user_posts": 10**9, "user_by_username": 10**9}
    results: dict[str, dict[str, float]] = {}
    for name, (path, params) in _cases().items():
        walls, cpus, rates = [], [], []
        for _ in range(runs):
            config = EmulatorConfig(
                token="bench", now=NOW, posts_per_hour=100_000, rate_limits=limits, search_all_per_second=0
            )
            with (
                EmulatorServer(config) as emu,
                httpx.Client(base_url=emu.base_url, headers={"Authorization": "Bearer bench"}) as client,
            ):
                query = dict(params)
                posts = 0
                cpu0, wall0 = _thread_cpu_total(), time.perf_counter()
                for _ in range(pages):
                    response = client.get(path, params=query)
                    response.raise_for_status()
                    meta = response.json()["meta"]
                    posts += meta["result_count"]
                    query["next_token"] = meta["next_token"]
                wall = time.perf_counter() - wall0
                cpu = _thread_cpu_total() - cpu0
            walls.append(wall * 1000 / pages)
            cpus.append(cpu * 1000 / pages)
            rates.append(posts / wall)
        results[name] = {
            "wall_ms_per_page": statistics.median(walls),
            "cpu_ms_per_page": statistics.median(cpus),
            "posts_per_s": statistics.median(rates),
        }
    return results


def _thread_cpu_total() -> float:
    """CPU seconds of this process (server threads and client together)."""
    return time.process_time()


def _baseline(ref: str, runs: int, pages: int) -> dict[str, dict[str, float]]:
    """Run `measure` against the package as it is at git `ref` (extracted, never checked out)."""
    with tempfile.TemporaryDirectory(prefix="emulator-bench-") as tmp:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", ref, "src/twitter_pipeline"], check=True, capture_output=True
        )
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(tmp) / "src"), str(REPO)])}
        out = subprocess.run(
            [sys.executable, __file__, "--runs", str(runs), "--pages", str(pages), "--json"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="fresh emulators per case (median reported)")
    parser.add_argument("--pages", type=int, default=8, help="pages fetched per run")
    parser.add_argument("--baseline", metavar="REF", help="also measure the emulator at this git ref")
    parser.add_argument("--json", action="store_true", help="print one JSON line (used for --baseline)")
    args = parser.parse_args()
    current = measure(args.runs, args.pages)
    if args.json:
        print(json.dumps(current))
        return
    base = _baseline(args.baseline, args.runs, args.pages) if args.baseline else None
    cores = os.cpu_count()
    print(f"emulator over loopback HTTP, {args.runs} runs × {args.pages} pages, medians ({cores} cores)")
    for name, row in current.items():
        line = (
            f"{name:40s} {row['wall_ms_per_page']:8.1f} ms/page  {row['cpu_ms_per_page']:8.1f} cpu ms/page  "
            f"{row['posts_per_s']:8.0f} posts/s"
        )
        if base and name in base:
            old = base[name]
            wall_ratio = old["wall_ms_per_page"] / row["wall_ms_per_page"]
            cpu_ratio = old["cpu_ms_per_page"] / row["cpu_ms_per_page"]
            line += (
                f"   | {args.baseline}: {old['wall_ms_per_page']:.1f} ms/page, "
                f"{old['cpu_ms_per_page']:.1f} cpu ms/page → ×{wall_ratio:.1f} wall, ×{cpu_ratio:.1f} cpu"
            )
        print(line)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
