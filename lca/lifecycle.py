"""The two life-cycle stages after the cell plant: distribution and end of life.

Both are simple, documented models whose defaults live in ``data/lifecycle/*.csv`` (with their
sources) and become extra :class:`~lca.footprint.ForegroundInput`\\ s of a cell:

* distribution — transport legs (mode, distance); each is cell mass × distance in t·km of the
  background product ``transport_<mode>``;
* end of life and recycling — a recycling route, inputs per kg of cell. Cut-off approach: the
  battery bears collection and treatment up to the end-of-waste point, no credits are given for
  recovered materials. A route's direct emissions become one foreground process.

Pure: no web, SQL or settings imports; the caller passes the data directory.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from lca.errors import FieldProblem, InputError
from lca.footprint import ForegroundInput, ForegroundProcess

STAGE_DISTRIBUTION = "distribution"
STAGE_END_OF_LIFE = "end_of_life_and_recycling"
TRANSPORT_PRODUCTS = {"truck": "transport_truck", "rail": "transport_rail", "sea": "transport_sea"}
# Countries whose plants ship by road within Europe (EU/EEA, plus GB and CH).
EU_EEA = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK "
    "GB CH".split()
)
ELECTRICITY = "electricity"
DIRECT = "direct:"
DEFAULT_ROUTE = "hydrometallurgical"


class LifecycleError(InputError):
    """A distribution or end-of-life parameter cannot be used; ``field`` names it."""

    def __init__(self, field: tuple[str | int, ...], message: str) -> None:
        super().__init__(message, [FieldProblem(field, message)])
        self.field = field


@dataclass(frozen=True)
class TransportLeg:
    mode: str  # truck | rail | sea
    distance_km: float
    label: str = ""
    source: str = ""


@dataclass(frozen=True)
class RouteInput:
    input: str  # a background product, "electricity", or "direct:<flow key>"
    amount_per_kg_cell: float
    unit: str
    source: str


@dataclass(frozen=True)
class RecyclingRoute:
    name: str
    inputs: tuple[RouteInput, ...]


@dataclass(frozen=True)
class LifecycleData:
    """The defaults of ``data/lifecycle``: legs by origin, recycling routes by name."""

    legs_by_origin: dict[str, tuple[TransportLeg, ...]]
    routes: dict[str, RecyclingRoute]

    def default_legs(self, country: str) -> tuple[TransportLeg, ...]:
        origin = "EU" if country in EU_EEA else country
        return self.legs_by_origin.get(origin) or self.legs_by_origin["GLO"]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_lifecycle_data(data_dir: Path) -> LifecycleData:
    legs: dict[str, list[TransportLeg]] = {}
    for row in _rows(data_dir / "lifecycle" / "transport.csv"):
        leg = TransportLeg(row["mode"], float(row["distance_km"]), row["leg"], row["source"])
        legs.setdefault(row["origin"], []).append(leg)
    routes: dict[str, list[RouteInput]] = {}
    for row in _rows(data_dir / "lifecycle" / "recycling.csv"):
        item = RouteInput(row["input"], float(row["amount"]), row["unit"], row["source"])
        routes.setdefault(row["route"], []).append(item)
    return LifecycleData(
        legs_by_origin={k: tuple(v) for k, v in legs.items()},
        routes={k: RecyclingRoute(k, tuple(v)) for k, v in routes.items()},
    )


@dataclass(frozen=True)
class Distribution:
    legs: tuple[TransportLeg, ...]


@dataclass(frozen=True)
class EndOfLife:
    route: RecyclingRoute
    electricity_product: str  # the grid of the recycling site
    grid_region: str


@dataclass(frozen=True)
class LifecycleModel:
    """What the two downstream stages add to one cell."""

    inputs: tuple[ForegroundInput, ...]
    processes: dict[str, ForegroundProcess]


def validate_legs(legs: tuple[TransportLeg, ...]) -> None:
    for index, leg in enumerate(legs):
        if leg.mode not in TRANSPORT_PRODUCTS:
            raise LifecycleError(
                ("distribution", "legs", index, "mode"),
                f"mode {leg.mode!r} is not one of {', '.join(sorted(TRANSPORT_PRODUCTS))}",
            )
        if not 0 <= leg.distance_km <= 50_000:
            raise LifecycleError(
                ("distribution", "legs", index, "distance_km"),
                f"distance {leg.distance_km} km is outside 0-50,000 km",
            )


def lifecycle_model(
    cell_mass_kg: float, distribution: Distribution | None, end_of_life: EndOfLife | None
) -> LifecycleModel:
    """The inputs of the distribution and end-of-life stages for one cell of ``cell_mass_kg``."""
    if not cell_mass_kg > 0:
        raise LifecycleError(("cell", "mass"), "the cell mass must be positive to model transport")
    inputs: list[ForegroundInput] = []
    processes: dict[str, ForegroundProcess] = {}
    if distribution is not None:
        validate_legs(distribution.legs)
        for index, leg in enumerate(distribution.legs, start=1):
            inputs.append(
                ForegroundInput(
                    label=f"distribution leg {index}: {leg.label or leg.mode} ({leg.mode}, "
                    f"{leg.distance_km:g} km)",
                    product=TRANSPORT_PRODUCTS[leg.mode],
                    # t·km: cell mass in tonnes × distance.
                    amount=cell_mass_kg / 1000.0 * leg.distance_km,
                    component="distribution",
                    stage=STAGE_DISTRIBUTION,
                )
            )
    if end_of_life is not None:
        route = end_of_life.route
        emissions = tuple(
            (item.input.removeprefix(DIRECT), item.amount_per_kg_cell)
            for item in route.inputs
            if item.input.startswith(DIRECT)
        )
        for item in route.inputs:
            if item.input.startswith(DIRECT):
                continue
            product = end_of_life.electricity_product if item.input == ELECTRICITY else item.input
            what = (
                f"electricity ({end_of_life.grid_region})" if item.input == ELECTRICITY else product
            )
            inputs.append(
                ForegroundInput(
                    label=f"end of life ({route.name}): {what}",
                    product=product,
                    amount=cell_mass_kg * item.amount_per_kg_cell,
                    component="end of life",
                    stage=STAGE_END_OF_LIFE,
                )
            )
        if emissions:
            code = f"eol_{route.name}_direct_emissions"
            processes[code] = ForegroundProcess(
                code=code, product=code, inputs=(), emissions=emissions, unit="kg"
            )
            inputs.append(
                ForegroundInput(
                    label=f"end of life ({route.name}): direct emissions",
                    product=code,
                    amount=cell_mass_kg,
                    component="end of life",
                    stage=STAGE_END_OF_LIFE,
                )
            )
    return LifecycleModel(tuple(inputs), processes)
