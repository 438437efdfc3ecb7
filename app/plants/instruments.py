"""A plant's contractual instruments and on-site generation, stored with their hourly profiles.

An instrument is checked against the plant when it is stored (known kind and technology; a
contract from the plant's own market, as Scope 2 requires), so a lot footprint can always use
it. Profile uploads replace the hours they carry, as grid factor uploads do. Footprints read
every stored instrument's hours in their window (:func:`stored_instruments`), beside the ones a
request brings.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, func
from sqlmodel import col, select

from app.core.errors import NotFound
from app.core.repository import OrgRepository
from app.plants.models import InstrumentHour, Plant, PlantInstrument
from app.plants.schemas import (
    InstrumentCreate,
    InstrumentProfile,
    InstrumentPublic,
    InstrumentUpdate,
    ProfileHour,
    ProfileUploaded,
)
from app.plants.service import problems_error, text_of
from lca.background import Background
from lca.plant.factors import HourlyInstrument, instrument_problems
from lca.plant.model import PlantDataError, Problem
from lca.plant.pricing import grid_inputs, technology_factor
from lca.plant.profiles import HourlyProfile, parse_profile_csv, parse_profile_json
from lca.ranges import PLAUSIBLE_RANGES

# Rows per statement when a profile's hours are replaced (SQLite allows 32,766 parameters).
_CHUNK = 5000


def _get(repo: OrgRepository, plant: Plant, instrument_id: uuid.UUID) -> PlantInstrument:
    row = repo.get(PlantInstrument, instrument_id, "instrument")
    if row.plant_id != plant.id:
        raise NotFound(f"no instrument with id {instrument_id} at plant {plant.id}")
    return row


def _check(
    plant: Plant, background: Background, kind: str, technology: str, market: str
) -> list[Problem]:
    """What the footprint would refuse: unknown kind or technology, another market."""
    problems: list[Problem] = []
    try:
        factor = technology_factor(background, technology)
    except PlantDataError as exc:
        problems += exc.problems
        factor = 0.0
    none = np.zeros(0, dtype=np.int64)
    instrument = HourlyInstrument("", kind, technology, factor, market, none, np.zeros(0))
    grid = grid_inputs(background, plant.grid_region, instruments=[instrument])
    problems += [(loc[2:], msg) for loc, msg in instrument_problems(grid)]
    return problems


def _max_kwh() -> float:
    return PLAUSIBLE_RANGES["plant.instrument_kwh"].high


def create_instrument(
    repo: OrgRepository, plant: Plant, payload: InstrumentCreate, background: Background
) -> PlantInstrument:
    """Store an instrument of ``plant``, with the profile the payload may carry."""
    problems = _check(plant, background, payload.kind, payload.technology, payload.market)
    profile = None
    if payload.kwh:
        if payload.first_hour is None:
            problems.append((("first_hour",), "a profile needs the hour its first value is for"))
        else:
            body = {"first_hour": payload.first_hour.isoformat(), "kwh": payload.kwh}
            try:
                profile = parse_profile_json(body, _max_kwh())
            except PlantDataError as exc:
                problems += exc.problems
    if problems:
        raise problems_error("the instrument cannot be used; nothing was stored", problems)
    row = PlantInstrument(
        organisation_id=repo.organisation_id,
        plant_id=plant.id,
        name=payload.name,
        kind=payload.kind,
        technology=payload.technology,
        market=payload.market,
    )
    repo.add(row)
    repo.session.flush()
    if profile is not None:
        _store_profile(repo, row, profile)
    repo.audit(
        "create",
        "plant_instrument",
        row.id,
        payload.model_dump(mode="json", exclude={"kwh"}),
        hours=len(profile) if profile else 0,
    )
    return row


def update_instrument(
    repo: OrgRepository,
    plant: Plant,
    instrument_id: uuid.UUID,
    payload: InstrumentUpdate,
    background: Background,
) -> PlantInstrument:
    """Change an instrument's name, kind, technology or market (checked as on creation)."""
    row = _get(repo, plant, instrument_id)
    changes = payload.model_dump(exclude_unset=True, exclude_none=True)
    merged = {
        "kind": row.kind,
        "technology": row.technology,
        "market": row.market,
        **{k: v for k, v in changes.items() if k != "name"},
    }
    problems = _check(plant, background, merged["kind"], merged["technology"], merged["market"])
    if problems:
        raise problems_error("the instrument cannot be used; nothing was changed", problems)
    for name, value in changes.items():
        setattr(row, name, value)
    repo.session.add(row)
    repo.audit("update", "plant_instrument", row.id, changes)
    return row


def delete_instrument(repo: OrgRepository, plant: Plant, instrument_id: uuid.UUID) -> None:
    """Delete an instrument and its profile; stored lot footprints keep what they used."""
    row = _get(repo, plant, instrument_id)
    repo.session.execute(delete(InstrumentHour).where(col(InstrumentHour.instrument_id) == row.id))
    repo.session.delete(row)
    repo.audit("delete", "plant_instrument", row.id, {"name": row.name})


