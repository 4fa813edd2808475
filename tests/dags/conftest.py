"""Airflow test setup: a private AIRFLOW_HOME with a SQLite metadata DB, set before airflow is imported.

Airflow reads its configuration when first imported and otherwise creates ``~/airflow``; these
variables must exist before any test module (or fixture) imports it — hence module level here.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAGS_FOLDER = REPO / "dags"
DAG_FILE = DAGS_FOLDER / "twitter_pipeline.py"
DAG_ID = "twitter_pipeline"

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="tp-airflow-home-"))
atexit.register(shutil.rmtree, _AIRFLOW_HOME, ignore_errors=True)
os.environ.update(
    {
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(_AIRFLOW_HOME / "logs"),
        # tests re-parse the DAG with another lake within seconds: store every new version at once
        "AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL": "0",
    }
)

pytest.importorskip("airflow", reason="Airflow is not installed: pip install -e '.[airflow]'")


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    return _AIRFLOW_HOME


@pytest.fixture(scope="session")
def airflow_db(airflow_home: Path) -> Iterator[Path]:
    """A migrated metadata DB with the ``x_api`` pool, once per session (``airflow db migrate`` ~4 s)."""
    from airflow.models.pool import Pool
    from airflow.utils import db

    db.initdb()
    Pool.create_or_update_pool("x_api", 1, "X API rate limit", include_deferred=False)
    yield airflow_home / "airflow.db"


@pytest.fixture
def pipeline_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Embedded defaults for one test: emulator (no token anywhere), a fresh local lake in tmp."""
    for name in ("X_BEARER_TOKEN", "X_API_BASE_URL", "TWITTER_PIPELINE_QUERY", "AIRFLOW_CONN_X_API_DEFAULT"):
        monkeypatch.delenv(name, raising=False)
    lake = tmp_path / "lake"
    monkeypatch.setenv("TWITTER_PIPELINE_LAKE", str(lake))
    monkeypatch.setenv("TWITTER_PIPELINE_SOURCE", "emulator")
    return lake


def load_dag():
    """Parse the DAG file as Airflow does (with the current environment) and return the DAG."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert not bag.import_errors, bag.import_errors
    return bag.dags[DAG_ID]


def sync_dags_and_assets() -> None:
    """Parse the DAG folder into the DB, then do the scheduler's asset pass (retire unreferenced, activate).

    ``dag.test()`` runs no scheduler. Assets are identified by the lake's URI, and each test has its
    own lake; without this pass the asset of a new lake would stay inactive next to the previous
    test's (same name), and the task declaring it as an outlet would fail before it starts.
    """
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
    from airflow.utils.session import create_session

    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    for bundle in manager.get_all_dag_bundles():
        if not bundle.is_initialized:
            bundle.initialize()
        bag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
        sync_bag_to_db(bag, bundle.name, bundle.version)
    scheduler = object.__new__(SchedulerJobRunner)  # only its asset-orphanage pass is used
    with create_session() as session:
        scheduler._update_asset_orphanage(session=session)


# Only the stdlib-only asset helper of the package may load when a DAG file is parsed.
_HEAVY = (
    "pandas",
    "pyarrow",
    "deltalake",
    "duckdb",
    "matplotlib",
)  # (airflow.sdk itself loads httpx, pydantic)
# the settings read the environment once at parse time (pydantic: airflow.sdk loads it anyway)
_LIGHT = (
    "twitter_pipeline",
    "twitter_pipeline.orchestration",
    "twitter_pipeline.orchestration.assets",
    "twitter_pipeline.settings",
    "twitter_pipeline.defaults",  # the settings' default values (constants only)
    "twitter_pipeline.errors",
    "twitter_pipeline.times",
)


def heavy_modules_after_parsing(dag_file: Path) -> list[str]:
    """Modules a fresh interpreter holds after running a DAG file that it should not (parse-time cost)."""
    code = (
        "import sys, runpy; runpy.run_path(sys.argv[1]);"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {_HEAVY!r}"
        f" or (m.startswith('twitter_pipeline') and m not in {_LIGHT!r})); print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(dag_file)], capture_output=True, text=True, check=True, timeout=120
    )
    return [m for m in result.stdout.strip().split(",") if m]
