"""What a user runs: ``twitter-pipeline import ARCHIVE`` vs ``twarc2 csv ARCHIVE out.csv``, whole processes.

Both sides start from the same twarc2 JSONL file on disk and end with their output on disk: ours a
Delta lake (raw zone, 11 tables, quality checks on), twarc-csv one CSV file. Each round runs both
processes back to back (plus a bare parse of the file, the floor of anything that reads it), so a
busy machine slows a round's contenders alike; figures are medians over the rounds and each ratio
is the median of the per-round ratios. Wall time includes interpreter start and imports, as the
user sees it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.archive import Archive
from bench.common import Row, Section, median, rate
from bench.servers import cli_path

TARGET_VS_TWARC = 10.0
BARE_PARSE = (
    "import sys, orjson\n"
    "posts = 0\n"
    "with open(sys.argv[1], 'rb') as fh:\n"
    "    for line in fh:\n"
    "        if line.strip():\n"
    "            posts += len(orjson.loads(line).get('data') or ())\n"
    "print(posts)\n"
)


def _timed(argv: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"{Path(argv[0]).name} {argv[1]} exited {done.returncode}: {tail[0]}")
    return seconds


def twarc_extra_columns(python: Path, archive: Path) -> list[str]:
    """Columns of current API data twarc-csv does not know (found untimed by the peer worker).

    ``twarc2 csv`` drops whole batches with unknown columns unless they are passed as
    ``--extra-input-columns``; without them it would look fast while converting nothing.
    """
    worker = Path(__file__).parent / "peers" / "twarc_csv_worker.py"
    out = subprocess.run(
        [str(python), "-W", "ignore", str(worker), str(archive), "--runs", "0"],
        capture_output=True, text=True, check=True, timeout=3600,
    )  # fmt: skip
    return list(json.loads(out.stdout.strip().splitlines()[-1]).get("extra_input_columns") or [])


def _csv_rows(path: Path) -> int:
    """Data rows of the CSV twarc-csv wrote (pandas in our venv reads its quoting correctly)."""
    import pandas as pd

    return sum(len(chunk) for chunk in pd.read_csv(path, chunksize=100_000, usecols=["id"]))


def bench_import(
    archive: Archive, rounds: int, twarc_python: Path | None, log=print, ours_cli: str | None = None
) -> Section:
    """`ours_cli`: the command as a user installs it (`bench.user_env`); default: this venv's."""
    section = Section("import")
    ours_cli = ours_cli or cli_path("twitter-pipeline")
    dev_cli = cli_path("twitter-pipeline")
    installed = "the development venv" if ours_cli == dev_cli else "its own venv, installed as a user does"
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWITTER_PIPELINE_", "X_"))}
    twarc_cli = None
    extra: list[str] = []
    if twarc_python is not None:
        twarc_cli = str(Path(twarc_python).with_name("twarc2"))
        extra = twarc_extra_columns(twarc_python, archive.path)
    # The command's fixed cost (interpreter, imports, lake setup, exit): the same import of the
    # archive's first page only, into a fresh lake. What is left of "ours" grows with the archive.
    one_page = work / "one-page.jsonl"
    with open(archive.path, "rb") as source:
        one_page.write_bytes(source.readline())
    times: dict[str, list[float]] = {"ours": [], "ours, one page (fixed cost)": [], "bare parse": []}
    if twarc_cli:
        times["twarc-csv"] = []
    csv_rows = 0
    try:
        for number in range(1, rounds + 1):
            lake = work / f"lake-{number}"
            times["ours"].append(_timed([ours_cli, "import", str(archive.path), "--lake", str(lake)], env))
            shutil.rmtree(lake, ignore_errors=True)
            argv = [ours_cli, "import", str(one_page), "--lake", str(lake)]
            times["ours, one page (fixed cost)"].append(_timed(argv, env))
            shutil.rmtree(lake, ignore_errors=True)
            if twarc_cli:
                out = work / f"out-{number}.csv"
                argv = [twarc_cli, "csv", str(archive.path), str(out), "--hide-progress"]
                if extra:
                    argv += ["--extra-input-columns", ",".join(extra)]
                # twarc2 asks for a token interactively without one; csv never calls the API
                # (cwd: twarc2 writes a twarc.log where it runs)
                twarc_env = {**env, "BEARER_TOKEN": "unused-by-csv"}
                times["twarc-csv"].append(_timed(argv, twarc_env, cwd=str(work)))
                csv_rows = _csv_rows(out)
                out.unlink(missing_ok=True)
            times["bare parse"].append(_timed([sys.executable, "-c", BARE_PARSE, str(archive.path)], env))
            log(f"  round {number}/{rounds}: " + ", ".join(f"{n} {v[-1]:.2f} s" for n, v in times.items()))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    posts = archive.posts
    section.details.append(
        f"Input: {archive.pages:,} pages, {posts:,} posts, {archive.size_bytes / 1e6:,.0f} MB of twarc2 "
        f"JSONL ({archive.path.name}). Each figure is the wall time of a whole process as a user runs "
        f"it, median of {rounds} rounds, the contenders interleaved in each round: "
        f"`twitter-pipeline import FILE --lake DIR` ({installed}; raw zone, 14 Delta tables, quality "
        "checks on, fresh lake each round); ours, one page: the same command on the archive's first line "
        "only (the fixed cost of starting, importing libraries, setting up the lake and exiting); "
        "`twarc2 csv FILE out.csv` (twarc-csv's own command, its own venv, "
        f"`--extra-input-columns` for {len(extra)} current API fields it does not know); bare parse: "
        "a python process that reads the file and `orjson.loads` every line, keeping nothing."
    )
    for name, values in times.items():
        section.rows.append(
            Row(
                "import",
                f"{name} (whole process)",
                f"{median(values):.2f} s",
                "one page" if "one page" in name else rate(posts, median(values), "posts"),
            )
        )
    if twarc_cli:
        ratios = [t / o for t, o in zip(times["twarc-csv"], times["ours"], strict=True)]
        ratio = median(ratios)
        met = ratio >= TARGET_VS_TWARC
        section.rows.append(
            Row("import", "import vs twarc2 csv (speed-up)", f"{ratio:.1f}×", _spread(ratios),
                f"≥ {TARGET_VS_TWARC:.0f}×", met)
        )  # fmt: skip
        if csv_rows != posts:
            section.details.append(f"NOTE: twarc-csv wrote {csv_rows:,} rows for {posts:,} posts.")
        if not met:
            section.details.append(
                f"MISSED: import is {ratio:.1f}× twarc2 csv, {TARGET_VS_TWARC / ratio:.2f}× short of the "
                "target. Where our time goes is in the cProfile breakdown below."
            )
    else:
        section.rows.append(Row("import", "import vs twarc2 csv (speed-up)", "skipped", "no twarc-csv venv"))
    ratios = [o / b for o, b in zip(times["ours"], times["bare parse"], strict=True)]
    section.rows.append(
        Row("import", "import / bare parse of the file (time)", f"{median(ratios):.2f}×", _spread(ratios))
    )
    return section


