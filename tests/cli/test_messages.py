"""Messages that name the likely cause: wrong base URL, old window on `recent`, bad import files, waits."""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.conftest import CLI, clean_env
from twitter_pipeline.emulator import constants as c

pytestmark = pytest.mark.integration


def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env=env or clean_env(), cwd=cwd, timeout=240
    )


def _error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    return errors[0]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_api_names_x_api_base_url_after_a_short_retry(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    env = clean_env(X_BEARER_TOKEN="a-token-for-nowhere", X_API_BASE_URL=url)
    done = _cli(
        "--log-level", "info", "run", "--lake", str(tmp_path / "lake"), "-q", "x", cwd=tmp_path, env=env
    )
    assert done.returncode == 3
    line = _error_line(done)
    assert "X_API_BASE_URL" in line and url in line
    retries = [line for line in done.stderr.splitlines() if "transient failure, retrying" in line]
    assert len(retries) == 2  # three attempts in a few seconds, not six over half a minute
    assert sum(" warning " in f" {line} " for line in retries) == 1  # the same reason warns once


def test_old_window_on_recent_names_endpoint_all(tmp_path: Path) -> None:
    start = (datetime.now(UTC) - timedelta(days=20)).replace(minute=0, second=0, microsecond=0)
    args = ["--start", start.isoformat(), "--end", (start + timedelta(hours=1)).isoformat()]
    done = _cli("run", "--lake", str(tmp_path / "lake"), *args, cwd=tmp_path)
    assert done.returncode == 3
    assert "--endpoint all" in _error_line(done)


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("folder", None, "is a folder"),
        ("empty.jsonl", b"", "empty file"),
        ("blank.jsonl", b"\n\n", "empty file"),
        ("lookup.json", b'{"data": {"text": "one post"}}', "lookup.json:1: post 1 in `data` has no id"),
        ("text.jsonl", b'{"data": "oops"}\n', "text.jsonl:1: `data` must be a list of posts"),
        ("errors.jsonl", b'{"data": [], "errors": 5}\n', "errors.jsonl:1: `errors` must be a list"),
        ("noid.jsonl", b'{"data": [{"text": "who am I"}]}\n', "noid.jsonl:1: post 1 in `data` has no id"),
    ],
)
def test_import_names_what_is_wrong_and_lands_nothing(
    tmp_path: Path, name: str, content: bytes | None, says: str
) -> None:
    target = tmp_path / name
    if content is None:
        target.mkdir()
    else:
        target.write_bytes(content)
    lake = tmp_path / "lake"
    done = _cli("import", str(target), "--lake", str(lake), cwd=tmp_path)
    assert done.returncode == 5
    assert says in _error_line(done)
    assert not list(lake.rglob("*.jsonl.gz"))  # nothing reached the raw zone


def test_a_long_rate_limit_wait_is_a_line_outside_a_terminal(tmp_path: Path, emulator_factory) -> None:
    from tests.fixtures.emulator import EMULATOR_TEST_TOKEN

    limits = {**c.RATE_LIMITS, "search_recent": 2}
    server = emulator_factory(rate_limits=limits, rate_limit_window_s=20)
    env = clean_env(X_BEARER_TOKEN=EMULATOR_TEST_TOKEN, X_API_BASE_URL=server.base_url)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    args = ["--start", (end - timedelta(hours=1)).isoformat(), "--end", end.isoformat(), "--max-pages", "3"]
    done = _cli(
        "run", "--lake", str(tmp_path / "lake"), "-q", "data OR #python", *args, cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr
    waits = [line for line in done.stderr.splitlines() if line.startswith("waiting ")]
    assert waits, done.stderr
    assert " until " in waits[0] and waits[0].split(" until ")[1][:8].count(":") == 2  # HH:MM:SS


@pytest.mark.parametrize("token", ["secret-part-one\nsecret-part-two", "secret-part-onë"])
def test_a_malformed_token_is_one_line_without_the_token(tmp_path: Path, token: str) -> None:
    env = clean_env(X_BEARER_TOKEN=token, X_API_BASE_URL=f"http://127.0.0.1:{_closed_port()}")
    done = _cli("run", "--lake", str(tmp_path / "lake"), "-q", "x", cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert "X_BEARER_TOKEN" in _error_line(done)
    assert "secret-part" not in done.stderr + done.stdout


class _EchoingServer(http.server.BaseHTTPRequestHandler):
    """A hostile or buggy API that echoes the Authorization header in its error body."""

    def do_GET(self) -> None:
        status = 500 if "fail500" in self.path else 400
        body = json.dumps({"title": "Bad", "detail": f"got {self.headers.get('Authorization')}"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("query", ["x", pytest.param("fail500", marks=pytest.mark.slow)])
def test_a_server_echoing_the_token_never_gets_it_printed(tmp_path: Path, query: str) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EchoingServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        token = "echoed-secret-token-0123456789"
        url = f"http://127.0.0.1:{server.server_address[1]}"
        env = clean_env(X_BEARER_TOKEN=token, X_API_BASE_URL=url)
        done = _cli(
            "--log-level", "info", "run", "--lake", str(tmp_path / "lake"), "-q", query, cwd=tmp_path, env=env
        )
    finally:
        server.shutdown()
    assert done.returncode == 3
    assert "***" in _error_line(done)  # the echo is there, the token is not
    assert token not in done.stderr + done.stdout
