"""Extract: talk to the X API v2 (or the emulator, or a saved archive) and yield raw response pages.

Public API (the pipeline and CLI build on these names)::

    client = XApiClient(base_url, token, spelling="tweets", on_wait=cb)  # cb(seconds, until, reason)
    client.search("recent"|"all", query, start_time=, end_time=, since_id=, max_results=) -> Iterator[RawPage]
    storage = LakeStorage(lake); raw = RawZone(storage); state = StateStore(storage)
    result = extract_window(client, raw, state, SearchRequest(query, endpoint="recent"),
                            max_pages=None, on_page=cb)  # cb(page, raw_key, result_so_far)
    result.run_id / raw_keys / pages / posts / newest_id / errors_count / complete / resumed / skipped
    split_windows(start, end, timedelta(days=1)); is_window_complete(state, SearchRequest(..., end_time=))
    read_archive(path) / read_archives(paths) -> Iterator[RawPage]   # validates whole files first
    land_archives(raw, paths, on_progress=cb) -> ImportResult  # scan all (one parse), then write
    count_posts(client, "recent"|"all", query, start_time=, end_time=, granularity="hour") -> VolumeCount
    read_usage(client) -> Usage   # cap, used, remaining, reset_day, daily reads

`SearchRequest(incremental=True)` takes since_id from the state's newest_id; pass stable window
bounds (None for "open") so an interrupted run is found and resumed; backfill uses incremental=False.
Names are imported lazily: `raw.zone` imports `extract.pages`, and an eager import of
`extract.window` (which needs `raw.zone`) here would make that a cycle.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "PageRequest": "pages",
    "RawPage": "pages",
    "XApiClient": "client",
    "RetryPolicy": "retry",
    "Checkpoint": "state",
    "StateStore": "state",
    "Window": "state",
    "ExtractResult": "checkpointed",
    "extract_checkpointed": "checkpointed",
    "SearchRequest": "window",
    "extract_window": "window",
    "is_window_complete": "window",
    "new_run_id": "checkpointed",
    "split_windows": "window",
    "read_archive": "archive",
    "read_archives": "archive",
    "validate_archive": "archive",
    "land_archives": "archive",
    "ImportResult": "archive",
    "CountBucket": "volume",
    "VolumeCount": "volume",
    "Usage": "volume",
    "count_posts": "volume",
    "read_usage": "volume",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'twitter_pipeline.extract' has no attribute {name!r}")
    return getattr(importlib.import_module(f"twitter_pipeline.extract.{module}"), name)
