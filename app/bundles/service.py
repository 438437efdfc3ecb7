"""The verification bundle of a stored footprint: its documents, the foreground the engine
built for each stored figure, and the background and method datapackages it was computed on."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from app import __version__
from app.boms.models import Bom
from app.boms.service import normalised_bom, stored_bom_lines
from app.core.errors import AppError
from app.core.repository import OrgRepository
from app.footprints.models import Footprint
from app.footprints.service import cell_model, footprint_public, input_hash, stored_request
from lca.background import Background
from lca.bundle import BundleCase, bundle_bytes
from lca.footprint import ForegroundInput, ForegroundProcess


class BundleConflict(AppError):
    """The footprint cannot be bundled as it stands on this server (another background, or
    inputs that have changed since it was computed)."""

    status = 409
    title = "Conflict"


def _foreground(
    inputs: list[ForegroundInput], processes: dict[str, ForegroundProcess]
) -> dict[str, Any]:
    """The foreground of one case as a readable document (the datapackage holds the same)."""
    return {
        "inputs": [asdict(item) for item in inputs],
        "processes": {code: asdict(process) for code, process in sorted(processes.items())},
    }


def footprint_bundle(
    repo: OrgRepository, footprint_id: uuid.UUID, background: Background, data_dir: Path
) -> bytes:
    """The zip of :func:`lca.bundle.write_bundle` for one stored footprint: location-based
    (GWP100 and GWP20) and market-based (GWP100) cases, recomputed from the stored BOM."""
    footprint = repo.get(Footprint, footprint_id, "footprint")
    if footprint.background_version != background.version:
        raise BundleConflict(
            f"footprint {footprint_id} was computed on background "
            f"{footprint.background_version[:12]}; this server has {background.version[:12]} "
            "loaded, whose datapackages would not give the stored figures"
        )
    bom = repo.get(Bom, footprint.bom_id, "BOM")
    model = cell_model(repo, bom, background, stored_request(footprint.result), data_dir)
    if input_hash(model, background) != footprint.input_sha256:
        raise BundleConflict(
            f"the inputs of footprint {footprint_id} have changed since it was computed "
            "(supplier data added or replaced); compute it again and bundle the new one"
        )
    cases = [
        BundleCase(
            "location_based",
            model.location_inputs,
            {"gwp100": footprint.kg_co2e, "gwp20": footprint.kg_co2e_gwp20},
            model.location_processes,
        ),
        BundleCase(
            "market_based",
            model.market_inputs,
            {"gwp100": footprint.kg_co2e_market_based},
            model.market_processes,
        ),
    ]
    lines = stored_bom_lines(repo, bom.id)
    documents: dict[str, Any] = {
        "bom/posted.json": bom.payload,
        "bom/normalised.json": asdict(normalised_bom(repo, bom, background, lines)),
        "footprint/footprint.json": footprint_public(footprint).model_dump(mode="json"),
        # As stored: lines, breakdowns, notes, the life-cycle stages' parameters and whatever
        # electricity-accounting (ruleset, headline) information the footprint carries.
        "footprint/stored_result.json": footprint.result,
        "foreground/location_based.json": _foreground(
            model.location_inputs, model.location_processes
        ),
        "foreground/market_based.json": _foreground(model.market_inputs, model.market_processes),
    }
    versions = {
        "cellcarbon": __version__,
        "cellcarbon_computed_with": footprint.software_version,
        "background": footprint.background_version,
        "method": footprint.method,
        "footprint_id": str(footprint.id),
        "input_sha256": footprint.input_sha256,
        "bw2data": metadata.version("bw2data"),
    }
    return bundle_bytes(
        background,
        cases,
        nominal_energy_kwh=footprint.nominal_energy_kwh,
        documents=documents,
        versions=versions,
    )
