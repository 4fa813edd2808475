"""The world: random access, monotonic snowflake ids, determinism, realistic content."""

from __future__ import annotations

import re

from twitter_pipeline.emulator.constants import TWITTER_EPOCH_MS
from twitter_pipeline.emulator.content import CASHTAGS
from twitter_pipeline.emulator.world import QUOTE, REPLY, RETWEET, World


def test_ids_and_times_are_strictly_monotonic_and_snowflake_like() -> None:
    w = World(seed=7, posts_per_hour=36_000)
    ids = [w.id_int(i) for i in range(20_000)]
    times = [w.time_ms(i) for i in range(20_000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert times == sorted(times) and len(set(times)) == len(times)
    assert all((pid >> 22) + TWITTER_EPOCH_MS == t for pid, t in zip(ids, times, strict=True))


def test_random_access_is_deterministic_without_generating_others() -> None:
    a, b = World(seed=3), World(seed=3)
    far = 5_000_000
    assert a.post(far).text == b.post(far).text
    assert a.post(far).id == str(b.id_int(far))
    assert World(seed=4).post(far).text != a.post(far).text or World(seed=4).post(far).id != a.post(far).id


def test_index_lookups_invert_time_and_id() -> None:
    w = World()
    for i in (0, 1, 17, 123_456, 2_000_000):
        assert w.first_index_at_or_after(w.time_ms(i)) == i
        assert w.index_of_id(w.id_int(i)) == i
        assert w.first_index_with_id_above(w.id_int(i)) == i + 1


def test_references_point_to_earlier_posts_and_retweets_quote_their_source() -> None:
    w = World()
    kinds = set()
    for i in range(1000, 4000):
        p = w.post(i)
        kinds.add(p.kind)
        if p.kind in (RETWEET, QUOTE, REPLY):
            assert p.ref_index is not None and p.ref_index < i
            assert w.kind(p.ref_index) != RETWEET
        if p.kind == RETWEET:
            orig = w.post(p.ref_index)
            assert p.text.startswith(f"RT @{w.users[orig.author].username}: ")
        if p.kind == REPLY:
            parent = w.post(p.ref_index)
            assert p.in_reply_to_user == parent.author
            assert int(p.conversation_id) <= int(parent.id)
    assert kinds == {"original", "reply", "retweet", "quote"}


def test_entity_offsets_point_at_their_text() -> None:
    w = World()
    checked = 0
    for i in range(5000, 8000):
        p = w.post(i)
        for h in p.hashtags:
            assert p.text[h["start"] : h["end"]] == "#" + h["tag"]
            checked += 1
        for m in p.mentions:
            assert p.text[m["start"] : m["end"]] == "@" + m["username"]
        for u in p.urls:
            assert p.text[u["start"] : u["end"]] == u["url"]
    assert checked > 500


def test_world_has_many_languages_scripts_and_valid_usernames() -> None:
    w = World()
    langs = {w.post(i).lang for i in range(3000)}
    assert {"en", "es", "ja", "ar", "zh", "hi", "ko"} <= langs
    texts = " ".join(w.post(i).text for i in range(3000))
    assert re.search(r"[\u3040-\u30ff]", texts) and re.search(r"[\u0600-\u06ff]", texts)
    assert all(re.fullmatch(r"[A-Za-z0-9_]{1,15}", u.username) for u in w.users)
    assert len({u.username.lower() for u in w.users}) == len(w.users)


def test_user_timeline_enumeration_matches_author_function() -> None:
    w = World(users=50)
    user = w.author(10_000)
    mine = list(zip(range(4), w.user_indices_before(user, 10_001), strict=False))
    got = [i for _, i in mine]
    assert got[0] == 10_000
    assert got == sorted(got, reverse=True)
    brute = [i for i in range(10_000, 8_000, -1) if w.author(i) == user][:4]
    assert got == brute


def test_sketch_is_the_start_of_the_post_it_finishes() -> None:
    """Queries judge sketches: their words and entities must be those of the finished post."""
    w, fresh = World(seed=11), World(seed=11)
    for i in range(9000, 10500):
        s = w.sketch(i)
        full = fresh.post(i)
        if s is None:
            assert full.kind == RETWEET
            continue
        assert (s.kind, s.lang, s.author, s.id) == (full.kind, full.lang, full.author, full.id)
        assert s.hashtags == full.hashtags and s.mentions == full.mentions
        extra = full.words - s.words
        cashtags = {tag.lower() for tag in CASHTAGS}
        assert s.words <= full.words
        assert all(x in ("https", "t", "co") or len(x) == 10 or x in cashtags for x in extra)
        assert w.finish(s) == full
