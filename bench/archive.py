"""The shared input of the transform benchmark: a twarc2-style JSONL archive of emulator pages.

Generated once per size and cached (generation costs about a minute per 100,000 posts), written to a
temporary name and renamed, so an interrupted run never leaves a half archive in the cache. Each line
is one full-archive response page, exactly as the emulator sent it, plus twarc2's ``__twarc`` record.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

ARCHIVE_VERSION = 1  # bump when the generation recipe changes, so old caches are not reused
WORLD_NOW = datetime(2026, 3, 1, tzinfo=UTC)  # a frozen clock: the same archive on every machine
WINDOW_START = datetime(2026, 2, 1, tzinfo=UTC)
WINDOW_END = datetime(2026, 2, 28, tzinfo=UTC)
POSTS_PER_HOUR = 100_000
PAGE_SIZE = 500  # the full-archive maximum: what a bulk collection uses


@dataclass(frozen=True)
class Archive:
    path: Path
    pages: int
    posts: int
    size_bytes: int

    def lines(self) -> list[bytes]:
        with self.path.open("rb") as fh:
            return [line.rstrip(b"\n") for line in fh if line.strip()]


def archive_path(cache_dir: Path, posts: int) -> Path:
    return cache_dir / f"archive-v{ARCHIVE_VERSION}-{posts}.jsonl"


def ensure_archive(cache_dir: Path, posts: int, log=print) -> Archive:
    """The cached archive of at least `posts` posts, generating it from the emulator when missing."""
    path = archive_path(cache_dir, posts)
    meta_path = path.with_suffix(".meta.json")
    if path.exists() and meta_path.exists():
        meta = orjson.loads(meta_path.read_bytes())
        return Archive(path, meta["pages"], meta["posts"], path.stat().st_size)
    cache_dir.mkdir(parents=True, exist_ok=True)
    log(f"generating a {posts:,}-post archive from the emulator into {path} (cached for later runs)")
    started = time.perf_counter()
    pages, count = _generate(path, posts)
    meta_path.write_bytes(orjson.dumps({"pages": pages, "posts": count}))
    log(f"  {pages:,} pages, {count:,} posts in {time.perf_counter() - started:.0f} s")
    return Archive(path, pages, count, path.stat().st_size)


def _generate(path: Path, posts: int) -> tuple[int, int]:
    from twitter_pipeline.emulator import DEMO_QUERY, EmulatorConfig, EmulatorServer
    from twitter_pipeline.emulator import constants as c
    from twitter_pipeline.extract.client import XApiClient

    limits = {**c.RATE_LIMITS, "search_all": 10**9}
    config = EmulatorConfig(
        token="bench",
        posts_per_hour=POSTS_PER_HOUR,
        now=WORLD_NOW,
        rate_limits=limits,
        search_all_per_second=0,
    )
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    pages = count = 0
    try:
        with (
            EmulatorServer(config) as emulator,
            XApiClient(emulator.base_url, "bench", min_interval={}) as client,
            tmp.open("wb") as out,
        ):
            url = f"{emulator.base_url}/2/tweets/search/all"
            for page in client.search(
                "all", DEMO_QUERY, start_time=WINDOW_START, end_time=WINDOW_END, max_results=PAGE_SIZE
            ):
                twarc = {"url": url, "version": "bench", "retrieved_at": page.fetched_at.isoformat()}
                body = page.body.strip()
                out.write(body[:-1] + b',"__twarc":' + orjson.dumps(twarc) + b"}\n")
                pages += 1
                count += len(page.payload.get("data") or [])
                if count >= posts:
                    break
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return pages, count
