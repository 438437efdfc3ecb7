"""Suppliers, their sites, energy reports and imported PCFs; and the supplier data a BOM uses."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from typing import Any, TypeVar

from sqlmodel import col, select

from app.core.errors import InvalidInput, NotFound, problem_dict, problems_of
from app.core.repository import OrgRepository
from app.suppliers.models import EnergyReport, Supplier, SupplierPcf, SupplierSite
from app.suppliers.schemas import (
    ElectricityAllocationPublic,
    EnergyReportCreate,
    EnergyReportPublic,
    PcfImport,
    PcfPublic,
    SiteCreate,
    SitePublic,
    SupplierCreate,
    SupplierIdentifiers,
    SupplierPublic,
)
from lca.background import Background
from lca.errors import FieldProblem
from lca.fuels import fuel_energy_mj
from lca.ranges import range_problem
from lca.supplier import EnergyReportData, Instrument, SupplierDataError, supplier_process
from lca.units import UnitError, convert, parse_quantity

T = TypeVar("T")
Problems = list[dict[str, Any]]


def _problem(loc: list[Any], msg: str) -> dict[str, Any]:
    return problem_dict(FieldProblem(tuple(loc), msg))


# --- suppliers and sites --------------------------------------------------------------------


def create_supplier(repo: OrgRepository, payload: SupplierCreate) -> Supplier:
    supplier = Supplier(
        organisation_id=repo.organisation_id,
        name=payload.name,
        country=payload.country,
        **payload.identifiers.model_dump(),
    )
    repo.add(supplier)
    repo.session.flush()
    repo.audit("create", "supplier", supplier.id, payload.model_dump(mode="json"))
    return supplier


def supplier_public(supplier: Supplier) -> SupplierPublic:
    return SupplierPublic(
        id=supplier.id,
        name=supplier.name,
        country=supplier.country,
        identifiers=SupplierIdentifiers(
            lei=supplier.lei, duns=supplier.duns, pact_company_urn=supplier.pact_company_urn
        ),
        created_at=supplier.created_at,
    )


def create_site(
    repo: OrgRepository, supplier_id: uuid.UUID, payload: SiteCreate, background: Background
) -> SupplierSite:
    supplier = repo.get(Supplier, supplier_id, "supplier")
    if payload.grid_region not in background.grid_regions:
        known = ", ".join(sorted(background.grid_regions))
        raise InvalidInput(
            "unknown grid region",
            [
                _problem(
                    ["grid_region"], f"unknown grid region '{payload.grid_region}'; known: {known}"
                )
            ],
        )
    site = SupplierSite(
        organisation_id=repo.organisation_id, supplier_id=supplier.id, **payload.model_dump()
    )
    repo.add(site)
    repo.session.flush()
    repo.audit("create", "supplier_site", site.id, payload.model_dump(mode="json"))
    return site


def site_public(site: SupplierSite) -> SitePublic:
    return SitePublic.model_validate(site, from_attributes=True)


def supplier_sites(repo: OrgRepository, supplier_id: uuid.UUID) -> list[SupplierSite]:
    repo.get(Supplier, supplier_id, "supplier")
    return repo.children(
        SupplierSite, col(SupplierSite.supplier_id), supplier_id, col(SupplierSite.created_at)
    )


# --- energy reports ---------------------------------------------------------------------------


class _Reader:
    """Converts a report's quantities, collecting every problem with its field path."""

    def __init__(self) -> None:
        self.problems: Problems = []

    def read(self, loc: list[Any], convert_to: Callable[[], T], default: T) -> T:
        try:
            return convert_to()
        except UnitError as exc:
            self.problems.append(_problem(loc, str(exc)))
            return default

    def amount(
        self,
        loc: list[Any],
        text: str,
        unit: str,
        *,
        kind: str,
        density: float | None = None,
    ) -> float:
        """``text`` in ``unit`` if it converts and lies in the plausible range ``kind``."""
        value = self.read(
            loc, lambda: convert(parse_quantity(text), unit, density_kg_per_l=density), float("nan")
        )
        return self.check(loc, value, text, kind, unit)

    def check(self, loc: list[Any], value: float, text: str, kind: str, unit: str) -> float:
        if value != value:  # NaN: the reason is recorded already
            return value
        if value < 0:
            self.problems.append(_problem(loc, f"must not be negative (got '{text}')"))
            return float("nan")
        problem = range_problem(kind, value, unit)
        if problem is not None:
            self.problems.append(_problem(loc, problem))
            return float("nan")
        return value


