"""The subset of an X API v2 response page the transform reads, as one Arrow schema.

Pages are parsed straight into this schema by Arrow's JSON reader: fields not listed here are
skipped (``unexpected_field_behavior="ignore"``), fields listed but absent become null. Both
namings are listed (2.159 and earlier: ``tweets``/``note_tweet``/``referenced_tweets``/
``retweet_count``…; 2.167: ``posts``/``note_post``/``referenced_posts``/``repost_count``…) and
coalesced by the table builders, so old archives and new responses land in the same columns.
Timestamps are read as strings and converted afterwards (one clear error path).
"""

from __future__ import annotations

import pyarrow as pa

_str = pa.string()
_int = pa.int64()
_str_list = pa.list_(_str)


def _entity(*extra: tuple[str, pa.DataType]) -> pa.ListType:
    return pa.list_(pa.struct([("start", _int), ("end", _int), *extra]))


HASHTAG_LIST = _entity(("tag", _str))
MENTION_LIST = _entity(("username", _str), ("id", _str))
URL_LIST = _entity(
    ("url", _str),
    ("expanded_url", _str),
    ("display_url", _str),
    ("unwound_url", _str),
    ("title", _str),
    ("description", _str),
    ("status", _int),
    ("media_key", _str),
)
CASHTAG_LIST = _entity(("tag", _str))
ANNOTATION_LIST = _entity(("probability", pa.float64()), ("type", _str), ("normalized_text", _str))
ENTITIES = pa.struct(
    [
        ("hashtags", HASHTAG_LIST),
        ("mentions", MENTION_LIST),
        ("urls", URL_LIST),
        ("cashtags", CASHTAG_LIST),
        ("annotations", ANNOTATION_LIST),
    ]
)
_CONTEXT_PART = pa.struct([("id", _str), ("name", _str), ("description", _str)])
CONTEXT_ANNOTATIONS = pa.list_(pa.struct([("domain", _CONTEXT_PART), ("entity", _CONTEXT_PART)]))
NOTE = pa.struct([("text", _str), ("entities", ENTITIES)])
REFERENCES = pa.list_(pa.struct([("type", _str), ("id", _str)]))

POST = pa.struct(
    [
        ("id", _str),
        ("text", _str),
        ("created_at", _str),
        ("author_id", _str),
        ("conversation_id", _str),
        ("in_reply_to_user_id", _str),
        ("lang", _str),
        ("source", _str),
        ("possibly_sensitive", pa.bool_()),
        ("reply_settings", _str),
        ("community_id", _str),
        (
            "public_metrics",
            pa.struct(
                [
                    ("retweet_count", _int),
                    ("repost_count", _int),
                    ("reply_count", _int),
                    ("like_count", _int),
                    ("quote_count", _int),
                    ("impression_count", _int),
                    ("bookmark_count", _int),
                ]
            ),
        ),
        (
            "geo",
            pa.struct(
                [
                    ("place_id", _str),
                    ("coordinates", pa.struct([("type", _str), ("coordinates", pa.list_(pa.float64()))])),
                ]
            ),
        ),
        ("attachments", pa.struct([("media_keys", _str_list), ("poll_ids", _str_list)])),
        ("edit_history_tweet_ids", _str_list),
        ("edit_history_post_ids", _str_list),
        (
            "edit_controls",
            pa.struct(
                [("is_edit_eligible", pa.bool_()), ("editable_until", _str), ("edits_remaining", _int)]
            ),
        ),
        (
            "withheld",
            pa.struct([("copyright", pa.bool_()), ("country_codes", _str_list), ("scope", _str)]),
        ),
        ("entities", ENTITIES),
        ("context_annotations", CONTEXT_ANNOTATIONS),
        ("note_tweet", NOTE),
        ("note_post", NOTE),
        ("referenced_tweets", REFERENCES),
        ("referenced_posts", REFERENCES),
    ]
)

USER = pa.struct(
    [
        ("id", _str),
        ("username", _str),
        ("name", _str),
        ("created_at", _str),
        ("description", _str),
        ("location", _str),
        ("url", _str),
        ("profile_image_url", _str),
        ("protected", pa.bool_()),
        ("verified", pa.bool_()),
        ("verified_type", _str),
        (
            "public_metrics",
            pa.struct(
                [
                    ("followers_count", _int),
                    ("following_count", _int),
                    ("tweet_count", _int),
                    ("post_count", _int),
                    ("listed_count", _int),
                    ("like_count", _int),
                ]
            ),
        ),
        ("pinned_tweet_id", _str),
        ("pinned_post_id", _str),
        ("withheld", pa.struct([("country_codes", _str_list), ("scope", _str)])),
        (
            "entities",
            pa.struct([("url", pa.struct([("urls", URL_LIST)])), ("description", ENTITIES)]),
        ),
    ]
)

MEDIA = pa.struct(
    [
        ("media_key", _str),
        ("type", _str),
        ("url", _str),
        ("preview_image_url", _str),
        ("alt_text", _str),
        ("width", _int),
        ("height", _int),
        ("duration_ms", _int),
        ("public_metrics", pa.struct([("view_count", _int)])),
        ("variants", pa.list_(pa.struct([("bit_rate", _int), ("content_type", _str), ("url", _str)]))),
    ]
)

PLACE = pa.struct(
    [
        ("id", _str),
        ("full_name", _str),
        ("name", _str),
        ("country", _str),
        ("country_code", _str),
        ("place_type", _str),
        ("contained_within", _str_list),
        ("geo", pa.struct([("bbox", pa.list_(pa.float64()))])),
    ]
)

POLL = pa.struct(
    [
        ("id", _str),
        ("voting_status", _str),
        ("duration_minutes", _int),
        ("end_datetime", _str),
        ("options", pa.list_(pa.struct([("position", _int), ("label", _str), ("votes", _int)]))),
    ]
)

PROBLEM = pa.struct(
    [
        ("type", _str),
        ("title", _str),
        ("detail", _str),
        ("resource_type", _str),
        ("resource_id", _str),
        ("parameter", _str),
        ("value", _str),
        ("section", _str),
        ("field", _str),
        ("status", _int),
    ]
)

INCLUDES = pa.struct(
    [
        ("tweets", pa.list_(POST)),
        ("posts", pa.list_(POST)),
        ("users", pa.list_(USER)),
        ("media", pa.list_(MEDIA)),
        ("places", pa.list_(PLACE)),
        ("polls", pa.list_(POLL)),
    ]
)

PAGE = pa.schema([("data", pa.list_(POST)), ("includes", INCLUDES), ("errors", pa.list_(PROBLEM))])
"""One response page (or one twarc2 JSONL line: its extra ``__twarc`` key is ignored)."""
