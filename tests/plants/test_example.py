"""The Spring Hill example month end to end: stored, rolled up, allocated and priced."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from lca.plant.example import generate_month

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def month():  # type: ignore[no-untyped-def]
    return generate_month(2026)


def test_the_example_month_closes_to_the_metered_total(settings, real_background, month) -> None:  # type: ignore[no-untyped-def]
    from app.access.keys import create_organisation
    from app.core.db import session_scope
    from app.core.runtime import get_engine
    from app.plants.example import load_spring_hill

    engine = get_engine(settings)
    with session_scope(engine) as session:
        owner = create_organisation(session, f"spring hill {uuid.uuid4().hex[:8]}")[0].id
    loaded = load_spring_hill(engine, owner, real_background, month=month)
    computed = loaded.computed
    assert computed.lots == computed.new_versions == len(month.lots)
    # the stored quarter hours, rolled up to hours, hold every kWh and MJ the meters read
    assert computed.metered["electricity"] == pytest.approx(month.series.total("main_el"))
    assert computed.metered["natural_gas"] == pytest.approx(month.series.total("main_gas"))
    for carrier, metered in computed.metered.items():
        closed = computed.allocated[carrier] + computed.unallocated[carrier]
        assert closed == pytest.approx(metered, rel=1e-9), carrier
    # hourly matching can only lose a PPA's surplus hours, never gain
    assert 0 < computed.matched_share["market_hourly"] <= computed.matched_share["market_annual"]
    assert set(loaded.by_cell_model) == {"nmc811_pouch", "nmc622_pouch"}
    for row in loaded.by_cell_model.values():
        assert row.plant_energy_kg_co2e_per_cell["location"] > 0
        assert row.kg_co2e_per_cell["market_hourly"] <= row.kg_co2e_per_cell["location"]
        assert row.static_estimate_kg_co2e_per_cell["location"] > 0


def test_cellcarbon_example_plant(settings, real_background_dir) -> None:  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "CELLCARBON_DATABASE_URL": settings.database_url,
        "CELLCARBON_BRIGHTWAY_DIR": str(real_background_dir),
    }
    name = f"cli spring hill {uuid.uuid4().hex[:8]}"
    run = subprocess.run(
        [sys.executable, "-m", "app.cli", "example", "plant", "--organisation", name],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "nmc811_pouch" in run.stdout and "nmc622_pouch" in run.stdout
    assert "labelled synthetic" in run.stdout
    assert "static BOM" in run.stdout
