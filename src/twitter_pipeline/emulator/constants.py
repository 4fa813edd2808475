# ruff: noqa: E501  (data tables copied from the spec read better one entry per line)
"""Constants of the X API v2 contract the emulator enforces, copied from the official OpenAPI specs.

The runtime never reads /work/shared: these tuples are embedded, and tests/emulator/test_spec_constants.py
checks them against both spec files (2.159 uses the "tweet" names, 2.167 the "post" names).
"""

from __future__ import annotations

from datetime import UTC, datetime

from twitter_pipeline import spec

# --- enums from the specs (parameter `items.enum`) --------------------------------------------------------
TWEET_FIELDS_V159: tuple[str, ...] = (
    "article",
    "attachments",
    "author_id",
    "card_uri",
    "community_id",
    "context_annotations",
    "conversation_id",
    "created_at",
    "display_text_range",
    "edit_controls",
    "edit_history_tweet_ids",
    "entities",
    "geo",
    "id",
    "in_reply_to_user_id",
    "lang",
    "media_metadata",
    "non_public_metrics",
    "note_tweet",
    "organic_metrics",
    "possibly_sensitive",
    "promoted_metrics",
    "public_metrics",
    "referenced_tweets",
    "reply_settings",
    "scopes",
    "source",
    "suggested_source_links",
    "suggested_source_links_with_counts",
    "text",
    "withheld",
)
TWEET_EXPANSIONS_V159: tuple[str, ...] = (
    "article.cover_media",
    "article.media_entities",
    "attachments.media_keys",
    "attachments.media_source_tweet",
    "attachments.poll_ids",
    "author_id",
    "edit_history_tweet_ids",
    "entities.mentions.username",
    "geo.place_id",
    "in_reply_to_user_id",
    "entities.note.mentions.username",
    "referenced_tweets.id",
    "referenced_tweets.id.attachments.media_keys",
    "referenced_tweets.id.author_id",
)
USER_FIELDS_V159: tuple[str, ...] = (
    "affiliation",
    "confirmed_email",
    "connection_status",
    "created_at",
    "description",
    "entities",
    "id",
    "is_identity_verified",
    "location",
    "most_recent_tweet_id",
    "name",
    "parody",
    "pinned_tweet_id",
    "profile_banner_url",
    "profile_image_url",
    "protected",
    "public_metrics",
    "receives_your_dm",
    "subscription",
    "subscription_type",
    "url",
    "username",
    "verified",
    "verified_followers_count",
    "verified_type",
    "withheld",
)
USER_EXPANSIONS_V159: tuple[str, ...] = ("affiliation.user_id", "most_recent_tweet_id", "pinned_tweet_id")
POST_FIELDS_V167: tuple[str, ...] = (
    "article",
    "article_title",
    "attachments",
    "card_uri",
    "community_id",
    "context_annotations",
    "conversation_id",
    "created_at",
    "display_text_range",
    "edit_controls",
    "entities",
    "geo",
    "id",
    "lang",
    "matched_media_notes",
    "media_metadata",
    "non_public_metrics",
    "note_post",
    "note_request_suggestions",
    "organic_metrics",
    "paid_partnership",
    "possibly_sensitive",
    "promoted_metrics",
    "public_metrics",
    "reply_settings",
    "scopes",
    "source",
    "suggested_source_links",
    "suggested_source_links_with_counts",
    "text",
    "withheld",
)
POST_EXPANSIONS_V167: tuple[str, ...] = (
    "article.cover_media",
    "article.media_entities",
    "attachments.media_keys",
    "attachments.media_source_tweet",
    "attachments.poll_ids",
    "author_id",
    "edit_history_post_ids",
    "entities.mentions.username",
    "geo.place_id",
    "in_reply_to_user_id",
    "referenced_posts",
    "username",
)
USER_FIELDS_V167: tuple[str, ...] = (
    "confirmed_email",
    "connection_status",
    "created_at",
    "description",
    "entities",
    "id",
    "is_identity_verified",
    "location",
    "name",
    "parody",
    "profile_banner_url",
    "profile_image_url",
    "protected",
    "public_metrics",
    "receives_your_dm",
    "subscribes_to_you",
    "subscription",
    "subscription_type",
    "url",
    "username",
    "verified",
    "verified_followers_count",
    "verified_type",
    "withheld",
)
USER_EXPANSIONS_V167: tuple[str, ...] = ("affiliation", "most_recent_post_id", "pinned_post_id")
# media, place and poll fields: the same enums in both spec versions (twitter_pipeline.spec)
MEDIA_FIELDS = spec.MEDIA_FIELDS
PLACE_FIELDS = spec.PLACE_FIELDS
POLL_FIELDS = spec.POLL_FIELDS

# 2.167's `post.fields` enum omits fields its own `Post` schema carries (author_id, referenced_posts, …);
# real clients ask for them, so the emulator accepts them too.
POST_FIELDS_V167_SCHEMA_EXTRAS: tuple[str, ...] = (
    "author_id",
    "edit_history_post_ids",
    "in_reply_to_user_id",
    "referenced_posts",
)