def _report_data(
    payload: EnergyReportCreate, site: SupplierSite, background: Background
) -> tuple[EnergyReportData, Problems]:
    reader = _Reader()
    electricity = payload.electricity
    instruments = tuple(
        Instrument(
            kind=i.type,
            kwh=reader.amount(
                ["electricity", "instruments", n, "amount"],
                i.amount,
                "kWh",
                kind="site.electricity",
            ),
            technology=i.technology,
            vintage_year=i.vintage_year,
            market=i.market,
            certificate_type=i.certificate_type,
            tracking_system=i.tracking_system,
            certificate_ids=tuple(i.certificate_ids),
        )
        for n, i in enumerate(electricity.instruments)
    )
    onsite: dict[str, float] = {}
    for n, generation in enumerate(electricity.onsite):
        kwh = reader.amount(
            ["electricity", "onsite", n, "amount"],
            generation.amount,
            "kWh",
            kind="site.electricity",
        )
        onsite[generation.technology] = onsite.get(generation.technology, 0.0) + kwh
    fuels: dict[str, float] = {}
    for n, fuel in enumerate(payload.fuels):
        mj = reader.read(
            ["fuels", n, "amount"],
            lambda f=fuel: fuel_energy_mj(f.amount, f.fuel, f.heating_value_basis),  # type: ignore[misc]
            float("nan"),
        )
        mj = reader.check(["fuels", n, "amount"], mj, fuel.amount, "site.fuel", "MJ")
        fuels[fuel.fuel] = fuels.get(fuel.fuel, 0.0) + mj
    process: dict[str, float] | None = None
    if payload.process_emissions is not None:
        process = {}
        for n, gas in enumerate(payload.process_emissions):
            if gas.gas not in background.flow_keys:
                reader.problems.append(
                    _problem(
                        ["process_emissions", n, "gas"],
                        f"unknown gas '{gas.gas}'; known: "
                        + ", ".join(sorted(background.flow_keys)),
                    )
                )
                continue
            process[gas.gas] = process.get(gas.gas, 0.0) + reader.amount(
                ["process_emissions", n, "amount"], gas.amount, "kg", kind="site.process_emission"
            )
    materials: dict[str, float] | None = None
    if payload.materials is not None:
        materials = {}
        for n, material in enumerate(payload.materials):
            product = background.products.get(material.material)
            if product is None:
                reader.problems.append(
                    _problem(
                        ["materials", n, "material"], f"unknown material code '{material.material}'"
                    )
                )
                continue
            materials[product.code] = materials.get(product.code, 0.0) + reader.amount(
                ["materials", n, "amount"],
                material.amount,
                product.unit,
                kind="site.material",
                density=product.density_kg_per_l,
            )
    rate = None
    if electricity.supplier_specific_rate is not None:
        rate = reader.amount(
            ["electricity", "supplier_specific_rate"],
            electricity.supplier_specific_rate,
            "kg/kWh",
            kind="site.supplier_specific_rate",
        )
    data = EnergyReportData(
        product=payload.product,
        output_kg=reader.amount(
            ["output", "amount"], payload.output.amount, "kg", kind="site.output"
        ),
        period_start=payload.period.start,
        period_end=payload.period.end,
        grid_region=site.grid_region,
        grid_kwh=reader.amount(
            ["electricity", "grid"], electricity.grid, "kWh", kind="site.electricity"
        ),
        instruments=instruments,
        onsite_kwh=onsite,
        supplier_specific_kg_per_kwh=rate,
        fuels_mj=fuels,
        steam_mj=reader.amount(["purchased_heat"], payload.purchased_heat, "MJ", kind="site.heat")
        if payload.purchased_heat
        else 0.0,
        process_emissions_kg=process,
        materials_kg=materials,
    )
    return data, reader.problems


