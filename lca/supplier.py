"""Supplier-specific processes from supplier energy reports (GHG Protocol Scope 2, dual reporting).

A supplier reports, for one site, product and period: its output, grid electricity, contractual
instruments, on-site generation, fuels, purchased steam, process emissions and (optionally) its
material inputs. :func:`supplier_process` turns that into two foreground processes per kg of
product — location-based and market-based — each a list of background inputs plus direct
emissions, so the engine prices them exactly and bw2calc can reproduce them.

Electricity is allocated kWh by kWh, and each allocation keeps the rule that applied:

* location-based: on-site generation at its technology's life-cycle factor, all grid purchases at
  the grid average of the site's region;
* market-based (Scope 2 hierarchy): on-site generation; contractual instruments that meet the
  quality criteria (same market, vintage within the window) at their technology's factor; then
  the supplier-specific (utility) rate; then the residual mix of the region; then the grid average.

Without supplier material inputs, the background's upstream for the product is kept (its
non-energy inputs, and its direct emissions unless the supplier reports process emissions) and
only the energy is replaced: the result says which parts are primary and which secondary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from lca.background import INDICATORS, Background
from lca.errors import InputError, from_pairs, joined
from lca.footprint import ForegroundProcess, primary_score, process_row

# Fuels a report may name, and the background activity (per MJ of fuel, LHV) that burns them.
FUEL_PRODUCTS: dict[str, str] = {
    "natural_gas": "natural_gas_burned_industrial",
    "diesel": "diesel_burned_machinery",
    "coal": "hard_coal_burned_industrial",
    "heavy_fuel_oil": "heavy_fuel_oil_burned_industrial",
    "lpg": "lpg_burned_industrial",
}
STEAM_PRODUCT = "heat_steam"
# Generation technologies of on-site plants and contractual instruments, and their life-cycle
# background activities (IPCC AR5 WG3 Annex III medians, see data/background/*/energy.csv).
TECHNOLOGY_PRODUCTS: dict[str, str] = {
    "wind": "electricity_wind",
    "solar": "electricity_solar",
    "hydro": "electricity_hydro",
    "nuclear": "electricity_nuclear",
    "geothermal": "electricity_geothermal",
    "bioenergy": "electricity_bioenergy",
}
ENERGY_CATEGORIES = ("electricity", "heat", "fuel")
# Scope 2 Quality Criteria ask for certificates "issued and redeemed as close as possible to the
# period of energy consumption"; we accept the reporting period's years ± this many years.
VINTAGE_WINDOW_YEARS = 1


class SupplierDataError(InputError):
    """The report cannot be turned into a process; ``problems`` are (field path, reason)."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        self.problems = problems  # (field path, reason) pairs, as before
        field_problems = from_pairs(problems)
        super().__init__(joined(field_problems), field_problems)


@dataclass(frozen=True)
class Instrument:
    """A contractual instrument: a PPA, green tariff or unbundled certificate (REC, GO, I-REC)."""

    kind: str
    kwh: float
    technology: str
    vintage_year: int
    market: str  # grid region or country where the instrument was issued
    certificate_type: str | None = None
    tracking_system: str | None = None
    certificate_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class EnergyReportData:
    """One supplier site's report for one product and period, in canonical units."""

    product: str
    output_kg: float
    period_start: date
    period_end: date
    grid_region: str
    grid_kwh: float
    instruments: tuple[Instrument, ...] = ()
    onsite_kwh: Mapping[str, float] = field(default_factory=dict)  # technology → kWh
    supplier_specific_kg_per_kwh: float | None = None
    fuels_mj: Mapping[str, float] = field(default_factory=dict)  # fuel → MJ (LHV)
    steam_mj: float = 0.0
    process_emissions_kg: Mapping[str, float] | None = None  # flow key → kg; None: not reported
    materials_kg: Mapping[str, float] | None = None  # product code → kg; None: not reported


@dataclass(frozen=True)
class ElectricityAllocation:
    """kWh (per kg of product) and the rule that priced them, in one accounting method."""

    method: str  # "location" | "market"
    rule: str
    kwh: float
    product: str | None  # background activity, if priced by one
    kg_co2e: float


@dataclass(frozen=True)
class SupplierProcessResult:
    product: str
    location: ForegroundProcess
    market: ForegroundProcess
    kg_co2e_per_kg_location: float
    kg_co2e_per_kg_market: float
    primary_kg_co2e_per_kg_location: float
    primary_kg_co2e_per_kg_market: float
    electricity: tuple[ElectricityAllocation, ...]
    upstream_basis: str  # "supplier material inputs" | "background upstream, energy replaced"
    notes: tuple[str, ...]


