"""Imported backgrounds through the API: import job, registry, mapping, footprints, comparison.

The test system (tests/lca/imports/system.py) is uploaded as an ecospold2 zip and imported by a
real job; its footprint is worked out by hand in tests/backgrounds/helpers.py.
"""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.backgrounds.helpers import (
    BOM_KG_CO2E,
    ELECTRICITY,
    TARGETS,
    activity_codes,
    import_test_system,
    map_small_bom,
    small_bom,
    system_zip,
    upload,
    wait_for_job,
)
from tests.conftest import make_organisation

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def imported(client: TestClient) -> str:
    return import_test_system(client)


@pytest.fixture(scope="module")
def bom_id(client: TestClient) -> str:
    response = client.post("/v1/boms", json=small_bom())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture(scope="module")
def plant_products(client: TestClient, imported: str, bom_id: str) -> tuple[str, str]:
    """The open background's electricity and heat products the small BOM's plant uses, read
    from the 422 that names every unmapped material."""
    response = client.post(f"/v1/boms/{bom_id}/footprints", params={"background": imported})
    assert response.status_code == 422, response.text
    missing = {e["loc"][-1] for e in response.json()["errors"]} - set(TARGETS)
    materials = client.get("/v1/materials").json()
    units = {m["code"]: m["unit"] for m in materials["data"]}
    electricity = next(code for code in missing if units.get(code) == "kWh")
    heat = next(code for code in missing if units.get(code) == "MJ")
    return electricity, heat


@pytest.fixture(scope="module")
def mapped(client: TestClient, imported: str, plant_products: tuple[str, str]) -> str:
    response = map_small_bom(client, imported, *plant_products)
    assert response.status_code == 200, response.text
    return imported


def test_import_job_registers_the_background(client: TestClient, imported: str) -> None:
    background = client.get(f"/v1/backgrounds/{imported}").json()
    assert background["source_format"] == "ecospold2"
    assert background["activities"] == 12 and background["status"] == "ready"
    assert len(background["version"]) == 64
    assert background["size_bytes"] == len(system_zip())
    coverage = background["method_coverage"]
    assert coverage["characterised_flows"] > 0 and coverage["share_by_flow"]
    listed = client.get("/v1/backgrounds").json()
    assert imported in {row["id"] for row in listed["data"]}
    # The same source again: the same registry row, not a second one.
    assert import_test_system(client) == imported
    assert client.get("/v1/backgrounds").json()["count"] == listed["count"]


def test_progress_is_reported_and_the_job_names_its_result(
    client: TestClient, imported: str
) -> None:
    """The same source uploaded again, under another file name, is the same background."""
    job = wait_for_job(client, upload(client, system_zip(), "again.zip").json())
    assert job["kind"] == "background.import" and job["progress"] == 1.0
    assert job["result"]["reused"] is True and job["result"]["problems"] == []
    assert job["result"]["background_id"] == imported
    # The job names its upload by a key, never by a path on the server.
    assert "/" not in job["params"]["upload"] and job["params"]["file"] == "source.zip"


def test_a_failed_import_registers_nothing_and_the_job_lists_every_problem(
    client: TestClient,
) -> None:
    before = client.get("/v1/backgrounds").json()["count"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(system_zip())) as good, zipfile.ZipFile(buffer, "w") as bad:
        for index, name in enumerate(good.namelist()):
            text = good.read(name)
            bad.writestr(name, text[:200] if index < 2 else text)  # two files cut short
    response = upload(client, buffer.getvalue(), "broken.zip")
    assert response.status_code == 202
    job = wait_for_job(client, response.json())
    assert job["status"] == "failed"
    problems = job["result"]["problems"]
    assert len([p for p in problems if p["kind"] == "malformed"]) == 2, problems
    assert job["result"]["problem_count"] == len(problems)
    assert "nothing was registered" in job["error"]
    assert client.get("/v1/backgrounds").json()["count"] == before


def test_upload_needs_a_file(client: TestClient) -> None:
    response = client.post("/v1/backgrounds", files={"other": ("a", b"1")})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["errors"][0]["loc"] == ["body", "file"]


