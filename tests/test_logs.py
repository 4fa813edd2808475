"""Structured logs: fields are kept, secrets are scrubbed whatever path they take."""

from __future__ import annotations

import logging

import orjson
import pytest

from twitter_pipeline.logs import configure_logging, event, register_secret


def test_json_lines_carry_fields_and_never_a_secret(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", "json")
    secret = "sekrit-bearer-9f8e7d"
    register_secret(secret)
    log = logging.getLogger("twitter_pipeline.test")
    event(log, f"calling with {secret}", endpoint="search_recent", header=f"Bearer {secret}")
    log.info("extra path %s", secret, extra={"auth": secret})
    lines = [orjson.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["endpoint"] == "search_recent" and lines[0]["level"] == "info"
    assert secret not in str(lines)
    assert "***" in lines[0]["event"] and lines[1]["auth"] == "***"
