"""The ``twitter-pipeline`` command: one Typer app, one module per group of commands.

Each ``cli/<name>_cmd.py`` registers its commands on `app`; importing them here wires them in.
"""

from __future__ import annotations

from twitter_pipeline.cli.app import app, main

# Command modules register themselves on import (keep this list sorted).
from twitter_pipeline.cli import (  # noqa: F401  isort: skip
    analyze_cmd,
    collections_cmd,
    emulator_cmd,
    estimate_cmd,
    lake_cmd,
    run_cmd,
)

__all__ = ["app", "main"]
