"""Footprints on an imported background, and one BOM on several backgrounds side by side.

A BOM names materials by the open background's codes; on an imported background each line is
restated through the background's material mapping (lca.imports.mapping) and priced with that
background's cached unit scores. Supplier data, ``made_in`` regionalisation, electricity
rulesets and the downstream stage models are built on the open background's processes, so a
footprint on an imported background prices the BOM's secondary data only, and says so.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from app import __version__
from app.backgrounds.engines import imported_engine
from app.backgrounds.methods import chosen_method, priced_in
from app.backgrounds.models import ImportedBackground
from app.backgrounds.removal import hold
from app.backgrounds.schemas import ComparedBackground, ComparedLine, ComparisonPublic
from app.backgrounds.service import get_background_row, open_materials
from app.boms.service import canonical_json, normalised_bom, stored_bom, stored_bom_lines
from app.core.errors import InvalidInput
from app.core.repository import OrgRepository
from app.core.settings import Settings
from app.footprints.models import Footprint
from app.footprints.service import insert_footprint
from app.reports.tabular import csv_text
from lca.background import Background
from lca.footprint import FootprintResult, ForegroundInput, compute, upstream
from lca.imports.mapping import MaterialMapping, MissingMappings, mapped_inputs

OPEN = "open"  # the open background, in ?backgrounds=
UPSTREAM_TOP = 10
SECONDARY_ONLY = (
    "computed on imported background {name} ({version}): every line priced with the "
    "background's secondary data through its material mapping; supplier data, made_in "
    "regionalisation and the electricity rulesets apply to the open background only"
)

SHIPPED_METHOD = (
    "characterised with {method}, shipped with the background: the total and the lines are in "
    "that method; the GWP20 figure is IPCC AR6, and no split by gas or upstream activity is given"
)


@dataclass(frozen=True)
class Priced:
    """A BOM priced on one background: the inputs as the engine took them, and the result."""

    background_id: uuid.UUID | None
    name: str
    version: str
    inputs: list[ForegroundInput]  # in the background's own products and units
    result: FootprintResult


def bom_inputs(
    repo: OrgRepository, bom_id: uuid.UUID, open_background: Background
) -> tuple[list[ForegroundInput], float]:
    """The cell's inputs in material codes and units (BOM lines, plant electricity and heat)."""
    bom = stored_bom(repo, bom_id)
    normalised = normalised_bom(repo, bom, open_background, stored_bom_lines(repo, bom_id))
    return normalised.foreground_inputs(), bom.nominal_energy_kwh


def price_imported(
    row: ImportedBackground,
    imported: Background,
    open_background: Background,
    inputs: Sequence[ForegroundInput],
    energy_kwh: float,
) -> Priced:
    """``inputs`` priced on the imported background; 422 naming every missing mapping."""
    materials = open_materials(open_background)
    try:
        restated = mapped_inputs(
            inputs, MaterialMapping(row.version, row.mapping), materials, imported
        )
    except MissingMappings as exc:
        raise InvalidInput(
            f"BOM cannot be computed on background {row.name}: "
            f"{len(exc.problems)} material{'s' if len(exc.problems) != 1 else ''} not mapped "
            f"(PUT /v1/backgrounds/{row.id}/mapping)",
            [
                {"loc": ["background", str(row.id), "mapping", p.material], "msg": p.detail}
                for p in exc.problems
            ],
        ) from None
    result = compute(imported, restated, energy_kwh)
    return Priced(row.id, row.name, row.version, restated, result)


def store_imported_footprint(
    repo: OrgRepository,
    bom_id: uuid.UUID,
    background_id: uuid.UUID,
    open_background: Background,
    settings: Settings,
    method_name: str | None = None,
) -> Footprint:
    """Compute one cell of the BOM on an imported background, in its default method or one
    shipped with the import, and add the footprint to ``repo``'s transaction (another
    organisation's background answers 404; an unknown method 422)."""
    row = get_background_row(repo, background_id)
    hold(repo, row)  # not deleted before this footprint is stored
    method = chosen_method(row, method_name)
    imported = priced_in(imported_engine(settings, row.version), method)
    inputs, energy = bom_inputs(repo, bom_id, open_background)
    priced = price_imported(row, imported, open_background, inputs, energy)
    result = priced.result
    if not all(math.isfinite(x) for x in (result.kg_co2e, result.kg_co2e_gwp20)):
        raise InvalidInput(f"the footprint of BOM {bom_id} is not a finite number")
    materials = open_materials(open_background)
    notes = [SECONDARY_ONLY.format(name=row.name, version=row.version[:12])]
    by_gas = result.by_gas
    if method is None:
        top, rest = upstream(imported, priced.inputs, top=UPSTREAM_TOP)
        method_text = result.method
    else:
        # The split by gas and the activities' own emissions are characterised with IPCC AR6
        # only; in a shipped method the total and the lines are given, not those splits.
        top, rest, by_gas = [], result.kg_co2e, {}
        method_text = " ".join(method)
        notes.append(SHIPPED_METHOD.format(method=method_text))
    lines = []
    for given, line in zip(inputs, result.lines, strict=True):
        fields = dict(vars(line))
        fields.update(
            product=given.product,
            amount=given.amount,
            unit=materials[given.product].unit,
            activity=line.product,
            activity_amount=line.amount,
            activity_unit=line.unit,
            kg_co2e_market_based=line.kg_co2e,
        )
        lines.append(fields)
    payload = {
        "inputs": [dict(vars(i)) for i in priced.inputs],
        "nominal_energy_kwh": energy,
        "background": row.version,
        "method": method_text,
    }
    footprint = Footprint(
        organisation_id=repo.organisation_id,
        bom_id=bom_id,
        background_id=row.id,
        background_name=row.name[:100],
        background_version=row.version,
        method=method_text[:100],
        software_version=__version__,
        input_sha256=hashlib.sha256(canonical_json(payload).encode()).hexdigest(),
        kg_co2e=result.kg_co2e,
        kg_co2e_per_kwh=result.kg_co2e_per_kwh,
        kg_co2e_gwp20=result.kg_co2e_gwp20,
        kg_co2e_market_based=result.kg_co2e,
        primary_data_share=0.0,
        nominal_energy_kwh=result.nominal_energy_kwh,
        result={
            "background_id": str(row.id),
            "lines": lines,
            "by_component": result.by_component,
            "by_stage": result.by_stage,
            "by_gas": by_gas,
            "by_supplier": result.by_supplier,
            "by_supplier_market_based": result.by_supplier,
            "primary_data_share_market_based": 0.0,
            "biogenic_co2_emission_kg": result.biogenic_co2_emission_kg,
            "biogenic_co2_removal_kg": result.biogenic_co2_removal_kg,
            "upstream": [dict(vars(u)) for u in top],
            "upstream_rest_kg_co2e": rest,
            "notes": notes,
            "method": method_text,
        },
    )
    # As on the open background: one statement with its audit row, sharing rules and endpoints.
    insert_footprint(
        repo, footprint, {"input_sha256": footprint.input_sha256, "background_id": str(row.id)}
    )
    return footprint


