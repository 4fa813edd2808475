"""Deployment artifacts are well-formed: shell scripts pass shellcheck, the IAM policy is valid and
scoped to the lake prefix, systemd units and the compose file start every Airflow 3 component."""

from __future__ import annotations

import configparser
import json
import shutil
import subprocess

import pytest
import yaml

from tests.dags.conftest import REPO

DEPLOY = REPO / "deploy"
SHELL_SCRIPTS = [REPO / "scripts" / "demo.sh", DEPLOY / "ec2" / "user-data.sh"]
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: p.name)
def test_shell_scripts_pass_shellcheck(script) -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed: apt-get install -y shellcheck (.ci/run does)")
    result = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout


def test_iam_policy_is_scoped_to_the_lake_prefix() -> None:
    policy = json.loads((DEPLOY / "iam" / "twitter-pipeline-policy.json").read_text())
    statements = policy["Statement"]
    resources = [
        r for s in statements for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    ]
    assert "*" not in resources
    objects = [s for s in statements if "s3:PutObject" in s["Action"]]
    assert [s["Resource"] for s in objects] == ["arn:aws:s3:::BUCKET/PREFIX/*"]
    listing = next(s for s in statements if "s3:ListBucket" in s["Action"])
    assert listing["Condition"]["StringLike"]["s3:prefix"] == ["PREFIX", "PREFIX/*"]
    assert not any(a.endswith(":*") or a == "*" for s in statements for a in s["Action"])
    json.loads((DEPLOY / "iam" / "ec2-trust-policy.json").read_text())


@pytest.mark.parametrize("component", COMPONENTS)
def test_systemd_units_run_each_component_as_airflow(component: str) -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(DEPLOY / "systemd" / f"airflow-{component}.service")
    service = unit["Service"]
    assert service["ExecStart"].split()[-1] == component
    assert service["User"] == "airflow"
    assert service["EnvironmentFile"] == "/etc/twitter-pipeline/airflow.env"
    assert service["Restart"] == "always"


def test_user_data_installs_every_unit_and_keeps_keys_off_disk() -> None:
    script = (DEPLOY / "ec2" / "user-data.sh").read_text()
    for component in COMPONENTS:
        assert f"airflow-{component}.service" in script
    assert "AWS_ACCESS_KEY_ID" not in script and "AWS_SECRET_ACCESS_KEY" not in script
    assert "X_BEARER_TOKEN" not in script
    assert "pools set x_api 1" in script


def test_compose_runs_every_component_on_the_official_image() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yaml").read_text())
    commands = {s["command"] for s in compose["services"].values() if isinstance(s.get("command"), str)}
    assert set(COMPONENTS) <= commands
    assert "apache/airflow:" in (DEPLOY / "docker" / "Dockerfile").read_text()


def test_celery_worker_unit_runs_a_named_worker_as_airflow() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(DEPLOY / "systemd" / "airflow-celery-worker.service")
    service = unit["Service"]
    assert service["ExecStart"].split()[1:4] == ["celery", "worker", "--celery-hostname"]
    assert service["User"] == "airflow"
    assert service["EnvironmentFile"] == "/etc/twitter-pipeline/airflow.env"
    assert "X_BEARER_TOKEN" not in (DEPLOY / "systemd" / "airflow-celery-worker.service").read_text()


def test_compose_celery_variant_switches_every_component_to_the_broker() -> None:
    base = yaml.safe_load((DEPLOY / "docker-compose.yaml").read_text())["services"]
    celery = yaml.safe_load((DEPLOY / "docker-compose.celery.yaml").read_text())["services"]
    for name in base:
        if name.startswith("airflow-"):
            assert celery[name]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
    worker = celery["airflow-worker"]
    assert worker["command"].startswith("celery worker")
    assert worker["environment"]["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:")
    assert worker["environment"]["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith(
        "http://airflow-api-server:"
    )
    assert "redis" in celery
