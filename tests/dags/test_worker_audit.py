"""The Celery test's file-access audit catches what it claims to: a worker process writing outside its own
disk, or reading another worker's, is logged; its own files and deployed configuration are not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.dags.celery_cluster import AUDIT_SITE

CODE = """
import pathlib, sys, tempfile
own, other, shared = (pathlib.Path(p) for p in sys.argv[1:4])
(own / "mine.txt").write_text("ok")                      # own disk: allowed
(own / "mine.txt").read_text()
(shared / "collections.toml").read_text()                # deployed configuration: allowed
(other / "theirs.txt").read_text()                       # another worker's disk: logged
(other / "planted.txt").write_text("x")                  # writing onto another disk: logged
tempfile.NamedTemporaryFile(dir=own).close()             # TMPDIR on its own disk: allowed
"""


def test_audit_logs_cross_disk_access_only(tmp_path: Path) -> None:
    own, other, shared = tmp_path / "worker1", tmp_path / "worker2", tmp_path / "shared"
    for folder in (own, other, shared):
        folder.mkdir()
    (other / "theirs.txt").write_text("state of worker2")
    (shared / "collections.toml").write_text("")
    log = tmp_path / "audit.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(AUDIT_SITE),
        "TP_AUDIT_ROOT": str(tmp_path),
        "TP_AUDIT_OWN": str(own),
        "TP_AUDIT_LOG": str(log),
        "TP_AUDIT_SHARED": str(shared),
    }
    subprocess.run(
        [sys.executable, "-c", CODE, str(own), str(other), str(shared)], env=env, check=True, timeout=60
    )
    entries = [line.split("\t")[1:3] for line in log.read_text().splitlines()]
    assert entries == [["read", str(other / "theirs.txt")], ["write", str(other / "planted.txt")]]
