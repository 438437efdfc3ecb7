"""What if: the BOM under changed grid region, materials, suppliers and recycled content, side
by side with the footprint as it stands."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import col

from app.boms.models import Bom
from app.boms.service import bom_lines
from app.core.deps import BackgroundDep
from app.core.errors import InvalidInput
from app.core.repository import OrgRepository
from app.footprints.scenarios import compare_scenarios
from app.footprints.schemas import ScenariosIn
from app.suppliers.models import Supplier
from app.ui.charts import bar_chart
from app.ui.deps import CallerDep, FormCallerDep, FormDep, UiRepoDep
from app.ui.pages import UiRoute, page
from lca.background import Background

router = APIRouter(route_class=UiRoute, include_in_schema=False)  # under /ui (app.ui.routes)
SCENARIOS = (1, 2)  # columns of the form; an empty one is left out
ELEMENTS = ("Ni", "Co", "Li")


def _scenario(form: Any, number: int) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Scenario ``number`` of the form as the API body takes it (None when left empty), and the
    problems of fields that are not even numbers."""

    def text(name: str) -> str:
        value = form.get(f"{name}_{number}", "")
        return value.strip() if isinstance(value, str) else ""

    problems: list[dict[str, Any]] = []
    scenario: dict[str, Any] = {"name": text("name") or f"scenario {number}"}
    if text("grid_region"):
        scenario["grid_region"] = text("grid_region")
    if text("substitute_from") or text("substitute_to"):
        scenario["substitutions"] = {text("substitute_from"): text("substitute_to")}
    if text("supplier_material") or text("supplier"):
        scenario["suppliers"] = {text("supplier_material"): text("supplier")}
    shares = {}
    for element in ELEMENTS:
        given = text(f"recycled_{element.lower()}")
        if not given:
            continue
        try:
            shares[element] = float(given) / 100
        except ValueError:
            problems.append(
                {
                    "loc": ["scenarios", number - 1, "recycled_share", element],
                    "msg": f"'{given}' is not a percentage",
                }
            )
    if shares:
        scenario["recycled_share"] = shares
    changed = len(scenario) > 1 or problems
    return (scenario if changed else None), problems


def _form_page(
    request: Request,
    caller: Any,
    repo: OrgRepository,
    bom: Bom,
    background: Background,
    *,
    values: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
    outcome: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    suppliers, _ = repo.page(Supplier, limit=200, offset=0, order_by=col(Supplier.name))
    materials = sorted({line.material for line in bom_lines(repo, bom.id)})
    columns: list[dict[str, Any]] = []
    chart = None
    if outcome is not None:
        columns = [
            {
                "name": "as it stands",
                "per_cell": outcome.baseline_kg_co2e_per_cell,
                "per_kwh": outcome.baseline_kg_co2e_per_kwh,
                "delta": 0.0,
                "delta_share": 0.0,
                "by_stage": None,
            }
        ] + [
            {
                "name": s.name,
                "per_cell": s.kg_co2e_per_cell,
                "per_kwh": s.kg_co2e_per_kwh,
                "delta": s.delta_kg_co2e_per_cell,
                "delta_share": s.delta_share,
                "by_stage": s.by_stage,
            }
            for s in outcome.scenarios
        ]
        chart = bar_chart(
            [(c["name"], c["per_kwh"]) for c in columns],
            unit="kg CO2e per kWh",
            title="Footprint per kWh by scenario",
            digits=2,
        )
    by_scenario: dict[int, list[str]] = {}
    for error in errors or []:
        loc = error.get("loc", [])
        index = loc[1] + 1 if len(loc) > 1 and isinstance(loc[1], int) else 0
        where = " › ".join(str(part) for part in loc[2:])
        by_scenario.setdefault(index, []).append(
            f"{where}: {error['msg']}" if where else error["msg"]
        )
    return page(
        request,
        "what_if.html",
        status_code,
        caller=caller,
        title=f"What if — {bom.name}",
        bom=bom,
        numbers=SCENARIOS,
        elements=ELEMENTS,
        values=values or {},
        errors=by_scenario,
        grid_regions=sorted(background.grid_regions),
        materials=materials,
        products=sorted(background.products),
        suppliers=suppliers,
        columns=columns,
        chart=chart,
    )


@router.get("/boms/{bom_id}/what-if", response_class=HTMLResponse)
def what_if_form(
    bom_id: uuid.UUID,
    request: Request,
    caller: CallerDep,
    repo: UiRepoDep,
    background: BackgroundDep,
) -> Response:
    """The scenario form."""
    bom = repo.get(Bom, bom_id, "BOM")
    return _form_page(request, caller, repo, bom, background)


@router.post("/boms/{bom_id}/what-if", response_class=HTMLResponse)
def what_if(
    bom_id: uuid.UUID,
    request: Request,
    caller: FormCallerDep,
    form: FormDep,
    repo: UiRepoDep,
    background: BackgroundDep,
) -> Response:
    """The footprint under each scenario of the form, beside the footprint as it stands (stores
    nothing, so a read key may ask too)."""
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    values.pop("csrf_token", None)
    bom = repo.get(Bom, bom_id, "BOM")
    scenarios: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    numbers: list[int] = []  # the form's scenario number of each scenario sent
    for number in SCENARIOS:
        scenario, problems = _scenario(form, number)
        errors += problems
        if scenario is not None:
            scenarios.append(scenario)
            numbers.append(number)
    if not scenarios and not errors:
        errors.append({"loc": [], "msg": "change something in at least one scenario"})
    outcome = None
    if scenarios:
        # Compared even when a field could not be read, so every problem is shown at once.
        found: list[dict[str, Any]] = []
        try:
            outcome = compare_scenarios(
                repo, bom.id, ScenariosIn.model_validate({"scenarios": scenarios}), background
            )
        except ValidationError as exc:
            found = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        except InvalidInput as exc:
            found = exc.errors or [{"loc": [], "msg": exc.detail}]
        for error in found:
            loc = list(error["loc"])
            if len(loc) > 1 and loc[0] == "scenarios" and isinstance(loc[1], int):
                loc[1] = numbers[loc[1]] - 1  # as numbered on the form
            errors.append({**error, "loc": loc})
    if errors:
        outcome = None
    return _form_page(
        request,
        caller,
        repo,
        bom,
        background,
        values=values,
        errors=errors,
        outcome=outcome,
        status_code=422 if errors else 200,
    )
