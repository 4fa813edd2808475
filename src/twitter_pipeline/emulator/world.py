"""A deterministic, seeded world of posts that can produce post number *i* without generating the others.

Post *i* is created at ``world_start + i × slot + jitter`` (strictly monotonic in *i*), its id is a snowflake
of that time, and everything about it comes from a PRNG seeded with ``(seed, i)``. So a search over any
window touches only the posts it returns, from a hundred posts to many millions, in bounded memory.

Authors are assigned by an invertible per-block permutation of "slots" (popular users own more slots), so a
user's timeline is enumerated newest-first without scanning the world.
"""

from __future__ import annotations

import random
import re
import string
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any

from twitter_pipeline.emulator import constants as c
from twitter_pipeline.emulator import content as txt

_MASK64 = (1 << 64) - 1
_MS_PER_HOUR = 3_600_000
_WORD_RE = re.compile(r"\w+", re.UNICODE)
_TCO_ALPHABET = string.ascii_letters + string.digits

ORIGINAL, REPLY, RETWEET, QUOTE = "original", "reply", "retweet", "quote"
_LANGS = list(txt.LANG_WEIGHTS)
_LANG_CUM = list(accumulate(txt.LANG_WEIGHTS.values()))


def mix64(a: int, b: int = 0, c: int = 0) -> int:
    """A cheap, stable 64-bit hash of three integers (SplitMix64 finaliser; tuple hash() is no contract)."""
    h = (
        a * 0x9E3779B97F4A7C15 + b * 0xC2B2AE3D27D4EB4F + c * 0x165667B19E3779F9 + 0x27D4EB2F165667C5
    ) & _MASK64
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & _MASK64
    return h ^ (h >> 31)


def iso_ms(ms: int) -> str:
    """RFC 3339 with milliseconds and a Z, as the X API writes timestamps."""
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _next_prime(n: int) -> int:
    def is_prime(k: int) -> bool:
        if k < 2:
            return False
        d = 2
        while d * d <= k:
            if k % d == 0:
                return False
            d += 1
        return True

    while not is_prime(n):
        n += 1
    return n


@dataclass
class WorldUser:
    """A user profile; `suspended` and `protected` users author no searchable posts."""

    index: int
    id: str
    name: str
    username: str
    created_at: str
    description: str
    location: str
    verified: bool
    verified_type: str
    protected: bool
    suspended: bool
    profile_image_url: str
    url: str
    public_metrics: dict[str, int]
    withheld: dict[str, Any] | None


@dataclass
class WorldPost:
    """One post in canonical (2.159, "tweet") naming; the renderer converts names for 2.167 requests."""

    index: int
    id: str
    created_ms: int
    author: int
    kind: str
    text: str
    lang: str
    ref_index: int | None = None
    ref_id: str | None = None
    in_reply_to_user: int | None = None
    conversation_id: str = ""
    hashtags: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)  # each has a private "_user" index
    urls: list[dict[str, Any]] = field(default_factory=list)
    media: list[dict[str, Any]] = field(default_factory=list)
    poll: dict[str, Any] | None = None
    place: int | None = None
    coordinates: list[float] | None = None
    public_metrics: dict[str, int] = field(default_factory=dict)
    possibly_sensitive: bool = False
    source: str = ""
    reply_settings: str = "everyone"
    withheld: dict[str, Any] | None = None
    context_annotations: list[dict[str, Any]] | None = None
    display_start: int = 0
    # query features
    words: frozenset[str] = frozenset()
    text_lower: str = ""


