"""Two real CellCarbon servers over TLS on loopback: the host our customer pulls from (SQLite)
and a supplier's host (PostgreSQL when reachable, else SQLite), seeded through the services."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import POSTGRES_URL
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "data" / "examples"
# The official schema cannot be shipped (see data/pact/README.md); give its path to use it.
SCHEMA = Path(
    os.environ.get(
        "CELLCARBON_PACT_SCHEMA",
        ROOT / "data" / "pact" / "product-footprint-v3.cellcarbon.schema.json",
    )
)


def trust(tls: tuple[Path, Path]) -> ssl.SSLContext:
    """An SSL context that trusts the test's self-signed certificate (and nothing else)."""
    return ssl.create_default_context(cafile=str(tls[0]))


@dataclass
class Instance:
    """A running CellCarbon server and what was seeded into its database."""

    base: str
    port: int
    database_url: str
    env: dict[str, str]
    owner_id: uuid.UUID
    client_id: str = ""
    client_secret: str = ""
    footprints: dict[str, dict[str, Any]] = field(default_factory=dict)  # label → public
    boms: dict[str, uuid.UUID] = field(default_factory=dict)


@pytest.fixture(scope="session")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from app.pact.tls import self_signed

    return self_signed(tmp_path_factory.mktemp("tls"), ["localhost", "127.0.0.1"], days=2)


