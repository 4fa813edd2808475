"""The run engine: one way to run any unit of work through extract → raw zone → load → quality.

Every caller (CLI `run`/`backfill`/`import`, collections, the Airflow DAGs) hands a `WorkUnit` to
`run_unit`, which holds the unit's lease, repairs what an interrupted run of the same scope left
unloaded, extracts, loads, and only then moves the unit's state forward. See docs/run-engine.md.
"""

from twitter_pipeline.engine.lease import LeaseHeldError, RunLease
from twitter_pipeline.engine.run import UnitOutcome, run_unit
from twitter_pipeline.engine.source_marker import claim_lake_source
from twitter_pipeline.engine.work import Extraction, WorkUnit

__all__ = [
    "Extraction",
    "LeaseHeldError",
    "RunLease",
    "UnitOutcome",
    "WorkUnit",
    "claim_lake_source",
    "run_unit",
]
