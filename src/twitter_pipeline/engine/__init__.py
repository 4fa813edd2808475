"""The run engine: one way to run any unit of work through extract → raw zone → load → quality.

Every caller (CLI `run`/`backfill`/`import`, collections, the Airflow DAGs) hands a `WorkUnit` to
`run_unit`, which holds the unit's lease, repairs what an interrupted run of the same scope left
unloaded, extracts, loads, and only then moves the unit's state forward. See docs/run-engine.md.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from twitter_pipeline.engine.lease import LeaseHeldError, RunLease
    from twitter_pipeline.engine.run import UnitOutcome, run_unit
    from twitter_pipeline.engine.source_marker import claim_lake_source
    from twitter_pipeline.engine.work import Extraction, WorkUnit

# Loaded on first use: the engine pulls in the whole load stage, and `import` starts reading its
# files (`engine.import_pass`) while that happens.
_LAZY = {
    "Extraction": "work",
    "LeaseHeldError": "lease",
    "RunLease": "lease",
    "UnitOutcome": "run",
    "WorkUnit": "work",
    "claim_lake_source": "source_marker",
    "run_unit": "run",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f"twitter_pipeline.engine.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Extraction",
    "LeaseHeldError",
    "RunLease",
    "UnitOutcome",
    "WorkUnit",
    "claim_lake_source",
    "run_unit",
]
