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