def validate(report: EnergyReportData, background: Background) -> None:
    """Raise :class:`SupplierDataError` listing every problem of ``report``."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    if report.product not in background.products:
        problems.append((("product",), f"unknown material code '{report.product}'"))
    elif background.products[report.product].unit != "kg":
        problems.append((("product",), f"'{report.product}' is not counted in kg"))
    if not report.output_kg > 0:
        problems.append((("output", "amount"), "the output must be greater than zero"))
    if report.period_end < report.period_start:
        problems.append((("period", "end"), "the period ends before it starts"))
    if report.grid_region not in background.grid_regions:
        problems.append(
            (("electricity", "grid_region"), f"unknown grid region '{report.grid_region}'")
        )
    instrument_kwh = sum(i.kwh for i in report.instruments)
    if instrument_kwh > report.grid_kwh * (1 + 1e-12):
        problems.append(
            (
                ("electricity", "instruments"),
                f"instruments cover {instrument_kwh:g} kWh but only {report.grid_kwh:g} kWh "
                "were bought from the grid",
            )
        )
    years = range(
        report.period_start.year - VINTAGE_WINDOW_YEARS,
        report.period_end.year + VINTAGE_WINDOW_YEARS + 1,
    )
    region = background.grid_regions.get(report.grid_region)
    for index, instrument in enumerate(report.instruments):
        where: tuple[str | int, ...] = ("electricity", "instruments", index)
        if instrument.vintage_year not in years:
            problems.append(
                (
                    (*where, "vintage_year"),
                    f"vintage {instrument.vintage_year} is outside the allowed window "
                    f"{years.start}–{years.stop - 1} for a {report.period_start}–"
                    f"{report.period_end} period",
                )
            )
        if instrument.technology not in TECHNOLOGY_PRODUCTS:
            problems.append(
                ((*where, "technology"), f"unknown technology '{instrument.technology}'")
            )
        if region is not None and instrument.market not in (region.region, region.country):
            problems.append(
                (
                    (*where, "market"),
                    f"instrument from market '{instrument.market}' cannot cover consumption in "
                    f"{region.region} ({region.country}): Scope 2 requires the same market",
                )
            )
    for technology in report.onsite_kwh:
        if technology not in TECHNOLOGY_PRODUCTS:
            problems.append(
                (("electricity", "onsite", technology), f"unknown technology '{technology}'")
            )
    for fuel in report.fuels_mj:
        if fuel not in FUEL_PRODUCTS or FUEL_PRODUCTS[fuel] not in background.products:
            problems.append(
                (("fuels", fuel), f"unknown fuel '{fuel}'; known: {sorted(FUEL_PRODUCTS)}")
            )
    for flow in report.process_emissions_kg or {}:
        if flow not in background.flow_keys:
            problems.append((("process_emissions", flow), f"unknown gas '{flow}'"))
    for code in report.materials_kg or {}:
        if code not in background.products:
            problems.append((("materials", code), f"unknown material code '{code}'"))
    if problems:
        raise SupplierDataError(problems)


def supplier_process(
    report: EnergyReportData, background: Background, code: str
) -> SupplierProcessResult:
    """The location- and market-based processes per kg of the reported product."""
    validate(report, background)
    per_kg = 1.0 / report.output_kg
    notes: list[str] = []
    shared_inputs: list[tuple[str, float]] = []
    primary_inputs: list[str] = []
    for fuel, mj in sorted(report.fuels_mj.items()):
        if mj > 0:
            shared_inputs.append((FUEL_PRODUCTS[fuel], mj * per_kg))
            primary_inputs.append(FUEL_PRODUCTS[fuel])
    if report.steam_mj > 0:
        shared_inputs.append((STEAM_PRODUCT, report.steam_mj * per_kg))
        primary_inputs.append(STEAM_PRODUCT)
    emissions: list[tuple[str, float]] = []
    primary_emissions: list[str] = []
    if report.process_emissions_kg is not None:
        for flow, kg in sorted(report.process_emissions_kg.items()):
            emissions.append((flow, kg * per_kg))
            primary_emissions.append(flow)
    if report.materials_kg is not None:
        upstream_basis = "supplier material inputs"
        shared_inputs += [(c, kg * per_kg) for c, kg in sorted(report.materials_kg.items())]
        if report.process_emissions_kg is None:
            notes.append("no process emissions reported: none counted")
    else:
        upstream_basis = "background upstream, energy replaced"
        kept_inputs, kept_emissions = _background_non_energy(background, report.product)
        shared_inputs += kept_inputs
        if report.process_emissions_kg is None:
            emissions += kept_emissions
            notes.append("process emissions from the background (secondary)")
        notes.append(f"material inputs from the background activity '{report.product}' (secondary)")
    allocations = _electricity(report, background, per_kg)
    processes = {}
    for method in ("location", "market"):
        electricity_inputs = [
            (a.product, a.kwh) for a in allocations if a.method == method and a.product
        ]
        electricity_emissions = [
            ("co2_fossil", a.kg_co2e) for a in allocations if a.method == method and not a.product
        ]
        processes[method] = ForegroundProcess(
            code=f"{code}:{method}",
            product=report.product,
            inputs=tuple(shared_inputs + electricity_inputs),
            emissions=tuple(emissions + electricity_emissions),
            primary_inputs=tuple(primary_inputs + [p for p, _ in electricity_inputs]),
            primary_emissions=tuple(
                primary_emissions + (["co2_fossil"] if electricity_emissions else [])
            ),
        )
    location_total, location_primary = process_scores(background, processes["location"])
    market_total, market_primary = process_scores(background, processes["market"])
    return SupplierProcessResult(
        product=report.product,
        location=processes["location"],
        market=processes["market"],
        kg_co2e_per_kg_location=location_total,
        kg_co2e_per_kg_market=market_total,
        primary_kg_co2e_per_kg_location=location_primary,
        primary_kg_co2e_per_kg_market=market_primary,
        electricity=tuple(allocations),
        upstream_basis=upstream_basis,
        notes=tuple(notes),
    )


def process_scores(background: Background, process: ForegroundProcess) -> tuple[float, float]:
    """GWP100 per unit of ``process``, and the part of it that comes from primary data."""
    total = float(process_row(background, process)[INDICATORS.index("gwp100")])
    return total, primary_score(background, process)


def _electricity(
    report: EnergyReportData, background: Background, per_kg: float
) -> list[ElectricityAllocation]:
    region = background.grid_regions[report.grid_region]
    allocations: list[ElectricityAllocation] = []

    def add(
        method: str, rule: str, kwh: float, product: str | None, factor: float | None = None
    ) -> None:
        if kwh <= 0:
            return
        kg = kwh * (background.unit_score(product) if product else float(factor or 0.0))
        allocations.append(ElectricityAllocation(method, rule, kwh * per_kg, product, kg * per_kg))

    for method in ("location", "market"):
        for technology, kwh in sorted(report.onsite_kwh.items()):
            add(method, "on-site generation", kwh, TECHNOLOGY_PRODUCTS[technology])
    add("location", "grid average", report.grid_kwh, region.activity)
    remaining = report.grid_kwh
    for instrument in report.instruments:
        add(
            "market",
            f"contractual instrument ({instrument.kind})",
            instrument.kwh,
            TECHNOLOGY_PRODUCTS[instrument.technology],
        )
        remaining -= instrument.kwh
    remaining = max(remaining, 0.0)
    if report.supplier_specific_kg_per_kwh is not None:
        add(
            "market", "supplier-specific rate", remaining, None, report.supplier_specific_kg_per_kwh
        )
    elif region.residual_mix_kg_per_kwh is not None:
        add("market", "residual mix", remaining, None, region.residual_mix_kg_per_kwh)
    else:
        add("market", "grid average (no residual mix published)", remaining, region.activity)
    return allocations


def _background_non_energy(
    background: Background, product: str
) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """The background activity's inputs other than energy, and its direct emissions, per unit."""
    engine = background.engine
    product_id = background.product(product).brightway_id
    column = engine.activity_index[product_id]
    row = engine.product_index[product_id]
    start, end = engine.technosphere.indptr[column], engine.technosphere.indptr[column + 1]
    rows = engine.technosphere.indices[start:end]
    values = engine.technosphere.data[start:end]
    production = float(values[rows == row].sum())
    inputs: dict[str, float] = {}
    for input_row, value in zip(rows, values, strict=True):
        if input_row == row:
            continue
        supplier = background.product_by_id(int(engine.product_ids[input_row]))
        if supplier.category in ENERGY_CATEGORIES:
            continue
        inputs[supplier.code] = inputs.get(supplier.code, 0.0) - float(value) / production
    biosphere = engine.biosphere.tocsc()
    flows: dict[str, float] = {}
    for index in range(biosphere.indptr[column], biosphere.indptr[column + 1]):
        key = background.flow_key_by_id(int(engine.flow_ids[biosphere.indices[index]]))
        flows[key] = flows.get(key, 0.0) + float(biosphere.data[index]) / production
    return sorted(inputs.items()), sorted(flows.items())
