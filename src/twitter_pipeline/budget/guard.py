"""The budget that holds: a window that would cross it is not started, and actual reads are counted.

`ReadGuard` is installed on the client for the length of a run. Before every request of a post-reading
endpoint it checks that the budget still has room, and after every page it adds the posts in `data`.
So a count that was too low can overspend by less than one page, never more.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from twitter_pipeline.errors import BudgetError
from twitter_pipeline.raw.pages import RawPage

if TYPE_CHECKING:  # an import reads no API: it need not load the HTTP client
    from twitter_pipeline.extract.client import XApiClient

# Endpoints whose `data` items are billed post reads (counts and usage read none).
BILLED = frozenset({"search_recent", "search_all", "user_tweets"})


@dataclass(frozen=True)
class Limit:
    """One maximum of post reads, with how a user raises it (named in the stop message)."""

    name: str  # "per-run", "per-month", "collection 'python' per-run"
    posts: int
    raise_with: str  # "--max-posts N or TWITTER_PIPELINE_MAX_POSTS_PER_RUN"
    already_used: int = 0  # reads counted against it before this run (the month so far)


@dataclass
class ReadGuard:
    """Counts post reads during one run against its limits; raises `BudgetError` before crossing one."""

    limits: list[Limit] = field(default_factory=list)
    read: int = 0  # posts read by this run so far
    estimated: int = 0  # posts the run's windows were estimated at (for the run record)

    @property
    def remaining(self) -> int | None:
        """Reads left before the tightest limit (None = unlimited)."""
        if not self.limits:
            return None
        return max(0, min(limit.posts - limit.already_used - self.read for limit in self.limits))

    def _tightest(self) -> Limit:
        return min(self.limits, key=lambda limit: limit.posts - limit.already_used)

    # -- before a window ------------------------------------------------------------------------
    def admit(self, estimate: int | None, what: str) -> None:
        """Refuse a window whose estimate does not fit in what is left (nothing is read then)."""
        if estimate is None:
            return
        self.estimated += estimate
        remaining = self.remaining
        if remaining is not None and estimate > remaining:
            limit = self._tightest()
            raise BudgetError(
                f"budget: {what} would read about {estimate:,} posts, more than the {remaining:,} left of "
                f"the {limit.name} budget of {limit.posts:,} post reads; not started — raise it with "
                f"{limit.raise_with}"
            )

    # -- during a window ------------------------------------------------------------------------
    def before_request(self, endpoint: str) -> None:
        if endpoint not in BILLED or self.remaining is None or self.remaining > 0:
            return
        limit = self._tightest()
        raise BudgetError(
            f"budget: the {limit.name} budget of {limit.posts:,} post reads is spent ({self.read:,} read "
            f"by this run); stopped before the next page — raise it with {limit.raise_with}"
        )

    def after_page(self, endpoint: str, page: RawPage) -> None:
        if endpoint in BILLED:
            self.read += len(page.payload.get("data") or [])

    @contextmanager
    def watching(self, client: XApiClient | None) -> Iterator[ReadGuard]:
        """Count the reads of `client` (and of its `with_fields` clones) while the block runs."""
        if client is None:
            yield self
            return
        client.read_hooks.append(self)
        try:
            yield self
        finally:
            client.read_hooks.remove(self)
