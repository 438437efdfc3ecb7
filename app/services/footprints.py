"""Computing footprints. :func:`compute_footprint` is shaped as a job: ids in, id out."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import asdict

from sqlalchemy.engine import Engine

from app import __version__
from app.db import session_scope
from app.errors import InvalidInput
from app.models import Bom, Footprint
from app.repository import OrgRepository
from app.schemas import BackgroundVersion, FootprintLine, FootprintPublic, UpstreamPublic
from app.services.boms import canonical_json, normalised_bom
from lca.background import Background
from lca.footprint import ForegroundInput, compute, upstream

# How many upstream activities a footprint lists (the rest is summed).
UPSTREAM_TOP = 10


def foreground_of(repo: OrgRepository, bom: Bom, background: Background) -> list[ForegroundInput]:
    """The stored BOM's canonical lines and plant energy as foreground inputs."""
    inputs = normalised_bom(repo, bom, background).foreground_inputs()
    missing = sorted({i.product for i in inputs} - set(background.products))
    if missing:
        raise InvalidInput(
            f"materials {', '.join(missing)} are not in background {background.version[:12]}"
        )
    return inputs


def compute_footprint(
    bom_id: uuid.UUID, organisation_id: uuid.UUID, *, engine: Engine, background: Background
) -> uuid.UUID:
    """Compute and store the footprint of one stored BOM; return the new footprint's id."""
    with session_scope(engine) as session:
        repo = OrgRepository(session, organisation_id)
        bom = repo.get(Bom, bom_id, "BOM")
        inputs = foreground_of(repo, bom, background)
        result = compute(background, inputs, bom.nominal_energy_kwh)
        top_upstream, upstream_rest = upstream(background, inputs, top=UPSTREAM_TOP)
        input_hash = hashlib.sha256(
            canonical_json(
                {
                    "inputs": [asdict(i) for i in inputs],
                    "nominal_energy_kwh": bom.nominal_energy_kwh,
                    "background": background.version,
                    "method": background.method,
                }
            ).encode()
        ).hexdigest()
        footprint = Footprint(
            organisation_id=organisation_id,
            bom_id=bom.id,
            background_name=result.background_name,
            background_version=result.background_version,
            method=result.method,
            software_version=__version__,
            input_sha256=input_hash,
            kg_co2e=result.kg_co2e,
            kg_co2e_per_kwh=result.kg_co2e_per_kwh,
            kg_co2e_gwp20=result.kg_co2e_gwp20,
            nominal_energy_kwh=result.nominal_energy_kwh,
            result={
                "lines": [asdict(line) for line in result.lines],
                "by_component": result.by_component,
                "by_stage": result.by_stage,
                "by_gas": result.by_gas,
                "biogenic_co2_emission_kg": result.biogenic_co2_emission_kg,
                "biogenic_co2_removal_kg": result.biogenic_co2_removal_kg,
                "upstream": [asdict(u) for u in top_upstream],
                "upstream_rest_kg_co2e": upstream_rest,
            },
        )
        repo.add(footprint)
        return footprint.id


def footprint_public(footprint: Footprint) -> FootprintPublic:
    result = footprint.result
    return FootprintPublic(
        id=footprint.id,
        bom_id=footprint.bom_id,
        created_at=footprint.created_at,
        background=BackgroundVersion(
            name=footprint.background_name,
            version=footprint.background_version,
            method=footprint.method,
        ),
        software_version=footprint.software_version,
        input_sha256=footprint.input_sha256,
        kg_co2e_per_cell=footprint.kg_co2e,
        kg_co2e_per_kwh=footprint.kg_co2e_per_kwh,
        nominal_energy_kwh=footprint.nominal_energy_kwh,
        kg_co2e_per_cell_gwp20=footprint.kg_co2e_gwp20,
        lines=[
            FootprintLine(
                material=line["product"], **{k: v for k, v in line.items() if k != "product"}
            )
            for line in result["lines"]
        ],
        by_component=result["by_component"],
        by_stage=result["by_stage"],
        by_gas=result["by_gas"],
        biogenic_co2_emission_kg=result["biogenic_co2_emission_kg"],
        biogenic_co2_removal_kg=result["biogenic_co2_removal_kg"],
        upstream=[UpstreamPublic(**u) for u in result["upstream"]],
        upstream_rest_kg_co2e=result["upstream_rest_kg_co2e"],
    )
