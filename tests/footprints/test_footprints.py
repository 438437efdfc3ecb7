from __future__ import annotations

import json
from pathlib import Path

import pytest

from lca.bom import normalise_bom
from lca.footprint import reference_score
from lca.quality import exchange_quality, rate

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


def test_a_line_made_in_another_region_is_regionalised(  # type: ignore[no-untyped-def]
    client, real_background, example_bom
) -> None:
    """The CAM line made in KR: stored and shown on the BOM, priced by its chain re-linked to
    KR's grid and LNG, equal to a plain bw2calc run, and marked on the footprint line."""
    cam = next(i for i, line in enumerate(example_bom["lines"]) if line["material"] == "nmc811_cam")
    plain = client.post("/v1/boms", json=example_bom).json()
    example_bom["lines"][cam]["made_in"] = "KR"
    created = client.post("/v1/boms", json=example_bom)
    assert created.status_code == 201, created.text
    assert created.json()["lines"][cam]["made_in"] == "KR"
    assert created.json()["lines"][cam + 1]["made_in"] is None
    footprint = client.post(f"/v1/boms/{created.json()['id']}/footprints").json()
    before = client.post(f"/v1/boms/{plain['id']}/footprints").json()

    normalised = normalise_bom(example_bom, real_background)
    inputs, processes = normalised.footprint_model(real_background)
    assert list(processes) == ["nmc811_cam@KR"]
    expected = reference_score(real_background, inputs, processes=processes)
    assert footprint["kg_co2e_per_cell"] == pytest.approx(expected, rel=1e-9)
    line = footprint["lines"][cam]
    assert (line["material"], line["made_in"], line["data_quality"]) == (
        "nmc811_cam",
        "KR",
        "secondary",
    )
    assert [x["made_in"] for x in footprint["lines"]].count(None) == len(footprint["lines"]) - 1
    # Korea's grid is cleaner than China's: the CAM line, and only it, goes down.
    assert line["kg_co2e"] < before["lines"][cam]["kg_co2e"]
    assert footprint["lines"][cam + 1]["kg_co2e"] == before["lines"][cam + 1]["kg_co2e"]


def test_a_supplier_site_implies_where_the_material_is_made(  # type: ignore[no-untyped-def]
    org_client, example_bom
) -> None:
    """A line of a supplier site in KR, with no supplier data: priced as made in KR. A made_in
    that contradicts the site is refused, with its path, and nothing is stored."""
    supplier = org_client.post("/v1/suppliers", json={"name": "CAM maker", "country": "KR"}).json()
    site = org_client.post(
        f"/v1/suppliers/{supplier['id']}/sites",
        json={"name": "Gwangyang", "country": "KR", "grid_region": "KR"},
    ).json()
    cam = next(i for i, line in enumerate(example_bom["lines"]) if line["material"] == "nmc811_cam")
    example_bom["lines"][cam].update(supplier=supplier["id"], supplier_site=site["id"])
    created = org_client.post("/v1/boms", json=example_bom)
    assert created.status_code == 201, created.text
    assert created.json()["lines"][cam]["made_in"] == "KR"
    footprint = org_client.post(f"/v1/boms/{created.json()['id']}/footprints").json()
    assert footprint["lines"][cam]["made_in"] == "KR"

    count = org_client.get("/v1/boms").json()["count"]
    example_bom["lines"][cam]["made_in"] = "CN"
    refused = org_client.post("/v1/boms", json=example_bom)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [e["loc"] for e in refused.json()["errors"]] == [["lines", cam, "made_in"]]
    assert org_client.get("/v1/boms").json()["count"] == count


def test_footprint_carries_its_data_quality_rating(  # type: ignore[no-untyped-def]
    client, real_background, example_bom
) -> None:
    """The stored rating is lca.quality's for the same inputs, shown beside the primary data
    share in the footprint and in its report."""
    bom = client.post("/v1/boms", json=example_bom).json()
    footprint = client.post(f"/v1/boms/{bom['id']}/footprints").json()
    inputs, processes = normalise_bom(example_bom, real_background).footprint_model(real_background)
    expected = rate(real_background, exchange_quality(real_background), inputs, processes)
    assert footprint["data_quality_rating"] == pytest.approx(expected.dqr, rel=1e-12)
    assert footprint["data_quality_level"] == expected.level
    assert 1.0 <= footprint["data_quality_rating"] <= 5.0
    report = client.get(f"/v1/footprints/{footprint['id']}/report", params={"format": "json"})
    assert report.json()["results"]["data_quality_rating"] == footprint["data_quality_rating"]
    assert report.json()["data_quality_level"] == expected.level


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
            # JSON; NDJSON whose schema describes one line (the batch route); a JWS (a
            # rendered file's detached signature); or, for a file alone, its binary body.
            media = next(
                (
                    m
                    for m in ("application/x-ndjson", "application/jose", "application/json")
                    if m in schema
                ),
                next(iter(schema), "application/json"),
            )
            assert media in schema and schema[media].get("schema"), path


@pytest.mark.parametrize(
    ("end_of_life", "loc"),
    [
        ({"route": "landfill"}, ["end_of_life", "route"]),
        ({"grid_region": "XX-NOWHERE"}, ["end_of_life", "grid_region"]),
    ],
)
def test_an_asynchronous_footprint_refuses_what_the_synchronous_one_does(  # type: ignore[no-untyped-def]
    client, example_bom, end_of_life, loc
) -> None:
    """wait=false used to queue the job (202) and fail it later; both answer 422 now, and no
    job is created."""
    bom = client.post("/v1/boms", json=example_bom).json()
    path = f"/v1/boms/{bom['id']}/footprints"
    answers = [
        client.post(path, params={"wait": wait}, json={"end_of_life": end_of_life})
        for wait in ("true", "false")
    ]
    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert [e["loc"] for e in answer.json()["errors"]] == [loc]
    assert "location" not in answers[1].headers
