"""Structured logging for the CLI and the DAG, with secrets scrubbed from every record.

Records go to stderr as ``key=value`` text (humans) or JSON lines (log shippers). A filter
replaces any registered secret (the bearer token) wherever it appears, as a last line of
defence: code should never log a secret in the first place.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import orjson

_SECRETS: set[str] = set()
REDACTED = "***"


def register_secret(value: str | None) -> None:
    """Remember a secret so no log record can carry it."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def scrub(text: str) -> str:
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class SecretScrubber(logging.Filter):
    """Rewrites a record's final message with secrets replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _SECRETS:
            record.msg = scrub(record.getMessage())
            record.args = None
            fields = getattr(record, "fields", None)
            if isinstance(fields, dict):
                record.fields = {k: scrub(v) if isinstance(v, str) else v for k, v in fields.items()}
        return True


_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "fields",
}


def record_fields(record: logging.LogRecord) -> dict[str, object]:
    """Structured fields of a record: `event(..., k=v)` fields plus any `extra={...}` keys."""
    fields = dict(getattr(record, "fields", None) or {})
    for key, value in vars(record).items():
        if key not in _STANDARD_ATTRS and not key.startswith("_"):
            fields.setdefault(key, scrub(value) if isinstance(value, str) else value)
    return fields


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **record_fields(record),
        }
        return orjson.dumps(doc, default=str).decode()


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        fields = record_fields(record)
        extra = " ".join(f"{k}={v}" for k, v in fields.items())
        return f"{ts} {record.levelname.lower():7} {record.name}: {record.getMessage()} {extra}".rstrip()


def remove_stderr_handler() -> None:
    """Take away the handler `configure_logging` installed (it holds the stderr of its time)."""
    logger = logging.getLogger("twitter_pipeline")
    for handler in list(logger.handlers):
        if getattr(handler, "_twitter_pipeline", False):
            logger.removeHandler(handler)


def configure_logging(level: str = "warning", fmt: str = "text") -> None:
    """Install one stderr handler on the package logger (idempotent)."""
    logger = logging.getLogger("twitter_pipeline")
    logger.setLevel(level.upper())
    remove_stderr_handler()
    handler = logging.StreamHandler(sys.stderr)
    handler._twitter_pipeline = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
    handler.addFilter(SecretScrubber())
    logger.addHandler(handler)
    logger.propagate = False


def event(logger: logging.Logger, message: str, level: int = logging.INFO, **fields: object) -> None:
    """Log a structured event: a short message plus key/value fields."""
    logger.log(level, message, extra={"fields": fields})
