"""Byte-level access to the lake, the same for a local folder and for S3.

Everything above this module speaks in lake-relative keys ("raw/…", "state/…");
only here do we know whether a key is a file or an S3 object. Writes are atomic:
a reader sees the whole object or nothing (local: temp file + rename; S3: PUT).

Durability is a property of the run, not of each object: bulk writes (raw pages) may skip their
own fsync, and every durable write (a checkpoint, a completion record, a lease) first makes all
earlier bulk writes durable with one barrier, so nothing durable can point at a page a power
loss would take away.
"""

from __future__ import annotations

import builtins
import ctypes
import ctypes.util
import functools
import os
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs

from twitter_pipeline.defaults import DEFAULT_STORAGE_TIMEOUT
from twitter_pipeline.errors import NoLakeError, StorageError, one_line
from twitter_pipeline.settings import load_storage_settings
from twitter_pipeline.storage.files import TEMP_MARK, temp_path, write_atomic

# Where the Delta tables live in a lake: <lake>/tables/<table>
TABLES_PREFIX = "tables"

# Top-level entries only a lake has: what tells a lake from any other folder.
LAKE_ENTRIES = frozenset({"raw", TABLES_PREFIX, "state", "_runs", "_source.json", "_leases", "staging"})

SYNCFS_FROM_FILES = 16  # pending files from which one filesystem sync beats an fsync per file


