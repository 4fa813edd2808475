"""Local files written all at once: a reader sees the old file or the new one, never half of either.

Every local write of the project (lake objects, reports, `sql --out` files) goes through here, so
there is one temp-file scheme: a unique name beside the target (two writers never share it), with
``.tmp-`` in it so lake listings skip a leftover of a killed process.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

TEMP_MARK = ".tmp-"


def temp_path(path: Path) -> Path:
    """A unique temp file beside `path` (same folder, so a rename is atomic)."""
    return path.with_name(f".{path.name}{TEMP_MARK}{uuid.uuid4().hex}")


def write_atomic(path: Path, data: bytes | Callable[[Path], object], *, durable: bool = False) -> None:
    """Write `data` (bytes, or a function that writes the file it is given) to `path` atomically.

    `durable` syncs the file to disk before the rename (state the next run relies on).
    """
    tmp = temp_path(path)
    try:
        if isinstance(data, bytes):
            with open(tmp, "wb") as fh:
                fh.write(data)
                if durable:
                    fh.flush()
                    os.fsync(fh.fileno())
        else:
            data(tmp)
            if durable:
                with open(tmp, "rb") as fh:
                    os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