def test_upload_over_the_size_limit_is_refused(settings: Any, admin_token: str) -> None:
    from app.main import create_app

    small = settings.model_copy(update={"max_background_upload_bytes": 1000})
    with TestClient(
        create_app(small), headers={"Authorization": f"Bearer {admin_token}"}
    ) as limited:
        response = upload(limited, system_zip(), "release.zip")
    assert response.status_code == 413
    assert response.headers["content-type"].startswith(PROBLEM)


def test_missing_mappings_are_named_each(client: TestClient, mapped: str) -> None:
    """The small BOM is mapped; two more materials are not, and the 422 names both."""
    bom = small_bom("two unmapped")
    bom["lines"] += [
        {"component": "cathode", "material": "carbon_black", "amount": "5 g"},
        {"component": "cathode", "material": "pvdf", "amount": "5 g"},
    ]
    created = client.post("/v1/boms", json=bom).json()["id"]
    response = client.post(f"/v1/boms/{created}/footprints", params={"background": mapped})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    errors = response.json()["errors"]
    assert [e["loc"] for e in errors] == [
        ["background", mapped, "mapping", "carbon_black"],
        ["background", mapped, "mapping", "pvdf"],
    ]
    assert "no mapping for this material" in errors[0]["msg"]


def test_a_bad_mapping_is_refused_whole_with_field_paths(client: TestClient, imported: str) -> None:
    codes = activity_codes(client, imported, ["nmc811_cam"])
    response = client.put(
        f"/v1/backgrounds/{imported}/mapping",
        json={
            "entries": {
                "nmc811_cam": codes[TARGETS["nmc811_cam"][0]],  # fine
                "not_a_material": codes[TARGETS["nmc811_cam"][0]],
                "copper_foil": "no-such-activity",
                "graphite_synthetic_cn": codes[ELECTRICITY[0]],  # kg priced by kWh
            }
        },
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    locs = {tuple(e["loc"]) for e in response.json()["errors"]}
    assert locs == {
        ("body", "entries", "not_a_material"),
        ("body", "entries", "copper_foil"),
        ("body", "entries", "graphite_synthetic_cn"),
    }
    units = next(e for e in response.json()["errors"] if e["loc"][-1] == "graphite_synthetic_cn")
    assert "counted in kg" in units["msg"] and "kilowatt hour" in units["msg"]


def test_mapping_by_csv_and_suggestions(
    client: TestClient, mapped: str, plant_products: tuple[str, str]
) -> None:
    current = client.get(f"/v1/backgrounds/{mapped}/mapping").json()
    entries = {e["material"]: e["activity"] for e in current["entries"]}
    assert len(entries) == 6 and all(e["unit_factor"] == 1.0 for e in current["entries"])
    assert "nmc811_cam" not in current["unmapped"]
    rows = "material,activity\n" + "".join(f"{m},{a}\n" for m, a in entries.items())
    response = client.put(
        f"/v1/backgrounds/{mapped}/mapping",
        content=rows.encode(),
        headers={"content-type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert {e["material"]: e["activity"] for e in response.json()["entries"]} == entries
    bad = client.put(
        f"/v1/backgrounds/{mapped}/mapping",
        files={"file": ("m.csv", b"material,activity\nnmc811_cam,\n", "text/csv")},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["body", "row", 2, "activity"]
    # The suggestion for each material of the BOM ranks its intended activity first.
    bom = client.post("/v1/boms", json=small_bom("suggested")).json()["id"]
    suggested = client.get(
        f"/v1/backgrounds/{mapped}/mapping/suggestions", params={"bom_id": bom}
    ).json()["data"]
    best = {m["material"]: m["suggestions"][0]["name"] for m in suggested}
    assert best["graphite_synthetic_cn"] == TARGETS["graphite_synthetic_cn"][0]
    assert all(m["mapped_to"] == entries[m["material"]] for m in suggested)
    unknown = client.get(
        f"/v1/backgrounds/{mapped}/mapping/suggestions", params={"materials": "nope"}
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["query", "materials", "nope"]


def test_footprint_on_the_imported_background_known_answer(
    client: TestClient, mapped: str, bom_id: str
) -> None:
    """Lines and plant priced with the test system's unit scores (helpers.BOM_KG_CO2E):
    0.7070868 + 0.41768 + 0.12124 + 0.0449754 + 0.6894 + 0.12392 = 2.1043022 kg CO2e."""
    response = client.post(f"/v1/boms/{bom_id}/footprints", params={"background": mapped})
    assert response.status_code == 201, response.text
    footprint = response.json()
    # 1e-7: Brightway stores exchange amounts as float32 (as in tests/lca/imports).
    assert footprint["kg_co2e_per_cell"] == pytest.approx(BOM_KG_CO2E, rel=1e-7)
    by_material = {line["material"]: line["kg_co2e"] for line in footprint["lines"]}
    for material, (_, score) in TARGETS.items():
        amount = {"nmc811_cam": 0.3, "graphite_synthetic_cn": 0.1}.get(material, 0.05)
        assert by_material[material] == pytest.approx(amount * score, rel=1e-7)
    background = client.get(f"/v1/backgrounds/{mapped}").json()
    assert footprint["background"]["id"] == mapped
    assert footprint["background"]["version"] == background["version"]
    assert footprint["background"]["name"] == background["name"]
    stored = client.get(f"/v1/footprints/{footprint['id']}").json()
    assert stored["background"] == footprint["background"]
    assert any("imported background" in note for note in stored["notes"])
    # The default stays the open background, recorded without an id.
    default = client.post(f"/v1/boms/{bom_id}/footprints").json()
    assert default["background"]["id"] is None
    assert default["background"]["version"] != background["version"]
    # Its declaration states the background.
    job = client.post(f"/v1/footprints/{footprint['id']}/reports", json={"format": "json"}).json()
    job = wait_for_job(client, job)
    assert job["status"] == "succeeded", job
    report = client.get(job["result"]["url"]).json()
    assert report["identification"]["background"]["id"] == mapped
    assert report["identification"]["background"]["version"] == background["version"]


def test_lifecycle_stages_are_refused_on_an_imported_background(
    client: TestClient, mapped: str, bom_id: str
) -> None:
    response = client.post(
        f"/v1/boms/{bom_id}/footprints",
        params={"background": mapped},
        json={"distribution": {}},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "background"]


def test_comparison_side_by_side(client: TestClient, mapped: str, bom_id: str) -> None:
    answer = client.get(f"/v1/boms/{bom_id}/comparison", params={"backgrounds": f"open,{mapped}"})
    assert answer.status_code == 200, answer.text
    comparison = answer.json()
    first, second = comparison["backgrounds"]
    assert first["id"] is None and second["id"] == mapped
    assert second["kg_co2e"] == pytest.approx(BOM_KG_CO2E, rel=1e-7)
    assert len(comparison["lines"]) == 6
    for line in comparison["lines"]:
        assert line["difference_kg_co2e"] == pytest.approx(line["kg_co2e"][1] - line["kg_co2e"][0])
    assert sum(line["kg_co2e"][1] for line in comparison["lines"]) == pytest.approx(
        second["kg_co2e"]
    )
    assert comparison["difference_kg_co2e"] == pytest.approx(second["kg_co2e"] - first["kg_co2e"])
    table = client.get(
        f"/v1/boms/{bom_id}/comparison",
        params={"backgrounds": f"open,{mapped}", "format": "csv"},
    )
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(table.text)))
    assert len(rows) == 1 + 6 + 1 and rows[-1][1] == "total"
    assert float(rows[-1][7]) == pytest.approx(second["kg_co2e"])
    for wrong in ("open", f"open,{uuid.uuid4()}", "open,nope"):
        refused = client.get(f"/v1/boms/{bom_id}/comparison", params={"backgrounds": wrong})
        assert refused.status_code in (404, 422), (wrong, refused.text)
        assert refused.headers["content-type"].startswith(PROBLEM)


def test_another_organisation_never_sees_lists_or_computes_on_it(
    app: Any, settings: Any, client: TestClient, mapped: str, bom_id: str
) -> None:
    token = make_organisation(settings, f"other {uuid.uuid4().hex[:8]}")
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as other:
        assert other.get("/v1/backgrounds").json()["count"] == 0
        for path in ("", "/mapping", "/mapping/suggestions?materials=nmc811_cam"):
            response = other.get(f"/v1/backgrounds/{mapped}{path}")
            assert response.status_code == 404, (path, response.text)
        put = other.put(f"/v1/backgrounds/{mapped}/mapping", json={"entries": {}})
        assert put.status_code == 404
        own = other.post("/v1/boms", json=small_bom("theirs")).json()["id"]
        computed = other.post(f"/v1/boms/{own}/footprints", params={"background": mapped})
        assert computed.status_code == 404, computed.text
        compared = other.get(f"/v1/boms/{own}/comparison", params={"backgrounds": f"open,{mapped}"})
        assert compared.status_code == 404
        # Importing the same source makes their own row, not a view of ours.
        theirs = import_test_system(other)
        assert theirs != mapped
        assert other.get(f"/v1/backgrounds/{theirs}/mapping").json()["entries"] == []


def test_imports_count_against_the_organisations_job_limit(
    client: TestClient, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the limit: 429, no job, and the upload is not kept."""
    uploads = settings.backgrounds_root / "uploads"
    before = sorted(uploads.iterdir()) if uploads.exists() else []
    monkeypatch.setattr(settings, "max_queued_jobs_per_org", 0)
    response = upload(client, system_zip(), "release.zip")
    assert response.status_code == 429
    assert response.headers["content-type"].startswith(PROBLEM)
    after = sorted(uploads.iterdir()) if uploads.exists() else []
    assert set(after) - set(before) == set()


@pytest.mark.parametrize(
    ("filename", "source_format"),
    [("package.zip", "openlca-jsonld"), ("export.csv", "simapro-csv")],
)
def test_jsonld_and_simapro_sources_import_through_the_api(
    client: TestClient,
    tmp_path: Path,
    filename: str,
    source_format: str,
    bom_id: str,
    plant_products: tuple[str, str],
) -> None:
    """The same test system as an openLCA JSON-LD zip and a SimaPro CSV export: each becomes
    a background of its own, and the small BOM mapped onto it has the same known answer."""
    from tests.lca.imports.system_jsonld import write_jsonld_zip
    from tests.lca.imports.system_simapro import write_simapro_csv

    write = write_jsonld_zip if source_format == "openlca-jsonld" else write_simapro_csv
    content = write(tmp_path / filename).read_bytes()
    response = client.post(
        "/v1/backgrounds",
        files={"file": (filename, content, "application/octet-stream")},
        params={"name": f"test system ({source_format})"},
    )
    job = wait_for_job(client, response.json())
    assert job["status"] == "succeeded", job
    background_id = job["result"]["background_id"]
    background = client.get(f"/v1/backgrounds/{background_id}").json()
    assert background["source_format"] == source_format and background["activities"] == 12
    assert map_small_bom(client, background_id, *plant_products).status_code == 200
    footprint = client.post(f"/v1/boms/{bom_id}/footprints", params={"background": background_id})
    assert footprint.status_code == 201, footprint.text
    assert footprint.json()["kg_co2e_per_cell"] == pytest.approx(BOM_KG_CO2E, rel=1e-7)


@pytest.mark.parametrize(
    ("kind", "fmt"),
    [("report", "csv"), ("report", "xlsx"), ("report", "pdf"), ("declaration", "json")],
)
def test_reports_and_declarations_of_an_imported_footprint_render(
    client: TestClient, mapped: str, bom_id: str, kind: str, fmt: str
) -> None:
    footprint = client.post(f"/v1/boms/{bom_id}/footprints", params={"background": mapped})
    job = client.post(
        f"/v1/footprints/{footprint.json()['id']}/reports", json={"kind": kind, "format": fmt}
    ).json()
    job = wait_for_job(client, job)
    assert job["status"] == "succeeded", job
    document = client.get(job["result"]["url"])
    assert document.status_code == 200
    if fmt in ("csv", "json"):
        version = client.get(f"/v1/backgrounds/{mapped}").json()["version"]
        assert version in document.text
