"""``python -m bench``: run the benchmarks, print one table, write ``bench/results.md``.

python -m bench                     # everything, full size (about an hour on 2 cores)
python -m bench --only import       # one benchmark
python -m bench --smoke             # seconds: checks every benchmark still runs (CI)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench.common import BENCH_DIR, DEFAULT_CACHE, Row, Section, machine_description

BENCHES = ("import", "transform", "e2e", "pacing", "report")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks of twitter-pipeline against its peers and the physical floor.",
    )
    parser.add_argument(
        "--smoke", "--quick", dest="smoke", action="store_true",
        help="Tiny sizes, one round, no peer venv creation: checks the benchmarks run (seconds). "
        "Writes results only with --out.",
    )  # fmt: skip
    parser.add_argument(
        "--only", choices=BENCHES, action="append", help="Run only this benchmark (repeatable)."
    )
    parser.add_argument(
        "--posts", type=int, default=None, help="Posts in the end-to-end run (default 1,000,000)."
    )
    parser.add_argument(
        "--import-posts", type=int, default=None,
        help="Posts in the archive the import benchmark imports (default 50,000).",
    )  # fmt: skip
    parser.add_argument(
        "--window-rounds", type=int, default=None,
        help="Small windows timed on the big and the empty lake after the e2e run (default 3).",
    )  # fmt: skip
    parser.add_argument(
        "--transform-posts", type=int, default=None,
        help="Posts in the transform archive (default 100,000).",
    )  # fmt: skip
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="Rounds of the transform contenders, twarc-csv included (default 3).",
    )
    parser.add_argument(
        "--pacing-seconds", type=float, default=None,
        help="Length of the pacing run (default 65 s: six 10-second windows and a bit).",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, default=None,
        help="Results file (default bench/results.md; with --smoke, none unless given).",
    )  # fmt: skip
    parser.add_argument(
        "--cache-dir", type=Path, default=DEFAULT_CACHE, help=f"Generated inputs (default {DEFAULT_CACHE})."
    )
    parser.add_argument(
        "--twarc-venv", type=Path, default=None,
        help="The twarc-csv venv (default bench/.venv-twarc or $TWITTER_PIPELINE_BENCH_TWARC_VENV; "
        "created when missing, except with --smoke).",
    )  # fmt: skip
    parser.add_argument("--no-twarc", action="store_true", help="Skip the twarc-csv peer.")
    parser.add_argument(
        "--profile", action="store_true", help="Profile our side even when every target is met."
    )
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _twarc_python(args: argparse.Namespace) -> Path | None:
    from bench.twarc_env import default_venv, ensure_venv, is_ready, venv_python

    if args.no_twarc:
        return None
    venv = args.twarc_venv or default_venv()
    if args.smoke:
        return venv_python(venv) if is_ready(venv) else None
    return ensure_venv(venv, log=log)


def run_import(args: argparse.Namespace) -> Section:
    from bench.archive import ensure_archive
    from bench.import_bench import bench_import, profile_import

    posts = args.import_posts or (1_000 if args.smoke else 50_000)
    rounds = args.rounds or (1 if args.smoke else 3)
    archive = ensure_archive(args.cache_dir, posts, log=log)
    ours_cli = None
    if not args.smoke:
        from bench.user_env import user_cli

        ours_cli = user_cli(log=log)
    log(f"import: {archive.posts:,} posts, {rounds} rounds (whole processes)")
    section = bench_import(archive, rounds, _twarc_python(args), log=log, ours_cli=ours_cli)
    if args.profile or any(row.met is False for row in section.rows):
        section.details.append(
            "Breakdown: cProfile of one whole `twitter-pipeline import` (top by own time):\n\n```\n"
            + profile_import(archive, ours_cli=ours_cli)
            + "\n```"
        )
    return section


def run_transform(args: argparse.Namespace) -> Section:
    from bench.archive import ensure_archive
    from bench.transform import bench_transform

    posts = args.transform_posts or (1_000 if args.smoke else 100_000)
    rounds = args.rounds or (1 if args.smoke else 3)
    archive = ensure_archive(args.cache_dir, posts, log=log)
    twarc_python = _twarc_python(args)
    log(f"transform: {archive.posts:,} posts, {rounds} rounds")
    return bench_transform(archive, rounds, twarc_python, log=log, profile=args.profile)


def run_e2e(args: argparse.Namespace) -> Section:
    from bench.e2e import bench_e2e

    posts = args.posts or (300 if args.smoke else 1_000_000)
    rounds = args.window_rounds if args.window_rounds is not None else (1 if args.smoke else 3)
    return bench_e2e(posts, smoke=args.smoke, log=log, window_rounds=rounds)


def run_pacing(args: argparse.Namespace) -> Section:
    from bench.pacing import bench_pacing

    return bench_pacing(seconds=args.pacing_seconds, smoke=args.smoke, log=log)


def run_report(args: argparse.Namespace) -> Section:
    from bench.report import bench_report

    return bench_report(smoke=args.smoke, cache_dir=args.cache_dir, log=log)


RUNNERS = {
    "import": run_import,
    "transform": run_transform,
    "e2e": run_e2e,
    "pacing": run_pacing,
    "report": run_report,
}


def table(rows: list[Row]) -> str:
    header = ("bench", "what", "result", "target", "verdict", "notes")
    cells = [header] + [(r.bench, r.subject, r.value, r.target, r.verdict, r.note) for r in rows]
    return "\n".join("| " + " | ".join(c.replace("|", "/") for c in line) + " |" for line in [
        cells[0], tuple("---" for _ in header), *cells[1:]
    ])  # fmt: skip


def render(sections: list[Section], machine: list[tuple[str, str]], seconds: float) -> str:
    parts = ["# Benchmark results", "", "Written by `python -m bench`; rerun it to refresh. Machine:", ""]
    parts += [f"- **{key}**: {value}" for key, value in machine]
    parts += ["", f"Total benchmark time: {seconds:.0f} s.", "", "## Summary", ""]
    parts.append(table([row for section in sections for row in section.rows]))
    for section in sections:
        if section.details:
            parts += ["", f"## {section.name}", ""]
            parts += [f"{detail}\n" for detail in section.details]
    return "\n".join(parts).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    machine = machine_description()
    chosen = args.only or list(BENCHES)
    started = time.perf_counter()
    sections: list[Section] = []
    failed = False
    for name in BENCHES:
        if name not in chosen:
            continue
        log(f"== {name}")
        try:
            sections.append(RUNNERS[name](args))
        except Exception as exc:  # one broken benchmark must not hide the others' results
            failed = True
            sections.append(
                Section(name, [Row(name, "benchmark failed", "error", f"{type(exc).__name__}: {exc}")])
            )
            log(f"{name} failed: {type(exc).__name__}: {exc}")
    text = render(sections, machine, time.perf_counter() - started)
    print(table([row for section in sections for row in section.rows]))
    out = args.out or (None if args.smoke else BENCH_DIR / "results.md")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        log(f"results written to {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
