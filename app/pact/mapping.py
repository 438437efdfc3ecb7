"""A stored footprint as a PACT v3 ProductFootprint, and the PACT list filters.

Numbers are decimals as JSON strings (PACT v3 ``Decimal``: ``^[+-]?\\d+(\\.\\d+)?$``, so no
exponent); amounts are per declared unit: one cell ("piece") or one kWh of nominal energy.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from app.access.models import Organisation
from app.boms.models import Bom
from app.boms.service import line_kinds
from app.footprints.models import Footprint
from lca.bom import is_cell_material

SPEC_VERSION = "3.0.0"
DeclaredUnit = Literal["piece", "kilowatt hour"]

# UN CPC Ver. 2.1 (UN Statistics Division, 2015), subclass 46420 "Electric accumulators,
# including separators therefor": where rechargeable lithium-ion cells are classified.
CPC_ELECTRIC_ACCUMULATORS = "urn:pact:productclassification:un-cpc:46420"
# Materials whose carbon we count as fossil carbon content of the cell, as 100 % C by mass.
# Synthetic graphite (petroleum/needle coke) and furnace carbon black are made from fossil
# feedstock; binders, separator and electrolyte solvents also hold fossil carbon that this
# lower-bound estimate leaves out (said so in `comment`).
FOSSIL_CARBON_MATERIALS = ("graphite_synthetic", "carbon_black")
# Data quality ratings (PACT Methodology v3 §4.2.3 scale, 1 best … 5 worst) for our own
# estimate: 2 for a supplier's primary data, 3 for the open secondary background. These are
# CellCarbon estimates, not values from a PACT table; the DQR is their share-weighted mean.
DQR_PRIMARY = Decimal("2")
DQR_SECONDARY = Decimal("3")
# Without a validity period a PACT footprint is valid for 3 years after referencePeriodEnd
# (PACT v3 openapi, ProductFootprint.validityPeriodStart); we state that period explicitly.
VALIDITY_YEARS = 3


def decimal_text(value: float, places: int = 6) -> str:
    """A float as a PACT decimal string: fixed point, no exponent, no trailing zeros."""
    text = f"{Decimal(repr(value)).quantize(Decimal(1).scaleb(-places)):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def product_urn(domain: str, bom_id: uuid.UUID) -> str:
    return f"urn:pact:{domain}:product-id:{bom_id}"


def company_urn(domain: str, organisation_id: uuid.UUID) -> str:
    return f"urn:pact:{domain}:company-id:{organisation_id}"


@dataclass(frozen=True)
class Published:
    """A footprint in the context PACT needs: its BOM, owner, and the other versions."""

    footprint: Footprint
    bom: Bom
    owner: Organisation
    preceding_ids: tuple[uuid.UUID, ...]  # older footprints of the same BOM, oldest first
    superseded: bool  # a newer footprint of the same BOM exists


def product_footprint(
    item: Published, *, domain: str, unit: DeclaredUnit = "piece"
) -> dict[str, Any]:
    """The PACT v3 ProductFootprint of one stored footprint.

    PCF values use the market-based result: PACT follows the GHG Protocol Product Standard,
    which accounts electricity with supplier-specific (contractual) data where available.
    Our GWP total characterises biogenic CO2 as 0 (data/method/ipcc_ar6.csv); PACT counts
    biogenic CO2 emissions in pcfExcludingBiogenicUptake and the uptake separately (-1/+1), so
    the emission is added here and the uptake subtracted for pcfIncludingBiogenicUptake.
    """
    footprint, bom = item.footprint, item.bom
    per_unit = 1.0 if unit == "piece" else 1.0 / footprint.nominal_energy_kwh
    result = footprint.result
    total = footprint.kg_co2e_market_based
    removal = float(result.get("biogenic_co2_removal_kg", 0.0))
    biogenic_emission = float(result.get("biogenic_co2_emission_kg", 0.0))
    land_use = float(result.get("by_gas", {}).get("co2_land_use", 0.0))
    excluding_uptake = total + biogenic_emission
    # Fossil: the GWP total without land-use CO2 (biogenic CO2 is already 0 in it; biogenic
    # CH4, not split out by gas, stays in — a small overstatement).
    fossil = max(total - land_use, 0.0)
    kinds = line_kinds(bom)  # process lines (a solvent) leave the cell: not in its mass
    mass_kg = bom.cell_mass_kg or sum(
        float(line["amount"])
        for position, line in enumerate(result["lines"])
        if is_cell_material(kinds.get(position), str(line.get("unit")))
    )
    fossil_carbon_kg = sum(
        float(line["amount"])
        for line in result["lines"]
        if line.get("unit") == "kg"
        and str(line.get("product", "")).startswith(FOSSIL_CARBON_MATERIALS)
    )
    primary_share = float(result.get("primary_data_share_market_based", 0.0))
    dqr = DQR_PRIMARY * Decimal(repr(primary_share)) + DQR_SECONDARY * (
        1 - Decimal(repr(primary_share))
    )
    created = footprint.created_at
    period_start = datetime(created.year, 1, 1, tzinfo=UTC)
    period_end = datetime(created.year + 1, 1, 1, tzinfo=UTC)
    country = _country(bom.grid_region)
    pcf: dict[str, Any] = {
        "declaredUnitOfMeasurement": unit,
        "declaredUnitAmount": "1",
        "productMassPerDeclaredUnit": decimal_text(mass_kg * per_unit),
        "referencePeriodStart": _iso(period_start),
        "referencePeriodEnd": _iso(period_end),
        "pcfExcludingBiogenicUptake": decimal_text(excluding_uptake * per_unit),
        "pcfIncludingBiogenicUptake": decimal_text((excluding_uptake - removal) * per_unit),
        "fossilGhgEmissions": decimal_text(fossil * per_unit),
        "fossilCarbonContent": decimal_text(fossil_carbon_kg * per_unit),
        "biogenicCO2Uptake": decimal_text(-removal * per_unit),
        "landUseChangeGhgEmissions": decimal_text(land_use * per_unit),
        "packagingEmissionsIncluded": False,
        "ipccCharacterizationFactors": ipcc_reports(footprint.method),
        "crossSectoralStandards": ["ISO14067", "GHGP-Product"],
        "boundaryProcessesDescription": (
            "Cradle to gate: raw material acquisition and pre-processing of every BOM line, "
            "and cell manufacturing (plant electricity and natural gas heat)."
        ),
        "exemptedEmissionsPercent": "0",
        "secondaryEmissionFactorSources": secondary_sources(footprint),
        "primaryDataShare": decimal_text(primary_share * 100, 2),
        "dqi": {
            "technologicalDQR": decimal_text(float(dqr), 2),
            "geographicalDQR": decimal_text(float(dqr), 2),
            "temporalDQR": decimal_text(float(dqr), 2),
        },
    }
    if country:
        pcf["geographyCountry"] = country
    document: dict[str, Any] = {
        "id": str(footprint.id),
        "specVersion": SPEC_VERSION,
        "created": _iso(created),
        "status": "Deprecated" if item.superseded else "Active",
        "validityPeriodStart": _iso(created),
        "validityPeriodEnd": _iso(period_end.replace(year=period_end.year + VALIDITY_YEARS)),
        "companyName": item.owner.name,
        "companyIds": [company_urn(domain, item.owner.id)],
        "productDescription": bom.description or bom.name,
        "productIds": [product_urn(domain, bom.id)],
        "productClassifications": [CPC_ELECTRIC_ACCUMULATORS],
        "productNameCompany": bom.name,
        "comment": (
            f"{bom.chemistry} {bom.cell_format} cell, {bom.nominal_energy_kwh * 1000:.1f} Wh "
            f"nominal, made in grid region {bom.grid_region}. Market-based electricity; "
            f"location-based: {decimal_text((footprint.kg_co2e + biogenic_emission) * per_unit)} "
            f"kg CO2e per "
            f"{unit}. {footprint.method} on {_background_text(footprint)}. Data quality "
            "ratings and fossil carbon "
            "content (graphite and carbon black only) are CellCarbon estimates."
        ),
        "pcf": pcf,
    }
    if item.preceding_ids:
        document["precedingPfIds"] = [str(i) for i in item.preceding_ids]
    return document


def secondary_sources(footprint: Footprint) -> list[dict[str, str]]:
    """PACT v3 ``secondaryEmissionFactorSources`` (the secondary data source and its version):
    the background the footprint was computed on, by name and full content hash; an imported
    background also by its registry id, which the owner's /v1/backgrounds answers for."""
    name = footprint.background_name
    if footprint.background_id is not None:
        name = f"{name} (imported background {footprint.background_id})"
    return [{"name": name, "version": footprint.background_version}]