def stored_report_data(
    repo: OrgRepository, report: EnergyReport, background: Background
) -> EnergyReportData | None:
    """A stored report read again into the core's terms (its totals for the period), for the
    electricity rulesets of a footprint; None when it no longer reads cleanly."""
    site = repo.session.get(SupplierSite, report.site_id)
    if site is None or site.organisation_id != repo.organisation_id:
        return None
    data, problems = _report_data(
        EnergyReportCreate.model_validate(report.payload), site, background
    )
    return None if problems else data


def create_energy_report(
    repo: OrgRepository, supplier_id: uuid.UUID, payload: EnergyReportCreate, background: Background
) -> EnergyReport:
    """Validate, derive the supplier-specific process and store the report (all or nothing)."""
    supplier = repo.get(Supplier, supplier_id, "supplier")
    site = repo.session.get(SupplierSite, payload.site_id)
    if (
        site is None
        or site.organisation_id != repo.organisation_id
        or site.supplier_id != supplier.id
    ):
        raise InvalidInput(
            "unknown site",
            [_problem(["site_id"], f"supplier {supplier.id} has no site {payload.site_id}")],
        )
    data, problems = _report_data(payload, site, background)
    superseded = _superseded(repo, payload, supplier, problems)
    # Overlaps are reported together with the field problems, so a client fixes all at once.
    problems += _overlaps(repo, payload, superseded)
    if not problems:
        try:
            result = supplier_process(data, background, f"supplier-report:{uuid.uuid4()}")
        except SupplierDataError as exc:
            problems += problems_of(exc)
    if problems:
        raise InvalidInput("the energy report cannot be used", problems)
    report = EnergyReport(
        organisation_id=repo.organisation_id,
        supplier_id=supplier.id,
        site_id=site.id,
        product=data.product,
        period_start=data.period_start,
        period_end=data.period_end,
        output_kg=data.output_kg,
        version=superseded.version + 1 if superseded else 1,
        supersedes_id=superseded.id if superseded else None,
        payload=payload.model_dump(mode="json"),
        result=_serialise(result),
    )
    repo.add(report)
    repo.session.flush()
    if superseded is not None:
        repo.audit("supersede", "energy_report", superseded.id, report.payload, by=str(report.id))
    repo.audit("create", "energy_report", report.id, report.payload)
    return report


def _superseded(
    repo: OrgRepository, payload: EnergyReportCreate, supplier: Supplier, problems: Problems
) -> EnergyReport | None:
    if payload.supersedes is None:
        return None
    old = repo.session.get(EnergyReport, payload.supersedes)
    if old is None or old.organisation_id != repo.organisation_id or old.supplier_id != supplier.id:
        problems.append(
            _problem(["supersedes"], f"supplier {supplier.id} has no report {payload.supersedes}")
        )
        return None
    if old.site_id != payload.site_id or old.product != payload.product:
        problems.append(
            _problem(["supersedes"], "a correction must be for the same site and product")
        )
    if _successor(repo, old.id) is not None:
        problems.append(_problem(["supersedes"], f"report {old.id} has already been superseded"))
    return old


def _successor(repo: OrgRepository, report_id: uuid.UUID) -> EnergyReport | None:
    statement = select(EnergyReport).where(col(EnergyReport.supersedes_id) == report_id)
    return repo.session.exec(statement).first()


def _overlaps(
    repo: OrgRepository, payload: EnergyReportCreate, superseded: EnergyReport | None
) -> Problems:
    statement = select(EnergyReport).where(
        col(EnergyReport.organisation_id) == repo.organisation_id,
        col(EnergyReport.site_id) == payload.site_id,
        col(EnergyReport.product) == payload.product,
        col(EnergyReport.period_start) <= payload.period.end,
        col(EnergyReport.period_end) >= payload.period.start,
    )
    clashes = [
        r
        for r in repo.session.exec(statement).all()
        if (superseded is None or r.id != superseded.id) and _successor(repo, r.id) is None
    ]
    return [
        _problem(
            ["period"],
            f"overlaps report {r.id} ({r.period_start}–{r.period_end}) for the same site "
            'and product; send a correction with "supersedes" instead',
        )
        for r in clashes
    ]