def upload_profile(
    repo: OrgRepository, plant: Plant, instrument_id: uuid.UUID, content: bytes, kind: str
) -> ProfileUploaded:
    """Store an hourly profile (CSV or JSON); an hour sent again replaces the stored value."""
    row = _get(repo, plant, instrument_id)
    text = text_of(content)
    try:
        if kind == "json":
            try:
                body: Any = json.loads(text)
            except ValueError as exc:
                raise PlantDataError([(("body",), f"not JSON: {exc}")]) from None
            profile = parse_profile_json(body, _max_kwh())
        else:
            profile = parse_profile_csv(text, _max_kwh())
    except PlantDataError as exc:
        raise problems_error(
            "the profile cannot be used; nothing was stored", exc.problems
        ) from None
    replaced = _store_profile(repo, row, profile)
    first, last = int(profile.hour[0]), int(profile.hour[-1])
    repo.audit(
        "create",
        "instrument_profile",
        row.id,
        {"first_hour": _utc(first).isoformat(), "last_hour": _utc(last).isoformat()},
        hours=len(profile),
        replaced=replaced,
    )
    return ProfileUploaded(
        instrument_id=row.id,
        hours=len(profile),
        replaced=replaced,
        first_hour=_utc(first),
        last_hour=_utc(last),
    )


def _store_profile(repo: OrgRepository, row: PlantInstrument, profile: HourlyProfile) -> int:
    hours = profile.hour.tolist()
    replaced = 0
    for lo in range(0, len(hours), _CHUNK):
        result = repo.session.execute(
            delete(InstrumentHour).where(
                col(InstrumentHour.instrument_id) == row.id,
                col(InstrumentHour.hour).in_(hours[lo : lo + _CHUNK]),
            )
        )
        replaced += int(result.rowcount)  # type: ignore[attr-defined]
    repo.session.add_all(
        [
            InstrumentHour(
                organisation_id=repo.organisation_id, instrument_id=row.id, hour=hour, kwh=kwh
            )
            for hour, kwh in zip(hours, profile.kwh.tolist(), strict=True)
        ]
    )
    repo.session.flush()
    return replaced


def _utc(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * 3600, UTC)


def instrument_public(repo: OrgRepository, row: PlantInstrument) -> InstrumentPublic:
    count, first, last, total = repo.session.execute(
        select(
            func.count(),
            func.min(InstrumentHour.hour),
            func.max(InstrumentHour.hour),
            func.sum(InstrumentHour.kwh),
        ).where(
            col(InstrumentHour.organisation_id) == repo.organisation_id,
            col(InstrumentHour.instrument_id) == row.id,
        )
    ).one()
    return InstrumentPublic(
        id=row.id,
        plant_id=row.plant_id,
        name=row.name,
        kind=row.kind,
        technology=row.technology,
        market=row.market,
        hours=int(count),
        first_hour=None if first is None else _utc(int(first)),
        last_hour=None if last is None else _utc(int(last)),
        total_kwh=float(total or 0.0),
        created_at=row.created_at,
    )


def list_instruments(repo: OrgRepository, plant: Plant) -> list[PlantInstrument]:
    return repo.children(
        PlantInstrument,
        col(PlantInstrument.plant_id),
        plant.id,
        col(PlantInstrument.created_at),
    )


def get_instrument(repo: OrgRepository, plant: Plant, instrument_id: uuid.UUID) -> PlantInstrument:
    return _get(repo, plant, instrument_id)


def profile_of(
    repo: OrgRepository, plant: Plant, instrument_id: uuid.UUID, from_s: int, to_s: int
) -> InstrumentProfile:
    """The stored hours of an instrument whose start lies in ``[from_s, to_s)``."""
    row = _get(repo, plant, instrument_id)
    hours = repo.session.execute(
        select(col(InstrumentHour.hour), col(InstrumentHour.kwh))
        .where(col(InstrumentHour.organisation_id) == repo.organisation_id)
        .where(col(InstrumentHour.instrument_id) == row.id)
        .where(col(InstrumentHour.hour) >= -(-from_s // 3600))
        .where(col(InstrumentHour.hour) < -(-to_s // 3600))
        .order_by(col(InstrumentHour.hour))
    ).all()
    data = [ProfileHour(hour_start_utc=_utc(int(h)), kwh=float(k)) for h, k in hours]
    return InstrumentProfile(instrument_id=row.id, data=data, count=len(data))


def stored_instruments(
    repo: OrgRepository,
    plant_id: uuid.UUID,
    background: Background,
    first_hour: int,
    hours: int,
) -> list[HourlyInstrument]:
    """The plant's stored instruments with their profiles inside the window."""
    rows: Sequence[PlantInstrument] = repo.children(
        PlantInstrument, col(PlantInstrument.plant_id), plant_id, col(PlantInstrument.created_at)
    )
    if not rows:
        return []
    found: dict[uuid.UUID, tuple[list[int], list[float]]] = {row.id: ([], []) for row in rows}
    for instrument_id, hour, kwh in repo.session.execute(
        select(col(InstrumentHour.instrument_id), col(InstrumentHour.hour), col(InstrumentHour.kwh))
        .where(col(InstrumentHour.organisation_id) == repo.organisation_id)
        .where(col(InstrumentHour.instrument_id).in_(list(found)))
        .where(col(InstrumentHour.hour) >= first_hour)
        .where(col(InstrumentHour.hour) < first_hour + hours)
    ).all():
        found[instrument_id][0].append(int(hour))
        found[instrument_id][1].append(float(kwh))
    instruments, problems = [], []
    for row in rows:
        try:
            factor = technology_factor(background, row.technology)
        except PlantDataError as exc:
            # a background without the technology the instrument was stored with
            problems += [(("stored_instruments", str(row.id), *loc), m) for loc, m in exc.problems]
            continue
        hour, kwh = found[row.id]
        instruments.append(
            HourlyInstrument(
                row.name,
                row.kind,
                row.technology,
                factor,
                row.market,
                np.asarray(hour, dtype=np.int64),
                np.asarray(kwh, dtype=np.float64),
            )
        )
    if problems:
        raise PlantDataError(problems)
    return instruments
