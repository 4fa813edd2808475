"""The official X API v2 OpenAPI specs, read from ``../shared/x-api`` next to the repository.

Spec tests FAIL (never skip) when the files are missing: a silent skip would hide that nothing was
checked. ``X_API_SPEC_DIR`` points elsewhere (e.g. from a git worktree in another folder).
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SPEC_VERSIONS = ("2.159", "2.167")


def spec_dir() -> Path:
    override = os.environ.get("X_API_SPEC_DIR", "").strip()
    return Path(override) if override else REPO.parent / "shared" / "x-api"


def spec_path(version: str) -> Path:
    path = spec_dir() / f"openapi-v{version}.json"
    if not path.is_file():
        pytest.fail(
            f"the official spec {path} is missing: place openapi-v{version}.json in ../shared/x-api next "
            "to the repository (or set X_API_SPEC_DIR)",
            pytrace=False,
        )
    return path


@cache
def _load(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def load_spec(version: str) -> dict[str, Any]:
    return _load(str(spec_path(version)))
