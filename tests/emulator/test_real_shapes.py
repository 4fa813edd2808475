"""The emulator serves what real responses contain (PITFALLS #14), so the demo and the report exercise it."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from tests.emulator.conftest import AUTH
from twitter_pipeline.emulator import EmulatorServer
from twitter_pipeline.emulator import constants as c
from twitter_pipeline.extract.fields import field_params

pytestmark = pytest.mark.integration


def test_a_few_hours_of_search_hold_every_real_world_shape(frozen: EmulatorServer) -> None:
    params = {
        "query": c.DEMO_QUERY,
        "start_time": "2026-02-28T08:00:00Z",
        "end_time": "2026-02-28T12:00:00Z",
        "max_results": "100",
        **field_params("tweets"),
    }
    seen: Counter[str] = Counter()
    with httpx.Client(base_url=frozen.base_url, headers=AUTH, timeout=30) as client:
        for _ in range(25):
            body = client.get(c.SEARCH_RECENT_PATH, params=params).json()
            users = {u["id"]: u for u in body.get("includes", {}).get("users", [])}
            reported = {e.get("resource_id") for e in body.get("errors", [])}
            for post in body.get("data", []):
                entities = post.get("entities", {})
                seen["cashtags"] += bool(entities.get("cashtags"))
                seen["annotations"] += bool(entities.get("annotations"))
                seen["context_annotations"] += bool(post.get("context_annotations"))
                seen["withheld post"] += post.get("withheld", {}).get("scope") == "tweet"
                offsets = [u["start"] for u in entities.get("urls", [])]
                if len(offsets) != len(set(offsets)):
                    keys = {u.get("media_key") for u in entities["urls"]}
                    seen["urls at one offset"] += len(keys) > 1
                seen["edited"] += len(post["edit_history_tweet_ids"]) > 1
                note = post.get("note_tweet", {}).get("text", "")
                seen["long post"] += len(note) > 280 and note.startswith(post["text"])
                if post["author_id"] not in users:
                    seen[
                        "author absent, errors entry"
                        if post["author_id"] in reported
                        else "author absent, silent"
                    ] += 1
            for user in users.values():
                seen["profile url entity"] += "url" in user.get("entities", {})
                seen["bio entities"] += "description" in user.get("entities", {})
                seen["withheld user"] += user.get("withheld", {}).get("scope") == "user"
            if not (token := body.get("meta", {}).get("next_token")):
                break
            params["next_token"] = token
    expected = (
        "cashtags",
        "annotations",
        "context_annotations",
        "withheld post",
        "urls at one offset",
        "edited",
        "long post",
        "author absent, errors entry",
        "author absent, silent",
        "profile url entity",
        "bio entities",
        "withheld user",
    )
    assert [shape for shape in expected if not seen[shape]] == [], seen
