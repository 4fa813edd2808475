"""Checkpoints store their raw keys as runs: exact round trip, small whatever the page count."""

from __future__ import annotations

import orjson

from twitter_pipeline.extract.state import Checkpoint, Window, pack_page_keys, unpack_page_keys


def _key(day: str, seq: int) -> str:
    return f"raw/endpoint=search_all/date={day}/run=r1/page-{seq:06d}.jsonl.gz"


def test_keys_round_trip_across_folders_gaps_and_odd_shapes() -> None:
    keys = [_key("2026-11-26", n) for n in range(1, 6)] + [_key("2026-11-27", n) for n in range(6, 9)]
    keys += [_key("2026-11-27", 11), "raw/imported/odd-name.json.gz", _key("2026-11-27", 12)]
    runs = pack_page_keys(keys)
    assert unpack_page_keys(runs) == keys
    assert len(runs) == 5  # two folders, a gap, an odd key, then a new run


def test_a_long_checkpoint_stays_small_and_loads_back_equal() -> None:
    keys = [_key("2026-11-26", n) for n in range(1, 10_001)]
    checkpoint = Checkpoint(
        "search_all", "data", Window(end_time="2026-11-27T00:00:00Z"), "r1", "tok", 10_000, keys
    )
    stored = orjson.dumps(checkpoint.to_dict())
    assert len(stored) < 1_000
    assert Checkpoint.from_dict(orjson.loads(stored)) == checkpoint


def test_checkpoints_written_before_packing_still_load() -> None:
    old = {
        "endpoint": "search_recent",
        "query": "q",
        "window": {},
        "run_id": "r0",
        "raw_keys": [_key("d", 1)],
    }
    assert Checkpoint.from_dict(old).raw_keys == [_key("d", 1)]
