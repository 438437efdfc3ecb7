"""A footprint's figure under every electricity ruleset it can apply (lca.rulesets).

The headline figures stay those of the GHG Protocol Scope 2 location-based method: the engine
prices plant electricity, and a supplier's reported electricity, at the grid average of their
region, which is what that ruleset does. Each ruleset then re-prices only the electricity the
footprint knows about as consumption records — the plant's kWh per cell in its grid region, and
the period totals of every supplier energy report a BOM line uses, scaled to the kg that line
puts in one cell — and the difference from the location-based pricing is added to the headline:

    figure(ruleset) = headline + Σ_records scale × (kg CO2e under ruleset − kg CO2e location-based)

Every ruleset is linear in the kWh (lca.rulesets.inputs), so the scale may be applied after the
evaluation. Lines on a supplier's PCF (aggregated data) keep their figure under every ruleset:
their electricity is not known apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

from app.boms.models import Bom
from app.core.repository import OrgRepository
from app.suppliers.models import EnergyReport
from app.suppliers.service import stored_report_data
from app.suppliers.supplier_data import LineSupplierData
from lca.background import Background
from lca.footprint import STAGE_PRODUCTION, ForegroundInput
from lca.rulesets import (
    ConsumptionRecord,
    RulesetInputError,
    RulesetResult,
    evaluate_all,
    load_rulesets,
)
from lca.rulesets.inputs import plant_record, record_from_energy_report
from lca.supplier import SupplierDataError

# The ruleset the headline figures follow (and the one every difference is taken from).
HEADLINE_RULESET: Final = "ghgp-scope2-location"
HEADLINE_KEY: Final = "ghgp-scope2-location/2015"


@dataclass(frozen=True)
class _Record:
    """One consumption record and how many of its kWh-priced kg CO2e fall on one cell."""

    label: str
    stage: str
    scale: float  # kg CO2e per cell = scale × the record's kg CO2e
    record: ConsumptionRecord


def _records(
    repo: OrgRepository,
    bom: Bom,
    inputs: list[ForegroundInput],
    supplier_data: dict[int, LineSupplierData],
    background: Background,
    year: int,
) -> tuple[list[_Record], list[str]]:
    records: list[_Record] = []
    notes: list[str] = []
    if bom.electricity_kwh > 0:
        records.append(
            _Record(
                f"plant electricity ({bom.grid_region})",
                STAGE_PRODUCTION,
                1.0,
                plant_record(
                    background,
                    bom.grid_region,
                    bom.electricity_kwh,
                    date(year, 1, 1),
                    date(year, 12, 31),
                ),
            )
        )
    for position, line_data in sorted(supplier_data.items()):
        item = inputs[position]
        if line_data.kind != "energy_report":
            notes.append(
                f"{item.label}: supplier PCF (aggregated data); its electricity is not known "
                "apart and keeps the same figure under every ruleset"
            )
            continue
        report = repo.session.get(EnergyReport, line_data.record_id)
        data = stored_report_data(repo, report, background) if report is not None else None
        if data is None:
            notes.append(f"{item.label}: its energy report could not be read again; not re-priced")
            continue
        try:
            record = record_from_energy_report(data, background)
        except SupplierDataError:
            notes.append(f"{item.label}: its energy report does not fit this background")
            continue
        records.append(
            _Record(
                f"{item.label} (supplier energy report {line_data.record_id})",
                item.stage,
                item.amount / data.output_kg,
                record,
            )
        )
    return records, notes


def _explain(label: str, result: RulesetResult, scale: float) -> str:
    if not result.applicable:
        return f"{label}: not applicable — {'; '.join(result.notes)}"
    parts = [
        f"{a.kwh * scale:.6g} kWh at {a.kg_co2e_per_kwh:.5g} kg CO2e/kWh ({a.why})"
        for a in result.allocations
    ]
    rejected = [
        f"{d.name} not counted: {'; '.join(d.reasons)}"
        for d in result.instruments
        if not d.accepted
    ]
    return f"{label}: " + "; ".join(parts + rejected) if parts or rejected else label


def electricity_rulesets(
    repo: OrgRepository,
    bom: Bom,
    inputs: list[ForegroundInput],
    supplier_data: dict[int, LineSupplierData],
    background: Background,
    headline_kg_co2e_per_cell: float,
    *,
    year: int,
    data_dir: Path,
) -> dict[str, Any]:
    """What a footprint stores under ``result["electricity_rulesets"]``: one entry per ruleset
    (figure per cell, per kWh of the cell's nominal energy, the change by life-cycle stage, the
    electricity kWh and kg CO2e per cell it re-priced and why), the headline's and the
    regulatory ruleset's keys."""
    catalogue = load_rulesets(data_dir)
    records, notes = _records(repo, bom, inputs, supplier_data, background, year)
    evaluated: list[tuple[_Record, tuple[RulesetResult, ...]]] = []
    for item in records:
        try:
            evaluated.append((item, evaluate_all(catalogue.rulesets, item.record)))
        except RulesetInputError as exc:
            notes.append(f"{item.label}: cannot be evaluated ({exc})")
    headline = catalogue.get(HEADLINE_RULESET)
    index_of = {r.key: n for n, r in enumerate(catalogue.rulesets)}
    entries = []
    for ruleset in catalogue.rulesets:
        n = index_of[ruleset.key]
        results = [(item, res[n], res[index_of[headline.key]]) for item, res in evaluated]
        applicable = all(r.applicable for _, r, _ in results)
        by_stage: dict[str, float] = {}
        kwh = kg = 0.0
        for item, result, location in results:
            kwh += item.scale * result.kwh
            if applicable:
                assert result.kg_co2e is not None and location.kg_co2e is not None
                kg += item.scale * result.kg_co2e
                delta = item.scale * (result.kg_co2e - location.kg_co2e)
                by_stage[item.stage] = by_stage.get(item.stage, 0.0) + delta
        per_cell = headline_kg_co2e_per_cell + math.fsum(by_stage.values()) if applicable else None
        entries.append(
            {
                "code": ruleset.code,
                "version": ruleset.version,
                "name": ruleset.name,
                "status": "final" if ruleset.status == "final" else "draft",
                "status_detail": ruleset.status,
                "applicable": applicable,
                "kg_co2e_per_cell": per_cell,
                "kg_co2e_per_kwh": (
                    per_cell / bom.nominal_energy_kwh if per_cell is not None else None
                ),
                "electricity_kwh_per_cell": kwh,
                "electricity_kg_co2e_per_cell": kg if applicable else None,
                "change_by_stage": by_stage,
                "explanation": [_explain(i.label, r, i.scale) for i, r, _ in results] + notes,
            }
        )
    return {
        "headline": headline.key,
        "regulatory": catalogue.regulatory_ruleset.key,
        "rulesets": entries,
    }
