"""Dependencies are what CI tests: every import declared (deptry), and constraints.txt pins every
package the project installs, at versions its declared ranges allow and that this venv runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "twitter-pipeline"
EXTRAS = ("test", "airflow")


def _pins() -> dict[NormalizedName, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin (name==version)"
            pins[canonicalize_name(name)] = version.strip()
    return pins


def _closure(root: str, extras: tuple[str, ...]) -> dict[NormalizedName, list[Requirement]]:
    """Every distribution `root[extras]` needs in this environment, with the requirements naming it."""
    needed: dict[NormalizedName, list[Requirement]] = {}
    seen: set[tuple[NormalizedName, frozenset[str]]] = set()
    stack = [(root, frozenset(extras))]
    while stack:
        name, wanted = stack.pop()
        key = (canonicalize_name(name), wanted)
        if key in seen:
            continue
        seen.add(key)
        for text in metadata.requires(name) or []:
            req = Requirement(text)
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in (*wanted, "")):
                continue
            needed.setdefault(canonicalize_name(req.name), []).append(req)
            stack.append((req.name, frozenset(req.extras)))
    return needed


def test_every_import_is_declared() -> None:
    deptry = Path(sys.executable).with_name("deptry")
    result = subprocess.run(
        [str(deptry), "src", "dags"],
        cwd=ROOT,
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_constraints_pin_every_installed_dependency_at_an_allowed_version() -> None:
    pins = _pins()
    problems = []
    for name, requirements in sorted(_closure(PROJECT, EXTRAS).items()):
        pinned = pins.get(name)
        if pinned is None:
            problems.append(f"{name} is installed but not pinned")
            continue
        for req in requirements:
            if not req.specifier.contains(pinned, prereleases=True):
                problems.append(f"{name}=={pinned} does not satisfy {req}")
    fix = "refresh it: bash scripts/update-constraints.sh (docs: README, Development)"
    assert problems == [], f"constraints.txt is stale ({fix}): " + "; ".join(problems)


def test_this_environment_runs_the_pinned_versions() -> None:
    pins = _pins()
    drift = [
        f"{name} {metadata.version(name)} (pinned {pins[name]})"
        for name in sorted(_closure(PROJECT, EXTRAS))
        if name in pins and metadata.version(name) != pins[name]
    ]
    assert drift == [], "installed versions differ from constraints.txt: " + ", ".join(drift)


INSTALLS = {
    ".ci/run": 'pip install -q -c constraints.txt -e ".[test,airflow]"',
    "scripts/demo.sh": 'pip install -q -c constraints.txt -e ".[airflow]"',
    "deploy/ec2/user-data.sh": 'pip" install -q -c "$APP_ROOT/app/constraints.txt"',
    "deploy/docker/Dockerfile": "pip install --no-cache-dir -c /opt/twitter-pipeline/constraints.txt",
}


def test_every_install_uses_the_constraints() -> None:
    for path, command in INSTALLS.items():
        text = (ROOT / path).read_text(encoding="utf-8")
        lines = [re.sub(r'pip"? install -q --upgrade pip', "", line) for line in text.splitlines()]
        installs = [line for line in lines if re.search(r'pip"? install -', line)]
        assert installs, f"{path} installs nothing"
        assert all("constraints.txt" in line for line in installs), f"{path}: {installs}"
        assert command in text, path


def test_the_docker_image_runs_the_pinned_airflow() -> None:
    airflow = _pins()[canonicalize_name("apache-airflow")]
    assert f"apache/airflow:{airflow}-python3.11" in (ROOT / "deploy/docker/Dockerfile").read_text()
