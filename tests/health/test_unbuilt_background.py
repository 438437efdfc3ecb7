"""Without a built background the service still answers: /health says so, BOM routes give 503."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.core.migrate import upgrade
from app.core.settings import Settings
from app.main import create_app
from tests.conftest import make_organisation


def test_missing_background_is_reported_not_crashed(tmp_path: Path, example_bom) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    settings = Settings(database_url=url, brightway_dir=tmp_path / "empty-brightway")
    token = make_organisation(settings, "no background")
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings), headers=headers) as client:
        health = client.get("/health").json()
        assert health == {**health, "status": "degraded", "database": True, "background": None}
        response = client.post("/v1/boms", json=example_bom)
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "background build" in response.json()["detail"]
        assert client.get("/v1/boms").json()["count"] == 0
