"""A plant as the manufacturing execution system sees it: lines, shared areas and meters.

A meter belongs to one production line, one shared area or the whole plant, measures one energy
carrier and may hang under a parent meter. Sub-meters form a tree: a parent's reading includes its
children's, so each meter's own bucket is its reading minus its children's (the unmetered
remainder of the parent), and the buckets of a tree add up to its root — no kWh is counted twice.

Validation collects every problem as ``(field path, message)``, as :mod:`lca.supplier` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lca.errors import InputError, from_pairs, joined
from lca.fuels import FUEL_PROPERTIES

Location = tuple[str | int, ...]
Problem = tuple[Location, str]

# Carriers and the canonical unit each is counted in (lca.units: electricity in kWh, heat and
# fuels in MJ of lower heating value). Fuels are those lca.fuels has Pint contexts for.
CARRIER_UNITS: Final[Mapping[str, str]] = {
    "electricity": "kWh",
    "steam": "MJ",
    **{fuel: "MJ" for fuel in FUEL_PROPERTIES},
}
# Rules by which a shared area's energy goes to the lots it served (see lca/plant/allocation.py).
ALLOCATION_RULES: Final[tuple[str, ...]] = ("cells", "cell_energy", "run_time")
# The shared areas of a cell plant (the process steps Degen & Schütte 2022 meter separately).
AREA_KINDS: Final[tuple[str, ...]] = (
    "electrode_coating_drying",
    "nmp_recovery",
    "calendering",
    "stacking_winding",
    "assembly",
    "electrolyte_filling",
    "formation_ageing",
    "dry_room",
    "hvac_utilities",
    "other",
)
SCOPES: Final[tuple[str, ...]] = ("line", "area", "plant")


class PlantDataError(InputError):
    """Plant data cannot be used; ``problems`` are (field path, reason), every one at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems  # (field path, reason) pairs, as before
        field_problems = from_pairs(problems)
        super().__init__(joined(field_problems), field_problems)


@dataclass(frozen=True)
class Line:
    """A production line: its metered energy goes to the lots running on it."""

    line_id: str
    name: str = ""


@dataclass(frozen=True)
class Area:
    """A shared area; ``lines`` empty means it serves every line of the plant."""

    area_id: str
    kind: str
    rule: str = "cells"
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Meter:
    """A meter of one carrier; ``scope_id`` names its line or area (empty for the plant)."""

    meter_id: str
    carrier: str
    scope: str  # "line" | "area" | "plant"
    scope_id: str = ""
    parent: str | None = None
    cumulative: bool = False  # a register that counts up (else interval values)
    register_max: float | None = None  # in the meter's own unit: the value at which it wraps to 0

    @property
    def unit(self) -> str:
        """The canonical unit of the meter's carrier."""
        return CARRIER_UNITS[self.carrier]


