"""Replay saved API responses (twarc2 JSONL archives, single-page JSON, gzipped or not) as raw pages.

Researchers already hold years of twarc2 output; importing it must give the same raw pages a live
run would, byte for byte. A file is validated completely before its first page is yielded, so a
malformed line stops the import before anything of that file lands (no half-imported files).
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

import orjson
from isal import igzip, isal_zlib

from twitter_pipeline.errors import InputError
from twitter_pipeline.raw.pages import Body, PageRequest, RawPage
from twitter_pipeline.times import parse_utc

if TYPE_CHECKING:
    from twitter_pipeline.raw.zone import RawZone

PAGE_KEYS = frozenset({"data", "includes", "meta", "errors"})


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return igzip.open(path, "rb")  # ISA-L: the same gzip, decompressed faster
    return open(path, "rb")


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, stripped line bytes) of non-blank lines; read errors become `InputError`."""
    with _reading(path), _open(path) as fh:
        for number, raw in enumerate(fh, start=1):
            line = raw.strip()
            if line:
                yield number, line


def _whole_file(path: Path) -> bytes:
    """The file's bytes (decompressed); read errors become `InputError`."""
    with _reading(path), _open(path) as fh:
        return fh.read()


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    try:
        yield
    except (EOFError, gzip.BadGzipFile, zlib.error, isal_zlib.error) as exc:  # type: ignore[misc]  # isal stubs type `error` as an instance
        raise InputError(
            f"{path}: the gzip data is damaged or cut short ({exc}); "
            "re-copy the file or decompress what is left"
        ) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc}); check the path") from None


def _check_page(path: Path, number: int, line: Body) -> dict:
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise InputError(
            f"{path}:{number}: not a JSON object ({exc.args[0] if exc.args else 'invalid JSON'}); "
            "fix or remove the line"
        ) from None
    return _check_object(path, number, data)


def _check_object(path: Path, number: int, data: object) -> dict:
    if not isinstance(data, dict):
        raise InputError(
            f"{path}:{number}: not a JSON object (a JSON {_json_type(data)}); fix or remove the line"
        )
    if not PAGE_KEYS & data.keys():
        hint = (
            "it looks like a single post (flattened twarc output?): import the unflattened twarc2 output"
            if "id" in data and ("text" in data or "author_id" in data)
            else "fix or remove the line"
        )
        raise InputError(
            f"{path}:{number}: not an X API response page (no data, includes, meta or errors); {hint}"
        )
    _check_shape(path, number, data)
    return data


# What each part of a page must be; anything else would fail later, after the page has landed.
_SHAPES: dict[str, tuple[tuple[type, ...], str]] = {
    "data": ((list, dict), "a list of posts (or one post object, from a lookup)"),
    "errors": ((list,), "a list of error objects"),
    "includes": ((dict,), "an object"),
    "meta": ((dict,), "an object"),
}


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return names.get(type(value), type(value).__name__)


def _check_shape(path: Path, number: int, data: dict) -> None:
    for key, (kinds, wanted) in _SHAPES.items():
        value = data.get(key)
        if value is not None and not isinstance(value, kinds):
            raise InputError(
                f"{path}:{number}: `{key}` must be {wanted}, not a JSON {_json_type(value)}; "
                "fix or remove the line"
            )
    posts = data.get("data")
    for index, post in enumerate([posts] if isinstance(posts, dict) else posts or []):
        post_id = post.get("id") if isinstance(post, dict) else None
        if not isinstance(post_id, str | int) or isinstance(post_id, bool) or post_id == "":
            raise InputError(
                f"{path}:{number}: post {index + 1} in `data` has no id (every post needs one); "
                "fix or remove the line"
            )
    for index, error in enumerate(data.get("errors") or []):
        if not isinstance(error, dict):
            raise InputError(
                f"{path}:{number}: entry {index + 1} in `errors` is not an object; fix or remove the line"
            )


def _fetched_at(data: dict, fallback: datetime) -> datetime:
    """twarc2 records when it retrieved a page; otherwise the file's mtime stands in.

    Never "now": the same file must give the same raw keys and bytes when imported again.
    """
    twarc = data.get("__twarc")
    if isinstance(twarc, dict) and isinstance(twarc.get("retrieved_at"), str):
        try:
            return parse_utc(twarc["retrieved_at"])
        except ValueError:
            pass
    return fallback