def _serialise(result: Any) -> dict[str, Any]:
    data = asdict(result)
    for method in ("location", "market"):
        data[method]["inputs"] = [list(pair) for pair in data[method]["inputs"]]
        data[method]["emissions"] = [list(pair) for pair in data[method]["emissions"]]
    return data


def energy_report_public(repo: OrgRepository, report: EnergyReport) -> EnergyReportPublic:
    result = report.result
    successor = _successor(repo, report.id)
    return EnergyReportPublic(
        id=report.id,
        supplier_id=report.supplier_id,
        site_id=report.site_id,
        product=report.product,
        period_start=report.period_start,
        period_end=report.period_end,
        output_kg=report.output_kg,
        version=report.version,
        supersedes_id=report.supersedes_id,
        superseded_by=successor.id if successor else None,
        kg_co2e_per_kg_location_based=result["kg_co2e_per_kg_location"],
        kg_co2e_per_kg_market_based=result["kg_co2e_per_kg_market"],
        primary_kg_co2e_per_kg_location_based=result["primary_kg_co2e_per_kg_location"],
        primary_kg_co2e_per_kg_market_based=result["primary_kg_co2e_per_kg_market"],
        electricity=[
            ElectricityAllocationPublic(
                method=a["method"],
                rule=a["rule"],
                kwh_per_kg=a["kwh"],
                background_activity=a["product"],
                kg_co2e_per_kg=a["kg_co2e"],
            )
            for a in result["electricity"]
        ],
        upstream_basis=result["upstream_basis"],
        notes=list(result["notes"]),
        created_at=report.created_at,
    )


def supplier_reports(repo: OrgRepository, supplier_id: uuid.UUID) -> list[EnergyReport]:
    repo.get(Supplier, supplier_id, "supplier")
    return repo.children(
        EnergyReport, col(EnergyReport.supplier_id), supplier_id, col(EnergyReport.created_at)
    )


# --- supplier PCFs (PACT ProductFootprint) ----------------------------------------------------


def import_pcf(
    repo: OrgRepository, supplier_id: uuid.UUID, payload: PcfImport, background: Background
) -> SupplierPcf:
    supplier = repo.get(Supplier, supplier_id, "supplier")
    product = background.products.get(payload.material)
    if product is None or product.unit != "kg":
        raise InvalidInput(
            "unknown material",
            [
                _problem(
                    ["material"], f"'{payload.material}' is not a catalogue material counted in kg"
                )
            ],
        )
    footprint = payload.footprint.get("data", payload.footprint)
    per_kg, fossil, problems = _pcf_per_kg(footprint)
    if problems:
        raise InvalidInput("the product footprint cannot be used", problems)
    pcf = footprint["pcf"]
    record = SupplierPcf(
        organisation_id=repo.organisation_id,
        supplier_id=supplier.id,
        product=product.code,
        pact_id=str(footprint.get("id", ""))[:100],
        kg_co2e_per_kg=per_kg,
        fossil_kg_co2e_per_kg=fossil,
        reference_period_start=_date(pcf.get("referencePeriodStart")),
        reference_period_end=_date(pcf.get("referencePeriodEnd")),
        payload=payload.footprint,
    )
    repo.add(record)
    repo.session.flush()
    repo.audit("create", "supplier_pcf", record.id, payload.footprint)
    return record


