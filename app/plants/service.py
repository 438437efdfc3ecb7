"""The plant slice's rules: plants as one document, readings, lots and grid factors.

Every upload is parsed and checked by the plant core (lca/plant) before anything is written, so
a refused upload stores nothing; the request's session commits what an accepted one wrote.
Lot footprints live in :mod:`app.plants.footprints`.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlmodel import col

from app.boms.models import Bom
from app.core.errors import InvalidInput, NotFound
from app.core.repository import OrgRepository
from app.plants import ingest
from app.plants.models import Plant as PlantRow
from app.plants.models import PlantArea, PlantLine, PlantLot, PlantMeter
from app.plants.schemas import (
    AreaIn,
    FindingPublic,
    LineIn,
    LotsUploaded,
    MeterPublic,
    PlantCreate,
    PlantPublic,
    QualityPublic,
    ReadingsUploaded,
)
from lca.background import Background
from lca.plant.lots import Lot, lots_from_records
from lca.plant.model import (
    CARRIER_UNITS,
    Area,
    Line,
    Meter,
    Plant,
    PlantDataError,
    Problem,
    plant_problems,
)
from lca.plant.readings import (
    QualityReport,
    iter_findings,
    parse_json_records,
    parse_long_csv,
    parse_wide_csv,
)
from lca.plant.series import IntervalSeries
from lca.ranges import PLAUSIBLE_RANGES

# Findings of each kind listed in an answer (all are counted).
FINDINGS_LISTED = 20


def problems_error(
    detail: str, problems: Sequence[Problem], prefix: Sequence[str] = ()
) -> InvalidInput:
    """The core's (field path, reason) problems as one 422 listing every one."""
    return InvalidInput(
        detail,
        [{"loc": [*prefix, *loc], "msg": msg, "type": "value_error"} for loc, msg in problems],
    )


def _core_plant(
    row: PlantRow,
    lines: Sequence[LineIn | PlantLine],
    areas: Sequence[AreaIn | PlantArea],
    meters: Sequence[Any],
) -> Plant:
    return Plant(
        plant_id=str(row.id),
        site=row.site,
        grid_region=row.grid_region,
        time_zone=row.time_zone,
        lines=tuple(Line(x.line_id, x.name) for x in lines),
        areas=tuple(Area(x.area_id, x.kind, x.rule, tuple(x.lines)) for x in areas),
        meters=tuple(
            Meter(
                m.meter_id,
                m.carrier,
                m.scope,
                m.scope_id,
                m.parent,
                m.cumulative,
                m.register_max,
            )
            for m in meters
        ),
        notes=tuple(row.notes),
    )


def create_plant(repo: OrgRepository, payload: PlantCreate, background: Background) -> PlantRow:
    """Store a plant with its lines, areas and meters after checking the whole document."""
    row = PlantRow(
        organisation_id=repo.organisation_id,
        site=payload.site,
        grid_region=payload.grid_region,
        time_zone=payload.time_zone,
        notes=list(payload.notes),
    )
    plant = _core_plant(row, payload.lines, payload.areas, payload.meters)
    problems = plant_problems(plant)
    if payload.grid_region not in background.grid_regions:
        problems.append(
            (("grid_region",), f"unknown grid region '{payload.grid_region}' in the background")
        )
    if problems:
        raise problems_error("the plant cannot be used", problems)
    repo.add(row)
    repo.session.flush()
    owned: dict[str, Any] = {"organisation_id": repo.organisation_id, "plant_id": row.id}
    repo.session.add_all([PlantLine(**owned, **x.model_dump()) for x in payload.lines])
    repo.session.add_all([PlantArea(**owned, **x.model_dump()) for x in payload.areas])
    keys = ingest.new_meter_keys(repo.session, len(payload.meters))
    repo.session.add_all(
        [
            PlantMeter(
                **owned,
                **m.model_dump(),
                unit=CARRIER_UNITS[m.carrier],
                position=i,
                meter_key=key,
            )
            for i, (m, key) in enumerate(zip(payload.meters, keys, strict=True))
        ]
    )
    repo.audit("create", "plant", row.id, payload.model_dump(mode="json"))
    return row


def load_plant(repo: OrgRepository, plant_id: uuid.UUID) -> tuple[PlantRow, Plant]:
    """The stored plant (404 for another organisation's) and the core's view of it."""
    row = repo.get(PlantRow, plant_id, "plant")
    lines, areas, meters = _parts(repo, row.id)
    return row, _core_plant(row, lines, areas, meters)


