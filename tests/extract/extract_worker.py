"""A tiny extract run in its own process, so tests can SIGKILL it mid-run and resume.

Usage: python extract_worker.py BASE_URL LAKE QUERY ENDPOINT MAX_RESULTS [START END]
The bearer token comes from X_BEARER_TOKEN (never argv: argv is visible to every user).
Prints the ExtractResult as one JSON line on success.
"""

from __future__ import annotations

import os
import sys

import orjson

from twitter_pipeline.extract.client import XApiClient
from twitter_pipeline.extract.retry import RetryPolicy
from twitter_pipeline.extract.state import StateStore
from twitter_pipeline.extract.window import SearchRequest, extract_window
from twitter_pipeline.raw.zone import RawZone
from twitter_pipeline.storage import LakeStorage


def main(argv: list[str]) -> int:
    base_url, lake, query, endpoint, max_results = argv[:5]
    start, end = (argv[5], argv[6]) if len(argv) >= 7 else (None, None)
    storage = LakeStorage(lake)
    policy = RetryPolicy(max_attempts=8, initial_wait=0.05, max_wait=0.5, jitter=0.05)
    with XApiClient(base_url, os.environ["X_BEARER_TOKEN"], retry_policy=policy, min_interval={}) as client:
        result = extract_window(
            client,
            RawZone(storage),
            StateStore(storage),
            SearchRequest(
                query, endpoint=endpoint, start_time=start, end_time=end, max_results=int(max_results)
            ),
        )
    out = {k: v for k, v in result.__dict__.items() if k != "window"}
    sys.stdout.write(orjson.dumps(out).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
