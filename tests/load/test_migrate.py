"""Lakes written before new columns and keys existed keep working: tables are migrated on the next load."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from deltalake import write_deltalake

from tests.fixtures.api_pages import make_pages as mp
from tests.transform.conftest import page_from_bytes
from twitter_pipeline.load import load_window, read_table
from twitter_pipeline.load.delta_tables import table_uri
from twitter_pipeline.quality import run_checks
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.transform import pages_to_tables
from twitter_pipeline.transform.schema import TABLES

PAGE = Path(mp.__file__).with_name("search_page_v159.json")
NEW_COLUMNS = {
    "tweets": {"withheld_scope"},
    "users": {
        "withheld_scope",
        "url_expanded",
        "description_hashtags",
        "description_mentions",
        "description_urls",
        "description_cashtags",
    },
    "urls": {"entity_index"},
}


def _old_layout(table: pa.Table, name: str) -> pa.Table:
    """What an older version wrote: no new columns; urls one row per (tweet_id, start)."""
    table = table.drop_columns(sorted(NEW_COLUMNS[name]))
    if name == "urls":
        seen: set[tuple[str, int]] = set()
        keep = []
        for row in table.select(["tweet_id", "start"]).to_pylist():
            keep.append((row["tweet_id"], row["start"]) not in seen)
            seen.add((row["tweet_id"], row["start"]))
        table = table.filter(pa.array(keep))
    return table


def test_old_tables_gain_the_new_columns_and_urls_keep_every_entity(tmp_path: Path) -> None:
    lake = LakeStorage(str(tmp_path / "lake"))
    tables = pages_to_tables([page_from_bytes(PAGE.read_bytes())])
    for name in NEW_COLUMNS:
        spec = TABLES[name]
        write_deltalake(
            table_uri(lake, name),
            _old_layout(tables[name], name),
            partition_by=list(spec.partition_by) or None,
        )
    old_urls = read_table(lake, "urls").num_rows

    summary = load_window(lake, "run-new", [tables])

    for name, columns in NEW_COLUMNS.items():
        assert columns <= set(read_table(lake, name).column_names)
    urls = read_table(lake, "urls").to_pylist()
    assert len(urls) == old_urls + 1  # the second photo entity at the same offset is no longer collapsed
    assert len({(r["tweet_id"], r["entity_index"]) for r in urls}) == len(urls)
    users = {r["id"]: r for r in read_table(lake, "users").to_pylist()}
    assert users[mp.U_ANA]["url_expanded"] == "https://ana.example.dev"
    report = run_checks(lake, "run-new", summary)
    assert not report.errors, [r.line() for r in report.errors]


def test_a_loader_that_lost_the_migration_race_goes_on(tmp_path: Path) -> None:
    """Two loaders may both see the old schema: the second one's ALTER fails, it uses the winner's table."""
    from twitter_pipeline.load.delta_tables import open_table
    from twitter_pipeline.load.migrate import evolve_table

    lake = LakeStorage(str(tmp_path / "lake"))
    tables = pages_to_tables([page_from_bytes(PAGE.read_bytes())])
    spec = TABLES["tweets"]
    write_deltalake(
        table_uri(lake, "tweets"), _old_layout(tables["tweets"], "tweets"), partition_by=["created_date"]
    )
    stale, fresh = open_table(lake, "tweets"), open_table(lake, "tweets")
    evolve_table(lake, spec, fresh)
    evolved = evolve_table(lake, spec, stale)
    assert "withheld_scope" in pa.schema(evolved.schema().to_arrow()).names
    assert set(NEW_COLUMNS["tweets"]) <= set(read_table(lake, "tweets").column_names)
