"""The fields and expansions every search asks for, in both spellings of the X API v2.

We ask for the rich set once, here, so the raw zone holds everything the transform can use and no
second request is ever needed for the same posts (each post read is billed). Two spellings exist:
``"tweets"`` (spec 2.159 and the live API today: ``tweet.fields``, ``referenced_tweets.id``) and
``"posts"`` (spec 2.167: ``post.fields``, ``referenced_posts``). Each list holds only values that
the matching spec's enum accepts (tests/extract/test_fields.py checks them against the spec files).
"""

from __future__ import annotations

from typing import Literal

from twitter_pipeline import spec

Spelling = Literal["tweets", "posts"]
SPELLINGS: tuple[str, ...] = ("tweets", "posts")

TWEET_FIELDS: tuple[str, ...] = (
    "attachments",
    "author_id",
    "context_annotations",
    "conversation_id",
    "created_at",
    "edit_controls",
    "edit_history_tweet_ids",
    "entities",
    "geo",
    "id",
    "in_reply_to_user_id",
    "lang",
    "note_tweet",
    "possibly_sensitive",
    "public_metrics",
    "referenced_tweets",
    "reply_settings",
    "source",
    "text",
    "withheld",
)

# Spec 2.167 renamed note_tweet → note_post, referenced_tweets → referenced_posts and the edit history.
# Its `post.fields` enum omits author_id, in_reply_to_user_id, referenced_posts and
# edit_history_post_ids although its own `Post` schema carries them; without author_id a post cannot be
# joined to its author, so we ask for them (POST_FIELDS_SCHEMA_EXTRAS; the test checks them against the
# `Post` schema's properties instead of the enum).
POST_FIELDS_SCHEMA_EXTRAS: tuple[str, ...] = (
    "author_id",
    "edit_history_post_ids",
    "in_reply_to_user_id",
    "referenced_posts",
)

POST_FIELDS: tuple[str, ...] = (
    "attachments",
    "author_id",
    "context_annotations",
    "conversation_id",
    "created_at",
    "edit_controls",
    "edit_history_post_ids",
    "entities",
    "geo",
    "id",
    "in_reply_to_user_id",
    "lang",
    "note_post",
    "possibly_sensitive",
    "public_metrics",
    "referenced_posts",
    "reply_settings",
    "source",
    "text",
    "withheld",
)

TWEET_EXPANSIONS: tuple[str, ...] = (
    "author_id",
    "referenced_tweets.id",
    "referenced_tweets.id.author_id",
    "attachments.media_keys",
    "attachments.poll_ids",
    "geo.place_id",
    "entities.mentions.username",
    "in_reply_to_user_id",
    "edit_history_tweet_ids",
)

POST_EXPANSIONS: tuple[str, ...] = (
    "author_id",
    "referenced_posts",
    "attachments.media_keys",
    "attachments.poll_ids",
    "geo.place_id",
    "entities.mentions.username",
    "in_reply_to_user_id",
    "edit_history_post_ids",
)

# Valid in both specs (2.167 dropped pinned_tweet_id, most_recent_tweet_id and affiliation).
USER_FIELDS: tuple[str, ...] = (
    "created_at",
    "description",
    "entities",
    "id",
    "location",
    "name",
    "profile_image_url",
    "protected",
    "public_metrics",
    "url",
    "username",
    "verified",
    "verified_type",
    "withheld",
)

# Every media field of the spec but the metrics only the media's owner may read (user context)
OWNER_ONLY_MEDIA_FIELDS = frozenset({"non_public_metrics", "organic_metrics", "promoted_metrics"})
MEDIA_FIELDS: tuple[str, ...] = tuple(f for f in spec.MEDIA_FIELDS if f not in OWNER_ONLY_MEDIA_FIELDS)
PLACE_FIELDS = spec.PLACE_FIELDS
POLL_FIELDS = spec.POLL_FIELDS


def field_sets(spelling: Spelling = "tweets") -> dict[str, tuple[str, ...]]:
    """Parameter name → values for one spelling (the query parameters, before joining)."""
    if spelling == "tweets":
        post_param, post_fields, expansions = "tweet.fields", TWEET_FIELDS, TWEET_EXPANSIONS
    elif spelling == "posts":
        post_param, post_fields, expansions = "post.fields", POST_FIELDS, POST_EXPANSIONS
    else:
        raise ValueError(f"unknown spelling {spelling!r}: use one of {', '.join(SPELLINGS)}")
    return {
        post_param: post_fields,
        "expansions": expansions,
        "user.fields": USER_FIELDS,
        "media.fields": MEDIA_FIELDS,
        "place.fields": PLACE_FIELDS,
        "poll.fields": POLL_FIELDS,
    }


def field_params(spelling: Spelling = "tweets") -> dict[str, str]:
    """The query parameters (comma-joined) that ask for the rich default field set."""
    return {name: ",".join(values) for name, values in field_sets(spelling).items()}
