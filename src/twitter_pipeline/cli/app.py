"""The Typer application and the one place that turns `PipelineError` into a one-line exit."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from typing import NoReturn

import typer

from twitter_pipeline.cli import interrupt
from twitter_pipeline.errors import PipelineError, one_line
from twitter_pipeline.logs import scrub

app = typer.Typer(
    name="twitter-pipeline",
    help="Collect posts from the X API v2 into a raw zone and Delta Lake tables, locally or on S3.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: no rich markup (it ate "[[collections]]"), no boxes in a pipe, wraps at the
    # terminal's width up to 120 columns.
    rich_markup_mode=None,
    context_settings={"max_content_width": 120},
)


# typer ≥ 0.22 bundles its own click (``typer._click``); older releases use the ``click`` package. Its
# exception classes are the ones in the MRO of `typer.BadParameter` either way, and ``import click`` may
# fail where only typer is installed (the no-Airflow install).
_CLICK_EXCEPTION: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)
USAGE_EXIT = 2


# The command's own process settings, unless the user chose otherwise; the libraries read them at
# their first use, so they are set before anything imports those libraries.
PROCESS_DEFAULTS = {
    # Arrow's allocator. Measured on a 50,000-post import (2 cores): the wheel's default, mimalloc,
    # spent 0.4-1.2 s in the kernel (pages returned and faulted back) and peaked at 640-670 MiB;
    # jemalloc 0.45-0.55 s and 550 MiB, 0.1-0.2 s faster.
    "ARROW_DEFAULT_MEMORY_POOL": "jemalloc",
    # numpy's OpenBLAS (loaded with pyarrow) starts a thread per core that spins waiting for work;
    # no command multiplies matrices. Measured: ~50 ms of CPU taken from the import's second core,
    # 25-65 ms of its wall time.
    "OPENBLAS_NUM_THREADS": "1",
}
# CPython's cyclic-GC thresholds stay at their defaults: collecting every 200,000 objects instead of
# 700 saved 20-40 ms of a 50,000-post import, but cyclic garbage holding Arrow buffers then lived
# on, and a 1,000,000-post run peaked at 1.3 GiB instead of ~0.95 (measured, bench e2e).


def entry() -> NoReturn:
    """The console script: `main`, then the process ends at once, without finalizing the interpreter.

    Finalizing frees every object pyarrow and deltalake hold, one at a time: 0.3 s measured after
    an import (a tenth of its wall time), and the step where deltalake can abort (PITFALLS #1).
    Everything a command writes is committed and closed before `main` returns, except what a worker
    thread still writes when a command fails (an import's raw pages): exit waits for those threads,
    as the interpreter's own exit does. Then the logs and the standard streams are flushed, and the
    exit code is the one `main` chose.
    """
    for name, value in PROCESS_DEFAULTS.items():
        os.environ.setdefault(name, value)
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = _exit_code(exc.code)
    _join_worker_threads()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`| head`): nothing to add
            stream.flush()
    os._exit(code)


def _join_worker_threads() -> None:
    """Wait for every non-daemon thread, the first step of the interpreter's exit that `os._exit` skips."""
    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread is not current and not thread.daemon:
            thread.join()


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # sys.exit("message"): printed, exit 1, as Python does
    return 1


def main() -> None:
    """Run the command: user errors are one line on stderr and a non-zero exit (`SystemExit`)."""
    previous = interrupt.install()
    try:
        _main()
    finally:
        interrupt.restore(previous)


def _main() -> None:
    try:
        code = app(standalone_mode=False, prog_name="twitter-pipeline")
    except interrupt.Interrupted as exc:
        typer.secho(scrub(interrupt.message(exc)), err=True, fg=typer.colors.YELLOW)
        sys.exit(exc.exit_code)
    except PipelineError as exc:
        typer.secho(scrub(f"error: {exc}"), err=True, fg=typer.colors.RED)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.secho("aborted", err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except _CLICK_EXCEPTION as exc:
        sys.exit(_usage_error(exc))
    except Exception as exc:  # a bug of ours, not bad input: still one line, the traceback in the log
        logging.getLogger("twitter_pipeline").debug("unexpected failure", exc_info=True)
        typer.secho(
            scrub(
                f"error: unexpected failure ({type(exc).__name__}: {one_line(exc)}); this is a bug in "
                "twitter-pipeline: rerun with --log-level debug for the traceback and report it"
            ),
            err=True,
            fg=typer.colors.RED,
        )
        sys.exit(1)
    if isinstance(code, int) and code:  # `typer.Exit(n)` comes back as a return value here
        sys.exit(code)


def _usage_error(exc: Exception) -> int:
    """Unknown option or command, missing or invalid value: the usage line, one `error:` line, exit 2.

    No arguments at all print the help (typer's ``no_args_is_help``), and exit 2 too.
    """
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError":  # no arguments at all: the help, as a usage error
        if ctx is not None:
            typer.echo(ctx.get_help())
        return USAGE_EXIT
    message = exc.format_message()  # type: ignore[attr-defined]
    if ctx is not None:
        usage, path = ctx.get_usage(), ctx.command_path
    else:  # some parser errors (an option missing its value) carry no context
        path = " ".join(["twitter-pipeline", *[a for a in sys.argv[1:2] if not a.startswith("-")]])
        usage = f"Usage: {path} [OPTIONS]"
    typer.echo(usage, err=True)
    message = f"{message.rstrip('.')}; see '{path} --help'"
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return int(getattr(exc, "exit_code", USAGE_EXIT) or USAGE_EXIT)


@app.callback()
def _global_options(
    log_level: str = typer.Option(
        "warning",
        "--log-level",
        metavar="LEVEL",
        envvar="TWITTER_PIPELINE_LOG_LEVEL",
        help="Structured log verbosity on stderr: debug, info, warning or error.",
    ),
    log_format: str = typer.Option(
        "text",
        "--log-format",
        metavar="text|json",
        envvar="TWITTER_PIPELINE_LOG_FORMAT",
        help="Log line format: 'text' (key=value, for people) or 'json' (one object per line, for shippers).",
    ),
) -> None:
    """Collect posts from the X API v2 into a raw zone and Delta Lake tables, locally or on S3."""
    from twitter_pipeline.errors import ConfigError
    from twitter_pipeline.logs import configure_logging

    if log_level.lower() not in {"debug", "info", "warning", "error"}:
        raise ConfigError(f"--log-level {log_level!r} is unknown: use debug, info, warning or error")
    if log_format not in {"text", "json"}:
        raise ConfigError(f"--log-format {log_format!r} is unknown: use text or json")
    configure_logging(log_level, log_format)
