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
from _random import Random as _CRandom  # the C generator `random.Random` wraps: same seed, same stream
from bisect import bisect as _bisect
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


_DAY_PREFIX: dict[int, str] = {}


def iso_ms(ms: int) -> str:
    """RFC 3339 with milliseconds and a Z, as the X API writes timestamps (dates memoised per day)."""
    day, rest = divmod(ms, 86_400_000)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        if len(_DAY_PREFIX) > 100_000:
            _DAY_PREFIX.clear()
        prefix = datetime.fromtimestamp(day * 86_400, tz=UTC).strftime("%Y-%m-%dT")
        _DAY_PREFIX[day] = prefix
    seconds, milli = divmod(rest, 1000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{prefix}{hours:02d}:{minutes:02d}:{seconds:02d}.{milli:03d}Z"


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
    cashtags: list[dict[str, Any]] = field(default_factory=list)
    annotations: list[dict[str, Any]] = field(default_factory=list)  # entities.annotations (end inclusive)
    edit_history: list[str] | None = None  # earlier versions' ids, then this one (edited posts only)
    note_more: str = ""  # a long post: note_tweet.text is text + note_more (text is its first part)
    display_start: int = 0
    _text_lower: str | None = field(default=None, repr=False, compare=False)
    _words: frozenset[str] | None = field(default=None, repr=False, compare=False)
    _public_mentions: list[dict[str, Any]] | None = field(default=None, repr=False, compare=False)

    def public_mentions(self) -> list[dict[str, Any]]:
        """The mentions as the API shows them (without the private user index); computed once."""
        if self._public_mentions is None:
            self._public_mentions = [{k: v for k, v in m.items() if k != "_user"} for m in self.mentions]
        return self._public_mentions

    # query features, computed on first use (most served posts are never matched by text)
    @property
    def text_lower(self) -> str:
        if self._text_lower is None:
            self._text_lower = self.text.lower()
        return self._text_lower

    @property
    def words(self) -> frozenset[str]:
        if self._words is None:
            self._words = frozenset(_WORD_RE.findall(self.text_lower))
        return self._words


class PostSketch:
    """The first part of an own post: what most queries test, plus the generator to finish it with.

    `words` holds the words of the text drawn so far; the rest of the text only adds t.co links, whose
    words are ``https``, ``t``, ``co`` and 10-character random ids.
    """

    __slots__ = (
        "author", "conversation_id", "display_start", "hashtags", "id", "in_reply_to_user", "index", "kind",
        "lang", "mentions", "parts", "pos", "ref_id", "ref_index", "rng", "source", "words",
    )  # fmt: skip

    def __init__(
        self, index: int, kind: str, author: int, pid: str, source: str, rng: _CRandom | None
    ) -> None:
        self.index = index
        self.kind = kind
        self.author = author
        self.id = pid
        self.source = source
        self.rng = rng
        self.lang = "en"
        self.ref_index: int | None = None
        self.ref_id: str | None = None
        self.in_reply_to_user: int | None = None
        self.conversation_id = pid
        self.display_start = 0
        self.parts: list[str] = []
        self.pos = 0
        self.mentions: list[dict[str, Any]] = []
        self.hashtags: list[dict[str, Any]] = []
        self.words: set[str] = set()


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
        self._rngs: list[_CRandom] = []  # reusable generators (seeding one is cheaper than a new one)
        self._usernames = [u.username for u in self.users]
        self._usernames_lower = [u.username.lower() for u in self.users]
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
        withheld = (
            {"country_codes": [rng.choice(txt.WITHHELD_COUNTRIES)], "scope": "user"}
            if rng.random() < 0.01
            else None
        )
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
            url=rng.choice(("", "", "https://t.co/" + _tco(rng.random))),
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
    # Posts are built in two steps from one Mersenne Twister stream seeded with (seed, i, 6): `sketch` draws
    # what queries mostly ask about (language, mentions, sentence, hashtags), `finish` continues the same
    # stream with links, media, place and metrics. A query can reject a sketch without paying for the rest.
    # The draws call `getrandbits`/`random` directly, exactly as `random.Random.choice`, `choices`,
    # `sample`, `randrange` and `paretovariate` do, so the bytes equal those of the stdlib helpers.
    def post(self, i: int) -> WorldPost:
        cached = self._cache.get(i)
        if cached is not None:
            self._cache.move_to_end(i)
            return cached
        s = self.sketch(i)
        return self._remember(self._make_retweet(i) if s is None else self._finish(s))

    def cached_post(self, i: int) -> WorldPost | None:
        """Post *i* if it is in the cache (no generation, no recency update)."""
        return self._cache.get(i)

    def finish(self, s: PostSketch) -> WorldPost:
        """The full post of a sketch (cached like `post`)."""
        cached = self._cache.get(s.index)
        if cached is not None:
            return cached
        return self._remember(self._finish(s))

    def _remember(self, p: WorldPost) -> WorldPost:
        self._cache[p.index] = p
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return p

    def sketch(self, i: int) -> PostSketch | None:
        """The query-relevant first part of an own post (None for retweets, which copy their source)."""
        kind = self.kind(i)
        if kind == RETWEET:
            return None
        rng = self._rngs.pop() if self._rngs else _CRandom()
        rng.seed(mix64(self.seed, i, 6))  # reseeding costs half of constructing a new generator
        bits, rnd = rng.getrandbits, rng.random
        users = self.users
        names = self._usernames
        source = _SOURCES[_below(bits, _N_SOURCES)]
        author = self.author(i)
        pid = str(self.id_int(i))
        s = PostSketch(i, kind, author, pid, source, rng)
        s.conversation_id = pid
        parts = s.parts
        mentions = s.mentions
        pos = 0
        if kind != ORIGINAL:
            ref = self.ref_index(i)
            assert ref is not None
            s.ref_index, s.ref_id = ref, str(self.id_int(ref))
            if kind == REPLY:
                parent_author = self.author(ref)
                s.in_reply_to_user = parent_author
                s.conversation_id = str(self.id_int(self.conversation_index(ref)))
                name = names[parent_author]
                mentions.append({"start": 0, "end": 1 + len(name), "username": name,
                                 "id": users[parent_author].id, "_user": parent_author})  # fmt: skip
                parts.append("@" + name)
                parts.append(" ")
                pos = 2 + len(name)
                s.display_start = pos
        lang = _LANGS[_bisect(_LANG_CUM, rnd() * _LANG_TOTAL, 0, _LANG_HI)]
        s.lang = lang
        if rnd() < 0.08:
            u = _below(bits, len(users))
            name = names[u]
            mentions.append({"start": pos, "end": pos + 1 + len(name), "username": name,
                             "id": users[u].id, "_user": u})  # fmt: skip
            parts.append("@" + name)
            parts.append(" ")
            pos += 2 + len(name)
        sentences = txt.SENTENCES[lang]
        sentence = sentences[_below(bits, len(sentences))]
        parts.append(sentence)
        pos += len(sentence)
        if rnd() < 0.12:
            u = _below(bits, len(users))
            name = names[u]
            parts.append(" ")
            parts.append("@" + name)
            mentions.append({"start": pos + 1, "end": pos + 2 + len(name), "username": name,
                             "id": users[u].id, "_user": u})  # fmt: skip
            pos += 2 + len(name)
        tags: list[str] = []
        if rnd() < 0.5:
            tags += _sample(bits, _DEMO_HASHTAGS, 1 + (rnd() < 0.3))
        if rnd() < 0.35:
            tags.append(_OTHER_HASHTAGS[_below(bits, _N_OTHER_HASHTAGS)])
        hashtags = s.hashtags
        for tag in tags:
            parts.append(" #")
            parts.append(tag)
            hashtags.append({"start": pos + 1, "end": pos + 2 + len(tag), "tag": tag})
            pos += 2 + len(tag)
        s.pos = pos
        words = set(_SENTENCE_WORDS[sentence])
        for m in mentions:
            words.add(self._usernames_lower[m["_user"]])
        for tag in tags:
            words.add(_TAG_WORDS[tag])
        s.words = words
        return s

    def discard(self, s: PostSketch) -> None:
        """Give a rejected sketch's generator back for reuse (optional: it is garbage otherwise)."""
        if s.rng is not None and len(self._rngs) < 4:
            self._rngs.append(s.rng)
        s.rng = None

    def _finish(self, s: PostSketch) -> WorldPost:
        rng = s.rng
        assert rng is not None, "a sketch can be finished once"
        bits, rnd = rng.getrandbits, rng.random
        users = self.users
        i = s.index
        p = WorldPost(
            index=i, id=s.id, created_ms=self.time_ms(i), author=s.author, kind=s.kind, text="",
            lang=s.lang, ref_index=s.ref_index, ref_id=s.ref_id, in_reply_to_user=s.in_reply_to_user,
            conversation_id=s.conversation_id, hashtags=s.hashtags, mentions=s.mentions,
            source=s.source, display_start=s.display_start,
        )  # fmt: skip
        parts = list(s.parts)
        pos = s.pos
        urls = p.urls
        if rnd() < 0.2:
            expanded, display = _LINKS[_below(bits, _N_LINKS)]
            short = "https://t.co/" + _tco(rnd)
            parts.append(" ")
            parts.append(short)
            urls.append({"start": pos + 1, "end": pos + 1 + len(short), "url": short,
                         "expanded_url": expanded, "display_url": display})  # fmt: skip
            pos += 1 + len(short)
        if p.kind == QUOTE and p.ref_index is not None:
            quoted_name = self._usernames[self.author(p.ref_index)]
            short = "https://t.co/" + _tco(rnd)
            parts.append(" ")
            parts.append(short)
            expanded = f"https://twitter.com/{quoted_name}/status/{p.ref_id}"
            display = f"twitter.com/{quoted_name}/…"
            urls.append({"start": pos + 1, "end": pos + 1 + len(short), "url": short,
                         "expanded_url": expanded, "display_url": display})  # fmt: skip
            pos += 1 + len(short)
        if rnd() < 0.18:
            short = self._add_media(p, bits, rnd)
            parts.append(" ")
            parts.append(short)
            # As the live API does: one URL entity per photo, all at the same offset, differing in media_key.
            for item in p.media:
                urls.append({"start": pos + 1, "end": pos + 1 + len(short), "url": short,
                             "expanded_url": f"https://twitter.com/i/web/status/{p.id}/photo/1",
                             "display_url": "pic.x.com/" + short[-10:],
                             "media_key": item["media_key"]})  # fmt: skip
            pos += 1 + len(short)
        elif p.kind == ORIGINAL and rnd() < 0.03:
            self._add_poll(p, bits)
        # Extras drawn from their own streams (mix64), so every other byte of the world stays as it was.
        if mix64(self.seed, i, 21) % 100 < 4 and pos + 7 <= 280:
            tag = txt.CASHTAGS[mix64(self.seed, i, 22) % len(txt.CASHTAGS)]
            parts.append(" $" + tag)
            p.cashtags = [{"start": pos + 1, "end": pos + 2 + len(tag), "tag": tag}]
            pos += 2 + len(tag)
        if p.kind == ORIGINAL and mix64(self.seed, i, 26) % 100 < 3:
            more = txt.SENTENCES[p.lang] if p.lang in txt.SENTENCES else txt.SENTENCES["en"]
            first = mix64(self.seed, i, 27) % len(more)
            p.note_more = "".join(" " + more[(first + k) % len(more)] for k in range(12))
        if p.kind != RETWEET and mix64(self.seed, i, 23) % 100 < 2:
            p.edit_history = [str(int(p.id) - 1 - mix64(self.seed, i, 24) % 4_000_000), p.id]
        p.text = "".join(parts)

        if rnd() < 0.08:
            p.place = _below(bits, _N_PLACES)
            if rnd() < 0.35:
                w, s_, e, n = txt.PLACES[p.place][5]
                p.coordinates = [round(w + (e - w) * rnd(), 6), round(s_ + (n - s_) * rnd(), 6)]
        followers = users[p.author].public_metrics["followers_count"]
        reach = max(1, followers // 20)
        p.public_metrics = {
            "retweet_count": int((1.0 - rnd()) ** _PARETO_2_0 * reach / 10) - reach // 10,
            "reply_count": int((1.0 - rnd()) ** _PARETO_2_5 * 3) - 3,
            "like_count": int((1.0 - rnd()) ** _PARETO_1_8 * reach / 3) - reach // 3,
            "quote_count": int((1.0 - rnd()) ** _PARETO_3_0 * 2) - 2,
            "bookmark_count": int((1.0 - rnd()) ** _PARETO_3_0 * 2) - 2,
            "impression_count": int((1.0 - rnd()) ** _PARETO_1_5 * followers),
        }
        p.possibly_sensitive = rnd() < 0.03
        roll = rnd()
        p.reply_settings = "everyone" if roll < 0.92 else ("following" if roll < 0.96 else "mentionedUsers")
        if rnd() < 0.005:
            p.withheld = {
                "copyright": False,
                "country_codes": sorted(_sample(bits, txt.WITHHELD_COUNTRIES, 2)),
                "scope": "tweet",
            }
        if any(h["tag"] in _DEMO_TAG_SET for h in p.hashtags) and rnd() < 0.6:
            p.context_annotations = [
                {
                    "domain": {"id": "66", "name": "Interests and Hobbies Category",
                               "description": "A grouping of interests and hobbies entities"},
                    "entity": {"id": "898661583827615744", "name": "Data science"},
                }
            ]  # fmt: skip
            tagged = p.hashtags[0]  # the named-entity recogniser's view of the same post (end inclusive)
            p.annotations = [
                {"start": tagged["start"] + 1, "end": tagged["end"] - 1,
                 "probability": round(0.5 + (mix64(self.seed, i, 25) % 5000) / 10_000, 4),
                 "type": "Other", "normalized_text": tagged["tag"]}
            ]  # fmt: skip
        self.discard(s)
        return p

    def _make_retweet(self, i: int) -> WorldPost:
        rng = self._rngs.pop() if self._rngs else _CRandom()
        rng.seed(mix64(self.seed, i, 6))
        pid = str(self.id_int(i))
        p = WorldPost(index=i, id=pid, created_ms=self.time_ms(i), author=self.author(i), kind=RETWEET,
                      text="", lang="en", conversation_id=pid)  # fmt: skip
        p.source = _SOURCES[_below(rng.getrandbits, _N_SOURCES)]
        self._rngs.append(rng)
        ref = self.ref_index(i)
        assert ref is not None
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
        for ent_list, target in (
            (orig.hashtags, p.hashtags),
            (orig.urls, p.urls),
            (orig.cashtags, p.cashtags),
        ):
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
        return p

    def _add_media(self, p: WorldPost, bits: Any, rnd: Any) -> str:
        """Append media items; returns the t.co link that points at them."""
        roll = rnd()
        pid = int(p.id)
        if roll < 0.7:
            count = _PHOTO_COUNTS[_below(bits, 6)]
            for k in range(count):
                width, height = _PHOTO_SIZES[_below(bits, 3)]
                key = f"3_{pid + k + 1}"
                url = f"https://pbs.twimg.com/media/{_tco(rnd)}.jpg"
                alt = _ALT_TEXTS[_below(bits, _N_ALT_TEXTS)]
                p.media.append({"media_key": key, "type": "photo", "width": width, "height": height,
                                "url": url, "alt_text": alt})  # fmt: skip
        else:
            is_video = roll < 0.9
            key = f"{7 if is_video else 16}_{pid + 1}"
            preview = f"https://pbs.twimg.com/ext_tw_video_thumb/{pid + 1}/pu/img/{_tco(rnd)}.jpg"
            base = f"https://video.twimg.com/ext_tw_video/{pid + 1}/pu/vid"
            item: dict[str, Any] = {
                "media_key": key,
                "type": "video" if is_video else "animated_gif",
                "width": 1280,
                "height": 720,
                "preview_image_url": preview,
                "public_metrics": {"view_count": int((1.0 - rnd()) ** _PARETO_1_2 * 100)},
            }
            if is_video:
                item["duration_ms"] = 3_000 + _below(bits, 137_000)
                item["variants"] = [
                    {"content_type": "application/x-mpegURL", "url": f"{base}/pl/playlist.m3u8"},
                    {"bit_rate": 832000, "content_type": "video/mp4", "url": f"{base}/640x360/v.mp4"},
                    {"bit_rate": 2176000, "content_type": "video/mp4", "url": f"{base}/1280x720/v.mp4"},
                ]
            else:
                item["variants"] = [{"bit_rate": 0, "content_type": "video/mp4", "url": f"{base}/gif.mp4"}]
            p.media.append(item)
        return "https://t.co/" + _tco(rnd)

    def _add_poll(self, p: WorldPost, bits: Any) -> None:
        labels = _POLL_OPTIONS[_below(bits, _N_POLL_OPTIONS)]
        duration = _POLL_DURATIONS[_below(bits, 4)]
        end_ms = p.created_ms + duration * 60_000
        p.poll = {
            "id": str(int(p.id) + 1),
            "options": [
                {"position": n + 1, "label": label, "votes": _below(bits, 500)}
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


def _tco(rnd: Any) -> str:
    """Ten characters as `rng.choices(alphabet, k=10)` draws them."""
    a = _TCO_ALPHABET
    return "".join([a[int(rnd() * 62.0)] for _ in range(10)])


def _below(bits: Any, n: int) -> int:
    """`Random._randbelow(n)` (what `choice` and `randrange` use) on a bound `getrandbits`."""
    k = n.bit_length()
    r = bits(k)
    while r >= n:
        r = bits(k)
    return r


def _sample(bits: Any, population: tuple[str, ...], k: int) -> list[str]:
    """`Random.sample(population, k)` for small populations (its pool branch)."""
    n = len(population)
    pool = list(population)
    result = []
    for j in range(k):
        r = _below(bits, n - j)
        result.append(pool[r])
        pool[r] = pool[n - j - 1]
    return result


_SOURCES = txt.SOURCES
_N_SOURCES = len(_SOURCES)
_LANG_TOTAL = _LANG_CUM[-1] + 0.0
_LANG_HI = len(_LANGS) - 1
_DEMO_HASHTAGS = txt.DEMO_HASHTAGS
_DEMO_TAG_SET = frozenset(txt.DEMO_HASHTAGS)
_OTHER_HASHTAGS = txt.OTHER_HASHTAGS
_N_OTHER_HASHTAGS = len(_OTHER_HASHTAGS)
_TAG_WORDS = {t: t.lower() for t in (*txt.DEMO_HASHTAGS, *txt.OTHER_HASHTAGS)}
_SENTENCE_WORDS = {
    s: frozenset(_WORD_RE.findall(s.lower())) for group in txt.SENTENCES.values() for s in group
}
_LINKS = txt.LINKS
_N_LINKS = len(_LINKS)
_N_PLACES = len(txt.PLACES)
_PHOTO_COUNTS = (1, 1, 1, 2, 3, 4)
_PHOTO_SIZES = ((1200, 675), (1080, 1080), (900, 1200))
_ALT_TEXTS = txt.MEDIA_ALT_TEXTS
_N_ALT_TEXTS = len(_ALT_TEXTS)
_POLL_OPTIONS = txt.POLL_OPTIONS
_N_POLL_OPTIONS = len(_POLL_OPTIONS)
_POLL_DURATIONS = (60, 1440, 4320, 10080)
# `paretovariate(alpha)` is `(1.0 - random()) ** (-1.0 / alpha)`: the same exponents, computed the same way.
_PARETO_1_2 = -1.0 / 1.2
_PARETO_1_5 = -1.0 / 1.5
_PARETO_1_8 = -1.0 / 1.8
_PARETO_2_0 = -1.0 / 2.0
_PARETO_2_5 = -1.0 / 2.5
_PARETO_3_0 = -1.0 / 3.0
