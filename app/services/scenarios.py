"""Comparing a stored BOM under scenarios (synchronous: foreground changes and low-rank
background updates need no new factorisation, see lca.scenarios)."""

from __future__ import annotations

import uuid

from app.errors import InvalidInput
from app.models import Bom
from app.repository import OrgRepository
from app.schemas import BackgroundVersion, ScenarioOut, ScenariosIn, ScenariosOut
from app.services.boms import normalised_bom
from lca.background import Background
from lca.scenarios import Scenario, ScenarioError, compare


def compare_scenarios(
    repo: OrgRepository, bom_id: uuid.UUID, payload: ScenariosIn, background: Background
) -> ScenariosOut:
    bom = repo.get(Bom, bom_id, "BOM")
    normalised = normalised_bom(repo, bom, background)
    scenarios = [
        Scenario(
            name=s.name,
            grid_region=s.grid_region,
            substitutions=dict(s.substitutions),
            recycled_share=dict(s.recycled_share),
        )
        for s in payload.scenarios
    ]
    errors = []
    for index, scenario in enumerate(scenarios):
        try:
            compare(background, normalised, [scenario])
        except ScenarioError as exc:
            errors.append({"loc": ["scenarios", index], "msg": str(exc), "type": "value_error"})
    if errors:
        raise InvalidInput("some scenarios cannot be applied to this BOM", errors)
    results = compare(background, normalised, scenarios)
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
