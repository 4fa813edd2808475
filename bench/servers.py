"""The real servers the end-to-end benchmark talks to, each its own process on a free loopback port.

Separate processes (not threads of the bench) so each one's CPU time can be read on its own: that is
how the results tell whether the pipeline, the emulator or the S3 server was the bottleneck.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

S3_ENV = {
    "AWS_ACCESS_KEY_ID": "bench-key-id",
    "AWS_SECRET_ACCESS_KEY": "bench-secret-key",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_ALLOW_HTTP": "true",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:.0f} s")


def cli_path(name: str) -> str:
    """A console script of this venv (next to the running python), else from PATH."""
    local = Path(sys.executable).with_name(name)
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: install the test extras (pip install -e '.[test]')")
    return found


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a running process (psutil), None when it cannot be read."""
    try:
        import psutil

        times = psutil.Process(pid).cpu_times()
        return times.user + times.system
    except Exception:
        return None


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class RunningServer:
    process: subprocess.Popen
    url: str

    def cpu_seconds(self) -> float | None:
        return cpu_seconds(self.process.pid)


@contextlib.contextmanager
def moto_s3(bucket: str) -> Iterator[tuple[RunningServer, dict[str, str]]]:
    """``moto_server`` on loopback with `bucket` created; yields the server and the env to reach it."""
    port = free_port()
    process = subprocess.Popen(
        [cli_path("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process, "moto_server")
        env = {**S3_ENV, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
        import boto3

        boto3.client(
            "s3",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name=env["AWS_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        ).create_bucket(Bucket=bucket)
        yield RunningServer(process, env["AWS_ENDPOINT_URL"]), env
    finally:
        _stop(process)


@contextlib.contextmanager
def emulator(*options: str) -> Iterator[tuple[RunningServer, str]]:
    """``twitter-pipeline emulator`` with a random token; yields the server and that token."""
    token = secrets.token_urlsafe(16)
    port = free_port()
    process = subprocess.Popen(
        [cli_path("twitter-pipeline"), "emulator", "--port", str(port), *options],
        env={**os.environ, "X_EMULATOR_TOKEN": token},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process, "the emulator")
        yield RunningServer(process, f"http://127.0.0.1:{port}"), token
    finally:
        _stop(process)
