"""Comparing a stored BOM under scenarios (synchronous: foreground changes and low-rank
background updates need no new factorisation, see lca.scenarios)."""

from __future__ import annotations

import uuid
from typing import Any

from app.boms.models import Bom, BomLine
from app.boms.service import normalised_bom, stored_bom_lines
from app.core.errors import InvalidInput, NotFound, problems_of
from app.core.repository import OrgRepository
from app.core.schemas import BackgroundVersion
from app.footprints.schemas import ScenarioOut, ScenariosIn, ScenariosOut
from app.suppliers.models import Supplier
from app.suppliers.supplier_data import supplier_data_for
from lca.background import Background
from lca.footprint import ForegroundProcess
from lca.scenarios import Scenario, ScenarioError, compare


def compare_scenarios(
    repo: OrgRepository, bom_id: uuid.UUID, payload: ScenariosIn, background: Background
) -> ScenariosOut:
    bom = repo.get(Bom, bom_id, "BOM")
    lines = stored_bom_lines(repo, bom.id)
    normalised = normalised_bom(repo, bom, background, lines)
    # The footprint's own supplier data (location-based) stays in every scenario.
    line_processes = {
        position: data.location
        for position, data in supplier_data_for(repo, lines, background).items()
    }
    errors: list[dict[str, Any]] = []
    scenarios = []
    for index, s in enumerate(payload.scenarios):
        swaps = {}
        for material, supplier in s.suppliers.items():
            process = _supplier_process(repo, material, supplier, background)
            if process is None:
                errors.append(
                    {
                        "loc": ["scenarios", index, "suppliers", material],
                        "msg": f"supplier '{supplier}' has no data for material '{material}'",
                        "type": "value_error",
                    }
                )
            else:
                swaps[material] = process
        scenarios.append(
            Scenario(
                name=s.name,
                grid_region=s.grid_region,
                substitutions=dict(s.substitutions),
                recycled_share=dict(s.recycled_share),
                supplier_swaps=swaps,
            )
        )
    for index, scenario in enumerate(scenarios):
        try:
            compare(background, normalised, [scenario], line_processes)
        except ScenarioError as exc:
            errors += problems_of(exc, ("scenarios", index))
    if errors:
        raise InvalidInput("some scenarios cannot be applied to this BOM", errors)
    results = compare(background, normalised, scenarios, line_processes)
    baseline_kg = results[0].footprint.kg_co2e - results[0].delta_kg_co2e
    return ScenariosOut(
        bom_id=bom.id,
        background=BackgroundVersion(
            name=background.name, version=background.version, method=background.method
        ),
        baseline_kg_co2e_per_cell=baseline_kg,
        baseline_kg_co2e_per_kwh=baseline_kg / normalised.nominal_energy_kwh,
        scenarios=[
            ScenarioOut(
                name=r.scenario.name,
                kg_co2e_per_cell=r.footprint.kg_co2e,
                kg_co2e_per_kwh=r.footprint.kg_co2e_per_kwh,
                delta_kg_co2e_per_cell=r.delta_kg_co2e,
                delta_share=r.delta_share,
                by_component=r.footprint.by_component,
                by_stage=r.footprint.by_stage,
                by_gas=r.footprint.by_gas,
            )
            for r in results
        ],
    )


def _supplier_process(
    repo: OrgRepository, material: str, supplier: str, background: Background
) -> ForegroundProcess | None:
    """The location-based process of ``supplier``'s newest data for ``material``, if any."""
    try:
        supplier_id = repo.get(Supplier, uuid.UUID(supplier), "supplier").id
    except (ValueError, NotFound):
        return None
    probe = BomLine(
        organisation_id=repo.organisation_id,
        bom_id=uuid.uuid4(),
        position=0,
        component="",
        material=material,
        amount_given="",
        amount=0.0,
        unit="kg",
        supplier=str(supplier_id),
    )
    data = supplier_data_for(repo, [probe], background).get(0)
    return data.location if data else None
