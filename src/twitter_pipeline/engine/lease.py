"""A lease in the lake so two runs of the same unit never work at once.

Two `import`s of the same files, or two runs of the same window, would otherwise fetch every page
twice (billed twice) and race on the same staging and state documents. The lease is a small JSON
object created with "first writer wins" semantics (`LakeStorage.create_exclusive`), renewed by a
heartbeat thread while the run lives, and given up at the end. A killed run cannot release it: on
the same host a dead process id frees it at once, elsewhere it expires after `ttl`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import orjson

from twitter_pipeline.errors import PipelineError
from twitter_pipeline.storage import LakeStorage
from twitter_pipeline.times import parse_utc

log = logging.getLogger(__name__)

LEASES_PREFIX = "_leases"
DEFAULT_TTL = timedelta(minutes=2)


class LeaseHeldError(PipelineError):
    """Another live run holds the unit's lease."""

    exit_code = 7


def lease_key(name: str) -> str:
    return f"{LEASES_PREFIX}/{hashlib.sha256(name.encode()).hexdigest()[:24]}.json"


class RunLease:
    """Exclusive right to run one unit (`name`) against a lake, for the life of a `with` block."""

    def __init__(self, storage: LakeStorage, name: str, *, ttl: timedelta = DEFAULT_TTL) -> None:
        self.storage = storage
        self.name = name
        self.ttl = ttl
        self.key = lease_key(name)
        self.owner = {"host": socket.gethostname(), "pid": os.getpid(), "token": uuid.uuid4().hex}
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    # -- the document ------------------------------------------------------------------------------
    def _body(self) -> bytes:
        now = datetime.now(UTC)
        return orjson.dumps(
            {
                "unit": self.name,
                **self.owner,
                "renewed_at": now.isoformat(timespec="seconds"),
                "expires_at": (now + self.ttl).isoformat(timespec="seconds"),
            }
        )

    def _current(self) -> dict[str, Any] | None:
        try:
            data = orjson.loads(self.storage.read_bytes(self.key))
        except FileNotFoundError:
            return None
        except orjson.JSONDecodeError:
            return {}
        return data if isinstance(data, dict) else {}

    def _is_ours(self, data: dict[str, Any] | None) -> bool:
        return bool(data) and data.get("token") == self.owner["token"]  # type: ignore[union-attr]

    # -- acquire / renew / release ------------------------------------------------------------------
    def acquire(self) -> None:
        """Take the lease, or raise `LeaseHeldError` naming who holds it and how to free it."""
        for _ in range(3):
            if self.storage.create_exclusive(self.key, self._body()):
                self._start_heartbeat()
                return
            holder = self._current()
            if holder is None:
                continue  # released between our attempt and the read: try again
            if not _is_stale(holder):
                raise LeaseHeldError(
                    f"another run of {self.name} is in progress (pid {holder.get('pid')} on "
                    f"{holder.get('host')}, lease until {holder.get('expires_at')}): wait for it to finish; "
                    "if it was killed, the lease frees itself then, or delete "
                    f"{self.storage.location(self.key)}"
                )
            log.info("taking over a stale lease", extra={"unit": self.name, "holder": holder.get("pid")})
            self.storage.delete(self.key)
        raise LeaseHeldError(f"could not take the lease of {self.name}: several runs are starting; retry")

    def renew(self) -> None:
        if self._is_ours(self._current()):
            self.storage.write_bytes(self.key, self._body())

    def release(self) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=5)
        try:
            if self._is_ours(self._current()):
                self.storage.delete(self.key)
        except PipelineError as exc:  # an unreachable lake: the lease expires by itself
            log.warning("could not release the lease of %s: %s", self.name, exc)

    def _start_heartbeat(self) -> None:
        interval = max(1.0, self.ttl.total_seconds() / 4)

        def beat() -> None:
            while not self._stop.wait(interval):
                try:
                    self.renew()
                except Exception as exc:  # a missed beat is retried; the lease only lapses after ttl
                    log.warning("lease heartbeat failed: %s", exc)

        self._heartbeat = threading.Thread(target=beat, name="run-lease", daemon=True)
        self._heartbeat.start()

    def __enter__(self) -> RunLease:
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _is_stale(holder: dict[str, Any]) -> bool:
    """Expired, unreadable, or held by a process of this host that no longer exists."""
    if not holder:
        return True
    try:
        expires = parse_utc(str(holder.get("expires_at")))
    except ValueError:
        return True
    if expires <= datetime.now(UTC):
        return True
    if holder.get("host") == socket.gethostname():
        return not _pid_alive(int(holder.get("pid") or 0))
    return False


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
