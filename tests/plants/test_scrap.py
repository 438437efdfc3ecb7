"""Scrap by step in lot footprints and their aggregates."""

from __future__ import annotations

import pytest

from tests.plants.test_plants_api import _known_answer_setup


def test_scrap_is_reported_by_step(org_client, example_bom) -> None:  # type: ignore[no-untyped-def]
    """The known-answer lot: 80 good and 20 scrapped cells, all its figures borne by the 80.
    Of each kg per good cell, 20 / 100 is the scrapped cells' share: 1.25 kg of plant energy
    per good cell location-based holds 0.25 kg for scrap. Once the lot says the 20 were
    scrapped in formation, that share is reported under the step (a new version: the lot
    changed); a day's aggregate of one lot reports the same."""
    bom = org_client.post("/v1/boms", json=example_bom).json()
    plant_id, period = _known_answer_setup(org_client, bom)
    assert org_client.post(f"/v1/plants/{plant_id}/footprints?{period}").status_code == 200
    (row,) = org_client.get(f"/v1/plants/{plant_id}/footprints?{period}").json()["data"]
    assert row["scrapped_cells"] == 20
    assert set(row["scrap_by_step"]) == {""}
    lot = {
        "lot_id": "A",
        "cell_model": bom["id"],
        "line": "L1",
        "start": "2026-06-01T00:00:00Z",
        "end": "2026-06-01T02:00:00Z",
        "good_cells": 80,
        "scrapped_cells": 20,
        "scrap_step": "formation",
    }
    assert org_client.post(f"/v1/plants/{plant_id}/lots", json=[lot]).status_code == 200
    again = org_client.post(f"/v1/plants/{plant_id}/footprints?{period}").json()
    assert again["new_versions"] == 1
    (row,) = org_client.get(f"/v1/plants/{plant_id}/footprints?{period}").json()["data"]
    scrap = row["scrap_by_step"]["formation"]
    for method, kg in row["kg_co2e_per_cell"].items():
        assert scrap[method] == pytest.approx(kg * 20 / 100)
    plant_part = row["plant_energy_kg_co2e_per_cell"]["location"] * 20 / 100
    assert plant_part == pytest.approx(0.25)
    (day,) = org_client.get(f"/v1/plants/{plant_id}/footprints?{period}&granularity=day").json()[
        "data"
    ]
    assert set(day["scrap_by_step"]) == {"formation"}
    assert day["scrap_by_step"]["formation"] == pytest.approx(scrap)
    assert day["scrapped_cells"] == 20