def _is_single_document(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(".json")


@dataclass
class ScannedFile:
    """What one parse of every page of a file tells: each page's line and fetch time, and the posts.

    The import reads each file twice (reading bytes is cheap) but parses each page once: this scan
    validates the file and collects everything the import needs from the parsed pages, so landing
    the pages afterwards touches bytes only.
    """

    path: Path
    lines: list[tuple[int, datetime, int]] = field(default_factory=list)  # (line, fetched_at, posts)
    post_ids: set[str] = field(default_factory=set)
    errors: int = 0  # partial errors (`errors` next to `data`)
    bodies: list[bytes] | None = None  # a single-document .json file: its pages' exact bytes

    @property
    def pages(self) -> int:
        return len(self.lines)


def _parsed_entries(path: Path) -> tuple[Iterator[tuple[int, bytes, dict]], bool]:
    """(line number, body, parsed page) of every page, and whether the file is one small document."""
    if _is_single_document(path):
        return iter(_single_document(path)), True
    return ((number, line, _check_page(path, number, line)) for number, line in _lines(path)), False


def scan_archive(path: str | Path, post_ids: set[str] | None = None) -> ScannedFile:
    """Validate every page of a file, parsing each once; raises `InputError` on the first bad line.

    `post_ids` (optional) collects distinct post ids across several files in one set.
    """
    path = Path(path)
    _check_file(path)
    scanned = ScannedFile(path, post_ids=post_ids if post_ids is not None else set())
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    entries, single = _parsed_entries(path)
    bodies: list[bytes] = []
    ids = scanned.post_ids
    for number, body, data in entries:
        posts = data.get("data")
        if isinstance(posts, dict):  # single-object lookups (/2/tweets/:id)
            posts = [posts]
        posts = posts if isinstance(posts, list) else []
        ids.update(str(post.get("id")) for post in posts if isinstance(post, dict))
        scanned.lines.append((number, _fetched_at(data, mtime), len(posts)))
        page_errors = data.get("errors")
        scanned.errors += len(page_errors) if isinstance(page_errors, list) else 0
        if single:
            bodies.append(body)
    scanned.bodies = bodies if single else None
    require_pages(path, len(scanned.lines))
    return scanned


def require_pages(path: Path, count: int) -> None:
    """An archive with no pages is a failed export, not a successful import of nothing."""
    if count == 0:
        raise InputError(f"{path}: empty file (no pages in it); check that the export finished")


# Archives up to this many bytes (uncompressed estimate) are held in memory from the check to the
# load: the lines plus their tables take about twice that.
MAX_HELD_BYTES = 256 << 20
GZIP_RATIO_ESTIMATE = 8  # JSON archives compress about 5-8x


def fits_in_memory(paths: Sequence[Path]) -> bool:
    """Whether an import holds these files in memory from the check to the load (else it streams)."""
    total = 0
    for path in paths:
        if not path.is_file():
            return False  # the streaming path reports the missing file
        size = path.stat().st_size
        total += size * GZIP_RATIO_ESTIMATE if path.suffix == ".gz" else size
    return total <= MAX_HELD_BYTES


def _check_file(path: Path) -> None:
    if path.is_dir():
        raise InputError(f"{path}: is a folder; pass the files in it, e.g. {path}/*.jsonl")
    if not path.is_file():
        raise InputError(f"{path}: no such file; check the path given to import")


def validate_archive(path: str | Path) -> int:
    """Check every page of a file; return how many there are. Raises `InputError` on the first bad line."""
    return scan_archive(path).pages


def _single_document(path: Path) -> list[tuple[int, bytes, dict]]:
    """A ``.json`` file: one (possibly pretty-printed) page, or JSONL that happens to be named .json."""
    lines = list(_lines(path))
    if not lines:
        return []
    whole = b"\n".join(line for _, line in lines)
    try:
        data = orjson.loads(whole)
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict):
        _check_object(path, 1, data)
        return [(1, _exact_file_bytes(path), data)]
    return [(number, line, _check_page(path, number, line)) for number, line in lines]


def _exact_file_bytes(path: Path) -> bytes:
    with _open(path) as fh:
        return fh.read().strip()


def scanned_pages(scanned: ScannedFile) -> Iterator[RawPage]:
    """The pages of a scanned file, each body exactly as saved, without parsing them again."""
    path = scanned.path
    if scanned.bodies is not None:
        bodies: Iterator[bytes] = iter(scanned.bodies)
    else:
        bodies = (line for _, line in _lines(path))
    for (number, fetched_at, _), body in zip(scanned.lines, bodies, strict=False):
        yield import_page(path, number, body, fetched_at)


_TWARC_KEY = b'"__twarc":'
_TWARC_TAIL_BYTES = 64 << 10  # twarc2's record (request URL, version, time) is far shorter
_WHITESPACE = frozenset(b" \t\n\r\x0b\x0c")  # what `bytes.strip` removes


def line_fetched_at(line: Body, fallback: datetime) -> datetime | None:
    """A twarc2 line's fetch time from its trailing ``__twarc`` record, without parsing the page.

    twarc2 appends ``"__twarc": {…}`` as the last key of each page; only the line's tail is
    searched and only that record parsed. Returns None when the tail is not where twarc2 puts it:
    the caller parses the whole line then. A ``"__twarc":`` inside a post's text cannot match: its
    quotes are escaped there.
    """
    tail = bytes(line[-_TWARC_TAIL_BYTES:])
    at = tail.rfind(_TWARC_KEY)
    if at < 0:
        return None
    tail = tail[at + len(_TWARC_KEY) :].rstrip()
    if not tail.endswith(b"}"):
        return None
    try:
        twarc = orjson.loads(tail[:-1])
    except orjson.JSONDecodeError:
        return None
    return _fetched_at({"__twarc": twarc}, fallback) if isinstance(twarc, dict) else None


