"""The query language: operators, grouping, and the rejections the real API makes."""

from __future__ import annotations

import pytest

from twitter_pipeline.emulator.constants import DEMO_QUERY
from twitter_pipeline.emulator.query import QueryError, compile_matcher, compile_sketch, parse
from twitter_pipeline.emulator.world import World

WORLD = World()
POSTS = [WORLD.post(i) for i in range(20_000, 23_000)]
SKETCHES = World()  # a second world of the same seed: sketches are drawn apart from the cached posts


def _matching(query: str) -> list:
    f = compile_matcher(parse(query), WORLD)
    return [p for p in POSTS if f(p)]


@pytest.mark.parametrize(
    "query",
    ["", "   ", "(data", "data)", "-data", "-is:retweet", "has:media", "lang:en", "foo:bar", 'data "open',
     "data OR", "is:banana data", "()"],
)  # fmt: skip
def test_rejected_queries(query: str) -> None:
    with pytest.raises(QueryError):
        parse(query)


def test_keyword_is_case_insensitive_word_match() -> None:
    hits = _matching("DATA")
    assert hits and all("data" in p.words for p in hits)
    assert not any(p for p in hits if "data" not in p.text_lower)


def test_phrase_hashtag_mention_from_to_lang() -> None:
    assert all("nightly batch" in p.text_lower for p in _matching('"nightly batch"'))
    assert _matching('"nightly batch"')
    tagged = _matching("#python")
    assert tagged and all(any(h["tag"].lower() == "python" for h in p.hashtags) for p in tagged)
    some = next(p for p in POSTS if p.kind == "original")
    author = WORLD.users[some.author].username
    assert all(WORLD.users[p.author].username == author for p in _matching(f"from:{author}"))
    reply = next(p for p in POSTS if p.kind == "reply")
    to = WORLD.users[reply.in_reply_to_user].username
    assert reply in _matching(f"to:{to}")
    mention = next(p for p in POSTS if p.mentions)
    assert mention in _matching("@" + mention.mentions[0]["username"].upper())
    assert all(p.lang == "ja" for p in _matching("#AI lang:ja")) and _matching("#AI lang:ja")


def test_boolean_logic_and_is_has_operators() -> None:
    both = _matching("#AI #Python")
    either = _matching("#AI OR #Python")
    ai = _matching("#AI")
    assert set(map(id, both)) <= set(map(id, ai)) <= set(map(id, either))
    no_rt = _matching("#AI -is:retweet")
    assert no_rt and all(p.kind != "retweet" for p in no_rt)
    assert all(p.kind == "retweet" for p in _matching("#AI is:retweet"))
    assert all(p.media for p in _matching("#AI has:media"))
    assert all(p.urls for p in _matching("#AI has:links"))
    grouped = _matching("(#AI OR #Python) (is:reply OR is:quote)")
    assert grouped and all(p.kind in ("reply", "quote") for p in grouped)


@pytest.mark.parametrize(
    "query",
    [DEMO_QUERY, "data", "#AI lang:en", "@" + WORLD.users[3].username, "is:reply data -#Python",
     "has:hashtags data", "(lang:ja OR lang:ko) #AI", '"nightly batch" OR python', "has:media python -data",
     "https", "is:verified data"],
)  # fmt: skip
def test_sketch_verdicts_agree_with_the_full_matcher(query: str) -> None:
    root = parse(query)
    full = compile_matcher(root, WORLD)
    on_sketch = compile_sketch(root, WORLD)
    decided = 0
    for i in range(20_000, 23_000):
        sketch = SKETCHES.sketch(i) if on_sketch is not None else None
        if sketch is None:
            continue
        verdict = on_sketch(sketch)
        if verdict is not None:
            decided += 1
            assert verdict == full(WORLD.post(i)), (query, i)
    if query == DEMO_QUERY:
        assert decided > 2000  # the demo query never needs a full post to decide