class LakeStorage:
    """A lake root (local path or ``s3://bucket/prefix``) and atomic object I/O under it."""

    def __init__(self, uri: str, *, timeout_s: float | None = None) -> None:
        uri = (uri or "").strip()
        self.timeout_s = timeout_s if timeout_s is not None else load_storage_settings().storage_timeout
        if not uri:
            raise StorageError("the lake location is empty: set TWITTER_PIPELINE_LAKE or pass --lake")
        self.uri = uri.rstrip("/") if uri.startswith("s3://") else uri
        self.is_s3 = self.uri.startswith("s3://")
        if self.is_s3:
            self._fs, self._root = _s3_filesystem(self.uri, self.timeout_s)
        else:
            self._fs = pafs.LocalFileSystem()
            self._root = str(Path(uri).expanduser().resolve())
        self._unsynced: list[str] = []  # local files written without their own fsync
        # Held while pending files are synced: a barrier that finds another thread syncing (an
        # import's landing thread) waits for it, so it never returns before those files are durable.
        self._sync_lock = threading.Lock()

    # -- locations -------------------------------------------------------------------------
    def location(self, key: str = "") -> str:
        """The full URI of a key, as other engines (deltalake, DuckDB, Athena) want it."""
        if self.is_s3:
            return f"s3://{self._root}/{key}".rstrip("/")
        return os.path.join(self._root, key) if key else self._root

    def _path(self, key: str) -> str:
        return f"{self._root}/{key}" if key else self._root

    # -- engines: pyarrow filesystem paths and deltalake options ----------------------------
    @property
    def filesystem(self) -> pafs.FileSystem:
        """The pyarrow filesystem behind the lake (for Parquet/dataset I/O)."""
        return self._fs

    def fs_path(self, key: str = "") -> str:
        """A key as a path on `filesystem` (``bucket/prefix/key`` on S3, absolute path locally)."""
        return self._path(key)

    def fs_path_of_uri(self, uri: str) -> str:
        """A URI from deltalake (``s3://b/k``, ``file:///p`` or ``/p``) as a `filesystem` path."""
        if uri.startswith("s3://") or uri.startswith("s3a://"):
            return uri.split("://", 1)[1]
        if uri.startswith("file://"):
            from urllib.parse import unquote, urlparse

            return unquote(urlparse(uri).path)
        return uri

    def delta_storage_options(self) -> dict[str, str]:
        """deltalake ``storage_options``: safe concurrent commits on S3, endpoint and timeouts.

        Commits use S3 conditional writes (``If-None-Match``), which AWS S3, MinIO, R2 and moto
        enforce, so two writers can never both create the same ``_delta_log`` entry. We never set
        ``AWS_S3_ALLOW_UNSAFE_RENAME``: it lets concurrent writers silently overwrite each other.
        Credentials are left to the standard AWS chain (environment, profile, instance profile).
        """
        if not self.is_s3:
            return {}
        options = {
            "conditional_put": "etag",
            "timeout": f"{int(self.timeout_s)}s",
            "connect_timeout": f"{max(1, int(self.timeout_s) // 4)}s",
            "max_retries": "3",
            "retry_timeout": f"{int(self.timeout_s)}s",
        }
        endpoint = _endpoint()
        if endpoint:
            options["AWS_ENDPOINT_URL"] = endpoint
            if endpoint.startswith("http://"):
                options["AWS_ALLOW_HTTP"] = "true"
        region = _region()
        if region:
            options["AWS_REGION"] = region
        return options

    # -- operations ------------------------------------------------------------------------
    def write_bytes(self, key: str, data: bytes, *, durable: bool = True) -> None:
        """Write an object atomically: readers never see a partial object.

        ``durable=False`` (raw pages) skips the object's own fsync; the next durable write, or
        `make_durable`, syncs it. On S3 a completed PUT is already durable.
        """
        path = self._path(key)
        try:
            if self.is_s3:
                with self._fs.open_output_stream(path, compression=None) as out:
                    out.write(data)
                return
            if durable:
                self.make_durable()
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            write_atomic(Path(path), data, durable=durable)
            if not durable:
                with self._sync_lock:
                    self._unsynced.append(path)
        except OSError as exc:
            raise StorageError(
                f"cannot write {self.location(key)}: {one_line(exc)}; check the lake location and permissions"
            ) from None

    def make_durable(self, *, own_files_only: bool = False) -> None:
        """The barrier: every object written so far survives a power loss once this returns.

        Many pending pages (an import): one ``syncfs`` of the lake's filesystem where the OS has it
        (Linux). A few (a fetch loop's page before its checkpoint), or no ``syncfs``, or
        `own_files_only` (a background thread, which should not flush the other programs' writes
        a ``syncfs`` would wait for): each pending file and its folder is fsynced.
        """
        with self._sync_lock:
            if not self._unsynced:
                return
            pending, self._unsynced = self._unsynced, []
            try:
                whole = not own_files_only and len(pending) >= SYNCFS_FROM_FILES
                if not (whole and _syncfs(self._root)):
                    for path in pending:
                        _fsync_path(path)
                    for folder in {os.path.dirname(p) for p in pending}:
                        _fsync_path(folder)
            except OSError as exc:
                self._unsynced = pending + self._unsynced
                raise StorageError(f"cannot sync {self.location()}: {one_line(exc)}") from None

    def create_exclusive(self, key: str, data: bytes) -> bool:
        """Create an object only if the key is free; False when it already exists.

        Leases and the lake's source marker need "first writer wins" on every backend: locally a
        hard link of a complete temp file (atomic, fails on an existing name); on S3 a conditional
        PUT (``If-None-Match: *``), which AWS S3, MinIO and moto enforce.
        """
        path = self._path(key)
        try:
            if self.is_s3:
                return _s3_put_if_absent(self.uri, path, data, self.timeout_s)
            self.make_durable()
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            tmp = temp_path(Path(path))
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
            finally:
                os.unlink(tmp)
            return True
        except OSError as exc:
            raise StorageError(
                f"cannot write {self.location(key)}: {one_line(exc)}; check the lake location and permissions"
            ) from None

    def read_bytes(self, key: str) -> bytes:
        try:
            with self._fs.open_input_stream(self._path(key), compression=None) as src:
                return src.read()
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise StorageError(f"cannot read {self.location(key)}: {one_line(exc)}") from None

    def exists(self, key: str) -> bool:
        try:
            return self._fs.get_file_info(self._path(key)).type != pafs.FileType.NotFound
        except OSError as exc:
            raise StorageError(f"cannot reach {self.location(key)}: {one_line(exc)}") from None

    def delete(self, key: str) -> None:
        try:
            self._fs.delete_file(self._path(key))
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageError(f"cannot delete {self.location(key)}: {one_line(exc)}") from None

    def delete_prefix(self, prefix: str) -> None:
        """Remove everything under a prefix (staging cleanup); a missing prefix is fine."""
        path = self._path(prefix.rstrip("/"))
        try:
            if self._fs.get_file_info(path).type == pafs.FileType.NotFound:
                return
            self._fs.delete_dir(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageError(f"cannot delete {self.location(prefix)}: {one_line(exc)}") from None

    def list(self, prefix: str) -> Iterator[str]:
        """Keys under a prefix, sorted, relative to the lake root (missing prefix → nothing)."""
        selector = pafs.FileSelector(self._path(prefix.rstrip("/")), recursive=True, allow_not_found=True)
        try:
            infos = self._fs.get_file_info(selector)
        except OSError as exc:
            raise StorageError(f"cannot list {self.location(prefix)}: {one_line(exc)}") from None
        start = len(self._root) + 1
        keys = [info.path[start:] for info in infos if info.type == pafs.FileType.File]
        yield from sorted(k for k in keys if TEMP_MARK not in k)

    def check_is_lake(self, *, missing_ok: bool = False) -> None:
        """Fail with `NoLakeError` unless the root is a lake (or an empty folder, a lake to be).

        Commands that only read (sql, report, maintain) call this first, so a typo in --lake is one
        line naming the path instead of an empty result or an unrelated DuckDB error.
        """
        where = self.uri
        try:
            root = self._fs.get_file_info(self._root)
            if root.type == pafs.FileType.File:
                raise NoLakeError(f"{where} is a file, not a lake: --lake takes the lake's folder")
            selector = pafs.FileSelector(self._root, recursive=False, allow_not_found=True)
            names = {info.base_name for info in self._fs.get_file_info(selector)}
        except OSError as exc:
            raise StorageError(f"cannot reach {where}: {one_line(exc)}") from None
        if not names and (root.type == pafs.FileType.NotFound or self.is_s3):
            if missing_ok:
                return
            raise NoLakeError(
                f"no lake at {where}: check --lake (or TWITTER_PIPELINE_LAKE), or fill it first with "
                "`twitter-pipeline run`"
            )
        if names and not names & LAKE_ENTRIES:
            raise NoLakeError(
                f"{where} is not a lake (no raw/ or tables/ inside): check --lake (or TWITTER_PIPELINE_LAKE)"
            )

    def list_dirs(self, prefix: str) -> builtins.list[str]:  # `list` is a method here
        """Names of the folders directly under a prefix, sorted (one delimiter listing on S3).

        Lets callers narrow a listing (a date, a run, a table) instead of walking every object.
        """
        selector = pafs.FileSelector(self._path(prefix.rstrip("/")), recursive=False, allow_not_found=True)
        try:
            infos = self._fs.get_file_info(selector)
        except OSError as exc:
            raise StorageError(f"cannot list {self.location(prefix)}: {one_line(exc)}") from None
        return sorted(info.base_name for info in infos if info.type == pafs.FileType.Directory)

    def check_writable(self) -> None:
        """Fail early, with a clear message, when the lake cannot take writes."""
        probe = f"_probe/{uuid.uuid4().hex}"
        self.write_bytes(probe, b"ok")
        self.delete(probe)


def _fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@functools.cache
def _syncfs_call() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    return getattr(libc, "syncfs", None)


def _syncfs(root: str) -> bool:
    """Linux ``syncfs(2)`` on the filesystem holding `root`; False where it is not available."""
    syncfs = _syncfs_call()
    if syncfs is None:
        return False
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if syncfs(fd) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, os.strerror(errno))
    finally:
        os.close(fd)
    return True


