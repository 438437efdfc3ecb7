"""The report model: everything a report shows, built from one stored, immutable footprint.

Nothing here reads the clock or the current background's numbers, so the same stored footprint
gives the same report, byte for byte (the date shown is when the footprint was computed).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.boms.models import Bom
from app.core.errors import InvalidInput
from app.core.schemas import BackgroundVersion
from app.footprints.models import Footprint
from app.footprints.rulesets import HEADLINE_KEY
from app.footprints.schemas import RulesetFigure
from app.jobs.models import Job
from app.reports.schemas import (
    ComparisonColumn,
    ComparisonReport,
    Declaration,
    DeclarationStage,
    Entry,
    FootprintReport,
    FunctionalUnit,
    Identification,
    LineEntry,
    Results,
    SourceEntry,
    StageEntry,
    SupplierEntry,
    Uncertainty,
    UpstreamEntry,
)
from lca.background import Background
from lca.footprint import STAGE_MATERIALS, STAGE_PRODUCTION
from lca.lifecycle import STAGE_DISTRIBUTION, STAGE_END_OF_LIFE

# The four life-cycle stages of Regulation (EU) 2023/1542 Annex II, in their order.
STAGES = (
    (STAGE_MATERIALS, "Raw material acquisition and pre-processing"),
    (STAGE_PRODUCTION, "Main product production"),
    (STAGE_DISTRIBUTION, "Distribution"),
    (STAGE_END_OF_LIFE, "End of life and recycling"),
)
DEFAULT_APPLICATION = "ev_m1_n1"
# The applications of data/lifecycle/functional_unit.csv, for the API documentation; the CSV
# stays the one that decides (an unknown application is a 422 naming the ones it has).
APPLICATIONS = ("ev_m1_n1", "ev_l", "ev_m2_m3_n2_n3")
PERFORMANCE_CLASS_NOTE = (
    "Carbon footprint performance classes (Regulation (EU) 2023/1542 Art. 7(2)) are not yet "
    "defined by a delegated act; the field stays empty until they are."
)


@dataclass(frozen=True)
class FunctionalUnitChoice:
    """The caller's functional-unit inputs; None = the default of the application."""

    application: str = DEFAULT_APPLICATION
    full_equivalent_cycles_per_year: float | None = None
    service_years: float | None = None


def functional_unit(
    choice: FunctionalUnitChoice, energy_capacity_kwh: float, data_dir: Path
) -> FunctionalUnit:
    """Art. 7 functional unit: capacity × full equivalent cycles per year × service years."""
    with (data_dir / "lifecycle" / "functional_unit.csv").open(newline="") as handle:
        rows = {row["application"]: row for row in csv.DictReader(handle)}
    row = rows.get(choice.application)
    if row is None:
        raise InvalidInput(
            f"unknown application {choice.application!r}",
            [{"loc": ["query", "application"], "msg": f"not one of {', '.join(sorted(rows))}"}],
        )
    given = "given by the caller"
    cycles = choice.full_equivalent_cycles_per_year
    years = choice.service_years
    overridden = [
        name
        for name, value in (("full_equivalent_cycles_per_year", cycles), ("service_years", years))
        if value is not None
    ]
    return FunctionalUnit(
        application=choice.application,
        label=row["label"],
        energy_capacity_kwh=energy_capacity_kwh,
        full_equivalent_cycles_per_year=(
            float(row["full_equivalent_cycles_per_year"]) if cycles is None else cycles
        ),
        service_years=float(row["service_years"]) if years is None else years,
        total_energy_kwh=energy_capacity_kwh
        * (float(row["full_equivalent_cycles_per_year"]) if cycles is None else cycles)
        * (float(row["service_years"]) if years is None else years),
        cycles_source=row["cycles_source"] if cycles is None else given,
        years_source=row["years_source"] if years is None else given,
        overridden=overridden,
    )


def _share(value: float, total: float) -> float:
    return value / total if total else 0.0


def _results(footprint: Footprint, unit: FunctionalUnit) -> Results:
    result = footprint.result
    return Results(
        kg_co2e_per_cell=footprint.kg_co2e,
        kg_co2e_per_kwh_nominal=footprint.kg_co2e_per_kwh,
        kg_co2e_per_kwh_delivered=footprint.kg_co2e / unit.total_energy_kwh,
        kg_co2e_per_cell_gwp20=footprint.kg_co2e_gwp20,
        kg_co2e_per_cell_market_based=footprint.kg_co2e_market_based,
        kg_co2e_per_kwh_nominal_market_based=footprint.kg_co2e_market_based
        / footprint.nominal_energy_kwh,
        primary_data_share=footprint.primary_data_share,
        primary_data_share_market_based=result.get(
            "primary_data_share_market_based", footprint.primary_data_share
        ),
        data_quality_rating=result.get("data_quality_rating", {}).get("dqr"),
        biogenic_co2_emission_kg=result["biogenic_co2_emission_kg"],
        biogenic_co2_removal_kg=result["biogenic_co2_removal_kg"],
    )


