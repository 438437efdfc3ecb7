"""The functional unit's service years and cycles are plausible numbers, so per-kWh figures
stay finite (a report with service_years=5e-324 used to print a literal Infinity)."""

from __future__ import annotations

import math

import pytest


@pytest.mark.parametrize(
    "query",
    [
        "service_years=5e-324",
        "service_years=0.1",
        "service_years=inf",
        "full_equivalent_cycles_per_year=1e-300",
        "full_equivalent_cycles_per_year=nan",
    ],
)
def test_implausible_use_phase_is_422_naming_the_parameter(
    client, four_stage_footprint, query
) -> None:  # type: ignore[no-untyped-def]
    url = f"/v1/footprints/{four_stage_footprint['id']}/report?{query}"
    response = client.get(url)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    name = query.split("=")[0]
    assert any(name in map(str, e["loc"]) for e in response.json()["errors"])


def test_the_shortest_plausible_service_life_gives_finite_figures(
    client, four_stage_footprint
) -> None:  # type: ignore[no-untyped-def]
    """Half a year of one cycle: 0.219 kWh × 1 × 0.5 = 0.1095 kWh delivered."""
    url = f"/v1/footprints/{four_stage_footprint['id']}/report"
    response = client.get(f"{url}?service_years=0.5&full_equivalent_cycles_per_year=1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["functional_unit"]["total_energy_kwh"] == pytest.approx(0.1095, rel=1e-9)
    assert math.isfinite(body["results"]["kg_co2e_per_kwh_delivered"])


def test_job_parameters_share_the_bounds(client, four_stage_footprint) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        f"/v1/footprints/{four_stage_footprint['id']}/reports",
        json={"format": "csv", "service_years": 5e-324},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
