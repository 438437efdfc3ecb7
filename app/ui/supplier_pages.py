"""Supplier pages: suppliers, their sites and energy reports, and a unit converter that shows
a quantity in its canonical unit as it is typed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import col

from app.core.deps import BackgroundDep
from app.core.errors import InvalidInput
from app.core.repository import OrgRepository
from app.suppliers import service
from app.suppliers.models import Supplier
from app.suppliers.schemas import EnergyReportCreate, SiteCreate, SupplierCreate
from app.ui.deps import CallerDep, FormDep, UiRepoDep, WriterDep
from app.ui.energy_report_form import GROUPS, OPTIONS, errors_by_field, read_report_form
from app.ui.pages import UiRoute, page
from app.ui.quantities import CONVERTIBLE, canonical_text
from lca.background import Background

router = APIRouter(route_class=UiRoute, include_in_schema=False)  # under /ui (app.ui.routes)


def _text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _errors_by_field(
    errors: list[dict[str, Any]], fields: dict[tuple[str, ...], str]
) -> dict[str, list[str]]:
    """Problems keyed by the form field they belong to ('' for the rest)."""
    found: dict[str, list[str]] = {}
    for error in errors:
        loc = tuple(str(part) for part in error.get("loc", []))
        field = next((name for prefix, name in fields.items() if loc[: len(prefix)] == prefix), "")
        found.setdefault(field, []).append(error.get("msg", ""))
    return found


def _validation_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]


@router.get("/suppliers", response_class=HTMLResponse)
def list_suppliers(request: Request, caller: CallerDep, repo: UiRepoDep) -> Response:
    """The organisation's suppliers and a form to add one."""
    return _suppliers_page(request, caller, repo)