def _pcf_per_kg(footprint: dict[str, Any]) -> tuple[float, float | None, Problems]:
    problems: Problems = []
    pcf = footprint.get("pcf")
    if not isinstance(pcf, dict):
        return (
            0.0,
            None,
            [_problem(["footprint", "pcf"], "a ProductFootprint needs a 'pcf' object")],
        )

    def number(name: str, required: bool = True) -> float | None:
        raw = pcf.get(name)
        if raw is None:
            if required:
                problems.append(_problem(["footprint", "pcf", name], "missing"))
            return None
        try:
            value = float(raw)
        except (TypeError, ValueError):
            problems.append(_problem(["footprint", "pcf", name], f"'{raw}' is not a decimal"))
            return None
        if value != value or value in (float("inf"), float("-inf")):
            problems.append(_problem(["footprint", "pcf", name], "must be finite"))
            return None
        return value

    value = number("pcfExcludingBiogenicUptake", required=False)
    if value is None:
        value = number("pCfExcludingBiogenic")  # PACT v2 name
    amount = number("declaredUnitAmount")
    fossil = number("fossilGhgEmissions", required=False)
    unit = pcf.get("declaredUnitOfMeasurement") or pcf.get("declaredUnit")
    mass_per_unit = number("productMassPerDeclaredUnit", required=False)
    if amount is not None and amount <= 0:
        problems.append(
            _problem(["footprint", "pcf", "declaredUnitAmount"], "must be greater than zero")
        )
    elif amount is not None and (problem := range_problem("pcf.declared_unit_amount", amount)):
        problems.append(_problem(["footprint", "pcf", "declaredUnitAmount"], problem))
    if mass_per_unit is not None and mass_per_unit <= 0:
        problems.append(
            _problem(
                ["footprint", "pcf", "productMassPerDeclaredUnit"], "must be greater than zero"
            )
        )
    if problems or value is None or amount is None:
        return 0.0, None, problems
    if unit == "kilogram":
        kg_per_declared = amount
    elif mass_per_unit:
        kg_per_declared = amount * mass_per_unit
    else:
        problems.append(
            _problem(
                ["footprint", "pcf", "productMassPerDeclaredUnit"],
                f"needed to express a footprint per '{unit}' per kg",
            )
        )
        return 0.0, None, problems
    per_kg = value / kg_per_declared
    fossil_per_kg = fossil / kg_per_declared if fossil is not None else None
    for name, figure in (
        ("pcfExcludingBiogenicUptake", per_kg),
        ("fossilGhgEmissions", fossil_per_kg),
    ):
        if figure is not None and (problem := range_problem("pcf.kg_co2e_per_kg", figure)):
            problems.append(_problem(["footprint", "pcf", name], f"per kg of product: {problem}"))
    return per_kg, fossil_per_kg, problems


def _date(text: Any) -> date | None:
    if not isinstance(text, str):
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def pcf_public(record: SupplierPcf) -> PcfPublic:
    return PcfPublic(
        id=record.id,
        supplier_id=record.supplier_id,
        material=record.product,
        pact_id=record.pact_id,
        kg_co2e_per_kg=record.kg_co2e_per_kg,
        fossil_kg_co2e_per_kg=record.fossil_kg_co2e_per_kg,
        reference_period_start=record.reference_period_start,
        reference_period_end=record.reference_period_end,
        created_at=record.created_at,
    )


def check_bom_suppliers(
    repo: OrgRepository, lines: list[tuple[str | None, str | None]]
) -> Problems:
    """Every supplier (and site) a BOM line names must be one of the organisation's."""
    problems: Problems = []
    for position, (supplier_id, site_id) in enumerate(lines):
        if supplier_id is None:
            if site_id is not None:
                problems.append(
                    _problem(["lines", position, "supplier_site"], "a site needs its supplier")
                )
            continue
        try:
            supplier = repo.get(Supplier, uuid.UUID(supplier_id), "supplier")
        except (ValueError, NotFound):
            problems.append(
                _problem(["lines", position, "supplier"], f"unknown supplier '{supplier_id}'")
            )
            continue
        if site_id is not None:
            try:
                site = repo.get(SupplierSite, uuid.UUID(site_id), "site")
            except (ValueError, NotFound):
                site = None
            if site is None or site.supplier_id != supplier.id:
                problems.append(
                    _problem(
                        ["lines", position, "supplier_site"],
                        f"supplier {supplier_id} has no site '{site_id}'",
                    )
                )
    return problems
