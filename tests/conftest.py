"""Shared fixtures: backgrounds built by the real build, databases migrated by the real Alembic.

PostgreSQL tests use the server named by ``CELLCARBON_TEST_POSTGRES_URL`` (default: the local
server on 127.0.0.1:5432, database ``test``); each test session gets a fresh database there. When
the server cannot be reached they are skipped — except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import copy
import json
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.toy import write_toy_data

POSTGRES_URL = os.environ.get(
    "CELLCARBON_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def verifier_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with only bw2calc and bw_processing (and what they need), at
    the versions installed here, as a verifier would make from a bundle's requirements.txt;
    one per test session, for every test that runs a bundle's recompute.py."""
    import subprocess
    import venv
    from importlib import metadata

    directory = tmp_path_factory.mktemp("verifier") / "venv"
    venv.EnvBuilder(with_pip=True).create(directory)
    python = directory / "bin" / "python"
    pins = [f"{name}=={metadata.version(name)}" for name in ("bw2calc", "bw_processing")]
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *pins],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if install.returncode != 0:
        message = f"could not install {pins} into a fresh venv: {install.stderr[-2000:]}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return python


@pytest.fixture(scope="session")
def toy_background_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from lca.build import build_background

    root = tmp_path_factory.mktemp("toy")
    data = write_toy_data(root / "data")
    build_background(root / "brightway", data, progress=lambda _: None)
    return root / "brightway"


@pytest.fixture(scope="session")
def toy_background(toy_background_dir: Path):  # type: ignore[no-untyped-def]
    from lca.background import load_background

    return load_background(toy_background_dir)


@pytest.fixture(scope="session")
def real_background_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped data/ built into a fresh Brightway directory, once per test session."""
    from lca.build import build_background

    directory = tmp_path_factory.mktemp("real") / "brightway"
    build_background(directory, progress=lambda _: None)
    return directory


@pytest.fixture(scope="session")
def real_background(real_background_dir: Path):  # type: ignore[no-untyped-def]
    from lca.background import load_background

    return load_background(real_background_dir)


def _postgres_admin_url() -> str:
    return POSTGRES_URL


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session."""
    admin = create_engine(_postgres_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # unreachable server, refused, bad credentials
        admin.dispose()
        message = f"PostgreSQL unreachable at {_postgres_admin_url()}: {exc.__class__.__name__}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    name = f"cellcarbon_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    base = _postgres_admin_url().rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database: SQLite in a temporary file, and PostgreSQL."""
    from app.core.migrate import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'cellcarbon.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def settings(database_url: str, real_background_dir: Path):  # type: ignore[no-untyped-def]
    from app.core.settings import Settings

    return Settings(database_url=database_url, brightway_dir=real_background_dir)


def make_organisation(settings, name: str) -> str:  # type: ignore[no-untyped-def]
    """Create an organisation in the test database; return its first admin API key."""
    from app.access.keys import create_organisation
    from app.core.db import session_scope
    from app.core.runtime import get_engine

    with session_scope(get_engine(settings)) as session:
        _, _, token = create_organisation(session, name)
    return token


@pytest.fixture(scope="session")
def admin_token(settings) -> str:  # type: ignore[no-untyped-def]
    return make_organisation(settings, f"test organisation {uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="session")
def app(settings):  # type: ignore[no-untyped-def]
    from app.main import create_app

    return create_app(settings)


@pytest.fixture(scope="session")
def client(app, admin_token):  # type: ignore[no-untyped-def]
    """An HTTP client of the app acting with an admin key of a test organisation."""
    from fastapi.testclient import TestClient

    with TestClient(app, headers={"Authorization": f"Bearer {admin_token}"}) as test_client:
        yield test_client


EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples"


@pytest.fixture
def example_bom() -> dict[str, Any]:
    """The NMC811 pouch example, freshly loaded so a test may change it."""
    return copy.deepcopy(json.loads((EXAMPLES / "nmc811_pouch.json").read_text()))


@pytest.fixture
def org_client(app, settings) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A client acting for a new organisation, so counts and webhooks are this test's alone."""
    from fastapi.testclient import TestClient

    token = make_organisation(settings, f"integration {uuid.uuid4().hex[:8]}")
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as test_client:
        yield test_client


@pytest.fixture
def webhook_settings(settings, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Loopback receivers allowed; 3 attempts 0.05 s and 0.1 s apart, so a failing hook is
    given up within a second. Set on the settings object the test app runs with (routes, jobs
    and deliveries are all handed that one), and put back after the test."""
    monkeypatch.setattr(settings, "webhook_allow_private", True)
    monkeypatch.setattr(settings, "webhook_max_attempts", 3)
    monkeypatch.setattr(settings, "webhook_backoff_s", 0.05)
    monkeypatch.setattr(settings, "webhook_timeout_s", 2.0)


@contextmanager
def private_webhooks_allowed(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Loopback webhook URLs accepted inside the block only (for fixtures wider than a test,
    where the function-scoped ``webhook_settings`` cannot be used)."""
    before = settings.webhook_allow_private
    settings.webhook_allow_private = True
    try:
        yield
    finally:
        settings.webhook_allow_private = before


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver: answers each POST with the next of ``statuses`` (the last repeats);
    on a free port, or on ``port`` (a receiver that comes up where one was down)."""

    statuses: list[int]
    requests: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    url: str = ""

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)
        return list(self.requests)


@pytest.fixture
def receiver_factory() -> Iterator[Any]:
    servers: list[ThreadingHTTPServer] = []

    def start(statuses: list[int], port: int = 0) -> Receiver:
        receiver = Receiver(statuses=statuses)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.arrived:
                    receiver.requests.append(Received(dict(self.headers.items()), body))
                    index = min(len(receiver.requests), len(receiver.statuses)) - 1
                    receiver.arrived.notify_all()
                self.send_response(receiver.statuses[index])
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/cellcarbon"
        return receiver

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