def _parts(
    repo: OrgRepository, plant_id: uuid.UUID
) -> tuple[list[PlantLine], list[PlantArea], list[PlantMeter]]:
    lines = repo.children(PlantLine, col(PlantLine.plant_id), plant_id, col(PlantLine.line_id))
    areas = repo.children(PlantArea, col(PlantArea.plant_id), plant_id, col(PlantArea.area_id))
    meters = repo.children(PlantMeter, col(PlantMeter.plant_id), plant_id, col(PlantMeter.position))
    return lines, areas, meters


def plant_public(repo: OrgRepository, row: PlantRow) -> PlantPublic:
    lines, areas, meters = _parts(repo, row.id)
    return PlantPublic(
        id=row.id,
        site=row.site,
        grid_region=row.grid_region,
        time_zone=row.time_zone,
        notes=row.notes,
        lines=[LineIn(line_id=x.line_id, name=x.name) for x in lines],
        areas=[
            AreaIn(area_id=x.area_id, kind=x.kind, rule=x.rule, lines=list(x.lines)) for x in areas
        ],
        meters=[
            MeterPublic(
                meter_id=m.meter_id,
                carrier=m.carrier,
                scope=m.scope,
                scope_id=m.scope_id,
                parent=m.parent,
                cumulative=m.cumulative,
                register_max=m.register_max,
                unit=m.unit,
            )
            for m in meters
        ],
        created_at=row.created_at,
    )