class World:
    """All posts and users of one seed; posts are generated on demand and kept in a small LRU cache."""

    def __init__(
        self,
        seed: int = c.DEFAULT_SEED,
        posts_per_hour: int = c.DEFAULT_POSTS_PER_HOUR,
        world_start: datetime = c.DEFAULT_WORLD_START,
        users: int = c.DEFAULT_USERS,
        cache_size: int = 8192,
    ) -> None:
        self.seed = seed
        self.posts_per_hour = posts_per_hour
        self.origin_ms = int(world_start.timestamp() * 1000)
        self.gap_ms = max(1, _MS_PER_HOUR // posts_per_hour)
        self._cache: OrderedDict[int, WorldPost] = OrderedDict()
        self._cache_size = cache_size
        self.users: list[WorldUser] = [self._make_user(k) for k in range(users)]
        self.user_by_id = {u.id: u for u in self.users}
        self.user_by_username = {u.username.lower(): u for u in self.users}
        self._build_slots()

    # ---- time and ids ------------------------------------------------------------------------------------
    def time_ms(self, i: int) -> int:
        base = self.origin_ms + (i * _MS_PER_HOUR) // self.posts_per_hour
        return base + mix64(self.seed, i, 0) % self.gap_ms

    def id_int(self, i: int) -> int:
        return ((self.time_ms(i) - c.TWITTER_EPOCH_MS) << 22) | ((self.seed & 0x3FF) << 12) | (i & 0xFFF)

    def first_index_at_or_after(self, ms: int) -> int:
        """Smallest i with time_ms(i) >= ms (posts are strictly monotonic in time)."""
        if ms <= self.origin_ms:
            return 0
        i = max(0, ((ms - self.origin_ms) * self.posts_per_hour) // _MS_PER_HOUR - 2)
        while i > 0 and self.time_ms(i - 1) >= ms:
            i -= 1
        while self.time_ms(i) < ms:
            i += 1
        return i

    def first_index_with_id_above(self, post_id: int) -> int:
        """Smallest i with id(i) > post_id."""
        ms = (post_id >> 22) + c.TWITTER_EPOCH_MS
        i = self.first_index_at_or_after(ms)
        while self.id_int(i) <= post_id:
            i += 1
        return i

    def index_of_id(self, post_id: int) -> int | None:
        """The index of an existing post id, or None when no post has that id."""
        i = self.first_index_with_id_above(post_id - 1) if post_id > 0 else 0
        return i if self.id_int(i) == post_id else None

    # ---- cheap per-post decisions (no full generation) ---------------------------------------------------
    def kind(self, i: int) -> str:
        if i == 0:
            return ORIGINAL
        u = mix64(self.seed, i, 1) % 1000
        if u < 150:
            return RETWEET
        if u < 280:
            return REPLY
        if u < 340:
            return QUOTE
        return ORIGINAL

    def is_deleted(self, i: int) -> bool:
        return mix64(self.seed, i, 2) % 1000 < 12

    def _raw_ref(self, i: int) -> int:
        return i - 1 - mix64(self.seed, i, 3) % min(i, 5000)

    def ref_index(self, i: int) -> int | None:
        """The earlier post a retweet/quote/reply points at (never a retweet itself)."""
        k = self.kind(i)
        if k == ORIGINAL:
            return None
        j = self._raw_ref(i)
        while self.kind(j) == RETWEET:
            j = self._raw_ref(j)
        return j

    def conversation_index(self, i: int) -> int:
        j = i
        while self.kind(j) == REPLY:
            parent = self.ref_index(j)
            assert parent is not None
            j = parent
        return j

    # ---- authors: invertible slot permutation -----------------------------------------------------------
    def _build_slots(self) -> None:
        rng = random.Random(mix64(self.seed, 77))
        active = [u.index for u in self.users if not (u.suspended or u.protected)]
        self.slot_count = _next_prime(2 * len(self.users) + 1)
        owners = list(active)
        weights = [1.0 / (rank + 1) ** 0.7 for rank in range(len(active))]
        owners += rng.choices(active, weights=weights, k=self.slot_count - len(active))
        rng.shuffle(owners)
        self.slot_owner = owners
        self.user_slots: dict[int, list[int]] = {}
        for slot, owner in enumerate(owners):
            self.user_slots.setdefault(owner, []).append(slot)

    def _block_perm(self, block: int) -> tuple[int, int]:
        h = mix64(self.seed, block, 4)
        a = 1 + h % (self.slot_count - 1)
        b = (h >> 32) % self.slot_count
        return a, b

    def author(self, i: int) -> int:
        block, r = divmod(i, self.slot_count)
        a, b = self._block_perm(block)
        return self.slot_owner[(a * r + b) % self.slot_count]

    def user_indices_before(self, user: int, hi: int) -> Iterator[int]:
        """Indices of the user's posts below `hi`, newest first (deleted ones included)."""
        slots = self.user_slots.get(user, [])
        if not slots or hi <= 0:
            return
        S = self.slot_count
        block = (hi - 1) // S
        while block >= 0:
            a, b = self._block_perm(block)
            inv = pow(a, -1, S)
            found = sorted(((s - b) * inv) % S + block * S for s in slots)
            for i in reversed(found):
                if i < hi:
                    yield i
            block -= 1

    # ---- users ---------------------------------------------------------------------------------------------
    def _make_user(self, k: int) -> WorldUser:
        rng = random.Random(mix64(self.seed, k, 5))
        first = rng.choice(txt.FIRST_NAMES)
        last = rng.choice(txt.LAST_NAMES)
        ascii_first = "".join(ch for ch in first if ch.isascii() and ch.isalnum())[:5]
        ascii_last = "".join(ch for ch in last if ch.isascii() and ch.isalnum())[:4]
        style = rng.random()
        if style < 0.4:
            username = f"{ascii_first}{ascii_last}{k}".lower()
        elif style < 0.7:
            username = f"{ascii_first}_{ascii_last[:3]}{k}"
        else:
            username = f"{ascii_last}{ascii_first[:3]}{k}"
        username = username[:15]
        created_ms = c.TWITTER_EPOCH_MS - 86_400_000 * 900 + rng.randrange(86_400_000 * 5500)
        if created_ms > c.TWITTER_EPOCH_MS:
            uid = ((created_ms - c.TWITTER_EPOCH_MS) << 22) | (k & 0x3FFFFF)
        else:
            uid = 10_000_000 + k * 100_003 + rng.randrange(100_000)
        followers = int(rng.lognormvariate(5.5, 2.0))
        suspended = rng.random() < 0.01
        protected = not suspended and rng.random() < 0.02
        verified = rng.random() < 0.1
        withheld = {"country_codes": [rng.choice(txt.WITHHELD_COUNTRIES)]} if rng.random() < 0.01 else None
        return WorldUser(
            index=k,
            id=str(uid),
            name=f"{first} {last}{rng.choice(txt.NAME_EXTRAS)}",
            username=username,
            created_at=iso_ms(created_ms),
            description=rng.choice(txt.BIOS),
            location=rng.choice(txt.LOCATIONS),
            verified=verified,
            verified_type="blue" if verified else "none",
            protected=protected,
            suspended=suspended,
            profile_image_url=f"https://pbs.twimg.com/profile_images/{uid}/avatar_normal.jpg",
            url=rng.choice(("", "", "https://t.co/" + _tco(rng))),
            public_metrics={
                "followers_count": followers,
                "following_count": int(rng.lognormvariate(5.0, 1.2)),
                "tweet_count": int(rng.lognormvariate(7.0, 1.5)),
                "listed_count": followers // 50,
                "like_count": int(rng.lognormvariate(7.5, 1.5)),
                "media_count": int(rng.lognormvariate(4.0, 1.5)),
            },
            withheld=withheld,
        )

    # ---- posts ---------------------------------------------------------------------------------------------
    def post(self, i: int) -> WorldPost:
        cached = self._cache.get(i)
        if cached is not None:
            self._cache.move_to_end(i)
            return cached
        p = self._make_post(i)
        self._cache[i] = p
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return p

    def _make_post(self, i: int) -> WorldPost:
        rng = random.Random(mix64(self.seed, i, 6))
        kind = self.kind(i)
        author = self.author(i)
        ms = self.time_ms(i)
        pid = str(self.id_int(i))
        ref = self.ref_index(i)
        p = WorldPost(index=i, id=pid, created_ms=ms, author=author, kind=kind, text="", lang="en")
        p.source = rng.choice(txt.SOURCES)
        p.conversation_id = pid
        if kind == RETWEET:
            assert ref is not None
            self._fill_retweet(p, ref)
        else:
            self._fill_own(p, rng, ref)
        p.text_lower = p.text.lower()
        p.words = frozenset(_WORD_RE.findall(p.text_lower))
        return p

    def _fill_retweet(self, p: WorldPost, ref: int) -> None:
        orig = self.post(ref)
        orig_author = self.users[orig.author]
        prefix = f"RT @{orig_author.username}: "
        body = orig.text[orig.display_start :]
        text = prefix + body
        shift = len(prefix) - orig.display_start
        if len(text) > 280:
            text = text[:279] + "…"
        p.text = text
        p.lang = orig.lang
        p.ref_index, p.ref_id = ref, orig.id
        p.mentions = [{"start": 3, "end": 4 + len(orig_author.username), "username": orig_author.username,
                       "id": orig_author.id, "_user": orig.author}]  # fmt: skip
        for ent_list, target in ((orig.hashtags, p.hashtags), (orig.urls, p.urls)):
            for ent in ent_list:
                if ent["start"] >= orig.display_start and ent["end"] + shift <= len(text) - 1:
                    target.append({**ent, "start": ent["start"] + shift, "end": ent["end"] + shift})
        for m in orig.mentions:
            if m["start"] >= orig.display_start and m["end"] + shift <= len(text) - 1:
                p.mentions.append({**m, "start": m["start"] + shift, "end": m["end"] + shift})
        p.media = orig.media
        p.public_metrics = {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0,
                            "bookmark_count": 0, "impression_count": 0}  # fmt: skip
        p.possibly_sensitive = orig.possibly_sensitive

    def _fill_own(self, p: WorldPost, rng: random.Random, ref: int | None) -> None:
        users = self.users
        parts: list[str] = []
        pos = 0

        def add(s: str) -> tuple[int, int]:
            nonlocal pos
            start = pos
            parts.append(s)
            pos += len(s)
            return start, pos

        def mention(u: int) -> None:
            user = users[u]
            start, end = add("@" + user.username)
            p.mentions.append(
                {"start": start, "end": end, "username": user.username, "id": user.id, "_user": u}
            )

        if p.kind == REPLY and ref is not None:
            parent = self.post(ref)
            p.ref_index, p.ref_id = ref, parent.id
            p.in_reply_to_user = parent.author
            p.conversation_id = str(self.id_int(self.conversation_index(ref)))
            mention(parent.author)
            add(" ")
            p.display_start = pos
        elif p.kind == QUOTE and ref is not None:
            p.ref_index, p.ref_id = ref, str(self.id_int(ref))

        lang = rng.choices(_LANGS, cum_weights=_LANG_CUM)[0]
        p.lang = lang
        if rng.random() < 0.08:
            mention(rng.randrange(len(users)))
            add(" ")
        add(rng.choice(txt.SENTENCES[lang]))
        if rng.random() < 0.12:
            add(" ")
            mention(rng.randrange(len(users)))
        tags: list[str] = []
        if rng.random() < 0.5:
            tags += rng.sample(txt.DEMO_HASHTAGS, k=1 + (rng.random() < 0.3))
        if rng.random() < 0.35:
            tags.append(rng.choice(txt.OTHER_HASHTAGS))
        for tag in tags:
            add(" ")
            start, end = add("#" + tag)
            p.hashtags.append({"start": start, "end": end, "tag": tag})
        if rng.random() < 0.2:
            expanded, display = rng.choice(txt.LINKS)
            add(" ")
            short = "https://t.co/" + _tco(rng)
            start, end = add(short)
            p.urls.append({"start": start, "end": end, "url": short, "expanded_url": expanded,
                           "display_url": display})  # fmt: skip
        if p.kind == QUOTE and p.ref_index is not None:
            quoted_author = users[self.author(p.ref_index)]
            add(" ")
            short = "https://t.co/" + _tco(rng)
            start, end = add(short)
            expanded = f"https://twitter.com/{quoted_author.username}/status/{p.ref_id}"
            p.urls.append({"start": start, "end": end, "url": short, "expanded_url": expanded,
                           "display_url": f"twitter.com/{quoted_author.username}/…"})  # fmt: skip
        if rng.random() < 0.18:
            self._add_media(p, rng, add)
        elif p.kind == ORIGINAL and rng.random() < 0.03:
            self._add_poll(p, rng)
        p.text = "".join(parts)

        if rng.random() < 0.08:
            p.place = rng.randrange(len(txt.PLACES))
            if rng.random() < 0.35:
                w, s, e, n = txt.PLACES[p.place][5]
                p.coordinates = [round(w + (e - w) * rng.random(), 6), round(s + (n - s) * rng.random(), 6)]
        followers = users[p.author].public_metrics["followers_count"]
        reach = max(1, followers // 20)
        p.public_metrics = {
            "retweet_count": int(rng.paretovariate(2.0) * reach / 10) - reach // 10,
            "reply_count": int(rng.paretovariate(2.5) * 3) - 3,
            "like_count": int(rng.paretovariate(1.8) * reach / 3) - reach // 3,
            "quote_count": int(rng.paretovariate(3.0) * 2) - 2,
            "bookmark_count": int(rng.paretovariate(3.0) * 2) - 2,
            "impression_count": int(rng.paretovariate(1.5) * followers),
        }
        p.possibly_sensitive = rng.random() < 0.03
        roll = rng.random()
        p.reply_settings = "everyone" if roll < 0.92 else ("following" if roll < 0.96 else "mentionedUsers")
        if rng.random() < 0.005:
            p.withheld = {
                "copyright": False,
                "country_codes": sorted(rng.sample(txt.WITHHELD_COUNTRIES, k=2)),
            }
        if any(h["tag"] in txt.DEMO_HASHTAGS for h in p.hashtags) and rng.random() < 0.6:
            p.context_annotations = [
                {
                    "domain": {"id": "66", "name": "Interests and Hobbies Category",
                               "description": "A grouping of interests and hobbies entities"},
                    "entity": {"id": "898661583827615744", "name": "Data science"},
                }
            ]  # fmt: skip

    def _add_media(self, p: WorldPost, rng: random.Random, add: Any) -> None:
        roll = rng.random()
        pid = int(p.id)
        if roll < 0.7:
            count = rng.choice((1, 1, 1, 2, 3, 4))
            for k in range(count):
                width, height = rng.choice(((1200, 675), (1080, 1080), (900, 1200)))
                key = f"3_{pid + k + 1}"
                p.media.append({"media_key": key, "type": "photo", "width": width, "height": height,
                                "url": f"https://pbs.twimg.com/media/{_tco(rng)}.jpg",
                                "alt_text": rng.choice(txt.MEDIA_ALT_TEXTS)})  # fmt: skip
        else:
            is_video = roll < 0.9
            key = f"{7 if is_video else 16}_{pid + 1}"
            preview = f"https://pbs.twimg.com/ext_tw_video_thumb/{pid + 1}/pu/img/{_tco(rng)}.jpg"
            base = f"https://video.twimg.com/ext_tw_video/{pid + 1}/pu/vid"
            item: dict[str, Any] = {
                "media_key": key,
                "type": "video" if is_video else "animated_gif",
                "width": 1280,
                "height": 720,
                "preview_image_url": preview,
                "public_metrics": {"view_count": int(rng.paretovariate(1.2) * 100)},
            }
            if is_video:
                item["duration_ms"] = rng.randrange(3_000, 140_000)
                item["variants"] = [
                    {"content_type": "application/x-mpegURL", "url": f"{base}/pl/playlist.m3u8"},
                    {"bit_rate": 832000, "content_type": "video/mp4", "url": f"{base}/640x360/v.mp4"},
                    {"bit_rate": 2176000, "content_type": "video/mp4", "url": f"{base}/1280x720/v.mp4"},
                ]
            else:
                item["variants"] = [{"bit_rate": 0, "content_type": "video/mp4", "url": f"{base}/gif.mp4"}]
            p.media.append(item)
        add(" ")
        short = "https://t.co/" + _tco(rng)
        start, end = add(short)
        p.urls.append({"start": start, "end": end, "url": short,
                       "expanded_url": f"https://twitter.com/i/web/status/{p.id}/photo/1",
                       "display_url": "pic.x.com/" + short[-10:],
                       "media_key": p.media[0]["media_key"]})  # fmt: skip

    def _add_poll(self, p: WorldPost, rng: random.Random) -> None:
        labels = rng.choice(txt.POLL_OPTIONS)
        duration = rng.choice((60, 1440, 4320, 10080))
        end_ms = p.created_ms + duration * 60_000
        p.poll = {
            "id": str(int(p.id) + 1),
            "options": [
                {"position": n + 1, "label": label, "votes": rng.randrange(0, 500)}
                for n, label in enumerate(labels)
            ],
            "duration_minutes": duration,
            "end_datetime": iso_ms(end_ms),
            "_end_ms": end_ms,
        }

    # ---- places ------------------------------------------------------------------------------------------
    @staticmethod
    def place(index: int) -> dict[str, Any]:
        pid, name, full_name, country, code, bbox = txt.PLACES[index]
        return {
            "id": pid,
            "full_name": full_name,
            "name": name,
            "country": country,
            "country_code": code,
            "place_type": "city",
            "geo": {"type": "Feature", "bbox": list(bbox), "properties": {}},
        }

    @staticmethod
    def place_index_by_id() -> dict[str, int]:
        return {row[0]: n for n, row in enumerate(txt.PLACES)}


def _tco(rng: random.Random) -> str:
    return "".join(rng.choices(_TCO_ALPHABET, k=10))
