"""A repeated footprint of the same input reuses its computation (app.footprints.service):
the same figures to the bit, its own id, time and stored row; an input that can change
without the BOM changing (supplier data, a request's stages, the year) is computed again."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import app.footprints.service as service

ROOT = Path(__file__).resolve().parents[2]
CHAIN = json.loads((ROOT / "data/examples/suppliers/nmc811_supply_chain.json").read_text())


@pytest.fixture
def solves(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the real engine's compute ran (one entry per call)."""
    calls: list[int] = []
    real = service.compute

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "compute", counted)
    return calls


def _post(client: Any, url: str, body: Any = None) -> dict[str, Any]:
    response = client.post(url, json=body)
    assert response.status_code == 201, response.text
    if url.endswith("/footprints"):
        assert response.headers["Location"] == f"/v1/footprints/{response.json()['id']}"
    return dict(response.json())


def _without_identity(footprint: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in footprint.items() if k not in ("id", "created_at")}


def test_a_repeated_footprint_reuses_its_computation(  # type: ignore[no-untyped-def]
    org_client, example_bom, solves
) -> None:
    bom = _post(org_client, "/v1/boms", example_bom)
    first = _post(org_client, f"/v1/boms/{bom['id']}/footprints")
    computed = len(solves)
    assert computed >= 2  # location- and market-based
    second = _post(org_client, f"/v1/boms/{bom['id']}/footprints")
    third = _post(org_client, f"/v1/boms/{bom['id']}/footprints")
    assert len(solves) == computed  # nothing solved again
    assert len({first["id"], second["id"], third["id"]}) == 3
    assert first["created_at"] <= second["created_at"] <= third["created_at"]
    assert _without_identity(second) == _without_identity(first)
    assert _without_identity(third) == _without_identity(first)
    # Each is stored as answered: read back from the database, not from the process.
    for footprint in (first, second, third):
        assert org_client.get(f"/v1/footprints/{footprint['id']}").json() == footprint
    audit = org_client.get("/v1/audit")
    assert audit.status_code == 200, audit.text
    logged = {e["resource_id"] for e in audit.json()["data"] if e["resource"] == "footprint"}
    assert logged == {first["id"], second["id"], third["id"]}


def test_other_stages_or_another_year_are_computed_again(  # type: ignore[no-untyped-def]
    org_client, example_bom, solves, monkeypatch
) -> None:
    bom = _post(org_client, "/v1/boms", example_bom)
    plain = _post(org_client, f"/v1/boms/{bom['id']}/footprints")
    solved = len(solves)
    staged = _post(org_client, f"/v1/boms/{bom['id']}/footprints", {"distribution": {}})
    assert len(solves) > solved
    assert staged["kg_co2e_per_cell"] > plain["kg_co2e_per_cell"]
    again = _post(org_client, f"/v1/boms/{bom['id']}/footprints")
    assert again["kg_co2e_per_cell"] == plain["kg_co2e_per_cell"]

    # The rulesets price the current year: a new year is a new input.
    class NextYear(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return datetime(datetime.now(UTC).year + 1, 1, 1, tzinfo=tz)

    monkeypatch.setattr(service, "datetime", NextYear)
    solved = len(solves)
    _post(org_client, f"/v1/boms/{bom['id']}/footprints")
    assert len(solves) > solved


def test_a_bom_whose_supplier_posts_data_later_is_computed_again(  # type: ignore[no-untyped-def]
    org_client, example_bom
) -> None:
    entry = next(s for s in CHAIN["suppliers"] if s["key"] == "al_foil")
    supplier = _post(org_client, "/v1/suppliers", entry["supplier"])
    for line in example_bom["lines"]:
        if line["material"] == "aluminium_foil":
            line["supplier"] = supplier["id"]
    bom = _post(org_client, "/v1/boms", example_bom)
    before = _post(org_client, f"/v1/boms/{bom['id']}/footprints")
    assert any("has no data for aluminium_foil" in note for note in before["notes"])
    pcf = entry["pcfs"][0]
    _post(
        org_client,
        f"/v1/suppliers/{supplier['id']}/pcfs",
        {"material": pcf["material"], "footprint": pcf["footprint"]},
    )
    after = _post(org_client, f"/v1/boms/{bom['id']}/footprints")
    foil = next(line for line in after["lines"] if line["material"] == "aluminium_foil")
    assert foil["supplier_data"]["kind"] == "pcf"
    assert foil["kg_co2e"] == pytest.approx(foil["amount"] * 6.8, rel=1e-12)
    assert after["kg_co2e_per_cell"] != before["kg_co2e_per_cell"]
    assert not any("has no data" in note for note in after["notes"])


def test_kept_computations_are_bounded(  # type: ignore[no-untyped-def]
    org_client, example_bom, monkeypatch
) -> None:
    monkeypatch.setattr(service._kept, "count", 2)
    boms = [_post(org_client, "/v1/boms", example_bom)["id"] for _ in range(4)]
    for bom_id in boms:
        _post(org_client, f"/v1/boms/{bom_id}/footprints")
    assert len(service._computations) <= 2
    assert set(service._by_result) == {id(c.result) for c in service._computations.values()}


def test_none_kept_computes_every_footprint(  # type: ignore[no-untyped-def]
    org_client, example_bom, solves, monkeypatch
) -> None:
    monkeypatch.setattr(service._kept, "count", service._kept.count)  # restored after the test
    service.keep_computations(0)
    assert not service._computations and not service._by_result
    bom = _post(org_client, "/v1/boms", example_bom)
    first = _post(org_client, f"/v1/boms/{bom['id']}/footprints")
    solved = len(solves)
    second = _post(org_client, f"/v1/boms/{bom['id']}/footprints")
    assert len(solves) >= solved + 2  # location- and market-based again
    assert _without_identity(second) == _without_identity(first)


def test_a_kept_result_is_encoded_once(  # type: ignore[no-untyped-def]
    org_client, example_bom, monkeypatch
) -> None:
    """The INSERT of a repeated footprint writes the kept result's text; it encodes no result."""
    import app.core.db as db

    encoded: list[Any] = []
    real = db.orjson.dumps

    def counted(value: Any, *args: Any, **kwargs: Any) -> bytes:
        if isinstance(value, dict) and "lines" in value:
            encoded.append(value)
        return real(value, *args, **kwargs)

    bom = _post(org_client, "/v1/boms", example_bom)
    _post(org_client, f"/v1/boms/{bom['id']}/footprints")
    monkeypatch.setattr(db.orjson, "dumps", counted)
    second = _post(org_client, f"/v1/boms/{bom['id']}/footprints")
    assert encoded == []
    assert org_client.get(f"/v1/footprints/{second['id']}").json() == second
