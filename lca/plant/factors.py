"""Hourly electricity factors and contractual instruments matched hour by hour or over the period.

Location-based factors are a series per grid region and UTC hour, read from

* our CSV, ``region,hour_start_utc,kg_co2e_per_kwh,source`` (data/plant/README.md), or
* an Electricity Maps data-portal export (hourly CSV, electricitymaps.com/data-portal: columns
  ``Datetime (UTC)``, ``Country``, ``Zone Name``, ``Zone Id``, ``Carbon Intensity gCO₂eq/kWh
  (direct)``, ``Carbon Intensity gCO₂eq/kWh (LCA)`` — the page calls the latter "life cycle
  assessment" —, ``Low Carbon Percentage``, ``Renewable Percentage``, ``Data Source``, ``Data
  Estimated``, ``Data Estimation Method``). Those are consumption-based *average* intensities,
  not marginal rates. We take the life-cycle column by default, the basis of the background's grid
  activities that price location-based electricity elsewhere in CellCarbon.

An hour the series lacks takes the region's annual factor (the background activity of the region
in data/grid/regions.csv, priced by the caller), and the result lists those hours.

Market-based electricity follows :mod:`lca.supplier` (GHG Protocol Scope 2 hierarchy): on-site
generation first (it is physical, in every method and at every hour), then contractual instruments
at their technology's factor, then the residual mix, or the grid average where no residual mix is
published. Instruments are matched two ways, side by side:

* annual: the period's instrument kWh cover the same share of every hour's grid purchases;
* hourly: an instrument's kWh in an hour cover only that hour's purchases, and a surplus is lost
  (the direction of the GHG Protocol Scope 2 revision consulted in 2025, and of EnergyTag's granular
  certificate guidelines). No hourly residual mix is published, so the annual one serves every hour.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import numpy as np

from lca.plant.model import PlantDataError, Problem
from lca.plant.series import Floats, Ints

METHODS: Final[tuple[str, ...]] = ("location", "market_annual", "market_hourly")
INSTRUMENT_KINDS: Final[tuple[str, ...]] = (
    "onsite",
    "ppa",
    "granular_certificate",
    "green_tariff",
)
_EM_TIME = "datetime (utc)"
_EM_ZONE = "zone id"
_EM_COLUMNS = {
    "direct": ("carbon intensity gco₂eq/kwh (direct)",),
    "lca": (
        "carbon intensity gco₂eq/kwh (lca)",
        "carbon intensity gco₂eq/kwh (life cycle)",
        "carbon intensity gco₂eq/kwh (life cycle assessment)",
    ),
}


@dataclass(frozen=True, eq=False)
class HourlyFactors:
    """Location-based factors of one region: ``hour`` is hours since the epoch (UTC)."""

    region: str
    hour: Ints
    kg_per_kwh: Floats
    sources: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class HourlyInstrument:
    """Electricity from on-site generation or a contract, with its hourly profile (kWh)."""

    name: str
    kind: str
    technology: str
    kg_co2e_per_kwh: float  # life-cycle factor of the technology (lca.supplier's activities)
    market: str  # grid region (or country) the instrument was issued in
    hour: Ints
    kwh: Floats


@dataclass(frozen=True)
class GridInputs:
    """What prices a plant's electricity; the annual factors are the fallback."""

    region: str
    country: str
    annual_location_kg_per_kwh: float
    residual_mix_kg_per_kwh: float | None
    hourly: HourlyFactors | None = None
    instruments: tuple[HourlyInstrument, ...] = ()


@dataclass(frozen=True, eq=False)
class ElectricityFactors:
    """Effective kg CO2e per kWh of the plant's electricity, per method (rows) and hour."""

    kg_per_kwh: Floats  # shape (len(METHODS), hours)
    fallback_hours: Ints  # hours (since the epoch) priced at the annual location factor
    consumption_kwh: float
    onsite_kwh: float
    matched_annual_kwh: float
    matched_hourly_kwh: float
    instrument_kwh: float
    remainder_rule: str


