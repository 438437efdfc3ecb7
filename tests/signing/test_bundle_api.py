"""The verification bundle over HTTP and from the CLI: downloaded for the NMC811 example,
unpacked, and recomputed by its own recompute.py in a fresh venv holding only bw2calc and
bw_processing, equal to every stored figure to 1e-9."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.servers import run_recompute


def _unpack(data: bytes, directory: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(directory)
    return directory


def _holds(stored: Any, posted: Any) -> bool:
    """Every value of ``posted`` is in ``stored`` unchanged."""
    if isinstance(posted, dict):
        return isinstance(stored, dict) and all(
            k in stored and _holds(stored[k], v) for k, v in posted.items()
        )
    if isinstance(posted, list):
        return (
            isinstance(stored, list)
            and len(stored) == len(posted)
            and all(_holds(a, b) for a, b in zip(stored, posted, strict=True))
        )
    return bool(stored == posted)


def _stored(footprint: dict[str, Any]) -> dict[tuple[str, str], float]:
    """Each stored figure, by (case, method), in kg CO2e per cell."""
    return {
        ("location_based", "gwp100"): footprint["kg_co2e_per_cell"],
        ("location_based", "gwp20"): footprint["kg_co2e_per_cell_gwp20"],
        ("market_based", "gwp100"): footprint["kg_co2e_per_cell_market_based"],
    }


SUPPLY_CHAIN = Path(__file__).resolve().parents[2] / "data/examples/suppliers"


@pytest.mark.parametrize(
    ("stages", "suppliers"),
    [(None, False), ({"distribution": {}, "end_of_life": {}}, False), (None, True)],
    ids=["cradle-to-gate", "to-grave", "with-supplier-data"],
)
def test_bundle_of_the_example_recomputes_every_stored_figure(  # type: ignore[no-untyped-def]
    org_client, example_bom, verifier_python: Path, tmp_path: Path, stages, suppliers
) -> None:
    if suppliers:
        # The example supply chain: supplier-specific processes, a green tariff and a PCF make
        # the market-based figure differ from the location-based one.
        from app.example_loader import bom_with_suppliers, post_supply_chain

        chain = json.loads((SUPPLY_CHAIN / "nmc811_supply_chain.json").read_text())
        example_bom = bom_with_suppliers(example_bom, chain, post_supply_chain(org_client, chain))
    bom = org_client.post("/v1/boms", json=example_bom).json()
    footprint = org_client.post(f"/v1/boms/{bom['id']}/footprints", json=stages).json()
    if suppliers:
        assert footprint["kg_co2e_per_cell_market_based"] < footprint["kg_co2e_per_cell"]
    response = org_client.get(f"/v1/footprints/{footprint['id']}/bundle")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    bundle_dir = _unpack(response.content, tmp_path / "bundle")

    run = run_recompute(verifier_python, bundle_dir)
    assert run.returncode == 0, run.stderr + run.stdout
    rows = {(r["case"], r["method"]): r for r in json.loads(run.stdout)}
    stored = _stored(footprint)
    assert set(rows) == set(stored)
    for key, figure in stored.items():
        assert rows[key]["recomputed_kg_co2e_per_cell"] == pytest.approx(figure, rel=1e-9), key
        assert rows[key]["match"] is True

    documents = bundle_dir / "documents"
    # The stored payload: what was posted, with the defaults it was read with filled in.
    assert _holds(json.loads((documents / "bom/posted.json").read_text()), example_bom)
    normalised = json.loads((documents / "bom/normalised.json").read_text())
    assert normalised["grid_region"] == example_bom["plant"]["grid_region"]
    assert len(normalised["lines"]) == len(example_bom["lines"])
    stored_result = json.loads((documents / "footprint/stored_result.json").read_text())
    assert ("lifecycle" in stored_result) == (stages is not None)
    manifest = json.loads((bundle_dir / "manifest.json").read_text())
    assert manifest["background"]["version"] == footprint["background"]["version"]
    assert manifest["versions"]["input_sha256"] == footprint["input_sha256"]
    assert {"bw2calc", "bw_processing", "cellcarbon"} <= set(manifest["versions"])
    assert manifest["background"]["included"] is True


@pytest.mark.parametrize(
    ("column", "said"),
    [("background_version", "000000000000"), ("input_sha256", "have changed since")],
)
def test_bundle_is_refused_when_the_data_would_not_give_the_figures(  # type: ignore[no-untyped-def]
    org_client, settings, example_bom, column: str, said: str
) -> None:
    """Computed on another background, or on inputs (supplier data) that have changed since:
    409, and nothing half-written."""
    from app.core.runtime import get_engine

    bom = org_client.post("/v1/boms", json=example_bom).json()
    footprint = org_client.post(f"/v1/boms/{bom['id']}/footprints").json()
    # Footprints are immutable, so only the test can make one look like that.
    footprint_id = uuid.UUID(footprint["id"])
    with get_engine(settings).begin() as connection:
        connection.execute(
            text(f"UPDATE footprint SET {column} = :v WHERE id = :id"),
            {
                "v": "0" * 64,
                "id": footprint_id.hex
                if settings.database_url.startswith("sqlite")
                else footprint_id,
            },
        )
    refused = org_client.get(f"/v1/footprints/{footprint['id']}/bundle")
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert said in refused.json()["detail"]


def test_another_organisation_gets_404_for_our_bundle(
    app, settings, org_client, example_bom
) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from tests.conftest import make_organisation

    bom = org_client.post("/v1/boms", json=example_bom).json()
    footprint = org_client.post(f"/v1/boms/{bom['id']}/footprints").json()
    token = make_organisation(settings, f"neighbour {uuid.uuid4().hex[:8]}")
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as neighbour:
        response = neighbour.get(f"/v1/footprints/{footprint['id']}/bundle")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_cli_writes_the_same_bundle(  # type: ignore[no-untyped-def]
    org_client, settings, example_bom, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from app.cli import cli
    from app.core.settings import get_settings

    bom = org_client.post("/v1/boms", json=example_bom).json()
    footprint = org_client.post(f"/v1/boms/{bom['id']}/footprints").json()
    monkeypatch.setenv("CELLCARBON_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CELLCARBON_BRIGHTWAY_DIR", str(settings.brightway_dir))
    get_settings.cache_clear()
    try:
        target = tmp_path / "x.zip"
        result = CliRunner().invoke(cli, ["bundle", footprint["id"], "-o", str(target)])
        missing = CliRunner().invoke(cli, ["bundle", str(uuid.uuid4()), "-o", str(target)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    over_http = org_client.get(f"/v1/footprints/{footprint['id']}/bundle").content
    with zipfile.ZipFile(target) as written, zipfile.ZipFile(io.BytesIO(over_http)) as served:
        assert written.namelist() == served.namelist()
        # The same documents and data; the foreground datapackages are rebuilt each time.
        for name in written.namelist():
            if name.startswith(("documents/", "datapackages/background/", "recompute.py")):
                assert written.read(name) == served.read(name), name
        manifest = json.loads(written.read("manifest.json"))
    assert manifest["cases"][0]["stored_kg_co2e"]["gwp100"] == footprint["kg_co2e_per_cell"]
    assert missing.exit_code == 1 and "no footprint" in missing.output
