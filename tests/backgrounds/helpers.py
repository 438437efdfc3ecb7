"""Shared steps of the background tests: the import test system uploaded through the API, and a
small BOM whose footprint on it is worked out by hand."""

from __future__ import annotations

import io
import time
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

from tests.lca.imports.system import write_ecospold2

# The imported activity (by name, tests/lca/imports/system.py) each material is mapped to, and
# its unit score there (kg CO2e per unit, worked out in that module's docstring).
TARGETS = {
    "nmc811_cam": ("cathode active material production, NMC", 2.356956),
    "graphite_synthetic_cn": ("graphite production, synthetic", 4.1768),
    "copper_foil": ("copper production, primary", 2.4248),
    "electrolyte_lipf6": ("electrolyte production, LiPF6 in carbonates", 0.899508),
}
ELECTRICITY = ("electricity production, grid mix", 0.4596)  # per kWh
HEAT = ("heat production, natural gas boiler", 0.06196)  # per MJ
# 0.3 kg × 2.356956 + 0.1 × 4.1768 + 0.05 × 2.4248 + 0.05 × 0.899508 (lines)
# + 1.5 kWh × 0.4596 + 2 MJ × 0.06196 (plant)
# = 0.7070868 + 0.41768 + 0.12124 + 0.0449754 + 0.6894 + 0.12392 = 2.1043022 kg CO2e
BOM_KG_CO2E = 2.1043022


def small_bom(name: str = "mapped test cell") -> dict[str, Any]:
    return {
        "name": name,
        "cell": {
            "chemistry": "NMC811",
            "format": "pouch",
            "nominal_capacity": "10 Ah",
            "nominal_voltage": "3.65 V",
        },
        "plant": {
            "name": "test plant",
            "grid_region": "US-SRTV",
            "electricity_per_cell": "1.5 kWh",
            "heat_per_cell": "2 MJ",
        },
        "lines": [
            {"component": "cathode", "material": "nmc811_cam", "amount": "300 g"},
            {"component": "anode", "material": "graphite_synthetic_cn", "amount": "100 g"},
            {"component": "current collector", "material": "copper_foil", "amount": "50 g"},
            {"component": "electrolyte", "material": "electrolyte_lipf6", "amount": "50 g"},
        ],
    }


@cache
def system_zip() -> bytes:
    """The dozen-activity system as an ecospold2 release zip (datasets/*.spold)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        release = write_ecospold2(Path(tmp) / "release")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for path in sorted(release.rglob("*.spold")):
                archive.write(path, path.relative_to(release).as_posix())
        return buffer.getvalue()


@cache
def own_release(name: str) -> bytes:
    """The test system's release with a note naming ``name`` added: other bytes, so a version
    of its own that no other test registers (one organisation importing the same bytes twice
    gets the same row back)."""
    buffer = io.BytesIO(system_zip())
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("notes/readme.txt", f"a release for the deletion test: {name}\n")
    return buffer.getvalue()


def wait_for_job(client: Any, job: dict[str, Any], timeout: float = 300.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while job["status"] not in ("succeeded", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
        job = client.get(f"/v1/jobs/{job['id']}").json()
    assert job["status"] in ("succeeded", "failed"), job
    return job


def upload(client: Any, content: bytes, filename: str) -> Any:
    return client.post(
        "/v1/backgrounds",
        files={"file": (filename, content, "application/zip")},
        params={"name": "test system (ecospold2)"},
    )


def import_test_system(client: Any) -> str:
    """Import the test system through the API; the registered background's id."""
    response = upload(client, system_zip(), "release.zip")
    assert response.status_code == 202, response.text
    job = wait_for_job(client, response.json())
    assert job["status"] == "succeeded", job
    return str(job["result"]["background_id"])


def activity_codes(client: Any, background_id: str, materials: list[str]) -> dict[str, str]:
    """Imported activity code by activity name, from the suggestions of ``materials``."""
    answer = client.get(
        f"/v1/backgrounds/{background_id}/mapping/suggestions",
        params={"materials": ",".join(materials), "limit": 20},
    )
    assert answer.status_code == 200, answer.text
    return {s["name"]: s["code"] for m in answer.json()["data"] for s in m["suggestions"]}


def map_small_bom(client: Any, background_id: str, electricity: str, heat: str) -> Any:
    """Map the small BOM's materials (and the plant's electricity and heat products)."""
    codes = activity_codes(client, background_id, [*TARGETS, electricity, heat])
    entries = {m: codes[name] for m, (name, _) in TARGETS.items()}
    entries[electricity] = codes[ELECTRICITY[0]]
    entries[heat] = codes[HEAT[0]]
    return client.put(f"/v1/backgrounds/{background_id}/mapping", json={"entries": entries})
