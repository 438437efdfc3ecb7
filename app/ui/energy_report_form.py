"""The supplier energy-report form: every field of the API's ``EnergyReportCreate`` as form
controls, read back into the API's body, and the API's problems placed next to their controls.

Lists (contractual instruments, on-site generation, fuels, process emissions, materials) are a
fixed number of rows; an empty row is skipped. Choices come from the schema's ``Literal`` types,
so a value the API adds appears in the form without a template change.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from app.suppliers.schemas import FuelIn, InstrumentIn, OnsiteIn


def choices(model: type[BaseModel], name: str) -> list[str]:
    """The values a ``Literal`` (or optional ``Literal``) field of ``model`` allows."""
    found: list[str] = []

    def walk(annotation: Any) -> None:
        for arg in typing.get_args(annotation):
            if isinstance(arg, str):
                found.append(arg)
            else:
                walk(arg)

    walk(model.model_fields[name].annotation)
    return found


@dataclass(frozen=True)
class RowGroup:
    """A list of the body, drawn as ``rows`` numbered rows of ``fields`` named
    ``<prefix>_<n>_<field>``; ``path`` is where the list sits in the body."""

    prefix: str
    path: tuple[str, ...]
    rows: int
    fields: tuple[str, ...]
    # fields whose value alone does not make a row worth sending (a pre-set choice)
    defaults: tuple[str, ...] = ()

    def name(self, row: int, field_name: str) -> str:
        return f"{self.prefix}_{row}_{field_name}"


INSTRUMENTS = RowGroup(
    "instrument",
    ("electricity", "instruments"),
    3,
    (
        "type",
        "certificate_type",
        "amount",
        "technology",
        "vintage_year",
        "market",
        "tracking_system",
        "certificate_ids",
    ),
)
ONSITE = RowGroup("onsite", ("electricity", "onsite"), 2, ("technology", "amount"))
FUELS = RowGroup("fuel", ("fuels",), 3, ("fuel", "amount", "heating_value_basis"))
EMISSIONS = RowGroup("emission", ("process_emissions",), 3, ("gas", "amount"))
MATERIALS = RowGroup("material", ("materials",), 3, ("material", "amount"))
GROUPS = (INSTRUMENTS, ONSITE, FUELS, EMISSIONS, MATERIALS)
SINGLE_FIELDS = (
    "site_id",
    "product",
    "period_start",
    "period_end",
    "output",
    "electricity",
    "supplier_specific_rate",
    "purchased_heat",
    "supersedes",
)
# Where a problem of the body lands when its path is one of these (longest prefix first).
SINGLE_PATHS: dict[tuple[str, ...], str] = {
    ("site_id",): "site_id",
    ("product",): "product",
    ("period", "start"): "period_start",
    ("period", "end"): "period_end",
    ("period",): "period_end",
    ("output",): "output",
    ("electricity", "grid"): "electricity",
    ("electricity", "supplier_specific_rate"): "supplier_specific_rate",
    ("electricity",): "electricity",
    ("purchased_heat",): "purchased_heat",
    ("supersedes",): "supersedes",
}
OPTIONS = {
    "instrument_type": choices(InstrumentIn, "type"),
    "certificate_type": choices(InstrumentIn, "certificate_type"),
    "instrument_technology": choices(InstrumentIn, "technology"),
    "onsite_technology": choices(OnsiteIn, "technology"),
    "fuel": choices(FuelIn, "fuel"),
    "heating_value_basis": choices(FuelIn, "heating_value_basis"),
}


@dataclass
class ReportForm:
    """What was typed (to show back), the API body made of it, and for each list the form row
    of each item sent."""

    values: dict[str, str]
    body: dict[str, Any]
    sent_rows: dict[str, list[int]] = field(default_factory=dict)


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _identifiers(text: str) -> list[str]:
    """Certificate ids, one a line or separated by commas."""
    return [part.strip() for part in re.split(r"[\n,]", text) if part.strip()]


def _item(group: RowGroup, row: int, values: Mapping[str, str]) -> dict[str, Any] | None:
    item: dict[str, Any] = {}
    for name in group.fields:
        text = values[group.name(row, name)]
        if not text:
            continue
        item[name] = _identifiers(text) if name == "certificate_ids" else text
    if not set(item) - set(group.defaults):
        return None
    return item


def read_report_form(form: Mapping[str, Any]) -> ReportForm:
    """The form's values and the ``EnergyReportCreate`` body they make."""
    names = list(SINGLE_FIELDS) + [
        g.name(row, f) for g in GROUPS for row in range(1, g.rows + 1) for f in g.fields
    ]
    values = {name: _text(form, name) for name in names}
    electricity: dict[str, Any] = {"grid": values["electricity"]}
    body: dict[str, Any] = {
        "site_id": values["site_id"] or None,
        "product": values["product"],
        "period": {"start": values["period_start"], "end": values["period_end"]},
        "output": {"amount": values["output"]},
        "electricity": electricity,
    }
    if values["supplier_specific_rate"]:
        electricity["supplier_specific_rate"] = values["supplier_specific_rate"]
    if values["purchased_heat"]:
        body["purchased_heat"] = values["purchased_heat"]
    if values["supersedes"]:
        body["supersedes"] = values["supersedes"]
    report = ReportForm(values, body)
    for group in GROUPS:
        items, rows = [], []
        for row in range(1, group.rows + 1):
            item = _item(group, row, values)
            if item is not None:
                items.append(item)
                rows.append(row)
        report.sent_rows[group.prefix] = rows
        if not items:
            # No process emission or material row: the background's stay (the API's null).
            continue
        target = body
        for key in group.path[:-1]:
            target = target[key]
        target[group.path[-1]] = items
    return report


def field_of(loc: Sequence[Any], sent_rows: Mapping[str, list[int]]) -> str:
    """The form control a problem at body path ``loc`` belongs to ('' when none does)."""
    parts = tuple(str(part) for part in loc)
    for group in GROUPS:
        size = len(group.path)
        if parts[:size] != group.path:
            continue
        rows = sent_rows.get(group.prefix, [])
        if len(parts) > size and parts[size].isdigit() and int(parts[size]) < len(rows):
            row = rows[int(parts[size])]
            name = parts[size + 1] if len(parts) > size + 1 else ""
            fallback = "amount" if "amount" in group.fields else group.fields[0]
            return group.name(row, name if name in group.fields else fallback)
        return ""
    for prefix, name in sorted(SINGLE_PATHS.items(), key=lambda item: -len(item[0])):
        if parts[: len(prefix)] == prefix:
            return name
    return ""


def errors_by_field(
    errors: Sequence[Mapping[str, Any]], sent_rows: Mapping[str, list[int]]
) -> dict[str, list[str]]:
    """The API's problems keyed by form control ('' for the rest)."""
    found: dict[str, list[str]] = {}
    for error in errors:
        found.setdefault(field_of(error.get("loc", []), sent_rows), []).append(
            str(error.get("msg", ""))
        )
    return found