def parse_factor_csv(text: str) -> dict[str, HourlyFactors]:
    """Our hourly factor CSV, one series per region; every problem at once."""
    reader = csv.DictReader(io.StringIO(text))
    wanted = {"region", "hour_start_utc", "kg_co2e_per_kwh", "source"}
    missing = wanted - set(reader.fieldnames or ())
    if missing:
        raise PlantDataError([(("header",), f"missing columns: {', '.join(sorted(missing))}")])
    problems: list[Problem] = []
    rows: dict[str, tuple[list[int], list[float], set[str]]] = {}
    seen: set[tuple[str, int]] = set()
    for index, row in enumerate(reader):
        region = (row["region"] or "").strip()
        hour = utc_hour(row["hour_start_utc"], ("rows", index, "hour_start_utc"), problems)
        factor = non_negative(row["kg_co2e_per_kwh"], ("rows", index, "kg_co2e_per_kwh"), problems)
        source = (row["source"] or "").strip()
        if not region:
            problems.append((("rows", index, "region"), "a region is required"))
        if not source:
            problems.append((("rows", index, "source"), "every factor needs its source"))
        if hour is None or factor is None or not region or not source:
            continue
        if (region, hour) in seen:
            problems.append((("rows", index), f"a second factor for {region} at this hour"))
            continue
        seen.add((region, hour))
        hours, factors, sources = rows.setdefault(region, ([], [], set()))
        hours.append(hour)
        factors.append(factor)
        sources.add(source)
    if problems:
        raise PlantDataError(problems)
    return {region: _series(region, *parts) for region, parts in rows.items()}


def parse_electricity_maps_csv(
    text: str, zones: Mapping[str, str], *, basis: str = "lca"
) -> dict[str, HourlyFactors]:
    """An Electricity Maps hourly export; ``zones`` maps their zone id to our grid region."""
    if basis not in _EM_COLUMNS:
        raise PlantDataError([(("basis",), f"basis must be one of {sorted(_EM_COLUMNS)}")])
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in next(reader, [])]
    problems: list[Problem] = []
    column = next((header.index(c) for c in _EM_COLUMNS[basis] if c in header), None)
    for name, found in ((_EM_TIME, _EM_TIME in header), (_EM_ZONE, _EM_ZONE in header)):
        if not found:
            problems.append((("header",), f"no '{name}' column"))
    if column is None:
        problems.append((("header",), f"no carbon-intensity column of basis '{basis}'"))
    if problems:
        raise PlantDataError(problems)
    assert column is not None
    at, zone_at = header.index(_EM_TIME), header.index(_EM_ZONE)
    rows: dict[str, tuple[list[int], list[float], set[str]]] = {}
    for index, row in enumerate(reader, start=1):
        if not row:
            continue
        zone = row[zone_at].strip()
        region = zones.get(zone)
        if region is None:
            continue  # another zone of a multi-zone export
        hour = utc_hour(row[at], ("rows", index, "Datetime (UTC)"), problems)
        grams = non_negative(row[column], ("rows", index, header[column]), problems)
        if hour is None or grams is None:
            continue
        hours, factors, sources = rows.setdefault(region, ([], [], set()))
        hours.append(hour)
        factors.append(grams / 1000.0)
        sources.add(f"Electricity Maps hourly export, zone {zone}, {basis} basis")
    if problems:
        raise PlantDataError(problems)
    return {region: _series(region, *parts) for region, parts in rows.items()}


def instrument_problems(grid: GridInputs) -> list[Problem]:
    """Instruments from another market, of an unknown kind or with a negative profile."""
    problems: list[Problem] = []
    for index, instrument in enumerate(grid.instruments):
        where: tuple[str | int, ...] = ("instruments", index)
        if instrument.kind not in INSTRUMENT_KINDS:
            problems.append(((*where, "kind"), f"kind must be one of {INSTRUMENT_KINDS}"))
        if instrument.kind != "onsite" and instrument.market not in (grid.region, grid.country):
            problems.append(
                (
                    (*where, "market"),
                    f"instrument from market '{instrument.market}' cannot cover consumption in "
                    f"{grid.region} ({grid.country}): Scope 2 requires the same market",
                )
            )
        if instrument.hour.shape != instrument.kwh.shape:
            problems.append(((*where, "kwh"), "one kWh value per hour of the profile"))
        elif (instrument.kwh < 0).any():
            problems.append(((*where, "kwh"), "generation cannot be negative"))
        if not instrument.kg_co2e_per_kwh >= 0:
            problems.append(((*where, "kg_co2e_per_kwh"), "must not be negative"))
    return problems


def location_vector(grid: GridInputs, first_hour: int, hours: int) -> tuple[Floats, Ints]:
    """Location factor per hour of the window, and the hours that fell back to the annual one."""
    vector = np.full(hours, np.nan)
    if grid.hourly is not None:
        column = grid.hourly.hour - first_hour
        inside = (column >= 0) & (column < hours)
        vector[column[inside]] = grid.hourly.kg_per_kwh[inside]
    missing = np.isnan(vector)
    vector[missing] = grid.annual_location_kg_per_kwh
    return vector, np.flatnonzero(missing).astype(np.int64) + first_hour


