"""Turns world posts into response JSON: only requested fields, `includes` from expansions, partial errors.

Two spellings: requests using 2.167 names (`post.fields`, `referenced_posts`, …) get 2.167 names back
(`includes.posts`, `edit_history_post_ids`, `referenced_posts`, `repost_count`); others get the 2.159 names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from twitter_pipeline.emulator import constants as c
from twitter_pipeline.emulator.world import RETWEET, World, WorldPost, WorldUser, iso_ms, mix64


@dataclass(frozen=True)
class FieldSelection:
    """What a request asked for, normalised to the 2.159 names plus the spelling to answer in."""

    v167: bool = False
    tweet_fields: frozenset[str] = frozenset()
    expansions: frozenset[str] = frozenset()
    user_fields: frozenset[str] = frozenset()
    media_fields: frozenset[str] = frozenset()
    place_fields: frozenset[str] = frozenset()
    poll_fields: frozenset[str] = frozenset()


_V167_TO_V159_FIELDS = {
    "edit_history_post_ids": "edit_history_tweet_ids",
    "referenced_posts": "referenced_tweets",
    "note_post": "note_tweet",
}
_V167_TO_V159_EXPANSIONS = {
    "referenced_posts": "referenced_tweets.id",
    "edit_history_post_ids": "edit_history_tweet_ids",
}


def normalise_tweet_fields(values: list[str]) -> frozenset[str]:
    return frozenset(_V167_TO_V159_FIELDS.get(v, v) for v in values)


def normalise_expansions(values: list[str]) -> frozenset[str]:
    return frozenset(_V167_TO_V159_EXPANSIONS.get(v, v) for v in values)


_BIO_ENTITY = re.compile(
    r"(?P<hashtags>#\w+)|(?P<mentions>@\w+)|(?P<cashtags>\$[A-Z]{1,6})|(?P<urls>https://t\.co/\w+)"
)


def profile_entities(u: WorldUser) -> dict[str, Any]:
    """A user's ``entities``: the profile URL expanded, and what the bio mentions (offsets in code points)."""
    out: dict[str, Any] = {}
    if u.url:
        expanded = f"https://{u.username.lower()}.example.com"
        out["url"] = {
            "urls": [
                {"start": 0, "end": len(u.url), "url": u.url, "expanded_url": expanded,
                 "display_url": expanded.removeprefix("https://")}
            ]
        }  # fmt: skip
    found: dict[str, list[dict[str, Any]]] = {}
    for m in _BIO_ENTITY.finditer(u.description):
        kind, text = m.lastgroup or "", m.group()
        entity: dict[str, Any] = {"start": m.start(), "end": m.end()}
        if kind in ("hashtags", "cashtags"):
            entity["tag"] = text[1:]
        elif kind == "mentions":
            entity["username"] = text[1:]
        else:
            expanded = f"https://{u.username.lower()}.example.com/about"
            entity |= {
                "url": text,
                "expanded_url": expanded,
                "display_url": expanded.removeprefix("https://"),
            }
        found.setdefault(kind, []).append(entity)
    if found:
        out["description"] = found
    return out


def problem_type(name: str, v167: bool) -> str:
    return (c.PROBLEM_PREFIX_V167 if v167 else c.PROBLEM_PREFIX_V159) + name


class RenderCache:
    """Rendered users per field selection, shared by the responses of one emulator.

    A page of 500 posts names hundreds of users out of a small population, so rendering each user once
    per selection (not once per page) pays off. Bounded: at most `max_selections` selections are kept.
    """

    def __init__(self, max_selections: int = 16) -> None:
        self.max_selections = max_selections
        self._users: dict[tuple[frozenset[str], bool], dict[int, dict[str, Any]]] = {}

    def users(self, sel: FieldSelection) -> dict[int, dict[str, Any]]:
        key = (sel.user_fields, sel.v167)
        table = self._users.get(key)
        if table is None:
            if len(self._users) >= self.max_selections:
                self._users.clear()
            table = self._users[key] = {}
        return table


