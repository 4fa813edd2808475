"""What every benchmark shares: the machine's description, medians, result rows and the cache folder."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "twitter-pipeline-bench"
KEY_LIBRARIES = ("pyarrow", "pandas", "orjson", "deltalake", "httpx", "duckdb", "moto", "numpy")


@dataclass
class Row:
    """One line of the results table: a measured figure, its target and whether the target was met."""

    bench: str
    subject: str
    value: str
    note: str = ""
    target: str = ""
    met: bool | None = None  # None = no target

    @property
    def verdict(self) -> str:
        return "" if self.met is None else ("met" if self.met else "MISSED")


@dataclass
class Section:
    """The outcome of one benchmark: rows for the table plus free text (findings, profiles)."""

    name: str
    rows: list[Row] = field(default_factory=list)
    details: list[str] = field(default_factory=list)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def total_ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "n/a"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def library_versions() -> dict[str, str]:
    versions = {}
    for name in KEY_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO_DIR), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO_DIR), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out + (" (with uncommitted changes)" if dirty else "")


def machine_description() -> list[tuple[str, str]]:
    """The facts a reader needs to compare these numbers with their own machine's."""
    ram = total_ram_gib()
    libs = ", ".join(f"{name} {version}" for name, version in library_versions().items())
    return [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("CPU", cpu_model()),
        ("cores", str(os.cpu_count())),
        ("RAM", f"{ram:.1f} GiB" if ram else "unknown"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("libraries", libs),
        ("load average at start (1/5/15 min)", load_average()),
        ("git", git_revision()),
        ("command", "python -m bench " + " ".join(sys.argv[1:])),
    ]


def rate(count: float, seconds: float, unit: str = "") -> str:
    if seconds <= 0:
        return "n/a"
    return f"{count / seconds:,.0f} {unit}/s" if unit else f"{count / seconds:,.0f}/s"
