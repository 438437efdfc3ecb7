"""Creating and reading BOMs. Services never commit: the caller's session scope does."""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence

from sqlmodel import col

from app.boms.models import Bom, BomLine
from app.boms.schemas import (
    BomCreate,
    BomPublic,
    BomsPublic,
    BomSummary,
    CellPublic,
    LinePublic,
    PlantPublic,
)
from app.core.errors import InvalidInput, NotFound, problems_of
from app.core.repository import OrgRepository
from app.suppliers.models import SupplierSite
from app.suppliers.service import Problems, check_bom_suppliers
from lca.background import Background
from lca.bom import BomError, NormalisedBom, NormalisedLine, normalise_bom, plant_heat_product
from lca.regionalise import RegionaliseError, check_regionalisable


def canonical_json(payload: object) -> str:
    """Stable JSON text (sorted keys, no spaces) used for hashing."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def create_bom(repo: OrgRepository, payload: BomCreate, background: Background) -> Bom:
    """Validate ``payload`` against the background, convert its quantities and store it."""
    raw = payload.model_dump(mode="json")
    errors = check_bom_suppliers(
        repo, [(line.supplier, line.supplier_site) for line in payload.lines]
    )
    errors += _made_in_problems(repo, payload)
    try:
        normalised = normalise_bom(raw, background)
    except BomError as exc:
        errors += problems_of(exc)
    if errors:
        fields = ", ".join(".".join(map(str, e["loc"])) for e in errors[:5])
        raise InvalidInput(f"the BOM cannot be used: {fields}", errors)
    bom = Bom(
        organisation_id=repo.organisation_id,
        name=payload.name,
        description=payload.description,
        chemistry=normalised.chemistry,
        cell_format=normalised.cell_format,
        nominal_capacity_ah=normalised.nominal_capacity_ah,
        nominal_voltage_v=normalised.nominal_voltage_v,
        nominal_energy_kwh=normalised.nominal_energy_kwh,
        cell_mass_kg=normalised.cell_mass_kg,
        plant_name=normalised.plant_name,
        grid_region=normalised.grid_region,
        electricity_kwh=normalised.electricity_kwh,
        heat_mj=normalised.heat_mj,
        payload=raw,
        payload_sha256=hashlib.sha256(canonical_json(raw).encode()).hexdigest(),
    )
    repo.add(bom)
    for line in normalised.lines:
        repo.add(
            BomLine(
                organisation_id=repo.organisation_id,
                bom_id=bom.id,
                position=line.position,
                component=line.component,
                material=line.material,
                amount_given=line.amount_given,
                amount=line.amount,
                unit=line.unit,
                supplier=line.supplier,
                supplier_site=payload.lines[line.position].supplier_site,
                source=line.source,
            )
        )
    repo.session.flush()
    repo.audit("create", "bom", bom.id, raw)
    return bom


def _made_in_problems(repo: OrgRepository, payload: BomCreate) -> Problems:
    """A line's ``made_in`` must agree with the region of the supplier site it names."""
    problems: Problems = []
    for position, line in enumerate(payload.lines):
        if line.made_in is None or line.supplier_site is None:
            continue
        region = _site_region(repo, line.supplier_site)
        if region is not None and region != line.made_in:
            problems.append(
                {
                    "loc": ["lines", position, "made_in"],
                    "msg": f"the line's supplier site is in grid region {region}, not "
                    f"{line.made_in}; leave made_in out to use the site's region",
                    "type": "value_error",
                }
            )
    return problems


def _site_region(repo: OrgRepository, site_id: str) -> str | None:
    try:
        return repo.get(SupplierSite, uuid.UUID(site_id), "site").grid_region
    except (ValueError, NotFound):
        return None  # check_bom_suppliers reports an unknown site


def made_in_regions(repo: OrgRepository, bom: Bom, lines: Sequence[BomLine]) -> dict[int, str]:
    """Line position → where its material is made: the line's ``made_in``, else its supplier
    site's grid region."""
    raw_lines = bom.payload.get("lines", [])
    regions: dict[int, str] = {}
    for line in lines:
        raw = raw_lines[line.position] if line.position < len(raw_lines) else {}
        region = raw.get("made_in")
        if region is None and line.supplier_site is not None:
            region = _site_region(repo, line.supplier_site)
        if region is not None:
            regions[line.position] = region
    return regions


def line_kinds(bom: Bom) -> dict[int, str]:
    """Line position → kind ("material" or "process"), as posted (older BOMs: all material)."""
    return {
        position: str(raw.get("kind") or "material")
        for position, raw in enumerate(bom.payload.get("lines", []))
    }


def bom_lines(repo: OrgRepository, bom_id: uuid.UUID) -> list[BomLine]:
    return repo.children(BomLine, col(BomLine.bom_id), bom_id, col(BomLine.position))


# A stored BOM never changes (no route updates or deletes one), so its lines may be kept per
# process: a footprint then reads the BOM's row, not its twenty-odd lines again.
_CACHED_BOMS = 512  # BOMs whose lines a process keeps (least recently used dropped first)
_cached_lines: OrderedDict[tuple[uuid.UUID, uuid.UUID], tuple[BomLine, ...]] = OrderedDict()
_cached_boms: OrderedDict[tuple[uuid.UUID, uuid.UUID], Bom] = OrderedDict()
_cache_lock = threading.Lock()


