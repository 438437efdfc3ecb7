"""A climate method shipped with an import (the JSON-LD test package's own "Climate change"
category, IPCC AR5 factors) chosen for a footprint, with its known answer.

AR5 GWP100 (tests/lca/imports/system_jsonld.py): CH4 28, N2O 265, SF6 23,500, CF4 6,630,
C2F6 11,100. Unit scores of the test system (tests/lca/imports/system.py) in that method:

* electricity: 0.4 + 0.002 × 28 = 0.456 /kWh; natural gas 0.0002 × 28 = 0.0056 /MJ
* heat: 0.0056 + 0.056 = 0.0616 /MJ; steel: 2 × 0.456 + 10 × 0.0616 + 1.5 = 3.028 /kg
* copper: 3 × 0.456 + 0.5 + 0.002 × 265 = 2.398; aluminium: 10.213 (test_jsonld.py)
* solvent: 5 × 0.0616 = 0.308; nickel sulfate: 0.3028 + 0.684 + 0.2464 + 0.2 = 1.4332
* graphite: 8 × 0.456 + 0.5 = 4.148; lithium carbonate: 1.232 + 0.1368 + 2 = 3.3688
* cathode: 0.4 × 1.4332 + 0.1 × 3.3688 + 0.05 × 10.213 + 2 × 0.456 = 2.33281
* electrolyte: 0.8 × 0.308 + 0.1 × 3.3688 + 0.0616 + 1e-5 × 23,500 = 0.87988

The small BOM (tests/backgrounds/helpers.py): 0.3 × 2.33281 + 0.1 × 4.148 + 0.05 × 2.398
+ 0.05 × 0.87988 + 1.5 × 0.456 + 2 × 0.0616 = 0.699843 + 0.4148 + 0.1199 + 0.043994 + 0.684
+ 0.1232 = 2.085737 kg CO2e.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.backgrounds.helpers import BOM_KG_CO2E, map_small_bom, small_bom, wait_for_job

SHIPPED = "shipped Climate change - GWP100 (IPCC AR5)"
DEFAULT = "IPCC AR6 GWP100"
BOM_KG_CO2E_AR5 = 2.085737


@pytest.fixture(scope="module")
def jsonld_background(client: TestClient, tmp_path_factory: pytest.TempPathFactory) -> str:
    from tests.lca.imports.system_jsonld import write_jsonld_zip

    content = write_jsonld_zip(tmp_path_factory.mktemp("jsonld") / "package.zip").read_bytes()
    response = client.post(
        "/v1/backgrounds",
        files={"file": ("package.zip", content, "application/zip")},
        params={"name": "test system (JSON-LD, shipped method)"},
    )
    assert response.status_code == 202, response.text
    job = wait_for_job(client, response.json())
    assert job["status"] == "succeeded", job
    return str(job["result"]["background_id"])


@pytest.fixture(scope="module")
def bom_and_background(client: TestClient, jsonld_background: str) -> tuple[str, str]:
    bom = client.post("/v1/boms", json=small_bom("shipped method cell")).json()["id"]
    missing = client.post(f"/v1/boms/{bom}/footprints", params={"background": jsonld_background})
    assert missing.status_code == 422
    units = {m["code"]: m["unit"] for m in client.get("/v1/materials").json()["data"]}
    plant = {e["loc"][-1] for e in missing.json()["errors"]}
    electricity = next(c for c in plant if units.get(c) == "kWh")
    heat = next(c for c in plant if units.get(c) == "MJ")
    assert map_small_bom(client, jsonld_background, electricity, heat).status_code == 200
    return str(bom), jsonld_background


def test_the_registry_lists_the_shipped_method(client: TestClient, jsonld_background: str) -> None:
    background = client.get(f"/v1/backgrounds/{jsonld_background}").json()
    assert background["methods"] == [DEFAULT, SHIPPED]


def test_footprint_in_the_shipped_method_known_answer(
    client: TestClient, bom_and_background: tuple[str, str]
) -> None:
    bom, background = bom_and_background
    default = client.post(f"/v1/boms/{bom}/footprints", params={"background": background})
    assert default.status_code == 201, default.text
    assert default.json()["kg_co2e_per_cell"] == pytest.approx(BOM_KG_CO2E, rel=1e-7)
    assert default.json()["background"]["method"] == DEFAULT
    shipped = client.post(
        f"/v1/boms/{bom}/footprints", params={"background": background, "method": SHIPPED}
    )
    assert shipped.status_code == 201, shipped.text
    body = shipped.json()
    assert body["kg_co2e_per_cell"] == pytest.approx(BOM_KG_CO2E_AR5, rel=1e-7)
    assert body["background"]["method"] == SHIPPED
    assert body["background"]["id"] == background
    assert sum(line["kg_co2e"] for line in body["lines"]) == pytest.approx(BOM_KG_CO2E_AR5)
    assert body["input_sha256"] != default.json()["input_sha256"]
    # Stored as computed: read back, it names the same method.
    again = client.get(f"/v1/footprints/{body['id']}").json()
    assert again["background"]["method"] == SHIPPED


@pytest.mark.parametrize(("kind", "fmt"), [("report", "csv"), ("declaration", "json")])
def test_reports_and_declarations_name_the_shipped_method(
    client: TestClient, bom_and_background: tuple[str, str], kind: str, fmt: str
) -> None:
    bom, background = bom_and_background
    footprint = client.post(
        f"/v1/boms/{bom}/footprints", params={"background": background, "method": SHIPPED}
    ).json()
    job = client.post(
        f"/v1/footprints/{footprint['id']}/reports", json={"kind": kind, "format": fmt}
    ).json()
    job = wait_for_job(client, job)
    assert job["status"] == "succeeded", job
    document = client.get(job["result"]["url"]).text
    assert SHIPPED in document


def test_an_unknown_method_is_refused(
    client: TestClient, bom_and_background: tuple[str, str]
) -> None:
    bom, background = bom_and_background
    answer = client.post(
        f"/v1/boms/{bom}/footprints", params={"background": background, "method": "EF 3.1"}
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["errors"][0]["loc"] == ["query", "method"]
    on_open = client.post(f"/v1/boms/{bom}/footprints", params={"method": SHIPPED})
    assert on_open.status_code == 422
    assert on_open.json()["errors"][0]["loc"] == ["query", "method"]


def test_an_import_without_a_shipped_method_lists_the_default_only() -> None:
    from app.backgrounds.methods import method_names
    from app.backgrounds.models import ImportedBackground

    row = ImportedBackground.model_construct(method_coverage={"shipped_methods": []})
    assert method_names(row) == [DEFAULT]


def test_pact_footprint_states_the_background_and_the_shipped_method(
    client: TestClient, settings: Any, bom_and_background: tuple[str, str]
) -> None:
    """PACT v3 ``secondaryEmissionFactorSources`` names the imported background (its registry
    id) and its full version; ``ipccCharacterizationFactors`` the shipped method's AR5."""
    from jsonschema import Draft202012Validator, FormatChecker
    from sqlmodel import Session

    from app.access.models import Organisation
    from app.boms.models import Bom
    from app.core.db import make_engine
    from app.footprints.models import Footprint
    from app.pact.mapping import Published, product_footprint
    from tests.pact.conftest import SCHEMA

    bom_id, background = bom_and_background
    version = client.get(f"/v1/backgrounds/{background}").json()["version"]
    made = {}
    for method in (DEFAULT, SHIPPED):
        answer = client.post(
            f"/v1/boms/{bom_id}/footprints", params={"background": background, "method": method}
        )
        made[method] = uuid.UUID(answer.json()["id"])
    validator = Draft202012Validator(json.loads(SCHEMA.read_text()), format_checker=FormatChecker())
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            documents = {}
            for method, footprint_id in made.items():
                footprint = session.get(Footprint, footprint_id)
                assert footprint is not None
                bom = session.get(Bom, footprint.bom_id)
                owner = session.get(Organisation, footprint.organisation_id)
                assert bom is not None and owner is not None
                item = Published(footprint, bom, owner, (), False)
                documents[method] = product_footprint(item, domain="cellcarbon.local")
    finally:
        engine.dispose()
    for method, document in documents.items():
        assert list(validator.iter_errors(document)) == []
        pcf = document["pcf"]
        assert pcf["secondaryEmissionFactorSources"] == [
            {
                "name": f"test system (JSON-LD, shipped method) (imported background {background})",
                "version": version,
            }
        ]
        assert background in document["comment"] and version in document["comment"]
        assert method in document["comment"]
    assert documents[DEFAULT]["pcf"]["ipccCharacterizationFactors"] == ["AR6"]
    assert documents[SHIPPED]["pcf"]["ipccCharacterizationFactors"] == ["AR5"]
    # PACT counts the biogenic CO2 emission: 0.05 kg electrolyte × 0.8 kg solvent × 0.3 kg.
    assert float(documents[SHIPPED]["pcf"]["pcfExcludingBiogenicUptake"]) == pytest.approx(
        BOM_KG_CO2E_AR5 + 0.012, abs=1e-6
    )