@dataclass
class Renderer:
    """Renders one response; collects includes and partial errors while posts are added."""

    world: World
    sel: FieldSelection
    now_ms: int
    cache: RenderCache | None = None
    data: list[dict[str, Any]] = field(default_factory=list)
    _users: dict[str, dict[str, Any]] = field(default_factory=dict)
    _tweets: dict[str, dict[str, Any]] = field(default_factory=dict)
    _media: dict[str, dict[str, Any]] = field(default_factory=dict)
    _polls: dict[str, dict[str, Any]] = field(default_factory=dict)
    _places: dict[str, dict[str, Any]] = field(default_factory=dict)
    _errors: list[dict[str, Any]] = field(default_factory=list)
    _error_keys: set[tuple[str, str]] = field(default_factory=set)

    # ---- posts -------------------------------------------------------------------------------------------
    def add_post(self, p: WorldPost) -> None:
        self.data.append(self.post_json(p))
        ex = self.sel.expansions
        if "author_id" in ex:
            self._add_user(p.author)
        if "entities.mentions.username" in ex:
            for m in p.mentions:
                self._add_user(m["_user"], parameter="entities.mentions.username")
        if "in_reply_to_user_id" in ex and p.in_reply_to_user is not None:
            self._add_user(p.in_reply_to_user)
        if "attachments.media_keys" in ex:
            for m in p.media:
                self._media.setdefault(m["media_key"], self.media_json(m))
        if "attachments.poll_ids" in ex and p.poll is not None:
            self._polls.setdefault(p.poll["id"], self.poll_json(p.poll))
        if "geo.place_id" in ex and p.place is not None:
            place = self.world.place(p.place)
            self._places.setdefault(place["id"], self.place_json(place))
        if "referenced_tweets.id" in ex and p.ref_index is not None:
            self._add_referenced(p.ref_index)

    def _add_referenced(self, j: int) -> None:
        world = self.world
        ref_id = str(world.id_int(j))
        if ref_id in self._tweets:
            return
        if world.is_deleted(j):
            name = "referenced_posts" if self.sel.v167 else "referenced_tweets.id"
            self._error(
                ref_id,
                {
                    "value": ref_id,
                    "detail": f"Could not find tweet with {name}: [{ref_id}].",
                    "title": "Not Found Error",
                    "resource_type": "tweet",
                    "parameter": name,
                    "resource_id": ref_id,
                    "type": problem_type("resource-not-found", self.sel.v167),
                },
            )
            return
        ref = world.post(j)
        self._tweets[ref_id] = self.post_json(ref)
        ex = self.sel.expansions
        if "referenced_tweets.id.author_id" in ex:
            self._add_user(ref.author)
        if "referenced_tweets.id.attachments.media_keys" in ex:
            for m in ref.media:
                self._media.setdefault(m["media_key"], self.media_json(m))

    def _add_user(self, u: int, parameter: str = "author_id") -> None:
        user = self.world.users[u]
        if user.id in self._users:
            return
        # Withheld and suspended accounts: the live API leaves some out of includes, sometimes with no
        # errors entry (PITFALLS #14); withheld ones are otherwise returned with their `withheld` field.
        fate = mix64(self.world.seed, user.index, 31) % 3
        if (user.suspended or user.withheld) and fate == 0:
            return
        if user.withheld and fate == 1:
            self._error(
                user.id,
                {
                    "value": user.id,
                    "detail": f"User has been withheld: [{user.id}].",
                    "title": "Forbidden",
                    "resource_type": "user",
                    "parameter": parameter,
                    "resource_id": user.id,
                    "type": problem_type("resource-unavailable", self.sel.v167),
                },
            )
            return
        if user.suspended:
            self._error(
                user.username,
                {
                    "value": user.username,
                    "detail": f"User has been suspended: [{user.username}].",
                    "title": "Forbidden",
                    "resource_type": "user",
                    "parameter": parameter,
                    "resource_id": user.username,
                    "type": problem_type("resource-unavailable", self.sel.v167),
                },
            )
            return
        if self.cache is None:
            self._users[user.id] = self.user_json(user)
            return
        rendered = self.cache.users(self.sel)
        out = rendered.get(u)
        if out is None:
            out = rendered[u] = self.user_json(user)
        self._users[user.id] = out

    def _error(self, key: str, problem: dict[str, Any]) -> None:
        k = (problem["parameter"], key)
        if k not in self._error_keys:
            self._error_keys.add(k)
            self._errors.append(problem)

    # ---- objects -----------------------------------------------------------------------------------------
    def post_json(self, p: WorldPost) -> dict[str, Any]:
        f = self.sel.tweet_fields
        v167 = self.sel.v167
        out: dict[str, Any] = {"id": p.id, "text": p.text}
        out["edit_history_post_ids" if v167 else "edit_history_tweet_ids"] = p.edit_history or [p.id]
        if "attachments" in f and (p.media or p.poll):
            att: dict[str, Any] = {}
            if p.media:
                att["media_keys"] = [m["media_key"] for m in p.media]
            if p.poll:
                att["poll_ids"] = [p.poll["id"]]
            out["attachments"] = att
        if "author_id" in f:
            out["author_id"] = self.world.users[p.author].id
        if "context_annotations" in f and p.context_annotations:
            out["context_annotations"] = p.context_annotations
        if "conversation_id" in f:
            out["conversation_id"] = p.conversation_id
        if "created_at" in f:
            out["created_at"] = iso_ms(p.created_ms)
        if "display_text_range" in f:
            out["display_text_range"] = [p.display_start, len(p.text)]
        if "edit_controls" in f:
            out["edit_controls"] = {
                "edits_remaining": 5 - (len(p.edit_history) - 1 if p.edit_history else 0),
                "is_edit_eligible": p.kind != RETWEET and p.poll is None,
                "editable_until": iso_ms(p.created_ms + 3_600_000),
            }
        if "entities" in f:
            ents: dict[str, Any] = {}
            if p.hashtags:
                ents["hashtags"] = p.hashtags
            if p.mentions:
                ents["mentions"] = p.public_mentions()
            if p.urls:
                ents["urls"] = p.urls
            if p.cashtags:
                ents["cashtags"] = p.cashtags
            if p.annotations:
                ents["annotations"] = p.annotations
            if ents:
                out["entities"] = ents
        if "note_tweet" in f and p.note_more:
            # A long post: the note holds the full text; `text` is its first part, so offsets agree.
            note: dict[str, Any] = {"text": p.text + p.note_more}
            if "entities" in out:
                note["entities"] = {k: v for k, v in out["entities"].items() if k != "annotations"}
            out["note_post" if v167 else "note_tweet"] = note
        if "geo" in f and p.place is not None:
            geo: dict[str, Any] = {"place_id": self.world.place(p.place)["id"]}
            if p.coordinates:
                geo["coordinates"] = {"type": "Point", "coordinates": p.coordinates}
            out["geo"] = geo
        if "in_reply_to_user_id" in f and p.in_reply_to_user is not None:
            out["in_reply_to_user_id"] = self.world.users[p.in_reply_to_user].id
        if "lang" in f:
            out["lang"] = p.lang
        if "possibly_sensitive" in f:
            out["possibly_sensitive"] = p.possibly_sensitive
        if "public_metrics" in f:
            pm = p.public_metrics
            if v167:
                pm = {("repost_count" if k == "retweet_count" else k): v for k, v in pm.items()}
            out["public_metrics"] = pm
        if "referenced_tweets" in f and p.ref_id is not None:
            ref_type = {"retweet": "retweeted", "quote": "quoted", "reply": "replied_to"}[p.kind]
            out["referenced_posts" if v167 else "referenced_tweets"] = [{"type": ref_type, "id": p.ref_id}]
        if "reply_settings" in f:
            out["reply_settings"] = p.reply_settings
        if "source" in f:
            out["source"] = p.source
        if "withheld" in f and p.withheld:
            out["withheld"] = {**p.withheld, "scope": "post"} if v167 else p.withheld
        return out

    def user_json(self, u: WorldUser) -> dict[str, Any]:
        f = self.sel.user_fields
        out: dict[str, Any] = {"id": u.id, "name": u.name, "username": u.username}
        if "created_at" in f:
            out["created_at"] = u.created_at
        if "description" in f:
            out["description"] = u.description
        if "location" in f and u.location:
            out["location"] = u.location
        if "profile_image_url" in f:
            out["profile_image_url"] = u.profile_image_url
        if "protected" in f:
            out["protected"] = u.protected
        if "public_metrics" in f:
            pm = dict(u.public_metrics)
            if self.sel.v167:
                pm["post_count"] = pm.pop("tweet_count")
            out["public_metrics"] = pm
        if "url" in f:
            out["url"] = u.url
        if "verified" in f:
            out["verified"] = u.verified
        if "verified_type" in f:
            out["verified_type"] = u.verified_type
        if "withheld" in f and u.withheld:
            out["withheld"] = u.withheld
        if "entities" in f:
            entities = profile_entities(u)
            if entities:
                out["entities"] = entities
        return out

    def media_json(self, m: dict[str, Any]) -> dict[str, Any]:
        f = self.sel.media_fields
        return {k: v for k, v in m.items() if k in ("media_key", "type") or (k in f and v != "")}

    def poll_json(self, poll: dict[str, Any]) -> dict[str, Any]:
        f = self.sel.poll_fields
        out: dict[str, Any] = {"id": poll["id"], "options": poll["options"]}
        if "duration_minutes" in f:
            out["duration_minutes"] = poll["duration_minutes"]
        if "end_datetime" in f:
            out["end_datetime"] = poll["end_datetime"]
        if "voting_status" in f:
            out["voting_status"] = "closed" if poll["_end_ms"] <= self.now_ms else "open"
        return out

    def place_json(self, place: dict[str, Any]) -> dict[str, Any]:
        f = self.sel.place_fields
        return {k: v for k, v in place.items() if k in ("id", "full_name") or k in f}

    # ---- the response ------------------------------------------------------------------------------------
    def includes(self) -> dict[str, Any]:
        inc: dict[str, Any] = {}
        if self._users:
            inc["users"] = list(self._users.values())
        if self._tweets:
            inc["posts" if self.sel.v167 else "tweets"] = list(self._tweets.values())
        if self._media:
            inc["media"] = list(self._media.values())
        if self._polls:
            inc["polls"] = list(self._polls.values())
        if self._places:
            inc["places"] = list(self._places.values())
        return inc

    def body(self, meta: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.data:
            out["data"] = self.data
            inc = self.includes()
            if inc:
                out["includes"] = inc
            if self._errors:
                out["errors"] = self._errors
        out["meta"] = meta
        return out
