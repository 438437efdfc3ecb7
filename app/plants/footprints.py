"""Per-lot footprints of a plant's period: computed by the plant core, stored as versions.

The plant-energy part comes from :func:`lca.plant.footprint.plant_footprint` on the hourly
roll-ups; the material part per cell is the footprint engine's on the lot's BOM
(:func:`app.footprints.service.cell_model` and :func:`lca.footprint.compute`) without the BOM's
own plant electricity and heat lines, which the meters replace. The BOM's whole static design
estimate is stored beside it. A lot whose figures changed since its last footprint (late
readings, new factors) gets a new version that supersedes the old one; an unchanged lot keeps its
footprint. Lots are those that *end* in the period; the window is widened to their whole runs, and
every lot that overlaps it takes part in the allocation (only the selected ones are stored).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlmodel import col, func, select

from app.boms.models import Bom
from app.core.db import insert_rows
from app.core.models import utc_now
from app.core.repository import OrgRepository
from app.core.settings import Settings
from app.footprints.service import cell_model
from app.plants import ingest
from app.plants.factors import stored_factors
from app.plants.instruments import stored_instruments
from app.plants.models import LotFootprint, PlantLot
from app.plants.schemas import (
    FootprintComputeRequest,
    FootprintRow,
    FootprintsComputed,
    InstrumentIn,
)
from app.plants.service import load_plant, problems_error
from app.webhooks.delivery import LOT_FOOTPRINT_READY, emit
from lca.background import Background
from lca.footprint import STAGE_PRODUCTION, compute
from lca.plant.buckets import merged_plant
from lca.plant.factors import METHODS, HourlyInstrument
from lca.plant.footprint import plant_footprint
from lca.plant.lots import Lot
from lca.plant.model import PlantDataError, Problem, plant_problems
from lca.plant.pricing import carrier_factors, grid_inputs, technology_factor
from lca.ranges import PLAUSIBLE_RANGES

# A period longer than this is computed in a job (POST answers 202); shorter ones at once.
SYNC_HOURS = 24 * 45


@dataclass(frozen=True)
class CellModelFigures:
    """kg CO2e per cell of a BOM: materials alone, and the static design estimate."""

    nominal_energy_kwh: float
    material_kg: float
    static_location_kg: float
    static_market_kg: float


# The columns of a lot that its footprint reads (rows of these stand in for PlantLot).
_LOT_COLUMNS = (
    "id",
    "plant_id",
    "lot_id",
    "bom_id",
    "line",
    "start_s",
    "end_s",
    "good_cells",
    "scrapped_cells",
    "scrap_step",
)


def window_hours(from_s: int, to_s: int) -> int:
    return -(-to_s // 3600) - from_s // 3600


def _cell_models(
    repo: OrgRepository, bom_ids: set[uuid.UUID], background: Background
) -> dict[str, CellModelFigures]:
    figures = {}
    for bom_id in sorted(bom_ids):
        bom = repo.get(Bom, bom_id, "BOM")
        model = cell_model(repo, bom, background)
        energy = bom.nominal_energy_kwh
        materials = [i for i in model.location_inputs if i.stage != STAGE_PRODUCTION]
        material = compute(background, materials, energy, model.location_processes)
        static = compute(background, model.location_inputs, energy, model.location_processes)
        market = compute(background, model.market_inputs, energy, model.market_processes)
        figures[str(bom_id)] = CellModelFigures(
            energy, material.kg_co2e, static.kg_co2e, market.kg_co2e
        )
    return figures


def _instruments(
    requested: Sequence[InstrumentIn], background: Background
) -> list[HourlyInstrument]:
    problems: list[Problem] = []
    bound = PLAUSIBLE_RANGES["plant.instrument_kwh"]
    instruments = []
    for index, item in enumerate(requested):
        try:
            factor = technology_factor(background, item.technology)
        except PlantDataError as exc:
            problems += [(("instruments", index, *loc), msg) for loc, msg in exc.problems]
            continue
        kwh = np.array(item.kwh, dtype=np.float64)
        if kwh.size and not (np.isfinite(kwh).all() and kwh.max() <= bound.high):
            problems.append(
                (
                    ("instruments", index, "kwh"),
                    f"hourly kWh must be finite, at most {bound.high:g}",
                )
            )
            continue
        first = int(item.first_hour.timestamp()) // 3600
        instruments.append(
            HourlyInstrument(
                item.name,
                item.kind,
                item.technology,
                factor,
                item.market,
                np.arange(first, first + kwh.size, dtype=np.int64),
                kwh,
            )
        )
    if problems:
        raise problems_error("the instruments cannot be used", problems)
    return instruments


def compute_lot_footprints(
    repo: OrgRepository,
    plant_id: uuid.UUID,
    from_s: int,
    to_s: int,
    background: Background,
    request: FootprintComputeRequest | None = None,
    settings: Settings | None = None,
) -> FootprintsComputed:
    """Footprints of the lots ending in ``(from_s, to_s]``; new versions where figures changed.
    ``settings`` are the ones the webhook deliveries of ``lot.footprint.ready`` run with."""
    row, plant = load_plant(repo, plant_id)
    session = repo.session
    owned = col(PlantLot.organisation_id) == repo.organisation_id
    ending = (col(PlantLot.end_s) > from_s, col(PlantLot.end_s) <= to_s)
    first_start, last_end = session.exec(
        select(func.min(PlantLot.start_s), func.max(PlantLot.end_s))
        .where(owned, col(PlantLot.plant_id) == row.id)
        .where(*ending)
    ).one()
    instruments = _instruments(request.instruments if request else [], background)
    lo = min(from_s, first_start if first_start is not None else from_s)
    hi = max(to_s, last_end if last_end is not None else to_s)
    first_hour, hours = lo // 3600, window_hours(lo, hi)
    # As columns, not ORM objects: building 10,000 entities took ~0.5 s of a year's footprints.
    taking_part: list[Any] = list(
        session.execute(
            select(*(col(getattr(PlantLot, name)) for name in _LOT_COLUMNS))
            .where(owned, col(PlantLot.plant_id) == row.id)
            .where(col(PlantLot.start_s) < (first_hour + hours) * 3600)
            .where(col(PlantLot.end_s) > first_hour * 3600)
            .order_by(col(PlantLot.start_s), col(PlantLot.lot_id))
        ).all()
    )
    # The lots ending in the period run inside the window, so they are among these (in order);
    # loading them once spared a second query of 10,000 rows for a year.
    selected = [lot for lot in taking_part if from_s < lot.end_s <= to_s]
    figures = _cell_models(repo, {lot.bom_id for lot in taking_part}, background)
    core_lots = [
        Lot(
            lot.lot_id,
            str(lot.bom_id),
            lot.line,
            lot.start_s,
            lot.end_s,
            lot.good_cells,
            lot.scrapped_cells,
            lot.scrap_step,
        )
        for lot in taking_part
    ]
    if plant_problems(plant):  # the core reports them all, at the stored meters' indices
        core_plant, series = plant, ingest.hourly_series(session, row.id, first_hour, hours)
    else:  # one bucket per carrier and scope, summed by the database: the same allocation
        core_plant, parts = merged_plant(plant)
        series = ingest.bucket_series(session, row.id, core_plant, parts, first_hour, hours)
    try:
        if request is None or request.use_stored_instruments:
            # after the request's own, so problems keep the request's indices
            instruments += stored_instruments(repo, row.id, background, first_hour, hours)
        grid = grid_inputs(
            background,
            plant.grid_region,
            hourly=stored_factors(repo, plant.grid_region, first_hour, hours),
            instruments=instruments,
        )
        result = plant_footprint(
            core_plant,
            series,
            core_lots,
            grid,
            carrier_factors(background),
            first_hour=first_hour,
            hours=hours,
            cell_energy_kwh={k: f.nominal_energy_kwh for k, f in figures.items()},
            material_kg_per_cell={k: f.material_kg for k, f in figures.items()},
        )
    except PlantDataError as exc:
        raise problems_error("the plant's period cannot be computed", exc.problems) from None
    electricity = result.electricity
    grid_kwh = electricity.consumption_kwh - electricity.onsite_kwh
    matched = {
        "market_annual": electricity.matched_annual_kwh / grid_kwh if grid_kwh > 0 else 0.0,
        "market_hourly": electricity.matched_hourly_kwh / grid_kwh if grid_kwh > 0 else 0.0,
    }
    new: list[dict[str, Any]] = []
    unchanged = 0
    window = {"from": _iso(first_hour * 3600), "to": _iso((first_hour + hours) * 3600)}
    latest = _latest_versions(repo, [lot.id for lot in selected])
    now = utc_now()
    for lot in selected:
        figure = figures[str(lot.bom_id)]
        stored = _new_version(
            repo,
            lot,
            result.lot(lot.lot_id),
            figure,
            background,
            window,
            matched,
            latest.get(lot.id),
            now,
        )
        if stored is None:
            unchanged += 1
        else:
            new.append(stored)
    # One COPY (PostgreSQL) or INSERT each for the versions and their audit rows: a year of
    # 10,000 lots spent most of its time in a round trip per row, then in an INSERT per row.
    insert_rows(session, LotFootprint.__table__, new)  # type: ignore[attr-defined]
    repo.audit_many(
        [
            (
                "create" if f["version"] == 1 else "supersede",
                "lot_footprint",
                f["id"],
                {"lot_id": f["lot_id"], "version": f["version"]},
            )
            for f in new
        ]
    )
    carriers = sorted({m.carrier for m in plant.meters})
    if new:
        emit(
            session,
            repo.organisation_id,
            LOT_FOOTPRINT_READY,
            {
                "plant_id": str(row.id),
                "from": _iso(from_s),
                "to": _iso(to_s),
                "lot_footprints": [
                    {
                        "id": str(f["id"]),
                        "lot_id": f["lot_id"],
                        "version": f["version"],
                        "kg_co2e_per_cell_location": f["kg_co2e_per_good_cell_location"],
                    }
                    for f in new
                ],
                "url": f"/v1/plants/{row.id}/footprints?from={_iso(from_s)}&to={_iso(to_s)}",
            },
            settings,
        )
    return FootprintsComputed(
        plant_id=row.id,
        lots=len(selected),
        new_versions=len(new),
        unchanged=unchanged,
        footprint_ids=[f["id"] for f in new],
        metered={c: result.metered_total(c) for c in carriers},
        allocated={c: result.allocated_total(c) for c in carriers},
        unallocated={c: result.unallocated_total(c) for c in carriers},
        fallback_hours=int(result.fallback_hours.size),
        matched_share=matched,
    )


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _rounded(value: Any) -> Any:
    """Figures to 12 significant digits, so summation order never makes a new version.
    (Floats of a dict are rounded in place of a call each: 10,000 lots made 440,000 calls.)"""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {
            k: float(f"{v:.12g}")
            if isinstance(v, float)
            else _rounded(v)
            if isinstance(v, dict)
            else v
            for k, v in value.items()
        }
    return value


@dataclass(frozen=True)
class _Latest:
    id: uuid.UUID
    version: int
    input_sha256: str


def _latest_versions(repo: OrgRepository, lot_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, _Latest]:
    """The newest stored version of each lot, in a few queries (not one per lot)."""
    latest: dict[uuid.UUID, _Latest] = {}
    for lo in range(0, len(lot_ids), 5000):
        rows = repo.session.exec(
            select(
                col(LotFootprint.plant_lot_id),
                col(LotFootprint.id),
                col(LotFootprint.version),
                col(LotFootprint.input_sha256),
            )
            .where(col(LotFootprint.organisation_id) == repo.organisation_id)
            .where(col(LotFootprint.plant_lot_id).in_(lot_ids[lo : lo + 5000]))
        ).all()
        for lot_id, footprint_id, version, digest in rows:
            if lot_id not in latest or version > latest[lot_id].version:
                latest[lot_id] = _Latest(footprint_id, version, digest)
    return latest


def _new_version(
    repo: OrgRepository,
    lot: Any,  # a row of _LOT_COLUMNS
    figures: Any,
    cell: CellModelFigures,
    background: Background,
    window: dict[str, str],
    matched: dict[str, float],
    latest: _Latest | None,
    created_at: datetime,
) -> dict[str, Any] | None:
    """The lot's next footprint version as a ``lot_footprint`` row, or None when its figures
    have not changed. (A dict, not a model: building 10,000 models took seconds.)"""
    energy = cell.nominal_energy_kwh
    result = _rounded(
        {
            "good_cells": lot.good_cells,
            "scrapped_cells": lot.scrapped_cells,
            "line": lot.line,
            "nominal_energy_kwh": energy,
            "kg_co2e_per_cell": dict(figures.kg_co2e_per_good_cell),
            "kg_co2e_per_kwh": {m: v / energy for m, v in figures.kg_co2e_per_good_cell.items()},
            "plant_energy_kg_co2e_per_cell": dict(figures.plant_energy_kg_co2e_per_good_cell),
            "material_kg_co2e_per_cell": figures.material_kg_co2e_per_good_cell,
            "by_area": {m: dict(v) for m, v in figures.by_area.items()},
            "by_carrier": {m: dict(v) for m, v in figures.by_carrier.items()},
            "energy_per_cell": dict(figures.energy_per_good_cell),
            "idle_share": dict(figures.idle_share),
            # share of the window's grid purchases that instruments covered, per matching
            "matched_share": matched,
            "static_estimate_kg_co2e_per_cell": {
                "location": cell.static_location_kg,
                "market": cell.static_market_kg,
            },
        }
    )
    described = [lot.start_s, lot.end_s, str(lot.bom_id)]
    if lot.scrap_step:  # (digests of lots without a step stay those stored before it counted)
        described.append(lot.scrap_step)
    digest = hashlib.sha256(
        json.dumps({"result": result, "lot": described}, sort_keys=True).encode()
    ).hexdigest()
    if latest is not None and latest.input_sha256 == digest:
        return None
    return {
        "id": uuid.uuid4(),
        "organisation_id": repo.organisation_id,
        "plant_id": lot.plant_id,
        "plant_lot_id": lot.id,
        "lot_id": lot.lot_id,
        "bom_id": lot.bom_id,
        "version": 1 if latest is None else latest.version + 1,
        "supersedes_id": None if latest is None else latest.id,
        "lot_end_s": lot.end_s,
        "input_sha256": digest,
        "background_version": background.version,
        "kg_co2e_per_good_cell_location": result["kg_co2e_per_cell"]["location"],
        "kg_co2e_per_good_cell_market_annual": result["kg_co2e_per_cell"]["market_annual"],
        "kg_co2e_per_good_cell_market_hourly": result["kg_co2e_per_cell"]["market_hourly"],
        "result": {**result, "window": window, "scrap": _scrap(result, lot.scrap_step)},
        "created_at": created_at,
    }


def _scrap(result: dict[str, Any], step: str) -> dict[str, Any]:
    """What the lot's scrapped cells add per good cell: the lot's figures are borne by its good
    cells, so of each kg per good cell the share scrapped / made is the scrapped cells'."""
    good, scrapped = result["good_cells"], result["scrapped_cells"]
    share = scrapped / (good + scrapped) if good + scrapped else 0.0
    return {
        "step": step,
        "cells": scrapped,
        "kg_co2e_per_good_cell": {m: v * share for m, v in result["kg_co2e_per_cell"].items()},
    }


