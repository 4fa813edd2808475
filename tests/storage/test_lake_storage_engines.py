"""LakeStorage's engine hooks: deltalake options, filesystem paths, and one-line outage errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.s3 import MotoS3
from twitter_pipeline.errors import StorageError
from twitter_pipeline.storage import LakeStorage


def test_local_lake_needs_no_delta_options_and_maps_uris(tmp_path: Path) -> None:
    lake = LakeStorage(str(tmp_path / "lake"))
    assert lake.delta_storage_options() == {}
    assert lake.fs_path("tables/x") == str(tmp_path / "lake" / "tables" / "x")
    assert lake.fs_path_of_uri(f"file://{tmp_path}/a%20b.parquet") == f"{tmp_path}/a b.parquet"


def test_delete_prefix_removes_a_tree_and_tolerates_absence(tmp_path: Path) -> None:
    lake = LakeStorage(str(tmp_path / "lake"))
    lake.write_bytes("staging/run=1/t/part-1.parquet", b"x")
    lake.delete_prefix("staging/run=1")
    lake.delete_prefix("staging/run=1")
    assert list(lake.list("staging")) == []


@pytest.mark.integration
def test_s3_outage_is_one_storage_error_line_naming_the_lake(s3: MotoS3, s3_lake_uri: str) -> None:
    lake = LakeStorage(s3_lake_uri)
    lake.write_bytes("probe", b"ok")
    assert lake.fs_path_of_uri(f"{s3_lake_uri}/probe") == f"{s3_lake_uri[5:]}/probe"
    s3.stop()
    try:
        with pytest.raises(StorageError) as caught:
            lake.write_bytes("other", b"x")
    finally:
        s3.start()
    assert "\n" not in str(caught.value) and s3_lake_uri in str(caught.value)
    assert lake.read_bytes("probe") == b"ok"  # nothing lost across the outage
