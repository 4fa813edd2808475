"""One exception family for everything a user can cause or fix.

The CLI turns a `PipelineError` into a single line on stderr and a non-zero exit,
so every message must say what went wrong *and* what to do about it.
"""

from __future__ import annotations


class PipelineError(Exception):
    """A failure the user can act on; `str(err)` is the one-line message."""

    exit_code = 1


class ConfigError(PipelineError):
    """Bad or missing settings (environment, CLI options, config files)."""

    exit_code = 2


class ApiError(PipelineError):
    """The X API (or the emulator) refused a request or sent something unusable."""

    exit_code = 3


class ApiUnreachableError(ApiError):
    """No answer at all from the API's base URL: nothing else is worth asking it."""


class AuthError(ApiError):
    """401/403: the bearer token is missing, invalid, revoked or not allowed."""


class UsageCapError(ApiError):
    """429 usage-capped: the account's post-read cap is exhausted; waiting does not help."""


class StorageError(PipelineError):
    """The lake (local folder or S3) cannot be read or written."""

    exit_code = 4


class NoLakeError(StorageError):
    """A command that reads the lake was pointed at something that is not one (missing, a file)."""

    exit_code = 8  # 7: `engine.lease.LeaseHeldError` (a busy unit), 9: `BudgetError`


class InputError(PipelineError):
    """A file given to `import` is unreadable or malformed."""

    exit_code = 5


class QualityError(PipelineError):
    """A data-quality check of severity error failed after a load."""

    exit_code = 6


class BudgetError(PipelineError):
    """A post-read budget (per run, per month, or the project's cap) would be or was crossed."""

    exit_code = 9


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message (or its type), so error lines stay one line."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
