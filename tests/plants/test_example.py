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


def test_cellcarbon_plant_create_readings_and_lots(settings, real_background_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A plant from a JSON document, then a long CSV of 2 meters × 4 quarter hours (8 values) and
    one lot on a stored BOM, all from the command line; a bad document exits 1 listing its
    problems."""
    import json

    from app.access.keys import create_organisation
    from app.boms.schemas import BomCreate
    from app.boms.service import create_bom
    from app.core.db import session_scope
    from app.core.repository import OrgRepository
    from app.core.runtime import get_background, get_engine

    name = f"cli plant {uuid.uuid4().hex[:8]}"
    with session_scope(get_engine(settings)) as session:
        owner = create_organisation(session, name)[0].id
        body = json.loads((ROOT / "data/examples/nmc811_pouch.json").read_text())
        repo = OrgRepository(session, owner)
        bom_id = create_bom(repo, BomCreate.model_validate(body), get_background(settings)).id
    env = {
        **os.environ,
        "CELLCARBON_DATABASE_URL": settings.database_url,
        "CELLCARBON_BRIGHTWAY_DIR": str(real_background_dir),
    }

    def cellcarbon(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", "plant", *args, "--organisation", name],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    document = {
        "site": "CLI plant",
        "grid_region": "US-SRTV",
        "time_zone": "UTC",
        "lines": [{"line_id": "L1"}],
        "meters": [
            {"meter_id": "main", "carrier": "electricity", "scope": "plant"},
            {
                "meter_id": "l1",
                "carrier": "electricity",
                "scope": "line",
                "scope_id": "L1",
                "parent": "main",
            },
        ],
    }
    (tmp_path / "plant.json").write_text(json.dumps(document))
    (tmp_path / "bad.json").write_text(json.dumps({**document, "time_zone": "Nowhere/City"}))
    bad = cellcarbon("create", str(tmp_path / "bad.json"))
    assert bad.returncode == 1 and "time_zone" in bad.stderr
    created = cellcarbon("create", str(tmp_path / "plant.json"))
    assert created.returncode == 0, created.stderr
    plant_id = created.stdout.strip().splitlines()[-1]
    rows = "".join(
        f"{m},2026-06-01T00:{q * 15:02d}:00Z,{v},kWh\n"
        for m, v in (("main", 3), ("l1", 1))
        for q in range(4)
    )
    (tmp_path / "readings.csv").write_text("meter,timestamp,value,unit\n" + rows)
    readings = cellcarbon("readings", plant_id, str(tmp_path / "readings.csv"))
    assert readings.returncode == 0, readings.stderr
    assert "8 values stored, 0 replaced" in readings.stdout
    lots = [
        {
            "lot_id": "A",
            "cell_model": str(bom_id),
            "line": "L1",
            "start": "2026-06-01T00:00",
            "end": "2026-06-01T01:00",
            "good_cells": 10,
        }
    ]
    (tmp_path / "lots.json").write_text(json.dumps(lots))
    uploaded = cellcarbon("lots", plant_id, str(tmp_path / "lots.json"))
    assert uploaded.returncode == 0, uploaded.stderr
    assert "1 lots created, 0 replaced" in uploaded.stdout
