"""A breakdown, not what a user runs: transform throughput on the same raw pages, in process.

Ours vs twarc-csv vs naive pandas vs a bare parse. The whole commands are compared in
``bench/import_bench.py``; this isolates the conversion step of both.

Every contender starts from the archive's lines already in memory (bytes) and ends with its tables,
so the figures compare the conversion alone. The contenders run interleaved, round by round, and each
ratio is the median of the per-round ratios: a noisy neighbour slows a whole round, not one side.

- ours: lines → ``RawPage`` → ``iter_table_batches`` (``pages_to_tables`` per 50 pages) → 14 tables.
- twarc-csv: ``DataFrameConverter`` over batches of 100 lines, in its own venv (subprocess; it
  times itself and reports). One wide tweets table with the author and includes inlined.
- naive pandas: per page ``orjson.loads`` + ``pandas.json_normalize`` of ``data`` and of each
  ``includes`` list, then ``pandas.concat`` per table (the tutorial approach). Less output than ours:
  no entity, reference or error tables, no types, no dedup.
- bare parse: ``orjson.loads`` of every line, nothing kept — the floor of anything that reads JSON.
"""

from __future__ import annotations

import cProfile
import gc
import io
import json
import pstats
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson

from bench.archive import Archive
from bench.common import Row, Section, median, rate

BENCH = "transform (breakdown)"  # one stage of `import`, not what a user runs: see bench/import_bench.py
TARGET_VS_TWARC = 10.0  # ours at least 10× faster than twarc-csv
TARGET_VS_FLOOR = 3.0  # ours at most 3× the time of a bare orjson parse
FETCHED_AT = datetime(2026, 3, 1, tzinfo=UTC)


def run_ours(lines: list[bytes]) -> int:
    from twitter_pipeline.raw.pages import PageRequest, RawPage
    from twitter_pipeline.transform import iter_table_batches

    request = PageRequest(endpoint="import", path="bench.jsonl")
    pages = (RawPage(request=request, body=line, fetched_at=FETCHED_AT) for line in lines)
    posts = 0
    for tables in iter_table_batches(pages):
        posts += tables["tweets"].num_rows
    return posts


def run_naive_pandas(lines: list[bytes]) -> int:
    import pandas as pd

    frames: dict[str, list] = {}
    for line in lines:
        page = orjson.loads(line)
        frames.setdefault("data", []).append(pd.json_normalize(page.get("data") or []))
        for name, items in (page.get("includes") or {}).items():
            frames.setdefault(f"includes.{name}", []).append(pd.json_normalize(items))
    tables = {name: pd.concat(parts, ignore_index=True) for name, parts in frames.items()}
    return len(tables["data"])


def run_bare_parse(lines: list[bytes]) -> int:
    posts = 0
    for line in lines:
        posts += len(orjson.loads(line).get("data") or ())
    return posts


IN_PROCESS: dict[str, Callable[[list[bytes]], int]] = {
    "ours": run_ours,
    "naive pandas": run_naive_pandas,
    "bare orjson parse": run_bare_parse,
}


def _timed(fn: Callable[[list[bytes]], int], lines: list[bytes]) -> tuple[float, int]:
    gc.collect()
    started = time.perf_counter()
    posts = fn(lines)
    return time.perf_counter() - started, posts


def run_twarc(python: Path, archive: Path) -> dict:
    out = subprocess.run(
        [str(python), "-W", "ignore", str(Path(__file__).parent / "peers" / "twarc_csv_worker.py"),
         str(archive), "--runs", "1"],
        capture_output=True, text=True, check=False, timeout=3600,
    )  # fmt: skip
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"twarc-csv worker failed: {tail[0]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def profile_ours(lines: list[bytes], top: int = 12) -> str:
    """cProfile of one run of ours: where the time goes when a target is missed."""
    profiler = cProfile.Profile()
    profiler.enable()
    run_ours(lines)
    profiler.disable()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats("tottime").print_stats(top)
    text = buffer.getvalue()
    start = text.find("   ncalls")
    return text[start:].rstrip() if start >= 0 else text.rstrip()


