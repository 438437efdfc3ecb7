"""Load the labelled-synthetic Spring Hill month (lca.plant.example) into a database.

The two cell models' BOMs (data/examples/nmc811_pouch.json, nmc622_pouch.json) are stored, the
plant is created from the example's document, its readings and lots go through the same services
as an upload, the solar PPA is the month's instrument, and the lot footprints are computed.
Used by ``cellcarbon example plant`` and by the tests.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from app.access.models import Organisation
from app.boms.schemas import BomCreate
from app.boms.service import create_bom
from app.core.db import session_scope
from app.core.repository import OrgRepository
from app.plants import footprints, service
from app.plants.schemas import (
    FootprintComputeRequest,
    FootprintRow,
    FootprintsComputed,
    InstrumentIn,
    PlantCreate,
)
from lca.background import Background
from lca.catalogue import DEFAULT_DATA_DIR
from lca.plant.example import CELL_MODELS, ExampleMonth, generate_month, readings_long_csv
from lca.plant.model import Plant


@dataclass(frozen=True)
class LoadedExample:
    plant_id: uuid.UUID
    bom_ids: dict[str, uuid.UUID]  # cell model → stored BOM
    computed: FootprintsComputed
    by_cell_model: dict[str, FootprintRow]
    from_s: int
    to_s: int


def organisation_id(engine: Engine, name: str) -> uuid.UUID | None:
    with session_scope(engine) as session:
        found = session.exec(select(Organisation).where(col(Organisation.name) == name)).first()
        return None if found is None else found.id


def plant_document(plant: Plant) -> PlantCreate:
    return PlantCreate.model_validate(
        {
            "site": plant.site,
            "grid_region": plant.grid_region,
            "time_zone": plant.time_zone,
            "notes": list(plant.notes),
            "lines": [{"line_id": x.line_id, "name": x.name} for x in plant.lines],
            "areas": [
                {"area_id": x.area_id, "kind": x.kind, "rule": x.rule, "lines": list(x.lines)}
                for x in plant.areas
            ],
            "meters": [
                {
                    "meter_id": m.meter_id,
                    "carrier": m.carrier,
                    "scope": m.scope,
                    "scope_id": m.scope_id,
                    "parent": m.parent,
                }
                for m in plant.meters
            ],
        }
    )


def load_spring_hill(
    engine: Engine,
    organisation: uuid.UUID,
    background: Background,
    *,
    seed: int = 2026,
    data_dir: Path = DEFAULT_DATA_DIR,
    month: ExampleMonth | None = None,
) -> LoadedExample:
    """Store the example month for ``organisation`` and compute its lot footprints."""
    month = month or generate_month(seed, data_dir)
    with session_scope(engine) as session:
        repo = OrgRepository(session, organisation, "example")
        bom_ids = {}
        for model in CELL_MODELS:
            body = json.loads((data_dir / "examples" / f"{model}.json").read_text())
            bom_ids[model] = create_bom(repo, BomCreate.model_validate(body), background).id
        plant = service.create_plant(repo, plant_document(month.plant), background)
        session.flush()
        readings = readings_long_csv(month.plant, month.series).encode()
        service.upload_readings(repo, plant.id, readings, "csv")
        lots = [
            {
                "lot_id": lot.lot_id,
                "cell_model": str(bom_ids[lot.cell_model]),
                "line": lot.line,
                "start": _iso(lot.start_s),
                "end": _iso(lot.end_s),
                "good_cells": lot.good_cells,
                "scrapped_cells": lot.scrapped_cells,
                "scrap_step": lot.scrap_step,
            }
            for lot in month.lots
        ]
        service.upload_lots(repo, plant.id, json.dumps(lots).encode(), "json")
        ppa = month.ppa
        request = FootprintComputeRequest(
            instruments=[
                InstrumentIn(
                    name=ppa.name,
                    kind=ppa.kind,
                    technology=ppa.technology,
                    market=ppa.market,
                    first_hour=datetime.fromtimestamp(int(ppa.hour[0]) * 3600, UTC),
                    kwh=ppa.kwh.tolist(),
                )
            ]
        )
        from_s = month.first_hour * 3600
        to_s = (month.first_hour + month.hours) * 3600
        computed = footprints.compute_lot_footprints(
            repo, plant.id, from_s, to_s, background, request
        )
        session.flush()
        latest = footprints.latest_footprints(repo, plant.id, from_s, to_s)
        by_model = footprints.footprint_rows(latest, "cell_model", ZoneInfo(plant.time_zone))
        names = {str(v): k for k, v in bom_ids.items()}
        return LoadedExample(
            plant.id,
            bom_ids,
            computed,
            {names[row.key]: row for row in by_model},
            from_s,
            to_s,
        )


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()