def page_fetched_at(data: dict, fallback: datetime) -> datetime:
    """A parsed page's fetch time: twarc2's ``retrieved_at``, else `fallback` (the file's mtime)."""
    return _fetched_at(data, fallback)


def archive_lines(path: Path, text: bytes | None = None) -> tuple[bytes, list[tuple[int, Body]]]:
    """A JSONL archive's bytes, and every non-blank line of it with its number (not parsed).

    The whole text comes back too: a bulk parser reads it as it is, without joining the lines
    again. Each line is a view into that text, stripped of surrounding whitespace, not a copy.
    A folder, a missing file or a file with no page at all is an `InputError` naming the fix.
    `text`: the file's bytes when already read (`ReadAhead`).
    """
    _check_file(path)
    if text is None:
        text = _whole_file(path)
    view = memoryview(text)
    lines: list[tuple[int, Body]] = []
    start, number = 0, 0
    while start <= len(text):
        end = text.find(b"\n", start)
        end = len(text) if end < 0 else end
        number += 1
        first, last = start, end
        while first < last and text[first] in _WHITESPACE:
            first += 1
        while last > first and text[last - 1] in _WHITESPACE:
            last -= 1
        if first < last:
            lines.append((number, view[first:last]))
        start = end + 1
    if not lines:
        raise InputError(f"{path}: empty file (no pages in it); check that the export finished")
    return text, lines


def check_line(path: Path, number: int, line: Body) -> dict:
    """Parse and check one line as a response page; `InputError` names the file, line and fix."""
    return _check_page(path, number, line)


def is_single_document(path: Path) -> bool:
    """A ``.json(.gz)`` file: one (possibly pretty-printed) page rather than JSONL."""
    return _is_single_document(path)


def file_mtime(path: Path) -> datetime:
    """What stands in for a page's fetch time when the archive does not record it."""
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def import_page(path: Path, number: int, body: Body, fetched_at: datetime) -> RawPage:
    """An archive line as the raw page a live fetch would have given."""
    source = path.name
    return RawPage(
        request=PageRequest(endpoint="import", path=source, params={"file": source, "line": str(number)}),
        body=body,
        fetched_at=fetched_at,
    )


def read_archive(path: str | Path) -> Iterator[RawPage]:
    """Yield the pages of one archive file, each body exactly as saved.

    The file is scanned in full first (each page parsed once), so a caller that writes pages as
    they come never lands part of a malformed file.
    """
    yield from scanned_pages(scan_archive(path))


def read_archives(paths: list[str | Path]) -> Iterator[RawPage]:
    """Several files, all scanned (validated) before the first page is yielded."""
    scans = [scan_archive(Path(p)) for p in paths]
    for scanned in scans:
        yield from scanned_pages(scanned)


@dataclass
class ImportResult:
    """What `land_archives` wrote: one import run, its raw keys and counts."""

    run_id: str
    files: list[str] = field(default_factory=list)
    raw_keys: list[str] = field(default_factory=list)
    pages: int = 0
    posts: int = 0  # distinct post ids: archives overlap, and the tables count distinct posts
    errors: int = 0  # partial errors (`errors` next to `data`)


def import_run_id(paths: list[Path]) -> str:
    """Deterministic per set of file contents, so importing the same files again rewrites the same keys."""
    for path in paths:
        _check_file(path)
    return contents_run_id([(path, _blocks(path)) for path in paths])


def contents_run_id(files: Sequence[tuple[Path, Iterable[bytes]]]) -> str:
    """``import-`` + sha256 over each file's name, a NUL and its bytes, the files in name order."""
    digest = hashlib.sha256()
    for path, blocks in sorted(files, key=lambda item: item[0].name):
        digest.update(path.name.encode() + b"\0")
        for block in blocks:
            digest.update(block)
    return f"import-{digest.hexdigest()[:16]}"


def _blocks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        yield from iter(lambda: fh.read(1 << 20), b"")


def land_archives(
    raw_zone: RawZone,
    paths: list[str | Path],
    *,
    run_id: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Validate every file, then write all their pages to the raw zone as one import run.

    A malformed file stops the import before any page is written. Re-importing the same files
    gives the same run id, keys and bytes (idempotent).
    """
    resolved = [Path(p) for p in paths]
    if not resolved:
        raise InputError("no files to import: pass one or more twarc2 .jsonl/.json(.gz) files")
    post_ids: set[str] = set()
    scans = [scan_archive(path, post_ids) for path in resolved]
    result = ImportResult(run_id=run_id or import_run_id(resolved), files=[str(p) for p in resolved])
    result.posts = len(post_ids)
    result.errors = sum(scanned.errors for scanned in scans)
    del post_ids
    posts_so_far = 0
    for scanned in scans:
        for page, (_, _, posts) in zip(scanned_pages(scanned), scanned.lines, strict=True):
            result.pages += 1
            key = raw_zone.write(result.run_id, result.pages, page)
            result.raw_keys.append(key)
            posts_so_far += posts
            if on_progress is not None:
                on_progress(posts_so_far, result.pages)
    return result
