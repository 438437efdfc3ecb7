"""Every error is problem+json: an unexpected exception (500, with the request id and nothing of
its internals), a database that is down or gone (503 with Retry-After), a wrong method (405 with
Allow). The outages are real: a port nothing listens on, and a PostgreSQL database dropped under
a running app."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from tests.conftest import IN_CI, POSTGRES_URL, make_organisation


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends: nothing listens


def test_an_unexpected_exception_is_a_500_problem_with_the_request_id(settings: Any) -> None:
    from app.main import create_app

    app = create_app(settings)

    @app.get("/v1/explodes")
    def explodes() -> None:
        raise RuntimeError("internal detail: password=hunter2")

    with TestClient(app) as client:
        response = client.get("/v1/explodes", headers={"X-Request-ID": "req-500-check"})
    body = _problem(response, 500)
    assert body["request_id"] == response.headers["x-request-id"] == "req-500-check"
    assert "hunter2" not in response.text and "RuntimeError" not in response.text


def test_the_log_of_an_unexpected_error_quotes_no_values(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A response model that fails validation would quote the value (``input_value=``): the
    log keeps the field path only."""
    from pydantic import BaseModel

    from app.main import create_app

    class Token(BaseModel):
        length: int

    app = create_app(settings)
    token = "cc_0123456789ab_" + "topsecret" + "value"  # not on a line the traceback quotes

    @app.post("/v1/token-echo")
    def token_echo() -> None:
        Token.model_validate({"length": token})

    with caplog.at_level("ERROR", logger="cellcarbon"), TestClient(app) as client:
        _problem(client.post("/v1/token-echo"), 500)
    logged = [vars(record) for record in caplog.records if record.name == "cellcarbon.access"]
    assert [entry["fields"] for entry in logged] == [["length"]]
    assert "topsecretvalue" not in repr(logged) and "topsecretvalue" not in caplog.text


def test_a_database_nothing_listens_on_is_a_503_with_retry_after(
    real_background_dir: Path,
) -> None:
    from app.core.settings import Settings
    from app.main import create_app

    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/gone"
    app = create_app(Settings(database_url=url, brightway_dir=real_background_dir))
    well_formed = f"cc_{'0' * 12}_{'x' * 40}"  # looked up in the database, which is down
    with TestClient(app, headers={"Authorization": f"Bearer {well_formed}"}) as client:
        for response in (client.get("/v1/boms"), client.post("/v1/suppliers", json={"name": "x"})):
            body = _problem(response, 503)
            assert response.headers["retry-after"] == "5"
            assert "psycopg" not in response.text and "127.0.0.1" not in response.text
            assert body["detail"] == "the database is unavailable; retry later"
        keyed = client.post(
            "/v1/suppliers", json={"name": "x"}, headers={"Idempotency-Key": "outage-1"}
        )
        _problem(keyed, 503)


@pytest.fixture
def doomed_postgres_url() -> Any:
    """A migrated PostgreSQL database of its own, which the test drops."""
    from app.core.migrate import upgrade

    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        admin.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL unreachable: {exc.__class__.__name__}")
        pytest.skip(f"PostgreSQL unreachable: {exc.__class__.__name__}")
    name = f"cellcarbon_doomed_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{POSTGRES_URL.rsplit('/', 1)[0]}/{name}"
    upgrade(url)

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    yield url, drop
    drop()
    admin.dispose()


def test_a_database_dropped_under_a_running_app_is_a_503(
    doomed_postgres_url: Any, real_background_dir: Path
) -> None:
    from app.core.settings import Settings
    from app.main import create_app

    url, drop = doomed_postgres_url
    settings = Settings(database_url=url, brightway_dir=real_background_dir)
    token = make_organisation(settings, "soon gone")
    app = create_app(settings)
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        assert client.get("/v1/boms").status_code == 200  # pooled connections now exist
        drop()
        for _ in range(3):  # the dead pooled connection, then new connections refused
            response = client.get("/v1/boms")
            _problem(response, 503)
            assert response.headers["retry-after"] == "5"
        assert client.get("/health/ready").status_code == 503


def test_a_wrong_method_is_a_405_problem_with_allow(client: Any) -> None:
    response = client.delete("/v1/boms")
    _problem(response, 405)
    allowed = set(response.headers["allow"].replace(" ", "").split(","))
    assert allowed - {"HEAD"} == {"GET", "POST"}
