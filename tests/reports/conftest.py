"""Report tests post the NMC811 example through the real API (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

DOWNSTREAM = {"distribution": {}, "end_of_life": {}}


@pytest.fixture(scope="module")
def stored_bom(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    import json
    from pathlib import Path

    from tests.conftest import EXAMPLES

    body = json.loads((Path(EXAMPLES) / "nmc811_pouch.json").read_text())
    response = client.post("/v1/boms", json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def four_stage_footprint(client, stored_bom) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The NMC811 example with the default distribution and end-of-life stages."""
    response = client.post(f"/v1/boms/{stored_bom['id']}/footprints", json=DOWNSTREAM)
    assert response.status_code == 201, response.text
    return response.json()
