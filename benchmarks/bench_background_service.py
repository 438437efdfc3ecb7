"""Bring your own background, end to end through the API, on the synthetic ecospold2 release.

What a user with an ecoinvent release does, on ``benchmarks/synthetic_ecospold2.py``'s data:
upload the release (``POST /v1/backgrounds``, the import job), map the NMC811 example's
materials to the best suggestion in a compatible unit (``PUT …/mapping``), compute the example
on the imported background and on the open one, compare them side by side, and download both
reports. Runs the real application in process (SQLite in a temporary directory, the shipped
background built there) and prints each step's wall time.

``python -m benchmarks.bench_background_service --activities 2000``
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from benchmarks.synthetic_ecospold2 import write_ecospold2

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "data" / "examples" / "nmc811_pouch.json"


def _timed(label: str, started: float) -> float:
    now = time.perf_counter()
    print(f"{now - started:8.2f} s  {label}")
    return now


def _wait(client: Any, job: dict[str, Any]) -> dict[str, Any]:
    while job["status"] not in ("succeeded", "failed"):
        time.sleep(0.2)
        job = client.get(f"/v1/jobs/{job['id']}").json()
    return job


def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*.spold")):
            archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def _run(args: argparse.Namespace, work: Path) -> int:
    from fastapi.testclient import TestClient

    from app.access.keys import create_organisation
    from app.core.db import session_scope
    from app.core.migrate import upgrade
    from app.core.runtime import get_engine
    from app.core.settings import Settings
    from app.main import create_app
    from lca.build import build_background

    started = time.perf_counter()
    database_url = f"sqlite:///{work / 'cellcarbon.db'}"
    upgrade(database_url)
    build_background(work / "brightway", progress=lambda _: None)
    settings = Settings(database_url=database_url, brightway_dir=work / "brightway")
    with session_scope(get_engine(settings)) as session:
        _, _, key = create_organisation(session, "Example Cells")
    folder = write_ecospold2(work / "release", args.activities, args.seed, progress=lambda _: None)
    release = _zip(folder)
    started = _timed(f"set-up: database, open background, {len(release):,} byte release", started)

    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(settings), headers=headers) as client:
        job = client.post(
            "/v1/backgrounds",
            files={"file": ("synthetic-ecospold2.zip", release, "application/zip")},
            params={"name": f"synthetic ecospold2, {args.activities} activities"},
        ).json()
        job = _wait(client, job)
        if job["status"] != "succeeded":
            print(json.dumps(job["result"], indent=2)[:4000], file=sys.stderr)
            return 1
        background_id = job["result"]["background_id"]
        started = _timed("import job (upload, import, registration)", started)

        bom_id = client.post("/v1/boms", json=json.loads(EXAMPLE.read_text())).json()["id"]
        suggestions = client.get(
            f"/v1/backgrounds/{background_id}/mapping/suggestions",
            params={"bom_id": bom_id, "limit": 20},
        ).json()["data"]
        entries = {}
        for material in suggestions:
            usable = [s for s in material["suggestions"] if s["unit_factor"] is not None]
            if usable:
                entries[material["material"]] = usable[0]["code"]
        mapped = client.put(f"/v1/backgrounds/{background_id}/mapping", json={"entries": entries})
        assert mapped.status_code == 200, mapped.text
        started = _timed(f"suggestions and mapping of {len(entries)} materials", started)

        footprints = {}
        for label, params in (("open", {}), ("imported", {"background": background_id})):
            answer = client.post(f"/v1/boms/{bom_id}/footprints", params=params)
            assert answer.status_code == 201, answer.text
            footprints[label] = answer.json()
            started = _timed(
                f"footprint on the {label} background: "
                f"{footprints[label]['kg_co2e_per_cell']:.4f} kg CO2e per cell",
                started,
            )
        comparison = client.get(
            f"/v1/boms/{bom_id}/comparison",
            params={"backgrounds": f"open,{background_id}", "format": "csv"},
        )
        assert comparison.status_code == 200, comparison.text
        (work / "comparison.csv").write_text(comparison.text)
        started = _timed(f"comparison, {len(comparison.text.splitlines())} CSV rows", started)
        for label, footprint in footprints.items():
            report = client.post(
                f"/v1/footprints/{footprint['id']}/reports", json={"format": "pdf"}
            ).json()
            report = _wait(client, report)
            document = client.get(report["result"]["url"])
            assert document.status_code == 200
            started = _timed(f"{label} report: {len(document.content):,} byte PDF", started)
    if args.keep:
        print(f"kept in {work}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="cellcarbon-bench-background-"))
    try:
        return _run(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
