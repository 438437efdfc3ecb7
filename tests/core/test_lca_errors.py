"""The calculation core's errors reach a client through one handler: an input error is a 422
problem with every field problem, a background not built yet a 503, any other core error a 500
that says nothing of its internals."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lca.background import BackgroundNotBuilt, UnknownProduct
from lca.bom import BomError
from lca.errors import FieldProblem
from lca.lifecycle import LifecycleError
from lca.units import UnitError


@pytest.fixture(scope="module")
def raising_client(settings: Any) -> TestClient:
    """An app with one route per error; no lifespan (nothing here needs the background)."""
    from app.main import create_app

    app: FastAPI = create_app(settings)

    @app.get("/v1/raises/bom")
    def bom() -> None:
        raise BomError(
            [
                FieldProblem(("lines", 0, "amount"), "must be positive"),
                FieldProblem(("cell", "mass"), "missing", "missing"),
            ]
        )

    @app.get("/v1/raises/lifecycle")
    def lifecycle() -> None:
        raise LifecycleError(("distribution", "legs", 1, "mode"), "mode 'air' is not one of x")

    @app.get("/v1/raises/unit")
    def unit() -> None:
        raise UnitError("'12 furlongs' is not a quantity")

    @app.get("/v1/raises/not-built")
    def not_built() -> None:
        raise BackgroundNotBuilt("no background in /secret/path; run cellcarbon background build")

    @app.get("/v1/raises/unknown-product")
    def unknown_product() -> None:
        raise UnknownProduct("internal_code_42")

    return TestClient(app, raise_server_exceptions=False)


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def test_an_input_error_is_a_422_with_every_field_problem(raising_client: TestClient) -> None:
    body = _problem(raising_client.get("/v1/raises/bom"), 422)
    assert body["title"] == "Invalid input"
    assert body["detail"] == "lines.0.amount: must be positive; cell.mass: missing"
    assert body["errors"] == [
        {"loc": ["lines", 0, "amount"], "msg": "must be positive", "type": "value_error"},
        {"loc": ["cell", "mass"], "msg": "missing", "type": "missing"},
    ]


def test_a_lifecycle_error_names_its_field(raising_client: TestClient) -> None:
    body = _problem(raising_client.get("/v1/raises/lifecycle"), 422)
    assert body["detail"] == "mode 'air' is not one of x"
    assert body["errors"] == [
        {
            "loc": ["distribution", "legs", 1, "mode"],
            "msg": "mode 'air' is not one of x",
            "type": "value_error",
        }
    ]


def test_an_input_error_without_a_field_is_still_a_422(raising_client: TestClient) -> None:
    body = _problem(raising_client.get("/v1/raises/unit"), 422)
    assert body["detail"] == "'12 furlongs' is not a quantity"
    assert "errors" not in body


def test_a_background_not_built_is_a_503(raising_client: TestClient) -> None:
    body = _problem(raising_client.get("/v1/raises/not-built"), 503)
    assert body["title"] == "Background database unavailable"


def test_another_core_error_is_an_unexpected_500(raising_client: TestClient) -> None:
    body = _problem(raising_client.get("/v1/raises/unknown-product"), 500)
    assert "internal_code_42" not in str(body)
    assert body["request_id"]
