"""Data-quality checks after each load, stored in the lake's ``quality`` table."""

from __future__ import annotations

from collections.abc import Mapping

from twitter_pipeline.load.window import LoadSummary
from twitter_pipeline.quality.checks import (
    ERROR,
    WARNING,
    CheckResult,
    KeyCounting,
    QualityReport,
    run_checks,
)
from twitter_pipeline.quality.store import QUALITY_SPEC, record_report
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.transform.schema import TableSpec


def check_window(
    storage: LakeStorage,
    summary: LoadSummary,
    *,
    raw_posts: int | None = None,
    specs: Mapping[str, TableSpec] | None = None,
    counted: KeyCounting | None = None,
) -> QualityReport:
    """Run every check for a loaded window and store the results; call `.raise_for_errors()` to gate.

    `counted`: the keys counted while the window loaded (`KeyCounting`).
    """
    report = run_checks(storage, summary.run_id, summary, raw_posts=raw_posts, specs=specs, counted=counted)
    record_report(storage, report)
    return report


__all__ = [
    "ERROR",
    "QUALITY_SPEC",
    "WARNING",
    "CheckResult",
    "KeyCounting",
    "QualityReport",
    "check_window",
    "record_report",
    "run_checks",
]