def ipcc_reports(method: str) -> list[str]:
    """The IPCC assessment reports whose GWPs ``method`` uses, as PACT v3
    ``ipccCharacterizationFactors``: those its name states (``IPCC AR6 GWP100``, a shipped
    ``Climate change - GWP100 (IPCC AR5)``); a shipped method naming none is reported AR6, the
    report of the footprint's GWP20 and gas split, and the comment names the method."""
    found = sorted({int(n) for n in _IPCC_REPORT.findall(method)})
    return [f"AR{n}" for n in found] or ["AR6"]


_IPCC_REPORT = re.compile(r"\bAR(\d+)\b")


def _background_text(footprint: Footprint) -> str:
    if footprint.background_id is None:
        return f"background {footprint.background_name} {footprint.background_version[:12]}"
    return (
        f"imported background {footprint.background_name} (id {footprint.background_id}, "
        f"version {footprint.background_version})"
    )


def _country(grid_region: str) -> str | None:
    """The ISO 3166-1 country of a grid region code (``US-SRTV`` → ``US``), if it names one."""
    code = grid_region[:2]
    return code if code.isalpha() and code.isupper() else None


# --- filters (ListFootprints and RequestCreatedEvent) ---------------------------------------

FILTERS = (
    "productId",
    "companyId",
    "geography",
    "classification",
    "validOn",
    "validAfter",
    "validBefore",
    "status",
)