def bench_transform(
    archive: Archive, rounds: int, twarc_python: Path | None, log=print, profile: bool = False
) -> Section:
    section = Section("transform")
    lines = archive.lines()
    for fn in IN_PROCESS.values():  # warm-up: imports, caches, first-touch of the lines
        fn(lines[:2])
    times: dict[str, list[float]] = {name: [] for name in IN_PROCESS}
    if twarc_python is not None:
        times["twarc-csv"] = []
    twarc_info: dict = {}
    counts: dict[str, int] = {}
    for number in range(1, rounds + 1):
        for name, fn in IN_PROCESS.items():
            seconds, posts = _timed(fn, lines)
            times[name].append(seconds)
            counts[name] = posts
        if twarc_python is not None:
            twarc_info = run_twarc(twarc_python, archive.path)
            times["twarc-csv"].append(twarc_info["seconds"][0])
            counts["twarc-csv"] = twarc_info["rows"]
        log(
            f"  round {number}/{rounds}: "
            + ", ".join(f"{name} {values[-1]:.2f} s" for name, values in times.items())
        )

    posts = archive.posts
    section.details.append(
        "Breakdown (the conversion step alone, lines already in memory): "
        f"input {archive.pages:,} full-archive pages, {posts:,} posts, "
        f"{archive.size_bytes / 1e6:,.0f} MB of JSONL ({archive.path.name}); {rounds} rounds, "
        "contenders interleaved in each round; figures are medians."
    )
    for name, values in times.items():
        note = f"median of {len(values)}: {median(values):.2f} s; rows {counts.get(name, 0):,}"
        section.rows.append(Row(BENCH, name, rate(posts, median(values), "posts"), note))
    if twarc_info:
        extra = twarc_info.get("extra_input_columns") or []
        section.details.append(
            f"twarc-csv {twarc_info.get('twarc_csv')} with pandas {twarc_info.get('pandas')} "
            f"(own venv); parse_errors {twarc_info.get('parse_errors')}; "
            f"extra_input_columns needed for current API fields: {', '.join(extra) or 'none'}."
        )
        if counts.get("twarc-csv") != posts:
            section.details.append(
                f"WARNING: twarc-csv produced {counts.get('twarc-csv'):,} rows for {posts:,} posts."
            )
    for name in IN_PROCESS:
        if counts.get(name) != posts:
            section.details.append(f"WARNING: {name} produced {counts.get(name):,} post rows for {posts:,}.")

    missed = False
    if "twarc-csv" in times:
        ratios = [t / o for t, o in zip(times["twarc-csv"], times["ours"], strict=True)]
        ratio = median(ratios)
        met = ratio >= TARGET_VS_TWARC
        missed |= not met
        section.rows.append(
            Row(BENCH, "ours vs twarc-csv (speed-up)", f"{ratio:.1f}×",
                _spread(ratios), f"≥ {TARGET_VS_TWARC:.0f}×", met)
        )  # fmt: skip
        if not met:
            section.details.append(
                f"MISSED: ours is {ratio:.1f}× twarc-csv, {TARGET_VS_TWARC / ratio:.2f}× short of the target."
            )
    else:
        section.rows.append(
            Row(BENCH, "ours vs twarc-csv (speed-up)", "skipped", "no twarc-csv venv (--smoke)")
        )
    ratios = [o / n for o, n in zip(times["ours"], times["naive pandas"], strict=True)]
    section.rows.append(
        Row(
            BENCH,
            "ours vs naive pandas (speed-up)",
            f"{1 / median(ratios):.1f}×",
            _spread(ratios, True),
        )
    )
    ratios = [o / f for o, f in zip(times["ours"], times["bare orjson parse"], strict=True)]
    ratio = median(ratios)
    met = ratio <= TARGET_VS_FLOOR
    missed |= not met
    section.rows.append(
        Row(BENCH, "ours / bare parse (time)", f"{ratio:.2f}×", _spread(ratios),
            f"≤ {TARGET_VS_FLOOR:.0f}×", met)
    )  # fmt: skip
    if not met:
        section.details.append(
            f"MISSED: ours takes {ratio:.2f}× the bare parse, {ratio / TARGET_VS_FLOOR:.2f}× over the target."
        )
    if missed or profile:
        section.details.append(
            "cProfile of one run of ours (top by own time):\n\n```\n" + profile_ours(lines) + "\n```"
        )
    return section


def _spread(ratios: list[float], invert: bool = False) -> str:
    values = sorted(1 / r if invert else r for r in ratios)
    return f"per-round {values[0]:.2f}–{values[-1]:.2f}" if len(values) > 1 else ""
