"""Run-engine tests drive the real console script against a real emulator on loopback."""

from __future__ import annotations

import gzip
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import CLI, clean_env
from tests.fixtures.emulator import EMULATOR_TEST_TOKEN
from twitter_pipeline.emulator import EmulatorServer
from twitter_pipeline.load import read_table
from twitter_pipeline.storage import LakeStorage

Cli = Callable[..., subprocess.CompletedProcess[str]]


def api_env(server: EmulatorServer, **extra: str) -> dict[str, str]:
    """The live-API code path (token + base URL), aimed at a loopback emulator."""
    return clean_env(X_BEARER_TOKEN=EMULATOR_TEST_TOKEN, X_API_BASE_URL=server.base_url, **extra)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    def invoke(*args: str, env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=timeout
        )

    return invoke


def tweet_ids(lake: Path) -> list[str]:
    storage = LakeStorage(str(lake))
    if not storage.exists("tables/tweets/_delta_log"):
        return []
    return read_table(storage, "tweets", columns=["id"]).column("id").to_pylist()


def raw_pages(lake: Path) -> list[Path]:
    return sorted((lake / "raw").rglob("*.jsonl.gz")) if (lake / "raw").exists() else []


def raw_post_ids(lake: Path) -> set[str]:
    """Ids of every post in `data` of every raw page (what the server sent and the lake kept)."""
    import orjson

    ids: set[str] = set()
    for page in raw_pages(lake):
        for line in gzip.decompress(page.read_bytes()).splitlines():
            if line.strip():
                record = orjson.loads(line)
                body = record.get("response", record) if isinstance(record, dict) else {}
                data = body.get("data") if isinstance(body, dict) else None
                if isinstance(data, list):
                    ids.update(str(post["id"]) for post in data if isinstance(post, dict) and "id" in post)
    return ids


def search_archive(server: EmulatorServer, path: Path, query: str, pages: int) -> set[str]:
    """A twarc2-style archive (one response page per line) fetched over HTTP; returns its post ids."""
    import orjson

    ids: set[str] = set()
    params = {"query": query, "max_results": "100", "expansions": "author_id"}
    headers = {"Authorization": f"Bearer {EMULATOR_TEST_TOKEN}"}
    with path.open("wb") as out, httpx.Client(base_url=server.base_url, headers=headers) as http:
        for _ in range(pages):
            body = http.get("/2/tweets/search/recent", params=params).raise_for_status().json()
            out.write(orjson.dumps(body) + b"\n")
            ids.update(post["id"] for post in body.get("data", []))
            token = body.get("meta", {}).get("next_token")
            if not token:
                break
            params["next_token"] = token
    return ids