@dataclass(frozen=True)
class Plant:
    plant_id: str
    site: str
    grid_region: str
    time_zone: str
    lines: tuple[Line, ...]
    areas: tuple[Area, ...] = ()
    meters: tuple[Meter, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def meter(self, meter_id: str) -> Meter:
        for meter in self.meters:
            if meter.meter_id == meter_id:
                return meter
        raise KeyError(meter_id)

    def children(self) -> dict[str, list[str]]:
        """Meter id → ids of its direct sub-meters."""
        tree: dict[str, list[str]] = {m.meter_id: [] for m in self.meters}
        for meter in self.meters:
            if meter.parent in tree:
                tree[meter.parent].append(meter.meter_id)
        return tree

    def roots(self) -> list[Meter]:
        """Meters without a parent: their readings add up to everything the plant metered."""
        return [m for m in self.meters if m.parent is None]


def plant_problems(plant: Plant) -> list[Problem]:
    """Every problem of ``plant`` (empty when it can be used)."""
    problems: list[Problem] = []
    try:
        ZoneInfo(plant.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append((("time_zone",), f"unknown time zone '{plant.time_zone}' (IANA name)"))
    if not plant.grid_region:
        problems.append((("grid_region",), "a grid region is required"))
    line_ids = _unique_ids([x.line_id for x in plant.lines], "lines", "line_id", problems)
    area_ids = _unique_ids([x.area_id for x in plant.areas], "areas", "area_id", problems)
    meter_ids = _unique_ids([x.meter_id for x in plant.meters], "meters", "meter_id", problems)
    for index, area in enumerate(plant.areas):
        if area.kind not in AREA_KINDS:
            problems.append(
                (("areas", index, "kind"), f"unknown area kind '{area.kind}'; known: {AREA_KINDS}")
            )
        if area.rule not in ALLOCATION_RULES:
            problems.append(
                (
                    ("areas", index, "rule"),
                    f"unknown allocation rule '{area.rule}'; known: {ALLOCATION_RULES}",
                )
            )
        for position, line in enumerate(area.lines):
            if line not in line_ids:
                problems.append((("areas", index, "lines", position), f"unknown line '{line}'"))
    by_id = {m.meter_id: m for m in plant.meters}
    for index, meter in enumerate(plant.meters):
        where: Location = ("meters", index)
        if meter.carrier not in CARRIER_UNITS:
            problems.append(
                (
                    (*where, "carrier"),
                    f"unknown carrier '{meter.carrier}'; known: {', '.join(CARRIER_UNITS)}",
                )
            )
        if meter.scope not in SCOPES:
            problems.append(((*where, "scope"), f"scope must be one of {SCOPES}"))
        elif meter.scope == "line" and meter.scope_id not in line_ids:
            problems.append(((*where, "scope_id"), f"unknown line '{meter.scope_id}'"))
        elif meter.scope == "area" and meter.scope_id not in area_ids:
            problems.append(((*where, "scope_id"), f"unknown area '{meter.scope_id}'"))
        if meter.register_max is not None and not (meter.cumulative and meter.register_max > 0):
            problems.append(
                (
                    (*where, "register_max"),
                    "a register maximum needs a cumulative meter and must be greater than zero",
                )
            )
        if meter.parent is None:
            continue
        parent = by_id.get(meter.parent)
        if parent is None:
            problems.append(((*where, "parent"), f"unknown parent meter '{meter.parent}'"))
        elif parent.carrier != meter.carrier:
            problems.append(
                (
                    (*where, "parent"),
                    f"meter '{meter.meter_id}' measures {meter.carrier} but its parent "
                    f"'{parent.meter_id}' measures {parent.carrier}: a sub-meter measures the "
                    "same carrier as the meter it hangs under",
                )
            )
    for meter_id in sorted(_cycles(plant.meters) & meter_ids):
        index = [m.meter_id for m in plant.meters].index(meter_id)
        problems.append(
            (("meters", index, "parent"), f"meter '{meter_id}' is its own ancestor (a cycle)")
        )
    return problems


def validate_plant(plant: Plant) -> Plant:
    """Return ``plant`` or raise :class:`PlantDataError` listing every problem."""
    problems = plant_problems(plant)
    if problems:
        raise PlantDataError(problems)
    return plant


def _unique_ids(ids: list[str], where: str, name: str, problems: list[Problem]) -> set[str]:
    seen: set[str] = set()
    for index, value in enumerate(ids):
        if not value:
            problems.append(((where, index, name), "an id is required"))
        elif value in seen:
            problems.append(((where, index, name), f"duplicate id '{value}'"))
        seen.add(value)
    return seen


def _cycles(meters: tuple[Meter, ...]) -> set[str]:
    parent = {m.meter_id: m.parent for m in meters}
    cyclic: set[str] = set()
    for start in parent:
        seen = {start}
        current = parent.get(start)
        while current is not None and current in parent:
            if current == start:
                cyclic.add(start)
                break
            if current in seen:
                break
            seen.add(current)
            current = parent.get(current)
    return cyclic