# The console script ends with `os._exit` (no interpreter finalization), so `python -m cProfile`
# would never write its file: profile `main` (and the imports it needs) and write the file here.
PROFILED_MAIN = (
    "import cProfile, importlib, sys\n"
    "out, sys.argv = sys.argv[1], ['twitter-pipeline', *sys.argv[2:]]\n"
    "profiler = cProfile.Profile()\n"
    "profiler.enable()\n"
    "try:\n"
    "    importlib.import_module('twitter_pipeline.cli.app').main()\n"
    "finally:\n"
    "    profiler.disable()\n"
    "    profiler.dump_stats(out)\n"
)


def profile_import(archive: Archive, top: int = 14, ours_cli: str | None = None) -> str:
    """cProfile of one whole ``import`` (top functions by own time), for the results' breakdown."""
    import pstats

    cli = ours_cli or cli_path("twitter-pipeline")
    work = Path(tempfile.mkdtemp(prefix="bench-import-prof-"))
    try:
        prof = work / "import.prof"
        python = str(Path(cli).with_name("python"))
        argv = [python, "-c", PROFILED_MAIN, str(prof), "import",
                str(archive.path), "--lake", str(work / "lake")]  # fmt: skip
        subprocess.run(argv, capture_output=True, check=True, timeout=3600)
        buffer = __import__("io").StringIO()
        pstats.Stats(str(prof), stream=buffer).strip_dirs().sort_stats("tottime").print_stats(top)
        text = buffer.getvalue()
        start = text.find("   ncalls")
        return text[start:].rstrip() if start >= 0 else text.rstrip()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _spread(ratios: list[float]) -> str:
    values = sorted(ratios)
    return f"per-round {values[0]:.2f}–{values[-1]:.2f}" if len(values) > 1 else ""