def _stages(footprint: Footprint, unit: FunctionalUnit) -> list[StageEntry]:
    by_stage = footprint.result["by_stage"]
    return [
        StageEntry(
            stage=stage,
            label=label,
            assessed=stage in by_stage,
            kg_co2e_per_cell=by_stage.get(stage, 0.0),
            kg_co2e_per_kwh_delivered=by_stage.get(stage, 0.0) / unit.total_energy_kwh,
            share=_share(by_stage.get(stage, 0.0), footprint.kg_co2e),
        )
        for stage, label in STAGES
    ]


def _uncertainty(job: Job | None, footprint: Footprint) -> Uncertainty | None:
    if job is None or job.result is None:
        return None
    result = job.result
    # The job re-derives the cell from its BOM; when it left the downstream stages out its
    # static value is the cradle-to-gate total, and the interval says so.
    static = result.get("static", footprint.kg_co2e)
    covers = (
        "all stages of this footprint"
        if abs(static - footprint.kg_co2e) <= 1e-9 * max(1.0, abs(footprint.kg_co2e))
        else f"cradle-to-gate only (static {static:.4f} kg CO2e per cell)"
    )
    return Uncertainty(
        job_id=job.id,
        iterations=result["iterations"],
        seed=result["seed"],
        mean_kg_co2e_per_cell=result["mean"],
        sd_kg_co2e_per_cell=result["sd"],
        p2_5_kg_co2e_per_cell=result["percentiles"]["p2.5"],
        p97_5_kg_co2e_per_cell=result["percentiles"]["p97.5"],
        covers=covers,
    )


def _sources(
    bom: Bom, lines: list[dict[str, Any]], background: Background | None, lifecycle: dict[str, Any]
) -> list[SourceEntry]:
    sources: list[SourceEntry] = []
    for code in sorted({line["product"] for line in lines}):
        product = background.products.get(code) if background else None
        if product is not None:
            sources.append(SourceEntry(used_by=code, source=product.source))
    for line in bom.payload.get("lines", []):
        if line.get("source"):
            sources.append(SourceEntry(used_by=f"BOM {line['material']}", source=line["source"]))
    sources += [SourceEntry(used_by="BOM", source=text) for text in bom.payload.get("sources", [])]
    for leg in lifecycle.get("distribution", {}).get("legs", []):
        sources.append(SourceEntry(used_by=f"distribution: {leg['label']}", source=leg["source"]))
    for item in lifecycle.get("end_of_life", {}).get("inputs_per_kg_cell", []):
        sources.append(SourceEntry(used_by=f"end of life: {item['input']}", source=item["source"]))
    return sources


