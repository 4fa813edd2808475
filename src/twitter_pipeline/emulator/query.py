"""The X search query language (the useful core): parsed once, compiled to predicates over world posts.

Three predicates are compiled: `matches(post)` on a generated post; `maybe(world, i)` — a three-valued
pre-check that uses only what the world knows cheaply (kind, author), so selective queries such as
`from:someone` skip posts without generating them; and a three-valued check on a post's sketch (language,
mentions, hashtags, the words drawn first), so queries such as the demo query reject most posts they do
not match without building them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from twitter_pipeline.emulator.world import QUOTE, REPLY, RETWEET, PostSketch, World, WorldPost

_TOKEN_RE = re.compile(r'\s*(-?)("(?:[^"\\]|\\.)*"?|\(|\)|[^\s()"]+)')
_OPERATOR_RE = re.compile(r"^([A-Za-z_]+):(.*)$")

# Operators that may stand alone vs those that need a standalone companion ("conjunction-required").
STANDALONE_OPERATORS = {"from", "to", "url", "conversation_id", "retweets_of"}
CONJUNCTION_OPERATORS = {"lang", "is", "has"}
IS_VALUES = {"retweet", "reply", "quote", "verified"}
HAS_VALUES = {"media", "links", "hashtags", "mentions", "images", "videos", "geo"}


class QueryError(ValueError):
    """A query the real API would reject; the message is what the 400 Problem says."""


@dataclass
class Node:
    kind: str  # "term", "and", "or", "not"
    children: list[Node]
    op: str = ""  # keyword, phrase, hashtag, mention, cashtag, or an operator name
    value: str = ""

    @property
    def standalone(self) -> bool:
        """True if the node contains a positive term that can stand alone (the API's rule)."""
        if self.kind == "term":
            return self.op not in CONJUNCTION_OPERATORS
        if self.kind == "not":
            return False
        if self.kind == "and":
            return any(ch.standalone for ch in self.children)
        return all(ch.standalone for ch in self.children)

    @property
    def positive(self) -> bool:
        if self.kind == "term":
            return True
        if self.kind == "not":
            return False
        if self.kind == "and":
            return any(ch.positive for ch in self.children)
        return all(ch.positive for ch in self.children)


def parse(query: str) -> Node:
    """Parse a query or raise QueryError naming what is wrong."""
    if not query.strip():
        raise QueryError("The query must not be empty.")
    tokens = _tokenize(query)
    pos = 0

    def parse_or() -> Node:
        nonlocal pos
        items = [parse_and()]
        while pos < len(tokens) and tokens[pos] == ("", "OR"):
            pos += 1
            if pos >= len(tokens) or tokens[pos][1] in (")", "OR"):
                raise QueryError("Operator OR must be followed by a term.")
            items.append(parse_and())
        return items[0] if len(items) == 1 else Node("or", items)

    def parse_and() -> Node:
        nonlocal pos
        items: list[Node] = []
        while pos < len(tokens):
            neg, tok = tokens[pos]
            if tok == ")" or (tok == "OR" and not neg):
                break
            pos += 1
            if tok == "(":
                inner = parse_or()
                if pos >= len(tokens) or tokens[pos][1] != ")":
                    raise QueryError("Unbalanced parentheses: a '(' is never closed.")
                pos += 1
                node = inner
            else:
                node = _term(tok)
            items.append(Node("not", [node]) if neg else node)
        if not items:
            raise QueryError("Empty group or a dangling OR in the query.")
        return items[0] if len(items) == 1 else Node("and", items)

    root = parse_or()
    if pos < len(tokens):
        raise QueryError("Unbalanced parentheses: unexpected ')'.")
    if not root.positive:
        raise QueryError("The query consists only of negated terms; add at least one positive term.")
    if not root.standalone:
        raise QueryError(
            "The query needs at least one standalone term (a keyword, phrase, #hashtag, @mention "
            "or from:/to:); "
            "is:, has: and lang: must be combined with one."
        )
    return root


def _tokenize(query: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = query.rstrip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError(f"Cannot parse the query near position {pos}.")
        neg, tok = m.group(1), m.group(2)
        if tok.startswith('"') and (len(tok) < 2 or not tok.endswith('"')):
            raise QueryError("Unbalanced quotes: a '\"' is never closed.")
        if neg and tok == ")":
            raise QueryError("A '-' must be followed by a term.")
        tokens.append((neg, tok))
        pos = m.end()
    return tokens


def _term(tok: str) -> Node:
    if tok.startswith('"'):
        phrase = tok[1:-1].replace('\\"', '"').strip().lower()
        if not phrase:
            raise QueryError("An exact phrase must not be empty.")
        return Node("term", [], "phrase", phrase)
    if tok.startswith("#") and len(tok) > 1:
        return Node("term", [], "hashtag", tok[1:].lower())
    if tok.startswith("@") and len(tok) > 1:
        return Node("term", [], "mention", tok[1:].lower())
    if tok.startswith("$") and len(tok) > 1:
        return Node("term", [], "cashtag", tok[1:].lower())
    m = _OPERATOR_RE.match(tok)
    if m and not tok.startswith("http"):
        op, value = m.group(1).lower(), m.group(2).strip('"')
        if op not in STANDALONE_OPERATORS | CONJUNCTION_OPERATORS:
            raise QueryError(f"Reference to invalid operator '{op}:'. Operator is not available or unknown.")
        if not value:
            raise QueryError(f"Operator '{op}:' needs a value.")
        if op == "is" and value.lower() not in IS_VALUES:
            raise QueryError(f"Reference to invalid operator 'is:{value}'.")
        if op == "has" and value.lower() not in HAS_VALUES:
            raise QueryError(f"Reference to invalid operator 'has:{value}'.")
        return Node("term", [], op, value.lower())
    if tok in ("(", ")"):
        raise QueryError("Unbalanced parentheses.")
    return Node("term", [], "keyword", tok.lower())


Predicate = Callable[[WorldPost], bool]


def compile_matcher(node: Node, world: World) -> Predicate:
    """A predicate over generated posts."""
    users = world.users
    if node.kind == "and":
        parts = [compile_matcher(ch, world) for ch in node.children]
        return lambda p: all(f(p) for f in parts)
    if node.kind == "or":
        parts = [compile_matcher(ch, world) for ch in node.children]
        return lambda p: any(f(p) for f in parts)
    if node.kind == "not":
        inner = compile_matcher(node.children[0], world)
        return lambda p: not inner(p)
    op, v = node.op, node.value
    if op == "keyword":
        if v.isascii() and re.fullmatch(r"\w+", v):
            return lambda p: v in p.words
        return lambda p: v in p.text_lower
    if op == "phrase":
        return lambda p: v in p.text_lower
    if op == "hashtag":
        return lambda p: any(h["tag"].lower() == v for h in p.hashtags)
    if op == "cashtag":
        return lambda p: ("$" + v) in p.text_lower
    if op == "mention":
        return lambda p: any(m["username"].lower() == v for m in p.mentions)
    if op == "from":
        return lambda p: users[p.author].username.lower() == v or users[p.author].id == v
    if op == "to":
        return lambda p: (
            p.in_reply_to_user is not None
            and (users[p.in_reply_to_user].username.lower() == v or users[p.in_reply_to_user].id == v)
        )
    if op == "retweets_of":
        return lambda p: p.kind == RETWEET and bool(p.mentions) and p.mentions[0]["username"].lower() == v
    if op == "lang":
        return lambda p: p.lang == v
    if op == "url":
        return lambda p: any(v in u["expanded_url"].lower() or v in u["url"].lower() for u in p.urls)
    if op == "conversation_id":
        return lambda p: p.conversation_id == v
    if op == "is":
        if v == "retweet":
            return lambda p: p.kind == RETWEET
        if v == "reply":
            return lambda p: p.kind == REPLY
        if v == "quote":
            return lambda p: p.kind == QUOTE
        return lambda p: users[p.author].verified
    # has:
    if v == "media":
        return lambda p: bool(p.media)
    if v == "links":
        return lambda p: bool(p.urls)
    if v == "hashtags":
        return lambda p: bool(p.hashtags)
    if v == "mentions":
        return lambda p: bool(p.mentions)
    if v == "images":
        return lambda p: any(m["type"] == "photo" for m in p.media)
    if v == "videos":
        return lambda p: any(m["type"] != "photo" for m in p.media)
    return lambda p: p.place is not None


CheapPredicate = Callable[[int], bool | None]


def compile_cheap(node: Node, world: World) -> CheapPredicate:
    """Three-valued pre-check on an index: False = surely no match, True = surely a match, None = unknown."""
    if node.kind in ("and", "or"):
        parts = [compile_cheap(ch, world) for ch in node.children]
        if node.kind == "and":

            def both(i: int) -> bool | None:
                result: bool | None = True
                for f in parts:
                    r = f(i)
                    if r is False:
                        return False
                    if r is None:
                        result = None
                return result

            return both

        def either(i: int) -> bool | None:
            result: bool | None = False
            for f in parts:
                r = f(i)
                if r is True:
                    return True
                if r is None:
                    result = None
            return result

        return either
    if node.kind == "not":
        inner = compile_cheap(node.children[0], world)

        def negate(i: int) -> bool | None:
            r = inner(i)
            return None if r is None else not r

        return negate
    op, v = node.op, node.value
    if op == "is" and v in ("retweet", "reply", "quote"):
        wanted = {"retweet": RETWEET, "reply": REPLY, "quote": QUOTE}[v]
        return lambda i: world.kind(i) == wanted
    if op == "from":
        user = world.user_by_username.get(v) or world.user_by_id.get(v)
        if user is None:
            return lambda i: False
        target = user.index
        return lambda i: world.author(i) == target
    return lambda i: None


SketchPredicate = Callable[[PostSketch], bool | None]
_URL_WORDS = frozenset({"https", "t", "co"})  # words of a t.co link besides its 10-character id


def compile_sketch(node: Node, world: World) -> SketchPredicate | None:
    """Three-valued check on a post sketch; None when no term can be decided on a sketch (skip the step)."""
    check = _sketch_check(node, world)
    return None if check is _UNKNOWN else check


def _unknown(s: PostSketch) -> bool | None:
    return None


_UNKNOWN: SketchPredicate = _unknown


def _sketch_check(node: Node, world: World) -> SketchPredicate:
    if node.kind in ("and", "or"):
        parts = [_sketch_check(ch, world) for ch in node.children]
        if all(f is _UNKNOWN for f in parts):
            return _UNKNOWN
        parts = [f for f in parts if f is not _UNKNOWN] + ([_UNKNOWN] if _UNKNOWN in parts else [])
        decided = node.kind == "and"  # the value that leaves the outcome open

        def combine(s: PostSketch) -> bool | None:
            result: bool | None = decided
            for f in parts:
                r = f(s)
                if r is not decided:
                    if r is None:
                        result = None
                    else:
                        return r
            return result

        return combine
    if node.kind == "not":
        inner = _sketch_check(node.children[0], world)
        if inner is _UNKNOWN:
            return _UNKNOWN

        def negate(s: PostSketch) -> bool | None:
            r = inner(s)
            return None if r is None else not r

        return negate
    op, v = node.op, node.value
    users = world.users
    if op == "keyword" and v.isascii() and re.fullmatch(r"\w+", v):
        if v in _URL_WORDS or (len(v) == 10 and v.isalnum()):
            return _UNKNOWN  # could be part of a t.co link added after the sketch
        return lambda s: v in s.words
    if op == "hashtag":
        return lambda s: any(h["tag"].lower() == v for h in s.hashtags)
    if op == "mention":
        return lambda s: any(m["username"].lower() == v for m in s.mentions)
    if op == "from":
        return lambda s: users[s.author].username.lower() == v or users[s.author].id == v
    if op == "to":
        return lambda s: (
            s.in_reply_to_user is not None
            and (users[s.in_reply_to_user].username.lower() == v or users[s.in_reply_to_user].id == v)
        )
    if op == "retweets_of":
        return lambda s: False  # sketches are never retweets
    if op == "lang":
        return lambda s: s.lang == v
    if op == "conversation_id":
        return lambda s: s.conversation_id == v
    if op == "is":
        if v in ("retweet", "reply", "quote"):
            wanted = {"retweet": RETWEET, "reply": REPLY, "quote": QUOTE}[v]
            return lambda s: s.kind == wanted
        return lambda s: users[s.author].verified
    if op == "has" and v == "hashtags":
        return lambda s: bool(s.hashtags)
    if op == "has" and v == "mentions":
        return lambda s: bool(s.mentions)
    return _UNKNOWN
