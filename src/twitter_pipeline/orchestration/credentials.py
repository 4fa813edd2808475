"""Where the bearer token comes from when Airflow runs the pipeline, and keeping it out of logs.

Order: the Airflow connection (`x_api_default`, password field) → the ``X_BEARER_TOKEN`` environment
variable → no token (the pipeline then runs on its built-in emulator). The token is read inside a
task, never at DAG-parse time (Airflow 3 refuses connection reads outside a task), and is registered
with Airflow's secrets masker so it is redacted from every task log line.
"""

from __future__ import annotations

import logging
import os

DEFAULT_CONN_ID = "x_api_default"

log = logging.getLogger(__name__)


def resolve_bearer_token(conn_id: str = DEFAULT_CONN_ID) -> str | None:
    """The bearer token for this task run, or None to use the emulator; the token gets masked."""
    token = _token_from_connection(conn_id) or os.environ.get("X_BEARER_TOKEN", "").strip() or None
    if token:
        _mask(token)
        log.info("X API bearer token found (connection %r or X_BEARER_TOKEN); it is masked in logs", conn_id)
    else:
        log.info("no X API bearer token (connection %r, X_BEARER_TOKEN): using the local emulator", conn_id)
    return token


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
