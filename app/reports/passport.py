"""The battery passport's carbon-footprint section of a stored footprint (lca.passport)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from app.core.errors import AppError
from app.core.repository import OrgRepository
from app.reports.model import FunctionalUnitChoice
from app.reports.service import declaration, footprint_report
from lca.background import Background
from lca.passport import PassportError, passport_carbon_footprint, passport_input_from_declaration


class NotExportable(AppError):
    """The footprint's declaration lacks what the passport requires (every problem listed)."""

    status = 409
    title = "Not exportable"


def passport_section(
    repo: OrgRepository,
    footprint_id: uuid.UUID,
    choice: FunctionalUnitChoice,
    background: Background | None,
    data_dir: Path,
    base_url: str,
) -> dict[str, Any]:
    """The carbon-footprint section (Regulation (EU) 2023/1542 Annex XIII point 1(c)) built from
    the footprint's four-stage declaration; the public study is its report, as an absolute link.
    The battery model is identified by its BOM (``urn:uuid:<bom id>``)."""
    report = footprint_report(repo, footprint_id, choice, background, data_dir)
    fields = declaration(repo, report)
    body = fields.model_dump(mode="json")
    body["public_study"] = base_url.rstrip("/") + fields.public_study
    try:
        return passport_carbon_footprint(
            passport_input_from_declaration(
                body,
                battery_identifier=f"urn:uuid:{report.identification.bom_id}",
                electricity_ruleset=fields.electricity_ruleset,
                electricity_ruleset_status=fields.electricity_ruleset_status,
            )
        )
    except PassportError as exc:
        raise NotExportable(
            "this footprint's declaration cannot fill the passport's carbon-footprint section",
            [
                {"loc": ["declaration", *loc], "msg": msg, "type": "passport"}
                for loc, msg in exc.problems
            ],
        ) from exc
