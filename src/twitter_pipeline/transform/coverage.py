"""Which field of each API object lands where, and which fields are deliberately not kept (and why).

tests/transform/test_field_coverage.py walks the official spec's Post/Tweet, User, Media, Place and
Poll schemas (both versions) and fails unless each field is landed by a declared column (found from
the columns' ``source`` in ``schema.TABLES``) or listed in ``NOT_KEPT``; docs/schema.md renders
``NOT_KEPT`` from here. Paths use the 2.159 spelling (``note_tweet``, ``referenced_tweets``…) and no
array brackets; the 2.167 spelling lands in the same columns (``SPELLING_2159``).
"""

from __future__ import annotations

import fnmatch
import re

from twitter_pipeline.transform.schema import TABLES

SPELLING_2159 = {
    "edit_history_post_ids": "edit_history_tweet_ids",
    "note_post": "note_tweet",
    "referenced_posts": "referenced_tweets",
    "repost_count": "retweet_count",
    "post_count": "tweet_count",
    "pinned_post_id": "pinned_tweet_id",
    "most_recent_post_id": "most_recent_tweet_id",
}

# table → (API object, path prefix of the table's column sources within that object)
TABLE_SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "tweets": ("post", ("",)),
    "users": ("user", ("",)),
    "media": ("media", ("",)),
    "places": ("place", ("",)),
    "polls": ("poll", ("",)),
    "hashtags": ("post", ("entities.hashtags", "note_tweet.entities.hashtags")),
    "mentions": ("post", ("entities.mentions", "note_tweet.entities.mentions")),
    "urls": ("post", ("entities.urls", "note_tweet.entities.urls")),
    "cashtags": ("post", ("entities.cashtags", "note_tweet.entities.cashtags")),
    "entity_annotations": ("post", ("entities.annotations",)),
    "context_annotations": ("post", ("context_annotations",)),
    "tweet_references": ("post", ("",)),
}

_USER_CONTEXT = (
    "user-context data (about the authenticating user or the author's own account): "
    "an app-only token never receives it"
)
_PRIVATE_METRICS = (
    "private metrics: sent only to the post's author with user-context OAuth, never to an app-only token"
)

# object → {path or fnmatch pattern: reason}
NOT_KEPT: dict[str, dict[str, str]] = {
    "post": {
        "non_public_metrics": _PRIVATE_METRICS,
        "organic_metrics": _PRIVATE_METRICS,
        "promoted_metrics": _PRIVATE_METRICS,
        "display_text_range": "not requested: the visible part of `text` without leading @-replies "
        "and trailing media link",
        "username": "not requested: the author's handle is `users.username` via `author_id`",
        "scopes": "not requested: promoted-post audience flag",
        "attachments.media_source_tweet_id": "not requested: the media rows themselves are kept",
        "geo.coordinates.type": "always `Point`: the point is kept as `longitude`/`latitude`",
        "*entities.urls.images": "preview images X generated for a linked page: volatile CDN links, the "
        "link itself is kept",
        "suggested_source_links*": "not requested: Community Notes source suggestions",
        "article*": "2.167 only, not requested: long-form article metadata",
        "card_uri": "2.167 only, not requested: ads card reference",
        "matched_media_notes": "2.167 only, not requested: Community Notes matched to the media",
        "media_metadata": "2.167 only, not requested: the media rows carry alt text",
        "note_request_suggestions": "2.167 only, not requested: Community Notes requests",
        "paid_partnership": "2.167 only, not requested: paid-partnership label",
    },
    "user": {
        "connection_status": _USER_CONTEXT,
        "receives_your_dm": _USER_CONTEXT,
        "subscribes_to_you": _USER_CONTEXT,
        "subscription": _USER_CONTEXT,
        "confirmed_email": _USER_CONTEXT,
        "affiliation": "not requested: the badge of an affiliated organisation",
        "most_recent_tweet_id": "not requested: changes with every post of the user",
        "profile_banner_url": "not requested: header image URL",
        "subscription_type": "not requested: X Premium tier",
        "is_identity_verified": "2.167 only, not requested",
        "parody": "2.167 only, not requested",
        "verified_followers_count": "2.167 only, not requested",
        "public_metrics.media_count": "2.167 only: media posted by the user",
        "entities.url.urls.{url,display_url,start,end,title,description,status,unwound_url,"
        "media_key,images}": (
            "the profile URL is kept as `url` (t.co) and `url_expanded`; offsets, display form and link "
            "metadata of a one-link field add nothing"
        ),
        "entities.description.*.start": "bio entities are kept as lists of their text "
        "(`description_hashtags`…); offsets into the bio are not",
        "entities.description.*.end": "bio entities are kept as lists of their text; offsets into the bio "
        "are not",
        "entities.description.mentions.id": "bio mentions are kept as handles (`description_mentions`)",
        "entities.description.urls.{url,display_url,title,description,status,unwound_url,media_key,images}": (
            "bio links are kept expanded (`description_urls`); t.co form, display form and link metadata "
            "are not"
        ),
        "entities.description.annotations": "named entities in bios: not kept (they are for post text)",
    },
    "media": {
        "non_public_metrics": _PRIVATE_METRICS,
        "organic_metrics": _PRIVATE_METRICS,
        "promoted_metrics": _PRIVATE_METRICS,
    },
    "place": {
        "geo.type": "always `Feature`: the GeoJSON wrapper of `bbox`, which is kept",
        "geo.properties": "always empty in responses",
        "geo.geometry": "not sent for places in post expansions; `bbox` is kept",
    },
    "poll": {},
}

_INDEX = re.compile(r"\[\d*\]")


def landed_paths(api_object: str) -> set[str]:
    """Field paths of `api_object` that some declared column takes (from the columns' sources)."""
    paths: set[str] = set()
    for table, (obj, prefixes) in TABLE_SOURCES.items():
        if obj != api_object:
            continue
        for doc in TABLES[table].columns_doc:
            for source in doc.source.split("|"):
                source = source.strip()
                if not source or source.startswith("(") or " " in source:
                    continue
                path = ".".join(SPELLING_2159.get(part, part) for part in _INDEX.sub("", source).split("."))
                paths.update(f"{prefix}.{path}" if prefix else path for prefix in prefixes)
    return paths


def expand(pattern: str) -> list[str]:
    """``a.{b,c}`` → ``a.b``, ``a.c`` (one brace group), then fnmatch patterns."""
    head, brace, rest = pattern.partition("{")
    if not brace:
        return [pattern]
    choices, _, tail = rest.partition("}")
    return [f"{head}{choice}{tail}" for choice in choices.split(",")]


def not_kept_reason(api_object: str, path: str) -> str | None:
    """Why `path` (or a parent of it) is deliberately not kept; None when it is not listed."""
    for pattern, reason in NOT_KEPT[api_object].items():
        for one in expand(pattern):
            if fnmatch.fnmatchcase(path, one) or fnmatch.fnmatchcase(path, one + ".*"):
                return reason
    return None


def is_landed(api_object: str, path: str, landed: set[str]) -> bool:
    """A field is landed when a column takes it, one of its parts, or a whole parent of it."""
    return any(p == path or p.startswith(path + ".") or path.startswith(p + ".") for p in landed)
