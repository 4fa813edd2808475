"""Report time: runs the analysis helper's ``bench/report_bench.py`` when it exists, as a subprocess.

That script owns what it measures; here we time the whole script, pass ``--smoke`` when it offers
that option, and fold its output into the results: its ``name   value`` summary lines (posts, duckdb
scan, report, ratio) become rows; a JSON object on its last stdout line would too. The whole
script's wall time includes building its lake the first time, so it is a note, not the figure.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

from bench.common import BENCH_DIR, Row, Section

SCRIPT = BENCH_DIR / "report_bench.py"
PROGRESS_LINE = re.compile(r"^\s*copy \d+/\d+$")
SUMMARY_LINE = re.compile(r"^(posts|duckdb scan|report|ratio)\s{2,}(\S.*)$")


def bench_report(smoke: bool = False, cache_dir: Path | None = None, log=print) -> Section:
    section = Section("report")
    if not SCRIPT.exists():
        section.rows.append(Row("report", "report time", "skipped", f"{SCRIPT.name} does not exist yet"))
        return section
    argv = [sys.executable, str(SCRIPT)]
    if smoke:
        help_text = subprocess.run([*argv, "--help"], capture_output=True, text=True, timeout=120).stdout
        for flag in ("--smoke", "--quick"):
            if flag in help_text:
                argv.append(flag)
                break
    log(f"report: {' '.join(Path(a).name if a.startswith('/') else a for a in argv)}")
    started = time.perf_counter()
    out = subprocess.run(argv, capture_output=True, text=True, timeout=3600, cwd=BENCH_DIR.parent)
    seconds = time.perf_counter() - started
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"{SCRIPT.name} exited with {out.returncode}: {tail[0]}")
    lines = out.stdout.strip().splitlines()
    summary = dict(m.groups() for m in map(SUMMARY_LINE.match, lines) if m)
    posts = summary.pop("posts", "")
    for name, value in summary.items():
        subject = "report / one DuckDB scan of tweets" if name == "ratio" else name
        if posts and name != "ratio":
            subject += f" ({posts} posts)"
        section.rows.append(Row("report", subject, value.strip()))
    try:
        figures = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        figures = None
    if isinstance(figures, dict):
        for name, value in figures.items():
            section.rows.append(Row("report", str(name), str(value)))
    section.rows.append(
        Row("report", f"{SCRIPT.name} (whole script)", f"{seconds:.1f} s", "wall, lake building included")
    )
    shown = [line for line in lines if not PROGRESS_LINE.match(line)]  # "  copy 7/48" while building
    if shown:
        section.details.append("Output of report_bench.py:\n\n```\n" + "\n".join(shown[-30:]) + "\n```")
    return section