def _endpoint() -> str | None:
    return (os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or "").strip() or None


def _region() -> str | None:
    return (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "").strip() or None


def _s3_filesystem(uri: str, timeout_s: float = DEFAULT_STORAGE_TIMEOUT) -> tuple[pafs.FileSystem, str]:
    """pyarrow's S3 filesystem with the standard AWS chain and ``AWS_ENDPOINT_URL`` honoured."""
    rest = uri[len("s3://") :]
    if not rest.split("/", 1)[0]:
        raise StorageError(f"{uri} names no bucket: use s3://bucket/prefix")
    kwargs: dict[str, object] = {
        "connect_timeout": max(1.0, timeout_s / 4),
        "request_timeout": timeout_s,
        "retry_strategy": pafs.AwsStandardS3RetryStrategy(max_attempts=3),
    }
    endpoint = _endpoint()
    if endpoint:
        kwargs["endpoint_override"] = endpoint
        if endpoint.startswith("http://"):
            kwargs["scheme"] = "http"
    region = _region()
    if region:
        kwargs["region"] = region
    try:
        fs = pafs.S3FileSystem(**kwargs)
    except (OSError, ValueError) as exc:
        raise StorageError(f"cannot open {uri}: {one_line(exc)}") from None
    return fs, rest.rstrip("/")


def _s3_put_if_absent(uri: str, path: str, data: bytes, timeout_s: float) -> bool:
    """A conditional PUT through boto3 (pyarrow's S3 filesystem has no conditional writes)."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, key = path.partition("/")
    config = Config(
        connect_timeout=max(1.0, timeout_s / 4), read_timeout=timeout_s, retries={"max_attempts": 3}
    )
    client = boto3.client("s3", endpoint_url=_endpoint(), region_name=_region(), config=config)
    try:
        client.put_object(Bucket=bucket, Key=key, Body=data, IfNoneMatch="*")
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = exc.response.get("Error", {}).get("Code")
        if status == 412 or code in ("PreconditionFailed", "ConditionalRequestConflict"):
            return False
        raise OSError(f"{code or status}: {exc}") from None
    except BotoCoreError as exc:
        raise OSError(str(exc)) from None
    return True
