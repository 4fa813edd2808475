"""Sentiment of English posts with VADER (lexicon-based, tuned for social media, ships its lexicon).

VADER only knows English, so every other language is counted as *unscored*, never guessed. Links
are removed before scoring (they carry no sentiment and make identical posts look different, which
defeats the per-text cache). Scoring runs at a few thousand texts per second, so very large
windows are scored on a deterministic sample of posts (`MAX_SCORED_POSTS`) and the counts per
bucket are estimated from it; the report says so.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from typing import Any

import pyarrow as pa

MAX_SCORED_POSTS = 50_000
POSITIVE, NEGATIVE = 0.05, -0.05  # VADER's recommended compound thresholds
_LINK = re.compile(r"https?://\S+")


@lru_cache(maxsize=1)
def _analyzer() -> Any:  # vaderSentiment ships no types
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def compound(text: str) -> float:
    """VADER's compound score in [-1, 1] for one English text (links ignored)."""
    return float(_analyzer().polarity_scores(_LINK.sub(" ", text or ""))["compound"])


def label(score: float) -> str:
    """positive / negative / neutral by VADER's ±0.05 convention."""
    if score >= POSITIVE:
        return "positive"
    if score <= NEGATIVE:
        return "negative"
    return "neutral"


def score_buckets(counts: pa.Table, texts: pa.Table) -> pa.Table:
    """Combine per-bucket post counts with scored texts into the sentiment-over-time table.

    `counts`: bucket, posts, english. `texts`: bucket, text, n (English posts, maybe a sample).
    """
    cache: dict[str, float] = {}
    tallies: dict[object, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    buckets = texts.column("bucket").to_pylist()
    for bucket, text, n in zip(
        buckets, texts.column("text").to_pylist(), texts.column("n").to_pylist(), strict=True
    ):
        key = _LINK.sub(" ", text or "")
        score = cache.get(key)
        if score is None:
            score = cache[key] = float(_analyzer().polarity_scores(key)["compound"])
        tally = tallies[bucket]
        tally[label(score)] += n
        tally["scored"] += n
        tally["compound_sum"] += score * n

    rows: dict[str, list] = defaultdict(list)
    for bucket, posts, english in zip(
        counts.column("bucket").to_pylist(),
        counts.column("posts").to_pylist(),
        counts.column("english").to_pylist(),
        strict=True,
    ):
        tally = tallies.get(bucket, {})
        scored = int(tally.get("scored", 0))
        scale = english / scored if scored else 0.0  # 1.0 unless the English posts were sampled
        rows["bucket"].append(bucket)
        rows["posts"].append(posts)
        rows["english"].append(english)
        rows["unscored"].append(posts - english)
        rows["scored"].append(scored)
        for name in ("positive", "neutral", "negative"):
            rows[name].append(round(tally.get(name, 0) * scale, 1) if scored else 0.0)
        rows["mean_compound"].append(tally["compound_sum"] / scored if scored else None)
    bucket_type = counts.schema.field("bucket").type
    return pa.table(
        {
            "bucket": pa.array(rows["bucket"], bucket_type),
            "posts": pa.array(rows["posts"], pa.int64()),
            "english": pa.array(rows["english"], pa.int64()),
            "unscored": pa.array(rows["unscored"], pa.int64()),
            "scored": pa.array(rows["scored"], pa.int64()),
            "positive": pa.array(rows["positive"], pa.float64()),
            "neutral": pa.array(rows["neutral"], pa.float64()),
            "negative": pa.array(rows["negative"], pa.float64()),
            "mean_compound": pa.array(rows["mean_compound"], pa.float64()),
        }
    )