def build_report(
    footprint: Footprint,
    bom: Bom,
    unit: FunctionalUnit,
    job: Job | None,
    background: Background | None,
) -> FootprintReport:
    """``background`` (when it is the footprint's own version) only supplies data sources."""
    result = footprint.result
    total = footprint.kg_co2e
    lifecycle = result.get("lifecycle", {})
    grid = background.grid_regions.get(bom.grid_region) if background else None
    quality: dict[str, list[str]] = {}
    regionalised: dict[str, list[str]] = {}
    for line in result["lines"]:
        quality.setdefault(line["data_quality"], []).append(line["label"])
        if line.get("made_in"):
            regionalised.setdefault(line["made_in"], []).append(line["label"])
    notes = list(result.get("notes", []))
    for region, labels in sorted(regionalised.items()):
        notes.append(
            f"made in {region}: {', '.join(labels)} — the electricity and heat of the "
            "material's own process and energy-intensive precursors are those of that region"
        )
    missing = [label for stage, label in STAGES if stage not in result["by_stage"]]
    if missing:
        notes.append(
            f"not assessed in this footprint: {', '.join(missing)} (compute it with the "
            "distribution/end_of_life body of POST /v1/boms/{id}/footprints)"
        )
    return FootprintReport(
        identification=Identification(
            footprint_id=footprint.id,
            bom_id=bom.id,
            bom_sha256=bom.payload_sha256,
            cell_model=bom.name,
            chemistry=bom.chemistry,
            cell_format=bom.cell_format,
            plant_name=bom.plant_name,
            plant_grid_region=bom.grid_region,
            plant_country=grid.country if grid else "",
            background=BackgroundVersion(
                name=footprint.background_name,
                version=footprint.background_version,
                method=footprint.method,
                id=footprint.background_id,
            ),
            software_version=footprint.software_version,
            input_sha256=footprint.input_sha256,
            computed_at=_iso(footprint),
        ),
        functional_unit=unit,
        results=_results(footprint, unit),
        stages=_stages(footprint, unit),
        components=[
            Entry(name=name, kg_co2e_per_cell=value, share=_share(value, total))
            for name, value in sorted(result["by_component"].items(), key=lambda kv: -kv[1])
        ],
        lines=[
            LineEntry(
                label=line["label"],
                material=line["product"],
                component=line["component"],
                stage=line["stage"],
                supplier=line.get("supplier"),
                amount=line["amount"],
                unit=line["unit"],
                kg_co2e_per_cell=line["kg_co2e"],
                kg_co2e_per_cell_market_based=line.get("kg_co2e_market_based"),
                share=line["share"],
                data_quality=line["data_quality"],
                made_in=line.get("made_in"),
            )
            for line in result["lines"]
        ],
        suppliers=[
            SupplierEntry(
                name=name,
                kg_co2e_per_cell=value,
                kg_co2e_per_cell_market_based=result.get("by_supplier_market_based", {}).get(
                    name, value
                ),
            )
            for name, value in sorted(result.get("by_supplier", {}).items())
        ],
        gases=[
            Entry(name=name, kg_co2e_per_cell=value, share=_share(value, total))
            for name, value in result["by_gas"].items()
        ],
        upstream=[
            UpstreamEntry(
                code=u["code"],
                name=u["name"],
                location=u["location"],
                kg_co2e_per_cell=u["kg_co2e"],
                share=u["share"],
            )
            for u in result["upstream"]
        ],
        upstream_rest_kg_co2e_per_cell=result["upstream_rest_kg_co2e"],
        uncertainty=_uncertainty(job, footprint),
        lifecycle_parameters=lifecycle,
        data_quality=dict(sorted(quality.items())),
        data_quality_level=result.get("data_quality_rating", {}).get("level"),
        regionalised=dict(sorted(regionalised.items())),
        sources=_sources(bom, result["lines"], background, lifecycle),
        notes=notes,
        headline_ruleset=_rulesets(footprint).get("headline", HEADLINE_KEY),
        electricity_rulesets=[
            RulesetFigure.model_validate(entry)
            for entry in _rulesets(footprint).get("rulesets", [])
        ],
    )


def _rulesets(footprint: Footprint) -> dict[str, Any]:
    return dict(footprint.result.get("electricity_rulesets") or {})


def _iso(footprint: Footprint) -> str:
    moment = footprint.created_at
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# Stages a caller may leave out of a declaration: the downstream ones; the cradle-to-gate part
# is what the footprint is.
OPTIONAL_STAGES = (STAGE_DISTRIBUTION, STAGE_END_OF_LIFE)
DEFAULT_MODELS = (
    "default model of data/lifecycle (transport.csv legs for the plant's country; "
    "recycling.csv hydrometallurgical route, cut-off), cited in the report's sources"
)


@dataclass(frozen=True)
class _Electricity:
    key: str
    name: str
    status: str
    change_by_stage: dict[str, float]
    note: str


def _regulatory_electricity(footprint: Footprint) -> _Electricity:
    """The regulatory ruleset's pricing of the footprint's electricity, or the headline's with
    the reason when it cannot be used (a footprint stored before rulesets, or not applicable)."""
    rulesets = _rulesets(footprint)
    key = rulesets.get("regulatory")
    for entry in rulesets.get("rulesets", []):
        if f"{entry['code']}/{entry['version']}" != key:
            continue
        if entry["applicable"]:
            draft = entry["status"] != "final"
            return _Electricity(
                key,
                entry["name"],
                entry["status"],
                dict(entry["change_by_stage"]),
                f"Electricity is modelled under {key} ({entry['name']})"
                + (f", which is a {entry['status_detail']}, not an adopted text" if draft else "")
                + ". "
                + " ".join(entry["explanation"]),
            )
        reason = "; ".join(entry["explanation"])
        break
    else:
        reason = "this footprint was stored before electricity rulesets were computed"
    return _Electricity(
        HEADLINE_KEY,
        "GHG Protocol Scope 2, location-based method",
        "final",
        {},
        f"Electricity is modelled under {HEADLINE_KEY}, not the regulatory ruleset: {reason}",
    )