class UnusableFilter(Exception):
    """A filter value that can match nothing (a bogus date): the answer is an empty list."""


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UnusableFilter(text) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def matches(document: dict[str, Any], filters: dict[str, list[str]]) -> bool:
    """Whether a ProductFootprint passes every filter: values of one filter OR, filters AND.
    Identifier and status matches are case-insensitive (PACT v3 parameters)."""
    pcf = document["pcf"]

    def any_of(values: list[str], candidates: list[str]) -> bool:
        folded = {c.casefold() for c in candidates}
        return any(v.casefold() in folded for v in values)

    validity_start = _moment(document["validityPeriodStart"])
    validity_end = _moment(document["validityPeriodEnd"])
    for name, values in filters.items():
        if not values:
            continue
        if name == "productId" and not any_of(values, document["productIds"]):
            return False
        if name == "companyId" and not any_of(values, document["companyIds"]):
            return False
        if name == "classification" and not any_of(
            values, document.get("productClassifications", [])
        ):
            return False
        if name == "status" and not any_of(values, [document["status"]]):
            return False
        if name == "geography":
            places = [
                pcf[key]
                for key in (
                    "geographyCountry",
                    "geographyRegionOrSubregion",
                    "geographyCountrySubdivision",
                )
                if key in pcf
            ]
            if not any_of(values, places):
                return False
        if name == "validOn" and not any(
            validity_start <= _moment(v) <= validity_end for v in values
        ):
            return False
        if name == "validAfter" and not any(validity_start > _moment(v) for v in values):
            return False
        if name == "validBefore" and not any(validity_end < _moment(v) for v in values):
            return False
    return True


def matching(
    documents: list[dict[str, Any]], filters: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """The documents passing ``filters``; none when a filter value is unusable."""
    try:
        return [d for d in documents if matches(d, filters)]
    except UnusableFilter:
        return []