def latest_footprints(
    repo: OrgRepository, plant_id: uuid.UUID, from_s: int, to_s: int
) -> list[LotFootprint]:
    """The newest version of each lot ending in ``(from_s, to_s]``, by lot end."""
    rows = repo.session.exec(
        select(LotFootprint)
        .where(col(LotFootprint.organisation_id) == repo.organisation_id)
        .where(col(LotFootprint.plant_id) == plant_id)
        .where(col(LotFootprint.lot_end_s) > from_s, col(LotFootprint.lot_end_s) <= to_s)
        .order_by(col(LotFootprint.lot_end_s), col(LotFootprint.lot_id), col(LotFootprint.version))
    ).all()
    newest: dict[uuid.UUID, LotFootprint] = {}
    for footprint in rows:
        newest[footprint.plant_lot_id] = footprint
    return list(newest.values())


def footprint_rows(
    footprints: Sequence[LotFootprint], granularity: str, zone: Any
) -> list[FootprintRow]:
    """One row per lot, per plant-local day or month of the lots' ends, or per cell model (the
    lot's BOM id), or one for the whole ``period``; a group's figures are weighted by good cells."""
    if granularity == "lot":
        return [_row(f.lot_id, [f], f) for f in footprints]
    groups: dict[str, list[LotFootprint]] = {}
    for footprint in footprints:
        local = datetime.fromtimestamp(footprint.lot_end_s - 1, zone)
        if granularity == "period":
            key = "period"
        elif granularity == "cell_model":
            key = str(footprint.bom_id)
        elif granularity == "day":
            key = local.date().isoformat()
        else:
            key = f"{local:%Y-%m}"
        groups.setdefault(key, []).append(footprint)
    return [_row(key, group, None) for key, group in groups.items()]


