"""Archives read and hashed on a thread while the command is still starting up.

An import needs every file's bytes twice before its first parse: hashed, for the run id that names
its lease, and read, for the parse. A whole-file read and a sha256 update both release the GIL, so
a thread started as soon as the command knows its files does both on the other core while the
main thread is still importing pyarrow and deltalake (measured on a 50,000-post import: 25 ms
while numpy's OpenBLAS thread still spun on that core, ~95 ms together with quieting it).

Only what an import holds in memory anyway is read ahead (`fits_in_memory`). Any read error leaves
nothing behind: the ordinary path reads the files again and reports it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from twitter_pipeline.extract.archive import contents_run_id, fits_in_memory, is_single_document


class ReadAhead:
    """The files' run id and the bytes of their plain JSONL files, read on a daemon thread.

    Daemon: it writes nothing, so an exit (an error, Ctrl-C) need not wait for it.
    """

    def __init__(self, paths: Sequence[Path]) -> None:
        self._paths = list(paths)
        self._run_id: str | None = None
        self._contents: dict[Path, bytes] = {}
        self._thread: threading.Thread | None = None
        if self._paths and fits_in_memory(self._paths):
            self._thread = threading.Thread(target=self._read, name="read-ahead", daemon=True)
            self._thread.start()

    def _read(self) -> None:
        try:
            contents = {path: path.read_bytes() for path in self._paths}
        except OSError:
            return
        self._run_id = contents_run_id([(path, [contents[path]]) for path in self._paths])
        self._contents = {
            path: data
            for path, data in contents.items()
            if path.suffix != ".gz" and not is_single_document(path)
        }

    def _wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def run_id(self, paths: Sequence[Path]) -> str | None:
        """The run id of `paths` if they are the files read ahead, else None (compute it then)."""
        self._wait()
        return self._run_id if list(paths) == self._paths else None

    def take(self, path: Path) -> bytes | None:
        """The file's bytes, once (the caller then owns them); None if it was not read ahead."""
        self._wait()
        return self._contents.pop(path, None)
