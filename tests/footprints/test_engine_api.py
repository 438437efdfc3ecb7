"""Contribution fields, scenarios and Monte Carlo jobs through the HTTP API."""

from __future__ import annotations

import time

import pytest

from lca.bom import normalise_bom
from lca.footprint import compute
from lca.montecarlo import monte_carlo


@pytest.fixture
def stored(client, example_bom):  # type: ignore[no-untyped-def]
    bom = client.post("/v1/boms", json=example_bom).json()
    footprint = client.post(f"/v1/boms/{bom['id']}/footprints").json()
    return bom, footprint


def test_footprint_lists_upstream_contributors(stored) -> None:  # type: ignore[no-untyped-def]
    _, footprint = stored
    upstream = footprint["upstream"]
    assert len(upstream) == 10
    assert [abs(u["kg_co2e"]) for u in upstream] == sorted(
        (abs(u["kg_co2e"]) for u in upstream), reverse=True
    )
    assert sum(u["kg_co2e"] for u in upstream) + footprint["upstream_rest_kg_co2e"] == (
        pytest.approx(footprint["kg_co2e_per_cell"], rel=1e-9)
    )
    assert all(u["code"] and u["unit"] for u in upstream)


def test_scenarios_compare_side_by_side(client, stored, real_background, example_bom) -> None:  # type: ignore[no-untyped-def]
    bom, footprint = stored
    response = client.post(
        f"/v1/boms/{bom['id']}/scenarios",
        json={
            "scenarios": [
                {"name": "as is"},
                {"name": "Sweden", "grid_region": "SE"},
                {"name": "recycled", "recycled_share": {"Ni": 0.5, "Co": 0.5, "Li": 0.5}},
                {
                    "name": "natural graphite",
                    "substitutions": {"graphite_synthetic_cn": "graphite_natural_cn"},
                },
            ]
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["baseline_kg_co2e_per_cell"] == pytest.approx(
        footprint["kg_co2e_per_cell"], rel=1e-12
    )
    by_name = {s["name"]: s for s in body["scenarios"]}
    assert by_name["as is"]["delta_kg_co2e_per_cell"] == pytest.approx(0, abs=1e-12)
    example_bom["plant"]["grid_region"] = "SE"
    sweden = normalise_bom(example_bom, real_background)
    expected = compute(real_background, sweden.foreground_inputs(), sweden.nominal_energy_kwh)
    assert by_name["Sweden"]["kg_co2e_per_cell"] == pytest.approx(expected.kg_co2e, rel=1e-12)
    assert by_name["recycled"]["delta_kg_co2e_per_cell"] < 0
    assert by_name["natural graphite"]["delta_kg_co2e_per_cell"] < 0


def test_bad_scenarios_are_422_naming_the_scenario(client, stored) -> None:  # type: ignore[no-untyped-def]
    bom, _ = stored
    response = client.post(
        f"/v1/boms/{bom['id']}/scenarios",
        json={"scenarios": [{"name": "ok"}, {"name": "bad", "grid_region": "MARS"}]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["scenarios", 1]
    response = client.post(
        f"/v1/boms/{bom['id']}/scenarios",
        json={"scenarios": [{"name": "too much", "recycled_share": {"Ni": 2}}]},
    )
    assert response.status_code == 422


def _wait_for(client, url: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(url).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job at {url} did not finish")


def test_uncertainty_job_runs_and_is_reproducible(
    client, stored, real_background, example_bom
) -> None:  # type: ignore[no-untyped-def]
    _, footprint = stored
    response = client.post(
        f"/v1/footprints/{footprint['id']}/uncertainty", json={"iterations": 200, "seed": 11}
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] in ("queued", "running", "succeeded")
    job = _wait_for(client, response.headers["location"])
    assert job["status"] == "succeeded", job["error"]
    assert job["progress"] == 1.0
    result = job["result"]
    assert result["iterations"] == 200 and result["seed"] == 11
    assert result["static"] == pytest.approx(footprint["kg_co2e_per_cell"], rel=1e-12)
    inputs = normalise_bom(example_bom, real_background).foreground_inputs()
    expected = monte_carlo(real_background, inputs, iterations=200, seed=11)
    assert result["mean"] == pytest.approx(expected.mean, rel=1e-12)
    assert result["percentiles"]["p97.5"] == pytest.approx(expected.percentiles["p97.5"], rel=1e-12)


def test_uncertainty_input_is_validated(client, stored) -> None:  # type: ignore[no-untyped-def]
    _, footprint = stored
    url = f"/v1/footprints/{footprint['id']}/uncertainty"
    assert client.post(url, json={"iterations": 5}).status_code == 422
    assert client.post(url, json={"iterations": 10**7}).status_code == 422
    missing = "/v1/footprints/00000000-0000-0000-0000-000000000009/uncertainty"
    assert client.post(missing, json={}).status_code == 404
    assert client.get("/v1/jobs/00000000-0000-0000-0000-000000000009").status_code == 404
