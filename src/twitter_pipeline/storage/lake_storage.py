"""Byte-level access to the lake, the same for a local folder and for S3.

Everything above this module speaks in lake-relative keys ("raw/…", "state/…");
only here do we know whether a key is a file or an S3 object. Writes are atomic:
a reader sees the whole object or nothing (local: temp file + rename; S3: PUT).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow.fs as pafs

from twitter_pipeline.errors import StorageError, one_line


class LakeStorage:
    """A lake root (local path or ``s3://bucket/prefix``) and atomic object I/O under it."""

    def __init__(self, uri: str, *, timeout_s: float | None = None) -> None:
        uri = (uri or "").strip()
        self.timeout_s = timeout_s if timeout_s is not None else _timeout_from_env()
        if not uri:
            raise StorageError("the lake location is empty: set TWITTER_PIPELINE_LAKE or pass --lake")
        self.uri = uri.rstrip("/") if uri.startswith("s3://") else uri
        self.is_s3 = self.uri.startswith("s3://")
        if self.is_s3:
            self._fs, self._root = _s3_filesystem(self.uri, self.timeout_s)
        else:
            self._fs = pafs.LocalFileSystem()
            self._root = str(Path(uri).expanduser().resolve())

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
    def write_bytes(self, key: str, data: bytes) -> None:
        """Write an object atomically: readers never see a partial object."""
        path = self._path(key)
        try:
            if self.is_s3:
                with self._fs.open_output_stream(path, compression=None) as out:
                    out.write(data)
                return
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            tmp = f"{path}.tmp-{uuid.uuid4().hex}"
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            raise StorageError(
                f"cannot write {self.location(key)}: {one_line(exc)}; check the lake location and permissions"
            ) from None

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
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            tmp = f"{path}.tmp-{uuid.uuid4().hex}"
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
        yield from sorted(k for k in keys if ".tmp-" not in k)

    def check_writable(self) -> None:
        """Fail early, with a clear message, when the lake cannot take writes."""
        probe = f"_probe/{uuid.uuid4().hex}"
        self.write_bytes(probe, b"ok")
        self.delete(probe)


def _endpoint() -> str | None:
    return (os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or "").strip() or None


def _region() -> str | None:
    return (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "").strip() or None


def _timeout_from_env() -> float:
    """Seconds before a storage call gives up (``TWITTER_PIPELINE_STORAGE_TIMEOUT``, default 60)."""
    raw = (os.environ.get("TWITTER_PIPELINE_STORAGE_TIMEOUT") or "").strip()
    try:
        return max(1.0, float(raw)) if raw else 60.0
    except ValueError:
        return 60.0


def _s3_filesystem(uri: str, timeout_s: float = 60.0) -> tuple[pafs.FileSystem, str]:
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
