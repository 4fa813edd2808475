"""Every write of a table (first write, MERGE, compaction) uses the lake's one Parquet format."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from tests.load.helpers import SPECS, batch
from twitter_pipeline.load import load_window
from twitter_pipeline.load.maintain import maintain_table
from twitter_pipeline.load.parquet_format import distinct_columns
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.transform.schema import TABLES


def _column_formats(table_dir: Path) -> dict[str, set[tuple[str, bool]]]:
    """Per column: (compression, dictionary-encoded) over the table's live data files."""
    seen: dict[str, set[tuple[str, bool]]] = {}
    for path in _live_files(table_dir):
        meta = pq.ParquetFile(table_dir / path).metadata
        for group in range(meta.num_row_groups):
            for index in range(meta.num_columns):
                column = meta.row_group(group).column(index)
                dictionary = "RLE_DICTIONARY" in column.encodings or "PLAIN_DICTIONARY" in column.encodings
                seen.setdefault(column.path_in_schema, set()).add((column.compression, dictionary))
    return seen


def _live_files(table_dir: Path) -> set[str]:
    live: set[str] = set()
    for entry in sorted((table_dir / "_delta_log").glob("*.json")):
        for line in entry.read_text().splitlines():
            action = json.loads(line)
            if "add" in action:
                live.add(action["add"]["path"])
                stats = json.loads(action["add"]["stats"])
                assert "id" in stats["minValues"] and "id" in stats["maxValues"]  # MERGEs skip by them
            if "remove" in action:
                live.discard(action["remove"]["path"])
    return live


def test_first_writes_merges_and_compaction_write_zstd_without_dictionaries_on_distinct_columns(
    tmp_path: Path,
) -> None:
    lake = LakeStorage(str(tmp_path / "lake"))
    tweets_dir = tmp_path / "lake" / "tables" / "tweets"
    load_window(lake, "run-0", [batch(list(range(0, 40)), hour=1)], specs=SPECS)  # first write
    load_window(lake, "run-1", [batch(list(range(30, 80)), hour=2)], specs=SPECS)  # MERGE: adds, rewrites
    after_merge = _column_formats(tweets_dir)
    maintain_table(lake, "tweets", retention_hours=0)  # compaction rewrites every file
    assert len(_live_files(tweets_dir)) == 3  # one per created_date partition, after compaction

    plain = set(distinct_columns(TABLES["tweets"]))
    assert {"id", "text", "created_at"} <= plain and "author_id" not in plain
    for formats in (after_merge, _column_formats(tweets_dir)):
        for column in ("id", "text", "created_at"):
            assert formats[column] == {("ZSTD", False)}, column
        for column in ("author_id", "lang", "fetched_at"):
            assert formats[column] == {("ZSTD", True)}, column
