"""Ctrl-C and SIGTERM: stop any command cleanly, say what was kept, exit 128 + signal number.

Python turns SIGINT into `KeyboardInterrupt`, which typer converts into a plain return value, and
SIGTERM kills the process without running `finally` blocks (leases, temporary files). Both signals
raise `Interrupted` instead: it is a `BaseException` (no ``except Exception`` swallows it), it unwinds
through every `finally` and context manager, and `cli.app.main` turns it into one line and the exit
code schedulers expect (130 for SIGINT, 143 for SIGTERM).

Commands report their progress to `landed` as it happens, so the line can say what is already safe:
pages in the raw zone are immutable and the next run of the same command resumes from them.
"""

from __future__ import annotations

import shlex
import signal
import sys
from dataclasses import dataclass
from types import FrameType


class Interrupted(BaseException):
    """Raised in the main thread by SIGINT or SIGTERM."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@dataclass
class Landed:
    """What this command has made durable so far (updated by the commands' progress callbacks)."""

    pages: int = 0
    posts: int = 0
    windows: int = 0
    lake: str = ""

    def update(
        self, *, pages: int | None = None, posts: int | None = None, windows: int | None = None
    ) -> None:
        if pages is not None:
            self.pages = pages
        if posts is not None:
            self.posts = posts
        if windows is not None:
            self.windows = windows


landed = Landed()


def _raise(signum: int, frame: FrameType | None) -> None:
    # A second signal while unwinding gets the default behaviour (a second Ctrl-C ends at once).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise Interrupted(signum)


Handlers = tuple[object, object]


def install() -> Handlers:
    """SIGINT and SIGTERM raise `Interrupted` in the main thread (commands may override, e.g. `emulator`).

    Returns the previous handlers for `restore` (the CLI also runs inside tests' processes).
    """
    previous = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    signal.signal(signal.SIGINT, _raise)
    signal.signal(signal.SIGTERM, _raise)
    return previous


def restore(previous: Handlers) -> None:
    sigint, sigterm = previous
    signal.signal(signal.SIGINT, sigint)  # type: ignore[arg-type]
    signal.signal(signal.SIGTERM, sigterm)  # type: ignore[arg-type]


def message(exc: Interrupted, argv: list[str] | None = None) -> str:
    """`interrupted (SIGINT): 7 page(s) / 700 post(s) … are kept; run `…` again to resume`."""
    args = sys.argv[1:] if argv is None else argv
    command = shlex.join(["twitter-pipeline", *args])
    kept = []
    if landed.windows:
        kept.append(f"{landed.windows} window(s) complete")
    if landed.pages:
        kept.append(f"{landed.pages} page(s) / {landed.posts} post(s) fetched into the raw zone")
    where = f" of {landed.lake}" if landed.lake and kept else ""
    what = f"{' and '.join(kept)}{where} are kept" if kept else "nothing was lost"
    return f"interrupted ({exc}): {what}; run `{command}` again to resume"
