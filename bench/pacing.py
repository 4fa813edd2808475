"""Extraction pacing: with the emulator's rate window shrunk, does a long run use the whole budget?

The emulator allows `limit` recent-search requests per `window` seconds (a window opens at the first
request after the previous one expired, on the whole second, so the X API's whole-second
`x-rate-limit-reset` header is exact). A perfect client spends the budget, waits
exactly until the reset and goes on, so it sustains `limit / window` requests per second with no 429.
We measure ours (``XApiClient.search``, default pacing) over several windows:

    used share = (k · window) / (time from the first request of window 1 to that of window k+1)

that is, the sustained rate as a share of the allowed rate, over k full windows. Target: ≥ 95 % and
no 429 caused by our own pacing.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta

from bench.common import Row, Section

TARGET_SHARE = 0.95


def bench_pacing(seconds: float | None = None, smoke: bool = False, log=print) -> Section:
    from twitter_pipeline.emulator import DEMO_QUERY, EmulatorConfig, EmulatorServer
    from twitter_pipeline.emulator import constants as c
    from twitter_pipeline.extract.client import XApiClient

    window, limit = (1, 3) if smoke else (10, 30)
    seconds = seconds or (2.0 if smoke else 60.0)
    windows = max(1, math.floor(seconds / window))
    needed = windows * limit + 1  # the first request of window k+1 closes window k
    config = EmulatorConfig(
        token="bench-pacing",
        posts_per_hour=36_000,
        rate_limit_window_s=window,
        rate_limits={**c.RATE_LIMITS, "search_recent": limit},
    )
    section = Section("pacing")
    log(f"pacing: {limit} requests per {window} s window, {windows} windows (~{windows * window} s)")
    stamps: list[float] = []
    now = datetime.now(UTC)
    with (
        EmulatorServer(config) as emu,
        XApiClient(emu.base_url, "bench-pacing") as client,
    ):
        pages = client.search(
            "recent", DEMO_QUERY, start_time=now - timedelta(days=6), end_time=now - timedelta(minutes=1),
            max_results=10,
        )  # fmt: skip
        deadline = time.monotonic() + seconds * 3 + 30  # never hang if pacing is badly off
        try:
            for _ in pages:
                stamps.append(time.monotonic())
                if len(stamps) >= needed or time.monotonic() > deadline:
                    break
        finally:
            pages.close()
        records = emu.requests
    ok = sum(1 for r in records if r.status == 200)
    limited = sum(1 for r in records if r.status == 429)
    if len(stamps) < needed:
        raise RuntimeError(f"the run ended after {len(stamps)} pages; {needed} were needed")
    elapsed = stamps[windows * limit] - stamps[0]
    share = windows * window / elapsed
    met = share >= TARGET_SHARE and limited == 0
    section.rows.append(
        Row("pacing", "share of the allowed request rate used", f"{share:.1%}",
            f"{windows} windows of {limit} req/{window} s; {ok} OK, {limited} × 429",
            f"≥ {TARGET_SHARE:.0%}, no 429", met)
    )  # fmt: skip
    per_window = (elapsed - windows * window) / windows
    section.details.append(
        f"{windows} full windows took {elapsed:.2f} s instead of {windows * window} s: "
        f"{per_window:.2f} s lost per window; {limited} responses were 429."
    )
    if not met:
        section.details.append(
            f"MISSED: {share:.1%} used (target {TARGET_SHARE:.0%}), {limited} × 429. Each window the "
            "client resumes late: it waits for x-rate-limit-reset, an integer second rounded up "
            "(on average 0.5 s after the real reset), plus a random jitter of 0–0.5 s "
            "(extract/rate_limit.py, RateLimiter._reset_wait). Against the real API's 900 s window "
            f"that is {per_window / 900:.2%} of the rate; against a {window} s window it is "
            f"{per_window / window:.1%}."
        )
    return section
