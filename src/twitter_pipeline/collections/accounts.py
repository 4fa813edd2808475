"""Handles → user ids: from the lake's `users` table first, the lookup endpoint only for the rest.

Every post ever loaded brings its author into `users`, so most handles resolve without a request
(lookups have their own, small rate limit). Lookup responses are raw pages like any other: they are
written to the raw zone before they are used, and their user lands in `users` with the run's load,
which is what makes the next run's resolution free.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from twitter_pipeline.errors import StorageError
from twitter_pipeline.extract.client import XApiClient
from twitter_pipeline.load import read_table
from twitter_pipeline.raw.pages import PageRequest, RawPage
from twitter_pipeline.raw.zone import RawZone
from twitter_pipeline.storage import LakeStorage

logger = logging.getLogger("twitter_pipeline.collections")

LOOKUP_ENDPOINT = "user_lookup"


@dataclass
class Account:
    """A resolved handle (the username as X spells it, and the user's id)."""

    handle: str
    user_id: str
    username: str
    tweet_count: int | None = None
    cached: bool = True


@dataclass
class Resolution:
    """What `resolve_accounts` found: accounts in config order, handles X does not know, raw keys."""

    accounts: list[Account] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)  # handle → the API's reason
    raw_keys: list[str] = field(default_factory=list)
    lookups: int = 0


def cached_users(storage: LakeStorage, handles: list[str]) -> dict[str, Account]:
    """lower(handle) → Account from the `users` table (the most recently fetched row per handle)."""
    try:
        table = read_table(storage, "users", columns=["id", "username", "tweet_count", "fetched_at"])
    except StorageError:
        return {}  # no users table yet
    if table.num_rows == 0:
        return {}
    wanted = [h.lower() for h in handles]
    lowered = pc.utf8_lower(table["username"].cast("string"))
    table = table.filter(pc.is_in(lowered, value_set=pa.array(wanted)))
    found: dict[str, tuple[datetime, Account]] = {}
    for row in table.to_pylist():
        key = str(row["username"]).lower()
        fetched = row["fetched_at"] or datetime.min.replace(tzinfo=UTC)
        if key not in found or fetched > found[key][0]:
            account = Account(key, str(row["id"]), str(row["username"]), row["tweet_count"], True)
            found[key] = (fetched, account)
    return {key: account for key, (_, account) in found.items()}


def lookup_page_as_users(page: RawPage) -> RawPage:
    """A lookup page reshaped for the transform: its user goes to `includes.users`, not `data`.

    The transform reads `data` as posts; a lookup's `data` is a user. The raw zone keeps the page as
    received — only the copy handed to the transform is reshaped.
    """
    user = page.payload.get("data")
    body = {"includes": {"users": [user] if isinstance(user, dict) else []}}
    if page.payload.get("errors"):
        body["errors"] = page.payload["errors"]
    return RawPage(
        request=PageRequest(page.request.endpoint, page.request.path, dict(page.request.params)),
        body=orjson.dumps(body),
        fetched_at=page.fetched_at,
        status=page.status,
    )


def resolve_accounts(
    storage: LakeStorage,
    raw_zone: RawZone,
    client: XApiClient,
    handles: tuple[str, ...] | list[str],
    run_id: str,
) -> Resolution:
    """Resolve every handle: cached ones from `users`, the rest with one lookup request each."""
    cache = cached_users(storage, list(handles))
    result = Resolution()
    lookup_run = f"{run_id}-lookup"
    for handle in handles:
        cached = cache.get(handle.lower())
        if cached is not None:
            cached.handle = handle
            result.accounts.append(cached)
            continue
        page = client.get_user_by_username(handle)
        result.lookups += 1
        key = raw_zone.write(lookup_run, result.lookups, page)
        result.raw_keys.append(key)
        user = page.payload.get("data")
        if isinstance(user, dict) and user.get("id"):
            metrics = user.get("public_metrics") or {}
            count = metrics.get("tweet_count", metrics.get("post_count"))
            result.accounts.append(
                Account(handle, str(user["id"]), str(user.get("username") or handle), count, False)
            )
        else:
            errors = page.payload.get("errors") or [{}]
            reason = str(errors[0].get("detail") or errors[0].get("title") or "not found")
            result.missing[handle] = reason
            logger.warning("account @%s not resolved: %s", handle, reason)
    return result