def stored_bom(repo: OrgRepository, bom_id: uuid.UUID) -> Bom:
    """A committed BOM row, read-only (detached), cached per process like its lines: a BOM is
    immutable and never deleted, so a footprint request needs no SELECT for it once it is
    known. Another organisation's id is not in this organisation's cache and answers 404."""
    key = (repo.organisation_id, bom_id)
    with _cache_lock:
        bom = _cached_boms.get(key)
        if bom is not None:
            _cached_boms.move_to_end(key)
            return bom
    bom = repo.get(Bom, bom_id, "BOM")
    repo.session.expunge(bom)  # loaded, never written: readable from any thread later
    with _cache_lock:
        _cached_boms[key] = bom
        while len(_cached_boms) > _CACHED_BOMS:
            _cached_boms.popitem(last=False)
    return bom


def stored_bom_lines(repo: OrgRepository, bom_id: uuid.UUID) -> tuple[BomLine, ...]:
    """The lines of a committed BOM, read-only (detached from any session), cached per process.

    Only for BOMs committed earlier: the lines of one created in this transaction would be
    cached even if it rolled back (harmless, as its BOM row would not exist, but wasteful).
    """
    key = (repo.organisation_id, bom_id)
    with _cache_lock:
        lines = _cached_lines.get(key)
        if lines is not None:
            _cached_lines.move_to_end(key)
            return lines
    lines = tuple(bom_lines(repo, bom_id))
    for line in lines:
        repo.session.expunge(line)  # loaded, never written: readable from any thread later
    with _cache_lock:
        _cached_lines[key] = lines
        while len(_cached_lines) > _CACHED_BOMS:
            _cached_lines.popitem(last=False)
    return lines


def bom_public(repo: OrgRepository, bom: Bom) -> BomPublic:
    lines = bom_lines(repo, bom.id)
    regions = made_in_regions(repo, bom, lines)
    return BomPublic(
        id=bom.id,
        name=bom.name,
        description=bom.description,
        created_at=bom.created_at,
        cell=CellPublic(
            chemistry=bom.chemistry,
            format=bom.cell_format,
            nominal_capacity_ah=bom.nominal_capacity_ah,
            nominal_voltage_v=bom.nominal_voltage_v,
            nominal_energy_kwh=bom.nominal_energy_kwh,
            mass_kg=bom.cell_mass_kg,
        ),
        plant=PlantPublic(
            name=bom.plant_name,
            grid_region=bom.grid_region,
            electricity_kwh=bom.electricity_kwh,
            heat_mj=bom.heat_mj,
        ),
        lines=[
            LinePublic.model_validate(
                {
                    **line.model_dump(),
                    "made_in": regions.get(line.position),
                    "kind": line_kinds(bom).get(line.position, "material"),
                }
            )
            for line in lines
        ],
        sources=list(bom.payload.get("sources", [])),
    )


def list_boms(repo: OrgRepository, limit: int, offset: int) -> BomsPublic:
    rows, total = repo.page(Bom, limit=limit, offset=offset, order_by=col(Bom.created_at).desc())
    return BomsPublic(
        data=[
            BomSummary(
                id=b.id,
                name=b.name,
                chemistry=b.chemistry,
                grid_region=b.grid_region,
                created_at=b.created_at,
            )
            for b in rows
        ],
        count=total,
        limit=limit,
        offset=offset,
    )


def normalised_bom(
    repo: OrgRepository,
    bom: Bom,
    background: Background,
    lines: Sequence[BomLine] | None = None,
) -> NormalisedBom:
    """The stored BOM as the calculation core takes it (its canonical values, not re-parsed);
    ``lines``, when the caller has read them already, saves reading them again."""
    grid = background.grid_regions.get(bom.grid_region)
    if grid is None:
        raise InvalidInput(
            f"grid region {bom.grid_region} is not in background {background.version[:12]}"
        )
    lines = bom_lines(repo, bom.id) if lines is None else lines
    kinds = line_kinds(bom)
    regions = {
        position: region
        for position, region in made_in_regions(repo, bom, lines).items()
        if _regionalisable(background, lines[position].material, region)
    }
    return NormalisedBom(
        name=bom.name,
        chemistry=bom.chemistry,
        cell_format=bom.cell_format,
        nominal_capacity_ah=bom.nominal_capacity_ah,
        nominal_voltage_v=bom.nominal_voltage_v,
        nominal_energy_kwh=bom.nominal_energy_kwh,
        cell_mass_kg=bom.cell_mass_kg,
        plant_name=bom.plant_name,
        grid_region=bom.grid_region,
        electricity_product=grid.activity,
        electricity_kwh=bom.electricity_kwh,
        heat_mj=bom.heat_mj,
        heat_product=plant_heat_product(background, bom.grid_region),
        lines=tuple(
            NormalisedLine(
                position=line.position,
                component=line.component,
                material=line.material,
                amount_given=line.amount_given,
                amount=line.amount,
                unit=line.unit,
                supplier=line.supplier,
                source=line.source,
                made_in=regions.get(line.position),
                kind=kinds.get(line.position, "material"),
            )
            for line in lines
        ),
    )


def _regionalisable(background: Background, material: str, region: str) -> bool:
    # A site's region applies only where the line's material can be made in a region (a line
    # of a supplier's electricity, say, cannot), and only regions this background knows.
    try:
        check_regionalisable(background, material, region)
    except RegionaliseError:
        return False
    return True