def compare(
    repo: OrgRepository,
    bom_id: uuid.UUID,
    wanted: Sequence[str],
    open_background: Background,
    settings: Settings,
) -> ComparisonPublic:
    """The BOM's secondary-data footprint on each background in ``wanted`` (ids or "open"),
    line by line, with the difference of the last from the first. Nothing is stored."""
    if not 2 <= len(wanted) <= 5:
        raise InvalidInput(
            "compare two to five backgrounds",
            [{"loc": ["query", "backgrounds"], "msg": "give 2 to 5 ids, comma-separated"}],
        )
    inputs, energy = bom_inputs(repo, bom_id, open_background)
    priced = []
    problems = []
    for index, key in enumerate(wanted):
        if key == OPEN:
            result = compute(open_background, inputs, energy)
            priced.append(
                Priced(None, open_background.name, open_background.version, inputs, result)
            )
            continue
        try:
            background_id = uuid.UUID(key)
        except ValueError:
            problems.append(
                {"loc": ["query", "backgrounds", index], "msg": f"'{key[:40]}' is not an id"}
            )
            continue
        row = get_background_row(repo, background_id)
        priced.append(
            price_imported(
                row, imported_engine(settings, row.version), open_background, inputs, energy
            )
        )
    if problems:
        raise InvalidInput("backgrounds must be ids of imported backgrounds or 'open'", problems)
    materials = open_materials(open_background)
    lines = []
    for position, given in enumerate(inputs):
        figures = [p.result.lines[position].kg_co2e for p in priced]
        difference = figures[-1] - figures[0]
        lines.append(
            ComparedLine(
                position=position,
                label=given.label,
                material=given.product,
                component=given.component,
                amount=given.amount,
                unit=materials[given.product].unit,
                kg_co2e=figures,
                difference_kg_co2e=difference,
                difference_share=difference / figures[0] if figures[0] else None,
            )
        )
    return ComparisonPublic(
        bom_id=bom_id,
        method=priced[0].result.method,
        backgrounds=[
            ComparedBackground(
                id=p.background_id,
                name=p.name,
                version=p.version,
                kg_co2e=p.result.kg_co2e,
                kg_co2e_per_kwh=p.result.kg_co2e_per_kwh,
            )
            for p in priced
        ],
        lines=lines,
        difference_kg_co2e=priced[-1].result.kg_co2e - priced[0].result.kg_co2e,
        notes=[
            "secondary data only: every background prices the same inputs (BOM lines, plant "
            "electricity and heat); supplier data and made_in regionalisation are not applied",
        ],
    )


def comparison_csv(comparison: ComparisonPublic) -> str:
    """The comparison as CSV: one row per line, a kg CO2e column per background, the
    difference; then the totals."""
    names = [f"{b.name} {b.version[:12]}" for b in comparison.backgrounds]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["position", "label", "material", "component", "amount", "unit"]
        + [f"kg_co2e [{n}]" for n in names]
        + ["difference_kg_co2e", "difference_share"]
    )
    for line in comparison.lines:
        writer.writerow(
            [line.position, csv_text(line.label), line.material, csv_text(line.component)]
            + [repr(line.amount), line.unit]
            + [repr(x) for x in line.kg_co2e]
            + [repr(line.difference_kg_co2e), _share(line.difference_share)]
        )
    writer.writerow(
        ["", "total", "", "", "", ""]
        + [repr(b.kg_co2e) for b in comparison.backgrounds]
        + [repr(comparison.difference_kg_co2e), ""]
    )
    return out.getvalue()


def _share(share: float | None) -> str:
    return "" if share is None else repr(share)
