"""Loaded by every Python process of a test Celery worker (``PYTHONPATH``): logs file access that crosses
the worker's own disk.

Two simulated machines share one host in the test, so a path one worker writes is readable by the other
there, though it would not be in production. This audit hook (PEP 578) records, per process, every file
opened for writing outside the worker's own directory, and every file read from inside the test's root
that is neither the worker's own nor deployed configuration. The test asserts the log stays empty.
Native code (Rust, C++) opens files without audit events; the test also checks the worker directories.
"""

from __future__ import annotations

import os
import sys

_ROOT = os.environ.get("TP_AUDIT_ROOT", "")
_OWN = os.environ.get("TP_AUDIT_OWN", "")
_LOG = os.environ.get("TP_AUDIT_LOG", "")
_SHARED = tuple(p for p in os.environ.get("TP_AUDIT_SHARED", "").split(os.pathsep) if p)
_SYSTEM = ("/dev/", "/proc/", "/sys/")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_busy = False


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes)


def _note(kind: str, path: str) -> None:
    fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{os.getpid()}\t{kind}\t{path}\t{' '.join(sys.argv[:3])}\n".encode())
    finally:
        os.close(fd)


def _hook(event: str, args: tuple) -> None:
    global _busy
    if event != "open" or _busy:
        return
    path, flags = args[0], args[2] if len(args) > 2 else 0
    if isinstance(path, int) or path is None:
        return
    _busy = True
    try:
        full = os.path.abspath(os.fsdecode(path))
        writes = bool((flags or 0) & _WRITE_FLAGS)
        if full == _LOG or _under(full, (_OWN,)):
            return
        if writes and not _under(full, _SYSTEM):
            _note("write", full)
        elif not writes and _under(full, (_ROOT,)) and not _under(full, _SHARED):
            _note("read", full)
    except Exception:  # an audit hook must never break the process it watches
        pass
    finally:
        _busy = False


if _ROOT and _OWN and _LOG:
    sys.addaudithook(_hook)
