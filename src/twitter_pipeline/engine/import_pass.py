"""An import in one pass: each archive page is parsed once, by the transform, before anything lands.

The transform's bulk parse (Arrow's JSON reader) is also the validation: a file whose pages it
cannot read is checked line by line to name the first bad line, and nothing lands. The parsed
tables are kept for the load, so an import neither parses a page a second time nor reads its raw
pages back. Archives too large to hold in memory take the streaming path (`land_archives`, then
the load reads the raw zone), which parses each page once on the way in and once in the load.

Once every page is checked, landing the raw pages (gzip and file writes, outside the GIL) runs on
its own thread while the main thread builds the tables and stages them; the load waits for the
landing before it merges, so every landed table row has its raw page, as in any other run.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from twitter_pipeline.errors import InputError, StorageError
from twitter_pipeline.extract import archive
from twitter_pipeline.extract.read_ahead import ReadAhead
from twitter_pipeline.raw.pages import Body, RawPage
from twitter_pipeline.raw.zone import RawZone, page_key
from twitter_pipeline.transform.page_reader import read_archive_text, read_pages
from twitter_pipeline.transform.tables import Tables, tables_from_page_table

LANDING_THREADS = 2  # raw pages encoded and written at once (see `land_parsed`)


@dataclass
class ParsedImport:
    """Every page of the files (exact bytes), parsed once per file, and what the summary counts."""

    pages: list[RawPage] = field(default_factory=list)
    page_posts: list[int] = field(default_factory=list)  # `data` items per page, for progress
    page_tables: list[pa.Table] = field(default_factory=list)  # `read_pages` of each file
    posts: int = 0  # distinct post ids in `data`
    errors: int = 0  # partial errors (`errors` next to `data`)

    def batches(self) -> Iterator[Tables]:
        """The lake tables of each file, built on demand (one file's tables in memory at a time)."""
        for page_table in self.page_tables:
            yield tables_from_page_table(page_table)


def parse_files(paths: list[Path], read_ahead: ReadAhead | None = None) -> ParsedImport:
    """Read, check and parse every page of every file; raises `InputError` before anything lands.

    `read_ahead`: the files' bytes if the command started reading them early.
    """
    parsed = ParsedImport()
    post_ids: list[pa.Array] = []
    for path in paths:
        if archive.is_single_document(path):
            pages = list(archive.read_archive(path))  # small files: the archive check parses them
            lines = [(int(p.request.params["line"]), p.body) for p in pages]
            text = None
        else:
            text, lines = archive.archive_lines(path, read_ahead.take(path) if read_ahead else None)
            archive.require_pages(path, len(lines))
            mtime = archive.file_mtime(path)
            pages = [
                archive.import_page(path, n, line, _fetched_at(path, n, line, mtime)) for n, line in lines
            ]
        # One bulk parse of the whole file, on all cores, and one transform batch: the file is held
        # in memory anyway, and within a batch later pages win ties just as later batches do.
        page_table = _checked_page_table(path, text, lines, pages)
        del text  # the pages hold their own copies; the file's text is not needed past the parse
        parsed.errors += int(pc.sum(pc.list_value_length(page_table["errors"])).as_py() or 0)
        parsed.page_posts.extend(pc.list_value_length(page_table["data"]).fill_null(0).to_pylist())
        post_ids.extend(pc.struct_field(pc.list_flatten(page_table["data"]), "id").chunks)
        parsed.page_tables.append(page_table)
        parsed.pages.extend(pages)
    if post_ids:
        parsed.posts = int(pc.count_distinct(pa.chunked_array(post_ids).drop_null()).as_py() or 0)
    return parsed


def _fetched_at(path: Path, number: int, line: Body, mtime: datetime) -> datetime:
    found = archive.line_fetched_at(line, mtime)
    if found is not None:
        return found
    data = archive.check_line(path, number, line)  # no twarc2 tail: parse this line to find out
    return archive.page_fetched_at(data, mtime)


def _checked_page_table(
    path: Path, text: bytes | None, lines: list[tuple[int, Body]], pages: list[RawPage]
) -> pa.Table:
    """The file's page table; any line that is not a response page fails with the archive's message.

    `text`: the file's bytes, parsed as they are when they can be (see `read_archive_text`).
    """
    page_table = read_archive_text(text, pages) if text is not None else None
    if page_table is None:
        try:
            page_table = read_pages(pages)
        except InputError:
            for number, line in lines:
                archive.check_line(path, number, line)  # names the first bad line of the file
            raise
    shapeless = pc.and_(
        pc.and_(pc.is_null(page_table["data"]), pc.is_null(page_table["includes"])),
        pc.is_null(page_table["errors"]),
    )
    for index in pc.indices_nonzero(shapeless).to_pylist():  # usually none: empty result pages
        number, line = lines[index]
        archive.check_line(path, number, line)
    return page_table


def land_parsed(
    raw: RawZone, run_id: str, parsed: ParsedImport, on_progress: Callable[[int, int], None] | None
) -> list[str]:
    """Write the checked pages to the raw zone as one import run; returns their keys in order.

    Pages are encoded on `LANDING_THREADS` threads: sha256 and gzip release the GIL, and a page's
    encoding is most of its cost (two threads halve a 50,000-post landing, measured on 2 cores).
    """
    keys: list[str] = []
    posts = 0
    with ThreadPoolExecutor(max_workers=LANDING_THREADS, thread_name_prefix="land-raw") as pool:
        written = pool.map(lambda item: raw.write(run_id, *item), enumerate(parsed.pages, start=1))
        for seq, (key, page_posts) in enumerate(zip(written, parsed.page_posts, strict=True), start=1):
            keys.append(key)
            posts += page_posts
            if on_progress is not None:
                on_progress(posts, seq)
    return keys


class Landing:
    """`land_parsed` on its own thread; `wait` returns once every page is written, or re-raises.

    Once written, the same thread makes the pages durable, fsyncing only these files, while the
    main thread merges: the load's completion record (a durable write) then finds them synced,
    or waits for that sync (`LakeStorage.make_durable`), instead of syncing the whole filesystem.
    """

    def __init__(
        self, raw: RawZone, run_id: str, parsed: ParsedImport, on_progress: Callable[[int, int], None] | None
    ) -> None:
        self.keys = [page_key(run_id, seq, page) for seq, page in enumerate(parsed.pages, start=1)]
        self._error: BaseException | None = None
        self._landed = threading.Event()

        def land() -> None:
            try:
                land_parsed(raw, run_id, parsed, on_progress)
            except BaseException as exc:  # handed to the waiting thread
                self._error = exc
            finally:
                self._landed.set()
            if self._error is None:
                with contextlib.suppress(StorageError):  # the pages stay pending: the next barrier retries
                    raw.storage.make_durable(own_files_only=True)

        self._thread = threading.Thread(target=land, name="land-raw")  # not a daemon: exit waits for it
        self._thread.start()

    def wait(self) -> None:
        self._landed.wait()
        if self._error is not None:
            raise self._error


def batches_after_landing(parsed: ParsedImport, landing: Landing) -> Iterator[Tables]:
    """The import's table batches, then the landing's end: the load merges only landed pages."""
    try:
        yield from parsed.batches()
    finally:
        landing.wait()  # also when the load stops early: no page is still being written at exit
