"""Hourly location-based grid factors of an organisation: uploaded, replaced hour by hour, read
for a plant's window."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sqlalchemy import delete
from sqlmodel import col, select

from app.core.repository import OrgRepository
from app.plants.models import GridFactor
from app.plants.schemas import GridFactorsUploaded
from app.plants.service import problems_error, text_of
from lca.background import Background
from lca.plant.factors import HourlyFactors, parse_electricity_maps_csv, parse_factor_csv
from lca.plant.model import PlantDataError, Problem
from lca.ranges import PLAUSIBLE_RANGES


def upload_grid_factors(
    repo: OrgRepository,
    content: bytes,
    layout: str,
    zones: Mapping[str, str],
    basis: str,
    background: Background,
) -> GridFactorsUploaded:
    """Store hourly location factors; an hour sent again replaces the stored factor."""
    text = text_of(content)
    try:
        if layout == "electricity_maps":
            if not zones:
                raise PlantDataError(
                    [(("zone",), "name the zones to read: zone=<Zone Id>:<grid region>")]
                )
            series = parse_electricity_maps_csv(text, zones, basis=basis)
        else:
            series = parse_factor_csv(text)
    except PlantDataError as exc:
        raise problems_error(
            "the grid factors cannot be used; nothing was stored", exc.problems
        ) from None
    problems: list[Problem] = []
    bound = PLAUSIBLE_RANGES["plant.grid_factor"]
    for region, factors in series.items():
        if region not in background.grid_regions:
            problems.append((("region", region), f"unknown grid region '{region}'"))
        outside = np.flatnonzero(factors.kg_per_kwh > bound.high)
        if outside.size:
            problems.append(
                (
                    ("region", region),
                    f"{outside.size} factors above {bound.high:g} {bound.unit}, e.g. "
                    f"{factors.kg_per_kwh[outside[0]]:g}: not a grid average",
                )
            )
    if not series:
        problems.append((("body",), "no factor rows (or no row of the zones named)"))
    if problems:
        raise problems_error("the grid factors cannot be used; nothing was stored", problems)
    replaced = 0
    for region, factors in series.items():
        replaced += _store_factors(repo, region, factors)
    repo.audit(
        "create",
        "grid_factors",
        None,
        {region: int(f.hour.size) for region, f in series.items()},
        layout=layout,
    )
    return GridFactorsUploaded(
        regions={region: int(f.hour.size) for region, f in series.items()}, replaced=replaced
    )


def _store_factors(repo: OrgRepository, region: str, factors: HourlyFactors) -> int:
    source = "; ".join(sorted(factors.sources))[:300]
    hours = factors.hour.tolist()
    replaced = 0
    for lo in range(0, len(hours), 5000):
        chunk = hours[lo : lo + 5000]
        result = repo.session.execute(
            delete(GridFactor).where(
                col(GridFactor.organisation_id) == repo.organisation_id,
                col(GridFactor.region) == region,
                col(GridFactor.hour).in_(chunk),
            )
        )
        replaced += int(result.rowcount)  # type: ignore[attr-defined]
    repo.session.add_all(
        [
            GridFactor(
                organisation_id=repo.organisation_id,
                region=region,
                hour=hour,
                kg_co2e_per_kwh=value,
                source=source,
            )
            for hour, value in zip(hours, factors.kg_per_kwh.tolist(), strict=True)
        ]
    )
    return replaced


def stored_factors(
    repo: OrgRepository, region: str, first_hour: int, hours: int
) -> HourlyFactors | None:
    rows = repo.session.exec(
        select(GridFactor.hour, GridFactor.kg_co2e_per_kwh, GridFactor.source).where(
            col(GridFactor.organisation_id) == repo.organisation_id,
            col(GridFactor.region) == region,
            col(GridFactor.hour) >= first_hour,
            col(GridFactor.hour) < first_hour + hours,
        )
    ).all()
    if not rows:
        return None
    return HourlyFactors(
        region,
        np.array([r[0] for r in rows], dtype=np.int64),
        np.array([r[1] for r in rows], dtype=np.float64),
        tuple(sorted({r[2] for r in rows})),
    )
