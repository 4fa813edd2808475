"""The ``twitter-pipeline`` command: one Typer app, one module per group of commands.

Each ``cli/<name>_cmd.py`` registers its commands on `app`; importing them here wires them in.
"""

from __future__ import annotations

from twitter_pipeline.cli.app import app, entry, main

# Command modules register themselves on import, and `--help` lists commands in that order: collect
# (run, backfill, import), plan (estimate), collections, look (sql, report), keep up (maintain), then
# the emulator.
from twitter_pipeline.cli import (  # noqa: F401  isort: skip
    run_cmd,
    estimate_cmd,
    collections_cmd,
    analyze_cmd,
    lake_cmd,
    emulator_cmd,
)

__all__ = ["app", "entry", "main"]
