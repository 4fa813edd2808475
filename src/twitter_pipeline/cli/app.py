"""The Typer application and the one place that turns `PipelineError` into a one-line exit."""

from __future__ import annotations

import sys

import typer

from twitter_pipeline.errors import PipelineError

app = typer.Typer(
    name="twitter-pipeline",
    help="Collect posts from the X API v2 into a raw zone and Delta Lake tables, locally or on S3.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def main() -> None:
    """Console-script entry point: user errors are one line on stderr and a non-zero exit."""
    try:
        app(standalone_mode=False)
    except PipelineError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.secho("aborted", err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


@app.callback()
def _global_options(
    log_level: str = typer.Option(
        "warning",
        "--log-level",
        envvar="TWITTER_PIPELINE_LOG_LEVEL",
        help="Structured log verbosity on stderr: debug, info, warning or error.",
    ),
    log_format: str = typer.Option(
        "text",
        "--log-format",
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
