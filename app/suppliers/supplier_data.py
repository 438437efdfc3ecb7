"""Which supplier data a BOM line uses: the newest current energy report or imported PCF."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import col, select

from app.boms.models import BomLine
from app.core.repository import OrgRepository
from app.suppliers.models import EnergyReport, SupplierPcf
from lca.background import GAS_GROUPS, INDICATORS, Background
from lca.footprint import ForegroundProcess


@dataclass(frozen=True)
class LineSupplierData:
    """The supplier-specific processes (location- and market-based) of one BOM line."""

    kind: str  # "energy_report" | "pcf"
    record_id: uuid.UUID
    location: ForegroundProcess
    market: ForegroundProcess


def supplier_data_for(
    repo: OrgRepository, lines: Sequence[BomLine], background: Background
) -> dict[int, LineSupplierData]:
    """Position → supplier data, for the lines whose supplier has data for their material.

    The candidate with the latest period end wins (an energy report over a PCF on a tie);
    superseded reports are never used. Lines without data stay on the background.
    """
    found: dict[int, LineSupplierData] = {}
    for line in lines:
        if line.supplier is None:
            continue
        candidates: list[tuple[date, int, LineSupplierData]] = []
        report = _current_report(repo, line)
        if report is not None and _usable(report.result, background):
            candidates.append((report.period_end, 1, _from_report(report)))
        pcf = _latest_pcf(repo, line)
        if pcf is not None:
            candidates.append((pcf.reference_period_end or date.min, 0, _from_pcf(pcf)))
        if candidates:
            found[line.position] = max(candidates, key=lambda c: (c[0], c[1]))[2]
    return found


def _current_report(repo: OrgRepository, line: BomLine) -> EnergyReport | None:
    superseded = select(EnergyReport.supersedes_id).where(
        col(EnergyReport.supersedes_id).is_not(None)
    )
    statement = select(EnergyReport).where(
        col(EnergyReport.organisation_id) == repo.organisation_id,
        col(EnergyReport.supplier_id) == uuid.UUID(line.supplier or ""),
        col(EnergyReport.product) == line.material,
        col(EnergyReport.id).not_in(superseded),
    )
    if line.supplier_site is not None:
        statement = statement.where(col(EnergyReport.site_id) == uuid.UUID(line.supplier_site))
    statement = statement.order_by(
        col(EnergyReport.period_end).desc(), col(EnergyReport.version).desc()
    )
    return repo.session.exec(statement).first()


def _latest_pcf(repo: OrgRepository, line: BomLine) -> SupplierPcf | None:
    statement = (
        select(SupplierPcf)
        .where(
            col(SupplierPcf.organisation_id) == repo.organisation_id,
            col(SupplierPcf.supplier_id) == uuid.UUID(line.supplier or ""),
            col(SupplierPcf.product) == line.material,
        )
        .order_by(col(SupplierPcf.reference_period_end).desc(), col(SupplierPcf.created_at).desc())
    )
    return repo.session.exec(statement).first()


def _usable(result: dict[str, Any], background: Background) -> bool:
    """A report's process names background products; a newer background may lack one."""
    return all(
        code in background.products
        for method in ("location", "market")
        for code, _ in result[method]["inputs"]
    )


def _process(data: dict[str, Any]) -> ForegroundProcess:
    return ForegroundProcess(
        code=data["code"],
        product=data["product"],
        inputs=tuple((code, float(amount)) for code, amount in data["inputs"]),
        emissions=tuple((flow, float(kg)) for flow, kg in data["emissions"]),
        primary_inputs=tuple(data["primary_inputs"]),
        primary_emissions=tuple(data["primary_emissions"]),
        unit=data.get("unit", "kg"),
    )


def _from_report(report: EnergyReport) -> LineSupplierData:
    return LineSupplierData(
        kind="energy_report",
        record_id=report.id,
        location=_process(report.result["location"]),
        market=_process(report.result["market"]),
    )


def _from_pcf(pcf: SupplierPcf) -> LineSupplierData:
    # Aggregated data: one GWP100 figure per kg, its gas split unknown. GWP20 is not given by
    # PACT; the GWP100 figure stands in for it (stated in the footprint's notes).
    row = [0.0] * len(INDICATORS)
    for name in ("gwp100", "gwp20", f"gwp100_{GAS_GROUPS[-1]}"):
        row[INDICATORS.index(name)] = pcf.kg_co2e_per_kg
    process = ForegroundProcess(
        code=f"supplier-pcf:{pcf.id}",
        product=pcf.product,
        inputs=(),
        emissions=(),
        aggregated_row=tuple(row),
    )
    return LineSupplierData(kind="pcf", record_id=pcf.id, location=process, market=process)