def build_declaration(
    report: FootprintReport,
    footprint: Footprint,
    public_study: str,
    not_assessed: frozenset[str] = frozenset(),
) -> Declaration:
    """The declaration of ``footprint``: all four stages of Annex II — the downstream ones from
    the cited default models stored with it when it did not model them — unless the caller
    leaves some out (``not_assessed``), with electricity under the regulatory ruleset."""
    ident = report.identification
    energy = report.functional_unit.total_energy_kwh
    by_stage = footprint.result["by_stage"]
    defaults = (footprint.result.get("default_downstream") or {}).get("by_stage", {})
    electricity = _regulatory_electricity(footprint)
    stages: list[DeclarationStage] = []
    for stage, label in STAGES:
        if stage in not_assessed:
            kg, assessed, basis = 0.0, False, "not assessed: left out at the caller's request"
        elif stage in by_stage:
            kg = by_stage[stage] + electricity.change_by_stage.get(stage, 0.0)
            assessed, basis = True, "this footprint"
            if electricity.change_by_stage.get(stage):
                basis += f", its electricity under {electricity.key}"
        elif stage in defaults:
            kg, assessed, basis = defaults[stage], True, DEFAULT_MODELS
        else:
            kg, assessed = 0.0, False
            basis = "not assessed: this footprint was stored without the default stage models"
        stages.append(
            DeclarationStage(
                stage=stage,
                label=label,
                kg_co2e_per_kwh=kg / energy,
                kg_co2e_per_cell=kg,
                assessed=assessed,
                basis=basis,
            )
        )
    missing = [s.label for s in stages if not s.assessed]
    total = math.fsum(s.kg_co2e_per_cell for s in stages)
    if missing:
        scope = (
            f"INCOMPLETE — not assessed: {', '.join(missing)}. The figure covers only the "
            "other life-cycle stages and is not a full Article 7 carbon footprint."
        )
    else:
        scope = "All four life-cycle stages of Regulation (EU) 2023/1542 Annex II are assessed."
    used_defaults = [s.label for s in stages if s.basis == DEFAULT_MODELS]
    return Declaration(
        manufacturer=ident.plant_name,
        battery_model=ident.cell_model,
        plant_location=f"{ident.plant_name} (grid region {ident.plant_grid_region}, "
        f"{ident.plant_country or 'country unknown'})",
        carbon_footprint_kg_co2e_per_kwh=total / energy,
        carbon_footprint_kg_co2e_per_cell=total,
        scope=scope,
        complete=not missing,
        not_assessed=[s.stage for s in stages if not s.assessed],
        electricity_ruleset=electricity.key,
        electricity_ruleset_name=electricity.name,
        electricity_ruleset_status=electricity.status,
        stages=stages,
        functional_unit=report.functional_unit,
        performance_class=None,
        performance_class_note=PERFORMANCE_CLASS_NOTE,
        public_study=public_study,
        identifiers={
            "footprint_id": str(ident.footprint_id),
            "bom_id": str(ident.bom_id),
            "bom_sha256": ident.bom_sha256,
            "input_sha256": ident.input_sha256,
            "background": f"{ident.background.name} {ident.background.version}",
            "method": ident.background.method,
            "electricity_ruleset": electricity.key,
        },
        notes=[
            "Manufacturer: the BOM records the plant, not the legal manufacturer; the plant "
            "name is shown.",
            "Functional unit: energy capacity is the cell's nominal energy; "
            + (
                "; ".join(report.functional_unit.overridden) + " given by the caller"
                if report.functional_unit.overridden
                else "defaults of the draft delegated act"
            ),
            electricity.note,
            *(
                [
                    f"{', '.join(used_defaults)}: not modelled by the footprint itself; "
                    f"{DEFAULT_MODELS}, priced on its background when it was computed."
                ]
                if used_defaults
                else []
            ),
        ],
    )


def build_comparison(reports: list[FootprintReport], application: str) -> ComparisonReport:
    return ComparisonReport(
        functional_unit_application=application,
        footprints=[
            ComparisonColumn(
                footprint_id=r.identification.footprint_id,
                cell_model=r.identification.cell_model,
                plant_grid_region=r.identification.plant_grid_region,
                input_sha256=r.identification.input_sha256,
                results=r.results,
                stages={s.stage: s.kg_co2e_per_cell for s in r.stages},
                components={c.name: c.kg_co2e_per_cell for c in r.components},
            )
            for r in reports
        ],
    )
