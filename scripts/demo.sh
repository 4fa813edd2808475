#!/usr/bin/env bash
# Run the whole pipeline once through Airflow 3 on the embedded defaults: no token, no cloud.
#   - X API: the built-in emulator (started in-process on a free loopback port for the extraction)
#   - lake: ./lake (Delta tables in ./lake/tables/*)      - Airflow: SQLite metadata in ./airflow-home
# It runs the DAG `twitter_pipeline` for the last complete UTC hour. Running it again in the same
# hour adds nothing (the window is already complete; the MERGE is idempotent).
# Environment you may set: TWITTER_PIPELINE_LAKE (e.g. s3://bucket/prefix), X_BEARER_TOKEN +
# TWITTER_PIPELINE_QUERY (live API), DEMO_LOGICAL_DATE (end of the hour to run, ISO 8601 UTC).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

# 1. A virtualenv with the package and Airflow at the versions CI tested (constraints.txt); reinstalled
#    only when pyproject.toml or constraints.txt changes.
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
stamp=.venv/.twitter-pipeline-airflow-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  echo "demo: installing twitter-pipeline with Airflow into .venv (first run: about a minute)"
  if ! { python -m pip install -q --upgrade pip && python -m pip install -q -c constraints.txt -e ".[airflow]"; } \
    >.venv/demo-install.log 2>&1; then
    tail -n 30 .venv/demo-install.log
    echo "demo: pip install failed; full log: .venv/demo-install.log" >&2
    exit 1
  fi
  touch "$stamp"
fi

# 2. A private Airflow home; these must be set before anything imports airflow.
export AIRFLOW_HOME="$root/airflow-home"
export AIRFLOW__CORE__DAGS_FOLDER="$root/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export TWITTER_PIPELINE_LAKE="${TWITTER_PIPELINE_LAKE:-$root/lake}"
# Without a token the demo chooses the emulator explicitly: the DAGs never fall back to it by themselves.
if [ -z "${X_BEARER_TOKEN:-}" ]; then
  export TWITTER_PIPELINE_SOURCE="${TWITTER_PIPELINE_SOURCE:-emulator}"
  echo "demo: no X_BEARER_TOKEN: the built-in X API emulator generates synthetic posts"
fi
mkdir -p "$AIRFLOW_HOME"

echo "demo: preparing the Airflow metadata DB in $AIRFLOW_HOME"
airflow db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 || {
  tail -n 20 "$AIRFLOW_HOME/db-migrate.log"
  exit 1
}
airflow pools set x_api 1 "X API rate limit" >/dev/null

# 3. One DAG run. With the hourly interval timetable, logical date L runs the window [L-1h, L).
logical_date="${DEMO_LOGICAL_DATE:-$(date -u +%Y-%m-%dT%H:00:00+00:00)}"
log="$AIRFLOW_HOME/demo-last-run.log"
echo "demo: airflow dags test twitter_pipeline $logical_date  (the hour before it; log: $log)"
if ! airflow dags test twitter_pipeline "$logical_date" >"$log" 2>&1; then
  tail -n 40 "$log"
  echo "demo: the DAG run failed; full log: $log" >&2
  exit 1
fi
if ! grep -q "state=success" "$log"; then
  tail -n 40 "$log"
  echo "demo: the DAG run did not succeed; full log: $log" >&2
  exit 1
fi

# 3b. The collections DAG on the demo config: one search and one account list (user timelines),
#     at the last UTC midnight so the daily account list is due too. The demo config names the
#     emulator's accounts: with a live token, it runs only for a collections file you choose.
if [ -z "${X_BEARER_TOKEN:-}" ] || [ -n "${TWITTER_PIPELINE_COLLECTIONS:-}" ]; then
  export TWITTER_PIPELINE_COLLECTIONS="${TWITTER_PIPELINE_COLLECTIONS:-$root/collections.demo.toml}"
  midnight="$(date -u +%Y-%m-%dT00:00:00+00:00)"
  clog="$AIRFLOW_HOME/demo-collections-run.log"
  echo "demo: airflow dags test twitter_collections $midnight  (collections: $TWITTER_PIPELINE_COLLECTIONS; log: $clog)"
  if ! airflow dags test twitter_collections "$midnight" >"$clog" 2>&1 || ! grep -q "state=success" "$clog"; then
    tail -n 40 "$clog"
    echo "demo: the collections DAG run failed; full log: $clog" >&2
    exit 1
  fi
  twitter-pipeline collections
fi

# 4. Where things are.
python - <<'PY'
import json
import os

from twitter_pipeline.errors import StorageError
from twitter_pipeline.load import read_table
from twitter_pipeline.load.window import RUNS_PREFIX
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.transform.schema import TABLES

storage = LakeStorage(os.environ["TWITTER_PIPELINE_LAKE"])
print(f"\ndemo: Delta tables in {storage.location('tables')}")
for spec in TABLES.values():
    try:
        rows = read_table(storage, spec.name, columns=list(spec.keys)).num_rows
    except StorageError:  # a table this window did not create
        continue
    print(f"  {spec.name:<18} {rows:>9,} rows   {storage.location('tables/' + spec.name)}")
runs = sorted(storage.list(f"{RUNS_PREFIX}/"))
if runs:
    record = json.loads(storage.read_bytes(runs[-1]))
    print(f"demo: last run summary: {storage.location(runs[-1])}")
    meta = record.get("metadata", {})
    window = f"{meta.get('start')} – {meta.get('end')}" if meta.get("end") else "since the last run (polling)"
    print(f"  run {record.get('run_id')}: window {window}, loaded in {record.get('seconds')} s")
PY
echo "demo: Airflow UI: AIRFLOW_HOME=$AIRFLOW_HOME AIRFLOW__CORE__DAGS_FOLDER=$root/dags airflow standalone"