@pytest.fixture(scope="session")
def product_footprint_schema() -> Any:
    from jsonschema import Draft202012Validator, FormatChecker

    schema = json.loads(SCHEMA.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def _seed(database_url: str, background: Any, owner: str, boms: dict[str, dict[str, Any]]):  # type: ignore[no-untyped-def]
    """An owner organisation, its BOMs and one footprint of each (computed by the service)."""
    from app.access.models import Organisation
    from app.boms.schemas import BomCreate
    from app.boms.service import create_bom
    from app.core.db import make_engine, session_scope
    from app.core.repository import OrgRepository
    from app.footprints.service import compute_footprint

    engine = make_engine(database_url)
    with session_scope(engine) as session:
        organisation = Organisation(name=owner)
        session.add(organisation)
        session.flush()
        owner_id = organisation.id
        bom_ids = {
            label: create_bom(
                OrgRepository(session, owner_id), BomCreate.model_validate(payload), background
            ).id
            for label, payload in boms.items()
        }
    footprint_ids = {
        label: compute_footprint(bom_id, owner_id, engine=engine, background=background)
        for label, bom_id in bom_ids.items()
    }
    return engine, owner_id, bom_ids, footprint_ids


def _client_with_shares(
    engine: Any, owner_id: uuid.UUID, customer: str, footprint_ids: list[uuid.UUID]
) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    from app.access.models import Organisation
    from app.core.db import session_scope
    from app.pact.auth import create_client
    from app.pact.service import share

    with session_scope(engine) as session:
        owner = session.get(Organisation, owner_id)
        client, secret = create_client(session, owner, customer)
        for footprint_id in footprint_ids:
            share(session, client.id, footprint_id)
        return str(client.id), secret


def _serve(env: dict[str, str], port: int, tls: tuple[Path, Path]) -> subprocess.Popen[bytes]:
    cert, key = tls
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
        + ["--tls-cert", str(cert), "--tls-key", str(key)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(
                f"https://127.0.0.1:{port}/.well-known/openid-configuration",
                verify=trust(tls),
                timeout=2,
            )
            return process
        except httpx.TransportError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(
        f"server did not start: {process.stderr.read().decode() if process.stderr else ''}"
    )


def _env(database_url: str, brightway: Path, cert: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "CELLCARBON_DATABASE_URL": database_url,
        "CELLCARBON_BRIGHTWAY_DIR": str(brightway),
        "CELLCARBON_PACT_CA_BUNDLE": str(cert),
        "CELLCARBON_PACT_CALLBACK_ATTEMPTS": "4",
        # Requesters run on loopback here; in production only public addresses are called.
        "CELLCARBON_WEBHOOK_ALLOW_PRIVATE": "true",
        "CELLCARBON_PACT_CALLBACK_BACKOFF_S": "0.2",
        "CELLCARBON_PACT_HTTP_TIMEOUT_S": "3",
    }
    env.pop("BRIGHTWAY_DIR", None)
    return env


def _example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text())


@pytest.fixture(scope="session")
def host(
    tmp_path_factory: pytest.TempPathFactory,
    real_background_dir: Path,
    real_background: Any,
    tls_pair: tuple[Path, Path],
) -> Iterator[Instance]:
    """Our PACT host: three cells; the US cell computed twice (so one version is Deprecated);
    the customer's client sees all four footprints, a second customer's client sees none."""
    from app.core.migrate import upgrade
    from app.footprints.service import compute_footprint

    url = f"sqlite:///{tmp_path_factory.mktemp('pact-host') / 'cellcarbon.db'}"
    upgrade(url)
    boms = {
        "us": _example("nmc811_pouch.json"),
        "cn": _example("nmc811_pouch_cn.json"),
        "lfp": _example("lfp_prismatic.json"),
    }
    engine, owner_id, bom_ids, footprint_ids = _seed(url, real_background, "Cell Maker", boms)
    time.sleep(0.01)  # the second version of the US cell is strictly newer
    footprint_ids["us-v2"] = compute_footprint(
        bom_ids["us"], owner_id, engine=engine, background=real_background
    )
    client_id, secret = _client_with_shares(
        engine, owner_id, "Automaker", list(footprint_ids.values())
    )
    other_id, other_secret = _client_with_shares(engine, owner_id, "Someone Else", [])
    engine.dispose()
    port = free_port()
    env = _env(url, real_background_dir, tls_pair[0])
    process = _serve(env, port, tls_pair)
    instance = Instance(f"https://127.0.0.1:{port}", port, url, env, owner_id, client_id, secret)
    instance.boms = bom_ids
    instance.footprints = {k: {"id": str(v)} for k, v in footprint_ids.items()}
    instance.footprints["other-client"] = {"id": other_id, "secret": other_secret}
    yield instance
    process.terminate()
    process.wait(timeout=20)


def _supplier_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh PostgreSQL database (the supplier runs on PostgreSQL), else SQLite."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        admin.dispose()
        yield f"sqlite:///{tmp_path_factory.mktemp('pact-supplier') / 'cellcarbon.db'}"
        return
    name = f"cellcarbon_pact_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{POSTGRES_URL.rsplit('/', 1)[0]}/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def supplier(
    tmp_path_factory: pytest.TempPathFactory,
    real_background_dir: Path,
    real_background: Any,
    tls_pair: tuple[Path, Path],
) -> Iterator[Instance]:
    """A supplier's CellCarbon: one footprint, shared with the client it issued to us."""
    from app.core.migrate import upgrade

    databases = _supplier_database(tmp_path_factory)
    url = next(databases)
    upgrade(url)
    engine, owner_id, bom_ids, footprint_ids = _seed(
        url, real_background, "Supplier Co", {"cell": _example("nmc622_pouch.json")}
    )
    client_id, secret = _client_with_shares(
        engine, owner_id, "Cell Maker", list(footprint_ids.values())
    )
    engine.dispose()
    port = free_port()
    env = _env(url, real_background_dir, tls_pair[0])
    process = _serve(env, port, tls_pair)
    instance = Instance(f"https://127.0.0.1:{port}", port, url, env, owner_id, client_id, secret)
    instance.boms = bom_ids
    instance.footprints = {k: {"id": str(v)} for k, v in footprint_ids.items()}
    yield instance
    process.terminate()
    process.wait(timeout=20)
    next(databases, None)


@pytest.fixture(scope="session")
def token(host: Instance, tls_pair: tuple[Path, Path]) -> str:
    response = httpx.post(
        f"{host.base}/auth/token",
        auth=(host.client_id, host.client_secret),
        data={"grant_type": "client_credentials"},
        verify=trust(tls_pair),
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def pact(host: Instance, token: str, tls_pair: tuple[Path, Path]) -> Iterator[httpx.Client]:
    """An HTTPS client of our host, authenticated as the customer."""
    with httpx.Client(
        base_url=host.base,
        verify=trust(tls_pair),
        headers={"authorization": f"Bearer {token}"},
        timeout=10,
    ) as client:
        yield client