def _row(key: str, group: Sequence[LotFootprint], single: LotFootprint | None) -> FootprintRow:
    good = sum(f.result["good_cells"] for f in group)
    kwh = sum(f.result["good_cells"] * f.result["nominal_energy_kwh"] for f in group)

    def mean(path: str) -> dict[str, float]:
        total: dict[str, float] = {}
        for f in group:
            for k, v in f.result[path].items():
                total[k] = total.get(k, 0.0) + v * f.result["good_cells"]
        return {k: v / good for k, v in total.items()}

    def nested(path: str) -> dict[str, dict[str, float]]:
        total: dict[str, dict[str, float]] = {}
        for f in group:
            for method, parts in f.result[path].items():
                inner = total.setdefault(method, {})
                for k, v in parts.items():
                    inner[k] = inner.get(k, 0.0) + v * f.result["good_cells"] / good
        return total

    per_cell = mean("kg_co2e_per_cell")
    plant_kg = {
        m: sum(f.result["plant_energy_kg_co2e_per_cell"][m] * f.result["good_cells"] for f in group)
        for m in METHODS
    }
    idle_kg = {
        m: sum(
            f.result["idle_share"][m]
            * f.result["plant_energy_kg_co2e_per_cell"][m]
            * f.result["good_cells"]
            for f in group
        )
        for m in METHODS
    }
    return FootprintRow(
        key=key,
        lots=len(group),
        good_cells=good,
        kg_co2e_per_cell=per_cell,
        kg_co2e_per_kwh={m: v * good / kwh for m, v in per_cell.items()},
        plant_energy_kg_co2e_per_cell={m: v / good for m, v in plant_kg.items()},
        material_kg_co2e_per_cell=sum(
            f.result["material_kg_co2e_per_cell"] * f.result["good_cells"] for f in group
        )
        / good,
        by_area=nested("by_area"),
        by_carrier=nested("by_carrier"),
        idle_share={m: idle_kg[m] / plant_kg[m] if plant_kg[m] else 0.0 for m in METHODS},
        static_estimate_kg_co2e_per_cell=mean("static_estimate_kg_co2e_per_cell"),
        scrapped_cells=sum(f.result["scrapped_cells"] for f in group),
        scrap_by_step=_scrap_by_step(group, good),
        footprint_id=single.id if single else None,
        version=single.version if single else None,
    )


def _scrap_by_step(group: Sequence[LotFootprint], good: int) -> dict[str, dict[str, float]]:
    """kg CO2e per good cell of the group borne for scrapped cells, per step where they were
    scrapped (footprints stored before the step was recorded: the lot's scrap, step "")."""
    steps: dict[str, dict[str, float]] = {}
    for f in group:
        scrap = f.result.get("scrap") or _scrap(f.result, "")
        if not scrap["cells"]:
            continue
        inner = steps.setdefault(scrap["step"], {})
        for method, kg in scrap["kg_co2e_per_good_cell"].items():
            inner[method] = inner.get(method, 0.0) + kg * f.result["good_cells"] / good
    return steps
