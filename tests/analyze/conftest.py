"""Small real lakes for the analysis tests, built once per session through the real pipeline.

`demo_lake`: a 10-minute window of the in-process emulator (deterministic, ~300 posts) with the
quality checks. `hostile_lake`: a twarc2 archive whose posts carry HTML/script payloads, CJK,
Arabic and emoji — the report must escape and render them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from twitter_pipeline import pipeline
from twitter_pipeline.settings import load_settings

HOSTILE_TEXT = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes" #<b>bold</b>'


def demo_window() -> tuple[datetime, datetime]:
    """Ten minutes yesterday (inside recent search's 7 days), aligned so reruns hit the same window."""
    end = (datetime.now(UTC) - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    return end - timedelta(minutes=10), end


@pytest.fixture(scope="session")
def demo_window_bounds() -> tuple[datetime, datetime]:
    return demo_window()


@pytest.fixture(scope="session")
def demo_lake(tmp_path_factory: pytest.TempPathFactory, demo_window_bounds) -> Path:
    lake = tmp_path_factory.mktemp("analyze") / "lake"
    start, end = demo_window_bounds
    summary = pipeline.run(load_settings(lake=str(lake)), source="emulator", start=start, end=end)
    assert summary.posts > 100, summary
    return lake


def hostile_page() -> dict:
    """One twarc2 response line: posts that try to inject HTML, in several scripts."""
    base = "2026-11-20T10:0{}:00.000Z"
    posts = [
        {
            "id": "1991000000000000001",
            "text": HOSTILE_TEXT,
            "lang": "en",
            "author_id": "901",
            "created_at": base.format(1),
            "public_metrics": {"retweet_count": 5, "reply_count": 1, "like_count": 50, "quote_count": 0},
            "entities": {
                "hashtags": [{"start": 70, "end": 78, "tag": "<b>bold"}],
                "mentions": [{"start": 0, "end": 6, "username": "evil_1"}],
            },
            "edit_history_tweet_ids": ["1991000000000000001"],
        },
        {
            "id": "1991000000000000002",
            "text": "今日はデータの日 🚀 #データ",
            "lang": "ja",
            "author_id": "902",
            "created_at": base.format(2),
            "public_metrics": {"retweet_count": 1, "reply_count": 0, "like_count": 9, "quote_count": 0},
            "entities": {"hashtags": [{"start": 11, "end": 15, "tag": "データ"}]},
            "edit_history_tweet_ids": ["1991000000000000002"],
        },
        {
            "id": "1991000000000000003",
            "text": "البيانات رائعة اليوم 😀",
            "lang": "ar",
            "author_id": "903",
            "created_at": base.format(3),
            "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 3, "quote_count": 0},
            "edit_history_tweet_ids": ["1991000000000000003"],
        },
        {
            "id": "1991000000000000004",
            "text": "What a wonderful, great day! I love it",
            "lang": "en",
            "author_id": "902",
            "created_at": base.format(4),
            "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0},
            "edit_history_tweet_ids": ["1991000000000000004"],
        },
    ]
    users = [
        {"id": "901", "username": "evil_1", "name": '<img src=x onerror=alert("name")>'},
        {"id": "902", "username": "tanaka", "name": "田中 🍣"},
        {"id": "903", "username": "layla", "name": "ليلى"},
    ]
    return {
        "data": posts,
        "includes": {"users": users},
        "meta": {"result_count": len(posts), "newest_id": posts[-1]["id"], "oldest_id": posts[0]["id"]},
        "__twarc": {
            "url": "https://api.x.com/2/tweets/search/all?query=x",
            "version": "2.14.0",
            "retrieved_at": "2026-11-20T11:00:00+00:00",
        },
    }


@pytest.fixture(scope="session")
def hostile_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    archive = root / "hostile.jsonl"
    archive.write_text(json.dumps(hostile_page(), ensure_ascii=False) + "\n", encoding="utf-8")
    lake = root / "lake"
    pipeline.import_files(load_settings(lake=str(lake)), [archive])
    return lake


CLI = [sys.executable, "-c", "from twitter_pipeline.cli import entry; entry()"]


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a subprocess (exit codes included), embedded defaults."""
    env = {k: v for k, v in os.environ.items() if k not in ("TWITTER_PIPELINE_LAKE", "X_BEARER_TOKEN")}
    env.update({"NO_COLOR": "1", "COLUMNS": "200", "TWITTER_PIPELINE_SOURCE": "emulator"})
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)


@pytest.fixture
def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """The console entry point in this process (fast: no re-import); returns (exit code, out, err)."""
    from twitter_pipeline.cli import main

    def invoke(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["twitter-pipeline", *args])
        monkeypatch.setenv("COLUMNS", "200")
        monkeypatch.setenv("NO_COLOR", "1")
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke
