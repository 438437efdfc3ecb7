"""docker-compose.yml: validated by the compose CLI where it exists, and read as YAML always.

No container engine runs on this machine, so nothing is started: ``compose config`` only
resolves and validates the file. The YAML checks pin what the deployment relies on — the
services, their commands, the shared database and broker URLs, the start order, health checks.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer.main
import yaml

from app.cli import cli

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
APP_SERVICES = ("migrate", "api", "worker")


def compose_command() -> list[str] | None:
    """``docker compose`` (v2 plugin) or ``docker-compose`` (v1), whichever works here."""
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, timeout=30
        )
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def command_text(service: dict[str, Any]) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(command)


def test_compose_cli_validates_the_file() -> None:
    command = compose_command()
    if command is None:
        pytest.skip("no `docker compose` plugin and no `docker-compose` on PATH")
    result = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "config", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_the_scaled_deployment_has_its_services(services: dict[str, Any]) -> None:
    assert set(services) == {"postgres", "redis", "migrate", "api", "worker"}
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    assert services["api"]["deploy"]["replicas"] >= 2
    assert services["worker"]["deploy"]["replicas"] >= 2
    for name in APP_SERVICES:  # one image, built from the Dockerfile next to this file
        assert services[name]["build"] == "."
        assert services[name]["image"] == services["api"]["image"]
    assert (ROOT / "Dockerfile").is_file()


def test_commands_use_existing_cellcarbon_commands(services: dict[str, Any]) -> None:
    assert command_text(services["migrate"]) == "cellcarbon db upgrade"
    api = command_text(services["api"])
    assert "cellcarbon db upgrade && cellcarbon serve" in api
    assert "--host 0.0.0.0" in api and "--port 8000" in api
    assert command_text(services["worker"]) == "cellcarbon worker"
    group = typer.main.get_group(cli)
    assert "serve" in group.commands
    assert "upgrade" in group.commands["db"].commands  # type: ignore[attr-defined]


def test_the_worker_command_exists() -> None:
    group = typer.main.get_group(cli)
    if "worker" not in group.commands:
        pytest.skip("`cellcarbon worker` is not in app/cli.py yet (Celery workers, issue 8)")
    assert "worker" in group.commands


def test_every_app_service_shares_one_database_and_broker(services: dict[str, Any]) -> None:
    postgres = services["postgres"]["environment"]
    urls = {services[name]["environment"]["CELLCARBON_DATABASE_URL"] for name in APP_SERVICES}
    brokers = {services[name]["environment"]["CELLCARBON_BROKER_URL"] for name in APP_SERVICES}
    assert len(urls) == 1 and len(brokers) == 1
    database = urlsplit(urls.pop())
    assert database.scheme == "postgresql+psycopg"  # psycopg 3 is the driver we install
    assert (database.hostname, database.port) == ("postgres", 5432)
    assert database.username == postgres["POSTGRES_USER"]
    assert database.password == postgres["POSTGRES_PASSWORD"]  # same ${…:-default} on both
    assert database.path == f"/{postgres['POSTGRES_DB']}"
    broker = urlsplit(brokers.pop())
    assert (broker.scheme, broker.hostname, broker.port) == ("redis", "redis", 6379)


def test_start_order_and_health_checks(services: dict[str, Any]) -> None:
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"  # one-shot
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
    for name in ("postgres", "redis", "api"):
        assert services[name]["healthcheck"]["test"], name
    assert "/health/ready" in " ".join(services["api"]["healthcheck"]["test"])
    assert "127.0.0.1:8000/" in " ".join(services["api"]["healthcheck"]["test"])
    # Longer than uvicorn's 30 s graceful shutdown, so in-flight requests can finish.
    assert services["api"]["stop_grace_period"] == "40s"


def test_the_image_carries_the_background() -> None:
    """The compose file sets no CELLCARBON_BRIGHTWAY_DIR: it relies on the image's."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "CELLCARBON_BRIGHTWAY_DIR=/srv/brightway" in dockerfile
    assert "cellcarbon background build" in dockerfile