# --- parameter bounds ----------------------------------------------------------------------------------------
# the spec's bounds (twitter_pipeline.spec, shared with the client), under the emulator's names
QUERY_MAX_LENGTH = spec.QUERY_MAX_LENGTH
SEARCH_RECENT_MAX_RESULTS = spec.SEARCH_MAX_RESULTS["recent"]
SEARCH_ALL_MAX_RESULTS = spec.SEARCH_MAX_RESULTS["all"]
USER_POSTS_MAX_RESULTS = spec.TIMELINE_MAX_RESULTS
SEARCH_DEFAULT_MAX_RESULTS = spec.SEARCH_DEFAULT_MAX_RESULTS
USER_POSTS_TIMELINE_DEPTH = 3200  # only a user's most recent 3,200 posts are reachable
RECENT_SEARCH_DAYS = 7
END_TIME_MIN_AGE_S = 10  # end_time must be at least 10 s before the request
FULL_ARCHIVE_START = datetime(2006, 3, 21, 0, 0, 1, tzinfo=UTC)
SORT_ORDERS: tuple[str, ...] = ("recency", "relevancy")
USER_POSTS_EXCLUDE: tuple[str, ...] = ("replies", "retweets")
ID_PATTERN = r"^[0-9]{1,19}$"
USERNAME_PATTERN = r"^[A-Za-z0-9_]{1,15}$"

# --- rate limits (docs.x.com, per app bearer token) --------------------------------------------------------
RATE_LIMIT_WINDOW_S = 900
RATE_LIMITS: dict[str, int] = {
    "search_recent": 450,
    "search_all": 300,
    "user_posts": 1500,
    "user_by_username": 300,
    "counts_recent": 300,
    "counts_all": 300,
    "usage": 50,
}
SEARCH_ALL_PER_SECOND = 1

# --- endpoints -----------------------------------------------------------------------------------------------
SEARCH_RECENT_PATH = "/2/tweets/search/recent"
SEARCH_ALL_PATH = "/2/tweets/search/all"
COUNTS_RECENT_PATH = "/2/tweets/counts/recent"
COUNTS_ALL_PATH = "/2/tweets/counts/all"
USAGE_PATH = "/2/usage/tweets"

# --- counts and usage ----------------------------------------------------------------------------------------
GRANULARITIES: tuple[str, ...] = ("minute", "hour", "day")
DEFAULT_GRANULARITY = "hour"
# Buckets per counts page: one page covers at most a day of minutes, 31 days of hours or of days.
COUNTS_BUCKETS_PER_PAGE: dict[str, int] = {"minute": 1440, "hour": 744, "day": 31}
COUNTS_ALL_DEFAULT_DAYS = 30  # full-archive counts without start_time cover the last 30 days
# 2.159 names the count fields "tweet_count"; 2.167 "post_count" (asked for with search_count.fields).
SEARCH_COUNT_FIELDS: tuple[str, ...] = ("end", "start", "tweet_count", "post_count")
USAGE_FIELDS: tuple[str, ...] = (
    "cap_reset_day",
    "daily_client_app_usage",
    "daily_project_usage",
    "project_cap",
    "project_id",
    "project_usage",
)
USAGE_DEFAULT_FIELDS: tuple[str, ...] = ("cap_reset_day", "project_cap", "project_id", "project_usage")
USAGE_DAYS_BOUNDS = (1, 90)
USAGE_DEFAULT_DAYS = 7
DEFAULT_PROJECT_CAP = 2_000_000  # reported when no usage_cap is configured (nothing is enforced then)
EMULATOR_PROJECT_ID = "1234567"  # small: 2.159 types daily_project_usage.project_id as int32
EMULATOR_CLIENT_APP_ID = "29012345"

# --- problem types -------------------------------------------------------------------------------------------
PROBLEM_INVALID_REQUEST = "https://api.twitter.com/2/problems/invalid-request"
PROBLEM_USAGE_CAPPED = "https://api.x.com/2/problems/usage-capped"
PROBLEM_PREFIX_V159 = "https://api.twitter.com/2/problems/"
PROBLEM_PREFIX_V167 = "https://api.x.com/2/problems/"

# --- the emulated world --------------------------------------------------------------------------------------
DEFAULT_SEED = 42
DEFAULT_POSTS_PER_HOUR = 3600
DEFAULT_USERS = 1000
DEFAULT_WORLD_START = datetime(2026, 1, 1, tzinfo=UTC)
TWITTER_EPOCH_MS = 1288834974657
# Matches ~40 % of the world's posts: ≥1,000 posts in any 1-hour window at the default 3,600 posts/hour.
DEMO_QUERY = "(#AI OR #Python OR #DataEngineering OR #OpenSource OR data) -is:retweet"