def text_of(content: bytes) -> str:
    """An upload as text (UTF-8, with or without a byte-order mark), or a 422."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "the upload is not UTF-8 text",
            [{"loc": ["body"], "msg": f"byte {exc.start} is not UTF-8", "type": "value_error"}],
        ) from None


def _json(content: bytes) -> Any:
    try:
        return json.loads(text_of(content))
    except ValueError as exc:
        raise InvalidInput(
            "the body is not JSON", [{"loc": ["body"], "msg": str(exc), "type": "value_error"}]
        ) from None


def parse_readings(
    plant: Plant, content: bytes, kind: str, interval_s: int | None
) -> tuple[IntervalSeries, QualityReport]:
    """Readings of a CSV (long or wide, told apart by the header) or JSON upload, checked."""
    try:
        if kind == "json":
            body = _json(content)
            records = body.get("readings") if isinstance(body, dict) else body
            series, report = parse_json_records(records, plant, interval_s=interval_s)
        else:
            text = text_of(content)
            first = text.split("\n", 1)[0].split(",", 1)[0].strip().strip('"')
            parse = parse_wide_csv if first == "timestamp" else parse_long_csv
            series, report = parse(text, plant, interval_s=interval_s)
    except PlantDataError as exc:
        raise problems_error(
            "the readings cannot be used; nothing was stored", exc.problems
        ) from None
    _check_range(series)
    return series, report


def _check_range(series: IntervalSeries) -> None:
    bound = PLAUSIBLE_RANGES["plant.meter_interval"]
    bad = np.flatnonzero((series.value < bound.low) | (series.value > bound.high))
    if bad.size:
        problems: list[Problem] = []
        for meter in sorted({int(series.meter[i]) for i in bad[:FINDINGS_LISTED]}):
            meter_id = series.meter_ids[meter]
            problems.append(
                (
                    ("readings", meter_id),
                    f"values of meter '{meter_id}' outside {bound.low:g} to {bound.high:g} "
                    "in the meter's unit",
                )
            )
        raise problems_error("implausible readings; nothing was stored", problems)


def upload_readings(
    repo: OrgRepository,
    plant_id: uuid.UUID,
    content: bytes,
    kind: str,
    interval_s: int | None = None,
) -> ReadingsUploaded:
    """Store checked readings; a period sent again replaces what was stored for it."""
    row, plant = load_plant(repo, plant_id)
    series, report = parse_readings(plant, content, kind, interval_s)
    stored = ingest.store_series(repo.session, repo.organisation_id, row.id, series)
    first = int(series.start_s.min()) if len(series) else None
    last = int(series.end_s.max()) if len(series) else None
    repo.audit(
        "create",
        "meter_readings",
        row.id,
        {"meters": list(series.meter_ids), "first_s": first, "last_s": last},
        values=stored.values_stored,
        replaced=stored.values_replaced,
    )
    return ReadingsUploaded(
        plant_id=row.id,
        meters=list(series.meter_ids),
        values_stored=stored.values_stored,
        values_replaced=stored.values_replaced,
        hours_rolled_up=stored.hours_rolled_up,
        first=_utc(first),
        last=_utc(last),
        quality=quality_public(report),
    )


def _utc(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def quality_public(report: QualityReport) -> QualityPublic:
    counts: dict[str, int] = {}
    findings = []
    for kind, finding in iter_findings(report):
        counts[kind] = counts.get(kind, 0) + 1
        if counts[kind] <= FINDINGS_LISTED:
            findings.append(
                FindingPublic(
                    kind=kind,
                    meter_id=finding.meter_id,
                    start=datetime.fromtimestamp(finding.start_s, UTC),
                    end=datetime.fromtimestamp(finding.end_s, UTC),
                    detail=finding.detail,
                )
            )
    return QualityPublic(clean=report.clean, counts=counts, findings=findings)


def parse_lots(repo: OrgRepository, plant: Plant, content: bytes, kind: str) -> list[Lot]:
    """Lots of a CSV or JSON upload; each names a stored BOM of the organisation by id."""
    if kind == "json":
        body = _json(content)
        records = body.get("lots") if isinstance(body, dict) else body
    else:
        records = list(csv.DictReader(io.StringIO(text_of(content))))
    if not isinstance(records, list):
        raise InvalidInput(
            "expected a list of lots",
            [{"loc": ["body"], "msg": "a JSON list of lots", "type": "value_error"}],
        )
    problems: list[Problem] = []
    try:
        lots = lots_from_records(records, plant)
    except PlantDataError as exc:
        problems += exc.problems
        lots = []
    for index, record in enumerate(records):
        if isinstance(record, Mapping) and record.get("cell_model"):
            problem = _bom_problem(repo, str(record["cell_model"]).strip())
            if problem:
                problems.append(((index, "cell_model"), problem))
    problems += _lot_limits(records)
    if problems:
        raise problems_error("the lots cannot be used; nothing was stored", problems, ("lots",))
    return lots


def _lot_limits(records: list[Any]) -> list[Problem]:
    """What the core accepts but a row cannot hold: long lot ids, implausible cell counts."""
    problems: list[Problem] = []
    bound = PLAUSIBLE_RANGES["plant.lot_cells"]
    for index, record in enumerate(records):
        if not isinstance(record, Mapping):
            continue
        if len(str(record.get("lot_id") or "").strip()) > 80:
            problems.append(((index, "lot_id"), "a lot id has at most 80 characters"))
        for name in ("good_cells", "scrapped_cells"):
            try:
                count = float(record.get(name) or 0)
            except (TypeError, ValueError):
                continue  # the core reports it
            if count > bound.high:
                problems.append(((index, name), bound.problem(count) or "too many cells"))
    return problems


def _bom_problem(repo: OrgRepository, text: str) -> str | None:
    try:
        repo.get(Bom, uuid.UUID(text), "BOM")
    except ValueError:
        return f"'{text}' is not a BOM id: a lot names the stored BOM of its cell model"
    except NotFound:
        return f"no BOM with id {text}"
    return None


def upload_lots(
    repo: OrgRepository, plant_id: uuid.UUID, content: bytes, kind: str
) -> LotsUploaded:
    """Store checked lots; a lot id sent again replaces the stored lot."""
    row, plant = load_plant(repo, plant_id)
    lots = parse_lots(repo, plant, content, kind)
    stored = {
        lot.lot_id: lot
        for lot in repo.children(PlantLot, col(PlantLot.plant_id), row.id, col(PlantLot.lot_id))
    }
    replaced = 0
    for lot in lots:
        fields: dict[str, Any] = {
            "bom_id": uuid.UUID(lot.cell_model),
            "line": lot.line,
            "start_s": lot.start_s,
            "end_s": lot.end_s,
            "good_cells": lot.good_cells,
            "scrapped_cells": lot.scrapped_cells,
            "scrap_step": lot.scrap_step[:80],
        }
        existing = stored.get(lot.lot_id)
        if existing is None:
            repo.add(
                PlantLot(
                    organisation_id=repo.organisation_id,
                    plant_id=row.id,
                    lot_id=lot.lot_id,
                    **fields,
                )
            )
        else:
            for name, value in fields.items():
                setattr(existing, name, value)
            replaced += 1
    repo.audit(
        "create",
        "plant_lots",
        row.id,
        {"lot_ids": [lot.lot_id for lot in lots]},
        created=len(lots) - replaced,
        replaced=replaced,
    )
    return LotsUploaded(
        plant_id=row.id,
        created=len(lots) - replaced,
        replaced=replaced,
        lot_ids=[lot.lot_id for lot in lots],
    )