def electricity_factors(
    grid: GridInputs, consumption_kwh: Floats, first_hour: int
) -> ElectricityFactors:
    """Effective factors of the plant's electricity in every hour, for each of :data:`METHODS`.

    ``consumption_kwh`` is the plant's metered electricity per hour (the sum of its root meters).
    """
    problems = instrument_problems(grid)
    if problems:
        raise PlantDataError(problems)
    hours = consumption_kwh.size
    location, fallback = location_vector(grid, first_hour, hours)
    onsite_kwh, onsite_kg = _profile(grid.instruments, ("onsite",), first_hour, hours)
    contract_kwh, contract_kg = _profile(
        grid.instruments, tuple(k for k in INSTRUMENT_KINDS if k != "onsite"), first_hour, hours
    )
    consumption = np.maximum(consumption_kwh, 0.0)
    onsite_used = np.minimum(onsite_kwh, consumption)
    onsite_factor = _ratio(onsite_kg, onsite_kwh)
    grid_kwh = consumption - onsite_used
    if grid.residual_mix_kg_per_kwh is not None:
        remainder, rule = np.full(hours, grid.residual_mix_kg_per_kwh), "residual mix"
    else:
        remainder, rule = location, "grid average (no residual mix published)"
    # hourly: an hour's contracts cover that hour's grid purchases only
    hourly_used = np.minimum(contract_kwh, grid_kwh)
    contract_factor = _ratio(contract_kg, contract_kwh)
    market_hourly_kg = (
        onsite_used * onsite_factor
        + hourly_used * contract_factor
        + (grid_kwh - hourly_used) * remainder
    )
    # annual: the period's contracts cover the same share of every hour's grid purchases
    total_grid = float(grid_kwh.sum())
    coverage = min(1.0, float(contract_kwh.sum()) / total_grid) if total_grid > 0 else 0.0
    mean_contract = float(contract_kg.sum() / contract_kwh.sum()) if contract_kwh.sum() > 0 else 0.0
    market_annual_kg = onsite_used * onsite_factor + grid_kwh * (
        coverage * mean_contract + (1 - coverage) * remainder
    )
    location_kg = onsite_used * onsite_factor + grid_kwh * location
    safe = np.where(consumption > 0, consumption, 1.0)
    factors = np.vstack(
        [
            np.where(consumption > 0, location_kg / safe, location),
            np.where(consumption > 0, market_annual_kg / safe, remainder),
            np.where(consumption > 0, market_hourly_kg / safe, remainder),
        ]
    )
    return ElectricityFactors(
        kg_per_kwh=factors,
        fallback_hours=fallback,
        consumption_kwh=float(consumption.sum()),
        onsite_kwh=float(onsite_used.sum()),
        matched_annual_kwh=coverage * total_grid,
        matched_hourly_kwh=float(hourly_used.sum()),
        instrument_kwh=float(contract_kwh.sum()),
        remainder_rule=rule,
    )


def _profile(
    instruments: Sequence[HourlyInstrument], kinds: tuple[str, ...], first_hour: int, hours: int
) -> tuple[Floats, Floats]:
    kwh, kg = np.zeros(hours), np.zeros(hours)
    for instrument in instruments:
        if instrument.kind not in kinds:
            continue
        column = instrument.hour - first_hour
        inside = (column >= 0) & (column < hours)
        np.add.at(kwh, column[inside], instrument.kwh[inside])
        np.add.at(kg, column[inside], instrument.kwh[inside] * instrument.kg_co2e_per_kwh)
    return kwh, kg


def _ratio(numerator: Floats, denominator: Floats) -> Floats:
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def _series(
    region: str, hours: list[int], factors: list[float], sources: set[str]
) -> HourlyFactors:
    order = np.argsort(hours)
    return HourlyFactors(
        region,
        np.asarray(hours, dtype=np.int64)[order],
        np.asarray(factors, dtype=np.float64)[order],
        tuple(sorted(sources)),
    )


def utc_hour(text: str | None, where: tuple[str | int, ...], problems: list[Problem]) -> int | None:
    """Hours since the epoch of an ISO 8601 hour start (UTC without an offset), or a problem."""
    try:
        moment = datetime.fromisoformat((text or "").strip())
    except ValueError:
        problems.append((where, f"'{text}' is not an ISO 8601 time"))
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the column is UTC by definition
    seconds = int(moment.timestamp())
    if seconds % 3600:
        problems.append((where, f"'{text}' is not the start of an hour"))
        return None
    return seconds // 3600


def non_negative(
    text: str | None, where: tuple[str | int, ...], problems: list[Problem]
) -> float | None:
    """A finite, non-negative number of a text, or a problem."""
    try:
        value = float((text or "").strip())
    except ValueError:
        problems.append((where, f"'{text}' is not a number"))
        return None
    if not value >= 0 or value == float("inf"):
        problems.append((where, f"'{text}' must be a finite, non-negative number"))
        return None
    return value
