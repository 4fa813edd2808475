"""Extract: talk to the X API v2 (or the emulator, or a saved archive) and land raw response pages.

The package exports nothing itself: import each name from its module, so that importing one piece
(say `extract.state`) does not load the HTTP client. The main entry points::

    client.XApiClient(base_url, token, spelling="tweets", on_wait=cb)  # cb(seconds, until, reason)
    client.XApiClient.search("recent"|"all", query, start_time=, end_time=, since_id=, max_results=)
        -> Iterator[raw.pages.RawPage]
    window.extract_window(client, raw, state, window.SearchRequest(query, endpoint="recent"),
                          max_pages=None, on_page=cb) -> checkpointed.ExtractResult
    window.split_windows(start, end, timedelta(days=1)); window.is_window_complete(state, request)
    archive.read_archive(path) / archive.read_archives(paths) -> Iterator[RawPage]
    archive.land_archives(raw, paths, on_progress=cb) -> archive.ImportResult
    volume.count_posts(client, "recent"|"all", query, start_time=, end_time=, granularity="hour")
        -> volume.VolumeCount
    volume.read_usage(client) -> volume.Usage   # cap, used, remaining, reset_day, daily reads

`SearchRequest(incremental=True)` takes since_id from the state's newest_id; pass stable window
bounds (None for "open") so an interrupted run is found and resumed; backfill uses incremental=False.
The page types live in `raw.pages`, below both this package and `transform`.
"""
