"""The registry of imported backgrounds and their material mappings."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict

from sqlmodel import col, select

from app.backgrounds.methods import method_names
from app.backgrounds.models import ImportedBackground
from app.backgrounds.schemas import (
    BackgroundPublic,
    MappingEntry,
    MappingPublic,
    MaterialSuggestions,
    SuggestionPublic,
    SuggestionsPublic,
)
from app.core.errors import InvalidInput
from app.core.repository import OrgRepository
from lca.background import Background
from lca.imports.descriptor import BackgroundDescriptor
from lca.imports.mapping import Material, MaterialMapping, check_mapping, materials_of, suggest
from lca.imports.mapping import unit_factor as unit_factor_of

# Materials one suggestions request may ask about: each is scored against every activity
# (~0.5 s per material at 2,000 activities, benchmarks/RESULTS.md; ten times that for ecoinvent).
MAX_SUGGESTED_MATERIALS = 50
# Suggestions kept per process by (background version, material, limit): a background and the
# open materials never change under a version, and a user asks again while mapping.
_SUGGESTIONS_KEPT = 4096
_suggested: dict[tuple[str, str, int], list[SuggestionPublic]] = {}


_materials: dict[str, dict[str, Material]] = {}


def open_materials(open_background: Background) -> dict[str, Material]:
    """The material codes a BOM may use (the open background's products), by code; built once
    per open background version."""
    found = _materials.get(open_background.version)
    if found is None:
        found = _materials[open_background.version] = materials_of(open_background)
    return found


def background_public(row: ImportedBackground) -> BackgroundPublic:
    return BackgroundPublic.model_validate(
        {**row.model_dump(), "mapped_materials": len(row.mapping), "methods": method_names(row)}
    )


def register(
    repo: OrgRepository, descriptor: BackgroundDescriptor, size_bytes: int
) -> ImportedBackground:
    """Record an imported background for ``repo``'s organisation (the same version imported
    again returns the row it has)."""
    existing = repo.session.exec(
        select(ImportedBackground).where(
            col(ImportedBackground.organisation_id) == repo.organisation_id,
            col(ImportedBackground.version) == descriptor.version,
        )
    ).first()
    if existing is not None:
        return existing
    row = ImportedBackground(
        organisation_id=repo.organisation_id,
        name=descriptor.name[:200],
        version=descriptor.version,
        source_format=descriptor.source_format,
        size_bytes=size_bytes,
        activities=descriptor.activities,
        exchanges=descriptor.exchanges,
        biosphere_flows=descriptor.biosphere_flows,
        method_coverage=asdict(descriptor.coverage),
        warnings=list(descriptor.warnings)[:1000],
        mapping={},
    )
    repo.add(row)
    repo.session.flush()
    repo.audit(
        "create",
        "background",
        row.id,
        {"name": row.name, "version": row.version, "source_format": row.source_format},
    )
    return row


def get_background_row(repo: OrgRepository, background_id: uuid.UUID) -> ImportedBackground:
    return repo.get(ImportedBackground, background_id, "background")


def mapping_public(
    row: ImportedBackground, imported: Background, materials: Mapping[str, Material]
) -> MappingPublic:
    entries = []
    for material, code in sorted(row.mapping.items()):
        product = imported.products.get(code)
        material_unit = materials[material].unit if material in materials else ""
        entries.append(
            MappingEntry(
                material=material,
                activity=code,
                activity_name=product.name if product else "",
                material_unit=material_unit,
                activity_unit=product.unit if product else "",
                unit_factor=unit_factor_of(material_unit, product.unit) if product else None,
            )
        )
    unmapped = sorted(set(materials) - set(row.mapping))
    return MappingPublic(
        background_id=row.id, version=row.version, entries=entries, unmapped=unmapped
    )


def replace_mapping(
    repo: OrgRepository,
    row: ImportedBackground,
    entries: Mapping[str, str],
    imported: Background,
    materials: Mapping[str, Material],
    source: str = "json",
) -> None:
    """Replace the background's mapping with ``entries``, or refuse it (422, nothing stored)
    naming every unknown material, unknown activity and incompatible unit."""
    problems = check_mapping(MaterialMapping(row.version, entries), materials, imported)
    if problems:
        raise InvalidInput(
            f"the mapping has {len(problems)} problem{'s' if len(problems) != 1 else ''}; "
            "nothing was stored",
            [
                {"loc": ["body", "entries", p.material], "msg": p.detail, "type": "value_error"}
                for p in problems
            ],
        )
    row.mapping = dict(sorted(entries.items()))
    repo.session.add(row)
    repo.audit("update", "background_mapping", row.id, {"entries": len(entries)}, source=source)


def parse_mapping_csv(content: bytes) -> dict[str, str]:
    """``material,activity`` rows (a header naming both columns, any further columns ignored)
    as mapping entries; 422 naming each bad row."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            "the mapping CSV is not UTF-8",
            [{"loc": ["body"], "msg": "not UTF-8 text", "type": "value_error"}],
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [name for name in ("material", "activity") if name not in header]
    if missing:
        raise InvalidInput(
            f"the mapping CSV needs the columns material and activity; missing {missing}",
            [
                {"loc": ["body", "header"], "msg": f"no column {m}", "type": "missing"}
                for m in missing
            ],
        )
    reader.fieldnames = header
    entries: dict[str, str] = {}
    problems = []
    for number, record in enumerate(reader, start=2):
        material = (record.get("material") or "").strip()
        activity = (record.get("activity") or "").strip()
        if not material and not activity:
            continue
        for column, value in (("material", material), ("activity", activity)):
            if not value:
                problems.append({"loc": ["body", "row", number, column], "msg": "empty"})
        if material in entries:
            problems.append(
                {"loc": ["body", "row", number, "material"], "msg": f"{material} mapped twice"}
            )
        if material and activity:
            entries[material] = activity
    if problems:
        raise InvalidInput(f"the mapping CSV has {len(problems)} bad cells", problems)
    return entries


def suggestions(
    row: ImportedBackground,
    imported: Background,
    materials: Mapping[str, Material],
    wanted: Iterable[str],
    limit: int,
) -> SuggestionsPublic:
    """Candidate activities for each ``wanted`` material code (422 naming unknown codes)."""
    codes = list(dict.fromkeys(wanted))
    unknown = [code for code in codes if code not in materials]
    if unknown or len(codes) > MAX_SUGGESTED_MATERIALS:
        problems = [
            {
                "loc": ["query", "materials", code],
                "msg": "not a material code of the open background",
            }
            for code in unknown
        ]
        if len(codes) > MAX_SUGGESTED_MATERIALS:
            problems.append(
                {"loc": ["query", "materials"], "msg": f"at most {MAX_SUGGESTED_MATERIALS} codes"}
            )
        raise InvalidInput("cannot suggest activities for these materials", problems)
    data = []
    for code in codes:
        material = materials[code]
        data.append(
            MaterialSuggestions(
                material=code,
                name=material.name,
                unit=material.unit,
                location=material.location,
                mapped_to=row.mapping.get(code),
                suggestions=_suggest(material, imported, limit),
            )
        )
    return SuggestionsPublic(background_id=row.id, data=data)


def _suggest(material: Material, imported: Background, limit: int) -> list[SuggestionPublic]:
    key = (imported.version, material.code, limit)
    found = _suggested.get(key)
    if found is None:
        found = [
            SuggestionPublic.model_validate(asdict(s))
            for s in suggest(material, imported, limit=limit)
        ]
        if len(_suggested) >= _SUGGESTIONS_KEPT:
            _suggested.clear()
        _suggested[key] = found
    return found
