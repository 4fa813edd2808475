"""Store and read raw response pages as gzip JSONL objects under ``<lake>/raw/``.

File format (one object per page), chosen so ``zcat | jq`` works and the body stays byte-exact:
line 1 is an envelope (request, fetch time, status, sha256 of the body); everything after the
first newline is the response body exactly as the server sent it (compact JSON, so one line).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

import orjson
from isal import igzip, isal_zlib

from twitter_pipeline.raw.pages import PageRequest, RawPage
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.times import parse_utc

RAW_PREFIX = "raw"
SUFFIX = ".jsonl.gz"


# Compression, chosen by measurement on 500-post search pages (bench archive, 2 cores): zlib at
# level 6 ran at ~13 MB/s, slower than the disk and the largest single cost of an import; ISA-L's
# igzip at level 1 runs at ~130-180 MB/s for files ~20 % larger (ratio 0.17 vs 0.14). The output is
# plain gzip, so ``zcat | jq`` and every gzip reader still work; ISA-L also decompresses faster.
GZIP_LEVEL = 1
_GZIP_WBITS = 31  # zlib's "gzip container" setting: header with mtime 0, so equal pages give equal bytes


def encode_page(page: RawPage) -> bytes:
    """Envelope line + exact body, gzipped (mtime 0 so equal pages give equal bytes).

    One stream fed the envelope, then the body: joining them first would copy every body while
    holding the GIL (measured: ~50 ms of a 97 MB import, stalling the thread that builds tables).
    """
    envelope = {
        "request": page.request.to_dict(),
        "fetched_at": page.fetched_at.isoformat(),
        "status": page.status,
        "body_sha256": hashlib.sha256(page.body).hexdigest(),
        "body_bytes": len(page.body),
    }
    stream = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, _GZIP_WBITS)
    return stream.compress(orjson.dumps(envelope) + b"\n") + stream.compress(page.body) + stream.flush()


def decode_page(blob: bytes, source: str | None = None) -> RawPage:
    try:
        data = igzip.decompress(blob)
    except (EOFError, isal_zlib.error) as exc:  # type: ignore[misc]  # isal stubs type `error` as an instance
        raise ValueError(f"raw page is not complete gzip data ({exc})") from None
    head, _, body = data.partition(b"\n")
    envelope = orjson.loads(head)
    if envelope.get("body_sha256") and hashlib.sha256(body).hexdigest() != envelope["body_sha256"]:
        raise ValueError("raw page body does not match its recorded sha256")
    return RawPage(
        request=PageRequest.from_dict(envelope["request"]),
        body=body,
        fetched_at=parse_utc(envelope["fetched_at"]),
        status=int(envelope.get("status", 200)),
        source=source,
    )


def page_key(run_id: str, seq: int, page: RawPage) -> str:
    """``raw/endpoint=…/date=YYYY-MM-DD/run=…/page-000001.jsonl.gz`` (date = fetch date, UTC)."""
    day = page.fetched_at.strftime("%Y-%m-%d")
    return f"{RAW_PREFIX}/endpoint={page.request.endpoint}/date={day}/run={run_id}/page-{seq:06d}{SUFFIX}"


class RawZone:
    """Append-only page store. A key is written once; rewriting the same key gives the same bytes."""

    def __init__(self, storage: LakeStorage) -> None:
        self.storage = storage

    def write(self, run_id: str, seq: int, page: RawPage) -> str:
        """Write one page without its own fsync: the next durable write (a checkpoint, the load's
        completion record) syncs every page before it (`LakeStorage.make_durable`)."""
        key = page_key(run_id, seq, page)
        self.storage.write_bytes(key, encode_page(page), durable=False)
        return key

    def read(self, key: str) -> RawPage:
        return decode_page(self.storage.read_bytes(key), source=key)

    def read_many(self, keys: Iterable[str]) -> Iterator[RawPage]:
        for key in keys:
            yield self.read(key)

    def keys(self, prefix: str = RAW_PREFIX) -> Iterator[str]:
        return (k for k in self.storage.list(prefix) if k.endswith(SUFFIX))

    def run_keys(self, run_id: str) -> list[str]:
        return [k for k in self.keys() if f"/run={run_id}/" in k]
