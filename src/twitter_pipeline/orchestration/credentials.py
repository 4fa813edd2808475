"""Where the bearer token comes from when Airflow runs the pipeline, and keeping it out of logs.

Order: the Airflow connection (`x_api_default`, password field) → the ``X_BEARER_TOKEN`` environment
variable. With neither, the task fails naming the connection — unless the emulator was chosen
explicitly (``TWITTER_PIPELINE_SOURCE=emulator``): a production setup never falls back to synthetic
data. The token is read inside a task, never at DAG-parse time (Airflow 3 refuses connection reads
outside a task), and is registered with Airflow's secrets masker so it is redacted from every task
log line.
"""

from __future__ import annotations

import logging
import os

from twitter_pipeline.errors import ConfigError

DEFAULT_CONN_ID = "x_api_default"

log = logging.getLogger(__name__)


def resolve_bearer_token(conn_id: str = DEFAULT_CONN_ID) -> str | None:
    """The bearer token for this task run (masked), or None when the emulator was chosen explicitly."""
    if _emulator_chosen():
        log.warning("TWITTER_PIPELINE_SOURCE=emulator: this run generates synthetic posts")
        return None
    token = _token_from_connection(conn_id) or os.environ.get("X_BEARER_TOKEN", "").strip() or None
    if not token:
        raise ConfigError(
            f"no X API bearer token: add the Airflow connection {conn_id!r} with the token as its password "
            "(or set X_BEARER_TOKEN); for synthetic demo data set TWITTER_PIPELINE_SOURCE=emulator"
        )
    _mask(token)
    log.info("X API bearer token found (connection %r or X_BEARER_TOKEN); it is masked in logs", conn_id)
    return token


def _emulator_chosen() -> bool:
    return (os.environ.get("TWITTER_PIPELINE_SOURCE") or "").strip().lower() == "emulator"


def _token_from_connection(conn_id: str) -> str | None:
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        connection = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None
    password = (connection.password or "").strip()
    return password or None


def _mask(token: str) -> None:
    from airflow.sdk.log import mask_secret

    mask_secret(token, name="x_bearer_token")
