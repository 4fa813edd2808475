"""An import in one pass: each archive page is parsed once, by the transform, before anything lands.

The transform's bulk parse (Arrow's JSON reader) is also the validation: a file whose pages it
cannot read is checked line by line to name the first bad line, and nothing lands. The parsed
tables are kept for the load, so an import neither parses a page a second time nor reads its raw
pages back. Archives too large to hold in memory take the streaming path (`land_archives`, then
the load reads the raw zone), which parses each page once on the way in and once in the load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from twitter_pipeline.errors import InputError
from twitter_pipeline.extract import archive
from twitter_pipeline.raw.pages import RawPage
from twitter_pipeline.raw.zone import RawZone
from twitter_pipeline.transform.page_reader import read_pages
from twitter_pipeline.transform.tables import DEFAULT_PAGES_PER_BATCH, Tables, tables_from_page_table

# Archives up to this many bytes (uncompressed estimate) are held in memory from the check to the
# load: the lines plus their tables take about twice that.
MAX_HELD_BYTES = 256 << 20
GZIP_RATIO_ESTIMATE = 8  # JSON archives compress about 5-8x


@dataclass
class ParsedImport:
    """Every page of the files (exact bytes), their tables in batches, and what the summary counts."""

    pages: list[RawPage] = field(default_factory=list)
    page_posts: list[int] = field(default_factory=list)  # `data` items per page, for progress
    batches: list[Tables] = field(default_factory=list)
    posts: int = 0  # distinct post ids in `data`
    errors: int = 0  # partial errors (`errors` next to `data`)


def fits_in_memory(paths: list[Path]) -> bool:
    total = 0
    for path in paths:
        if not path.is_file():
            return False  # the streaming path reports the missing file
        size = path.stat().st_size
        total += size * GZIP_RATIO_ESTIMATE if path.suffix == ".gz" else size
    return total <= MAX_HELD_BYTES


def parse_files(paths: list[Path]) -> ParsedImport:
    """Read, check and transform every page of every file; raises `InputError` before anything lands."""
    parsed = ParsedImport()
    post_ids: list[pa.Array] = []
    for path in paths:
        if archive.is_single_document(path):
            pages = list(archive.read_archive(path))  # small files: the archive check parses them
            lines = [(int(p.request.params["line"]), p.body) for p in pages]
        else:
            lines = archive.archive_lines(path)
            mtime = archive.file_mtime(path)
            pages = [
                archive.import_page(path, n, line, _fetched_at(path, n, line, mtime)) for n, line in lines
            ]
        for first in range(0, len(pages), DEFAULT_PAGES_PER_BATCH):
            batch = pages[first : first + DEFAULT_PAGES_PER_BATCH]
            page_table = _checked_page_table(path, lines[first : first + DEFAULT_PAGES_PER_BATCH], batch)
            parsed.errors += int(pc.sum(pc.list_value_length(page_table["errors"])).as_py() or 0)
            parsed.page_posts.extend(pc.list_value_length(page_table["data"]).fill_null(0).to_pylist())
            tables = tables_from_page_table(page_table)
            post_ids.append(tables["tweets"]["id"].combine_chunks())
            parsed.batches.append(tables)
        parsed.pages.extend(pages)
    if post_ids:
        parsed.posts = int(pc.count_distinct(pa.concat_arrays(post_ids)).as_py() or 0)
    return parsed


def _fetched_at(path: Path, number: int, line: bytes, mtime: datetime) -> datetime:
    found = archive.line_fetched_at(line, mtime)
    if found is not None:
        return found
    data = archive.check_line(path, number, line)  # no twarc2 tail: parse this line to find out
    return archive.page_fetched_at(data, mtime)


def _checked_page_table(path: Path, lines: list[tuple[int, bytes]], pages: list[RawPage]) -> pa.Table:
    """The batch's page table; any line that is not a response page fails with the archive's message."""
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
    """Write the checked pages to the raw zone as one import run; returns their keys in order."""
    keys: list[str] = []
    posts = 0
    for seq, (page, page_posts) in enumerate(zip(parsed.pages, parsed.page_posts, strict=True), start=1):
        keys.append(raw.write(run_id, seq, page))
        posts += page_posts
        if on_progress is not None:
            on_progress(posts, seq)
    return keys
