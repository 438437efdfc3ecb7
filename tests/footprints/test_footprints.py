from __future__ import annotations

import json
from pathlib import Path

import pytest

from lca.bom import normalise_bom
from lca.footprint import reference_score

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "data" / "examples").glob("*.json"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_footprint_of_each_example_equals_plain_bw2calc(  # type: ignore[no-untyped-def]
    client, real_background, example: Path
) -> None:
    bom = json.loads(example.read_text())
    created = client.post("/v1/boms", json=bom)
    assert created.status_code == 201, created.text
    response = client.post(f"/v1/boms/{created.json()['id']}/footprints")
    assert response.status_code == 201, response.text
    footprint = response.json()
    inputs = normalise_bom(bom, real_background).foreground_inputs()
    expected = reference_score(real_background, inputs)
    assert footprint["kg_co2e_per_cell"] == pytest.approx(expected, rel=1e-9)
    assert footprint["kg_co2e_per_kwh"] == pytest.approx(
        expected / footprint["nominal_energy_kwh"], rel=1e-12
    )
    assert sum(line["kg_co2e"] for line in footprint["lines"]) == pytest.approx(
        footprint["kg_co2e_per_cell"], rel=1e-12
    )
    assert sum(footprint["by_component"].values()) == pytest.approx(
        footprint["kg_co2e_per_cell"], rel=1e-12
    )
    manufacturing = [x for x in footprint["lines"] if x["component"] == "cell manufacturing"]
    assert {x["label"].split(" (")[0] for x in manufacturing} >= {"plant electricity"}
    assert footprint["background"]["version"] == real_background.version
    stored = client.get(f"/v1/footprints/{footprint['id']}")
    assert stored.status_code == 200
    assert stored.json() == footprint


def test_footprint_of_unknown_bom_is_404(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/v1/boms/00000000-0000-0000-0000-000000000001/footprints")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_health_and_materials(client, real_background) -> None:  # type: ignore[no-untyped-def]
    health = client.get("/health").json()
    assert health["status"] == "ok"
    assert health["database"] is True
    assert health["background"]["version"] == real_background.version
    assert health["background"]["activities"] == len(real_background.products)
    assert health["background"]["method"] == "IPCC AR6 GWP100"
    materials = client.get("/v1/materials", params={"q": "nmc811"}).json()
    assert "nmc811_cam" in {m["code"] for m in materials["data"]}
    assert all("nmc811" in (m["code"] + m["name"]).lower() for m in materials["data"])
    assert all(m["source"] for m in client.get("/v1/materials").json()["data"])


def test_openapi_routes_have_descriptions(client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        if not path.startswith(("/v1/", "/health")):
            continue  # the PACT API documents itself after the PACT specification
        for method, operation in operations.items():
            assert operation.get("description") or operation.get("summary"), (method, path)
            if "204" in operation["responses"]:
                continue  # no content to describe
            success = {"200", "201", "202"} & set(operation["responses"])
            assert success, (method, path)
            schema = operation["responses"][success.pop()].get("content", {})
            # JSON, or NDJSON whose schema describes one line (the batch route).
            media = (
                "application/x-ndjson" if "application/x-ndjson" in schema else "application/json"
            )
            assert media in schema and schema[media]["schema"], path
