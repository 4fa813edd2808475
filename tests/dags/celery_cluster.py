"""An Airflow CeleryExecutor cluster on loopback, for the scale-out test: one control plane, N workers.

The control plane (api-server, dag-processor, scheduler) shares one AIRFLOW_HOME; each worker is a
simulated machine of its own: its own AIRFLOW_HOME (task logs), working directory, ``TMPDIR``, ``HOME``,
copy of the DAG files and log-server port. What the machines share is what production shares: the
PostgreSQL metadata DB, the Redis broker, the S3 lake, the X API, and the deployed configuration.
Every component runs in its own process group so teardown stops all of them, however many children
they spawned.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.dags.conftest import DAGS_FOLDER

AUDIT_SITE = Path(__file__).resolve().parent / "worker_audit"
DAG_FILES = ("twitter_pipeline.py", "twitter_collections.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Worker:
    name: str
    root: Path  # everything of this simulated machine lives below

    @property
    def home(self) -> Path:
        return self.root / "airflow-home"

    @property
    def audit_log(self) -> Path:
        return self.root.parent / f"audit-{self.name}.log"  # outside the worker: it must not audit itself

    def task_logs(self) -> list[Path]:
        """Task log files this worker wrote (Airflow keeps them on the worker that ran the task)."""
        return sorted(p for p in (self.home / "logs").rglob("*.log") if "task_id=" in str(p))

    def files(self) -> list[Path]:
        """Every file on this worker's disk except Airflow's own home (logs, config)."""
        return sorted(p for p in self.root.rglob("*") if p.is_file() and self.home not in p.parents)


@dataclass
class CeleryCluster:
    root: Path
    database_url: str
    broker_url: str
    workers: int = 2
    concurrency: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)
    shared_paths: tuple[Path, ...] = ()  # deployed configuration every machine may read

    def __post_init__(self) -> None:
        self.api_port = free_port()
        self.jwt_secret = os.urandom(24).hex()
        self.control = self.root / "control"
        self.worker_list = [
            Worker(f"worker{i + 1}", self.root / f"worker{i + 1}") for i in range(self.workers)
        ]
        self._groups: list[tuple[str, subprocess.Popen, Path]] = []

    # ---- environments --------------------------------------------------------------------------------
    def _base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_", "AIRFLOW__", "X_"))}
        for name in ("TWITTER_PIPELINE_QUERY", "TWITTER_PIPELINE_SCHEDULE", "TWITTER_PIPELINE_COLLECTIONS"):
            env.pop(name, None)
        env.update(
            {
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.database_url,
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CELERY__BROKER_URL": self.broker_url,
                "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{self.database_url}",
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AIRFLOW__CORE__PARALLELISM": "8",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.api_port}/execution/",
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__API_AUTH__JWT_SECRET": self.jwt_secret,
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
                # the default 5 s is too short on a 2-core machine running the whole cluster: a task's
                # first call to the execution API timed out five times and the task waited for a retry
                "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "30",
                "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
            }
        )
        env.update(self.extra_env)
        return env

    def control_env(self) -> dict[str, str]:
        env = self._base_env()
        env["AIRFLOW_HOME"] = str(self.control / "airflow-home")
        env["AIRFLOW__CORE__DAGS_FOLDER"] = str(self.control / "dags")
        return env

    def worker_env(self, worker: Worker, log_port: int) -> dict[str, str]:
        env = self._base_env()
        env.update(
            {
                "AIRFLOW_HOME": str(worker.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(worker.root / "dags"),
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(log_port),
                "HOME": str(worker.root / "home"),
                "TMPDIR": str(worker.root / "tmp"),
                "PYTHONPATH": str(AUDIT_SITE),
                "TP_AUDIT_ROOT": str(self.root),
                "TP_AUDIT_OWN": str(worker.root),
                "TP_AUDIT_LOG": str(worker.audit_log),
                "TP_AUDIT_SHARED": os.pathsep.join(str(p) for p in self.shared_paths),
            }
        )
        return env

    # ---- lifecycle -----------------------------------------------------------------------------------
    def prepare(self) -> None:
        """Directories and DAG copies for every machine; metadata DB migrated."""
        for machine in (self.control, *(w.root for w in self.worker_list)):
            for sub in ("airflow-home", "dags", "home", "tmp", "work"):
                (machine / sub).mkdir(parents=True, exist_ok=True)
            for name in DAG_FILES:
                shutil.copy2(DAGS_FOLDER / name, machine / "dags" / name)
        self.airflow(["db", "migrate"])

    def airflow(self, *commands: list[str], timeout: float = 300) -> None:
        """Run airflow CLI commands side by side (each one pays Airflow's ~10 s import)."""
        running = [
            (args, subprocess.Popen(
                ["airflow", *args], env=self.control_env(), cwd=self.control / "work",
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            ))
            for args in commands
        ]  # fmt: skip
        for args, process in running:
            _, stderr = process.communicate(timeout=timeout)
            assert process.returncode == 0, f"airflow {' '.join(args[:2])} failed:\n{stderr[-3000:]}"

    def start(self) -> None:
        """The api-server and the workers first (tasks report to the api-server), then the rest.

        Workers only take tasks the scheduler queued, and the scheduler starts once the api-server
        listens: a task that ran earlier would find no execution API and fail into a retry.
        """
        env, cwd = self.control_env(), self.control / "work"
        self._spawn("api-server", ["airflow", "api-server"], env, cwd)
        for worker in self.worker_list:
            command = ["airflow", "celery", "worker", "--concurrency", str(self.concurrency)]
            command += ["--celery-hostname", f"{worker.name}@%h", "--without-mingle", "--without-gossip"]
            self._spawn(worker.name, command, self.worker_env(worker, free_port()), worker.root / "work")
        self._wait_for_port(self.api_port, "api-server", timeout=180)
        self._spawn("dag-processor", ["airflow", "dag-processor"], env, cwd)
        self._spawn("scheduler", ["airflow", "scheduler"], env, cwd)

    def _spawn(self, name: str, command: list[str], env: dict[str, str], cwd: Path) -> None:
        log_path = self.root / f"{name}.out"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._groups.append((name, process, log_path))

    def _wait_for_port(self, port: int, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_alive()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.5)
        raise AssertionError(f"{what} did not listen on {port} in {timeout:.0f} s\n{self.tails()}")

    def assert_alive(self) -> None:
        for name, process, _ in self._groups:
            assert process.poll() is None, f"{name} exited with {process.returncode}\n{self.tails()}"

    def tails(self, lines: int = 25) -> str:
        out = []
        for name, _, path in self._groups:
            text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []
            out.append(f"--- {name} ---\n" + "\n".join(text))
        return "\n".join(out)

    def stop(self) -> None:
        """SIGTERM every process group, then SIGKILL whatever is left after a grace period."""
        for _, process, _ in self._groups:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for _, process, _ in self._groups:
            while time.monotonic() < deadline and _group_alive(process):
                time.sleep(0.3)
            if _group_alive(process):
                _signal_group(process, signal.SIGKILL)
            process.wait(timeout=30)
        self._groups.clear()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)  # start_new_session: the group id is the leader's pid


def _group_alive(process: subprocess.Popen) -> bool:
    process.poll()  # reap the leader so it does not linger as a zombie
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    return True