def _suppliers_page(
    request: Request,
    caller: Any,
    repo: OrgRepository,
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> HTMLResponse:
    rows, total = repo.page(Supplier, limit=200, offset=0, order_by=col(Supplier.name))
    return page(
        request,
        "suppliers.html",
        422 if errors else 200,
        caller=caller,
        title="Suppliers",
        suppliers=rows,
        total=total,
        values=values or {},
        errors=errors or {},
    )


@router.post("/suppliers", response_class=HTMLResponse)
def create_supplier(
    request: Request, caller: WriterDep, form: FormDep, repo: UiRepoDep
) -> Response:
    """Register a supplier."""
    values = {name: _text(form, name) for name in ("name", "country", "lei")}
    body: dict[str, Any] = {"name": values["name"], "country": values["country"]}
    if values["lei"]:
        body["identifiers"] = {"lei": values["lei"]}
    try:
        supplier = service.create_supplier(repo, SupplierCreate.model_validate(body))
    except (ValidationError, InvalidInput) as exc:
        errors = _validation_errors(exc) if isinstance(exc, ValidationError) else exc.errors
        fields: dict[tuple[str, ...], str] = {
            ("name",): "name",
            ("country",): "country",
            ("identifiers",): "lei",
        }
        return _suppliers_page(request, caller, repo, values, _errors_by_field(errors, fields))
    return RedirectResponse(f"/ui/suppliers/{supplier.id}", status_code=303)


def _pairs(values: Iterable[str]) -> list[tuple[str, str]]:
    return [(value, value.replace("_", " ")) for value in values]


def _choices(
    background: Background, sites: Sequence[Any], reports: Sequence[Any]
) -> dict[str, list[tuple[str, str]]]:
    """The (value, text) options of each select of the energy-report form."""
    found = {name: _pairs(values) for name, values in OPTIONS.items()}
    found["sites"] = [(str(site.id), site.name) for site in sites]
    found["products"] = _pairs(sorted(background.products))
    found["gases"] = _pairs(sorted(background.flow_keys))
    found["supersedes"] = [
        (str(r.id), f"{r.product}, {r.period_start} – {r.period_end}, version {r.version}")
        for r in reports
        if r.superseded_by is None
    ]
    return found


def _open_groups(values: dict[str, str], errors: dict[str, list[str]]) -> set[str]:
    """The lists of the report form to show unfolded: those with something typed or wrong."""
    touched = [name for name, text in values.items() if text] + list(errors)
    return {g.prefix for g in GROUPS for name in touched if name.startswith(f"{g.prefix}_")}


def _supplier_page(
    request: Request,
    caller: Any,
    repo: OrgRepository,
    background: Background,
    supplier: Supplier,
    *,
    values: dict[str, str] | None = None,
    site_errors: dict[str, list[str]] | None = None,
    report_errors: dict[str, list[str]] | None = None,
) -> HTMLResponse:
    sites = service.supplier_sites(repo, supplier.id)
    reports = [
        service.energy_report_public(repo, r) for r in service.supplier_reports(repo, supplier.id)
    ]
    return page(
        request,
        "supplier.html",
        422 if (site_errors or report_errors) else 200,
        caller=caller,
        title=supplier.name,
        supplier=supplier,
        sites=sites,
        reports=reports,
        grid_regions=sorted(background.grid_regions),
        groups={group.prefix: group for group in GROUPS},
        choice=_choices(background, sites, reports),
        open_groups=_open_groups(values or {}, report_errors or {}),
        values=values or {},
        site_errors=site_errors or {},
        report_errors=report_errors or {},
    )


@router.get("/suppliers/{supplier_id}", response_class=HTMLResponse)
def show_supplier(
    supplier_id: uuid.UUID,
    request: Request,
    caller: CallerDep,
    repo: UiRepoDep,
    background: BackgroundDep,
) -> Response:
    """A supplier's sites and energy reports, with forms to add them."""
    supplier = repo.get(Supplier, supplier_id, "supplier")
    return _supplier_page(request, caller, repo, background, supplier)


@router.post("/suppliers/{supplier_id}/sites", response_class=HTMLResponse)
def create_site(
    supplier_id: uuid.UUID,
    request: Request,
    caller: WriterDep,
    form: FormDep,
    repo: UiRepoDep,
    background: BackgroundDep,
) -> Response:
    """Add a production site."""
    supplier = repo.get(Supplier, supplier_id, "supplier")
    values = {f"site_{n}": _text(form, f"site_{n}") for n in ("name", "country", "grid_region")}
    body = {
        "name": values["site_name"],
        "country": values["site_country"],
        "grid_region": values["site_grid_region"],
    }
    try:
        service.create_site(repo, supplier.id, SiteCreate.model_validate(body), background)
    except (ValidationError, InvalidInput) as exc:
        errors = _validation_errors(exc) if isinstance(exc, ValidationError) else exc.errors
        fields: dict[tuple[str, ...], str] = {
            (n,): f"site_{n}" for n in ("name", "country", "grid_region")
        }
        return _supplier_page(
            request,
            caller,
            repo,
            background,
            supplier,
            values=values,
            site_errors=_errors_by_field(errors, fields),
        )
    return RedirectResponse(f"/ui/suppliers/{supplier.id}", status_code=303)


@router.post("/suppliers/{supplier_id}/energy-reports", response_class=HTMLResponse)
def create_energy_report(
    supplier_id: uuid.UUID,
    request: Request,
    caller: WriterDep,
    form: FormDep,
    repo: UiRepoDep,
    background: BackgroundDep,
) -> Response:
    """Store a site's energy report for one product and period."""
    supplier = repo.get(Supplier, supplier_id, "supplier")
    report = read_report_form(form)
    try:
        payload = EnergyReportCreate.model_validate(report.body)
        service.create_energy_report(repo, supplier.id, payload, background)
    except (ValidationError, InvalidInput) as exc:
        errors = _validation_errors(exc) if isinstance(exc, ValidationError) else exc.errors
        return _supplier_page(
            request,
            caller,
            repo,
            background,
            supplier,
            values=report.values,
            report_errors=errors_by_field(errors, report.sent_rows),
        )
    return RedirectResponse(f"/ui/suppliers/{supplier.id}", status_code=303)


FieldName = Annotated[str, Query(max_length=40)]


@router.get("/quantity", response_class=HTMLResponse)
def quantity(
    request: Request,
    caller: CallerDep,
    background: BackgroundDep,
    kind: FieldName,
    field: FieldName,
    fuel: FieldName = "",
    basis: FieldName = "",
    material: FieldName = "",
) -> Response:
    """The quantity typed into form field ``field`` in its stored unit (an htmx fragment);
    ``fuel``, ``basis`` and ``material`` name the fields of the same row it depends on."""
    if kind not in CONVERTIBLE:
        raise InvalidInput(f"kind must be one of {', '.join(CONVERTIBLE)}")
    given = request.query_params.get(field, "")
    context = {
        name: request.query_params.get(source, "")[:80]
        for name, source in (("fuel", fuel), ("basis", basis), ("material", material))
        if source
    }
    shown, ok = canonical_text(kind, given[:100], context, background)
    return page(request, "_quantity.html", caller=caller, text=shown, ok=ok)
