"""A plant's stored instruments on SQLite and PostgreSQL: CRUD, profile uploads, footprints."""

from __future__ import annotations

from typing import Any

import pytest

from tests.plants.test_plants_api import _known_answer_setup, _plant, _post_csv

PPA = {"name": "Solar PPA", "kind": "ppa", "technology": "solar", "market": "US-SRTV"}


def _problems(response: Any) -> set[tuple[str, ...]]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return {tuple(map(str, e["loc"])) for e in response.json()["errors"]}


def test_stored_instrument_is_matched_hour_by_hour_and_annually(org_client, example_bom) -> None:  # type: ignore[no-untyped-def]
    """The known-answer lot (00:00-02:00 UTC, 100 kWh metered in each hour) with a stored solar
    PPA that delivers 0 kWh in hour 00 and 150 kWh in hour 01 (midday somewhere).

    Hourly matching: hour 00 has nothing to match, hour 01 covers its 100 kWh (the other 50
    are lost): 100 of 200 kWh, a share of 0.5. Annual matching: 150 of 200 kWh, 0.75 of every
    hour. The same instrument sent in the request instead of stored gives the same figures, so
    no new version; without any instrument the shares fall to 0 and a version follows."""
    bom = org_client.post("/v1/boms", json=example_bom).json()
    plant_id, period = _known_answer_setup(org_client, bom)
    created = org_client.post(f"/v1/plants/{plant_id}/instruments", json=PPA)
    assert created.status_code == 201, created.text
    instrument = created.json()
    assert created.headers["location"].endswith(instrument["id"])
    assert instrument["hours"] == 0 and instrument["first_hour"] is None
    url = f"/v1/plants/{plant_id}/instruments/{instrument['id']}/profile"
    profile = "hour_start_utc,kwh\n2026-06-01T00:00:00Z,0\n2026-06-01T01:00:00Z,150\n"
    uploaded = _post_csv(org_client, url, profile)
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["hours"] == 2 and uploaded.json()["replaced"] == 0

    summary = org_client.post(f"/v1/plants/{plant_id}/footprints?{period}").json()
    assert summary["matched_share"] == pytest.approx({"market_annual": 0.75, "market_hourly": 0.5})
    (stored,) = org_client.get(f"/v1/plants/{plant_id}/footprints?{period}").json()["data"]

    in_request = {
        "instruments": [{**PPA, "first_hour": "2026-06-01T00:00:00Z", "kwh": [0.0, 150.0]}],
        "use_stored_instruments": False,
    }
    again = org_client.post(f"/v1/plants/{plant_id}/footprints?{period}", json=in_request)
    assert again.status_code == 200, again.text
    assert again.json()["unchanged"] == 1
    assert again.json()["matched_share"] == summary["matched_share"]

    without = org_client.post(
        f"/v1/plants/{plant_id}/footprints?{period}", json={"use_stored_instruments": False}
    ).json()
    assert without["new_versions"] == 1
    assert without["matched_share"] == {"market_annual": 0.0, "market_hourly": 0.0}
    (plain,) = org_client.get(f"/v1/plants/{plant_id}/footprints?{period}").json()["data"]
    # the PPA's solar electricity is cleaner than the residual mix it displaced
    assert stored["kg_co2e_per_cell"]["market_hourly"] < plain["kg_co2e_per_cell"]["market_hourly"]
    assert stored["kg_co2e_per_cell"]["location"] == pytest.approx(
        plain["kg_co2e_per_cell"]["location"]
    )

    # a corrected hour replaces its value: 100 kWh in hour 01 now covers it exactly
    fixed = org_client.post(url, json={"first_hour": "2026-06-01T01:00:00Z", "kwh": [100.0]}).json()
    assert fixed["hours"] == 1 and fixed["replaced"] == 1
    listed = org_client.get(f"/v1/plants/{plant_id}/instruments").json()
    assert listed["count"] == 1 and listed["data"][0]["total_kwh"] == pytest.approx(100.0)
    hours = org_client.get(f"{url}?{period}").json()
    assert [h["kwh"] for h in hours["data"]] == [0.0, 100.0]
    third = org_client.post(f"/v1/plants/{plant_id}/footprints?{period}").json()
    assert third["matched_share"] == pytest.approx({"market_annual": 0.5, "market_hourly": 0.5})


def test_bad_instruments_and_profiles_list_every_problem_and_store_nothing(org_client) -> None:  # type: ignore[no-untyped-def]
    plant = _plant(org_client)
    base = f"/v1/plants/{plant['id']}/instruments"
    bad = {
        "name": "x",
        "kind": "wish",
        "technology": "perpetual_motion",
        "market": "DE",
        "kwh": [1.0],
    }
    response = org_client.post(base, json=bad)
    assert response.status_code == 422
    assert {("kind",), ("technology",), ("market",), ("first_hour",)} <= _problems(response)
    assert org_client.get(base).json()["count"] == 0

    instrument = org_client.post(base, json=PPA).json()
    url = f"{base}/{instrument['id']}/profile"
    rows = (
        "hour_start_utc,kwh\n"
        "2026-06-01T00:00:00Z,5\n"
        "2026-06-01T00:30:00Z,5\n"  # not an hour start
        "yesterday,5\n"
        "2026-06-01T02:00:00Z,-1\n"
        "2026-06-01T03:00:00Z,1e12\n"
        "2026-06-01T00:00:00Z,6\n"  # the first hour again
    )
    response = _post_csv(org_client, url, rows)
    assert response.status_code == 422
    assert _problems(response) == {
        ("rows", "1", "hour_start_utc"),
        ("rows", "2", "hour_start_utc"),
        ("rows", "3", "kwh"),
        ("rows", "4", "kwh"),
        ("rows", "5"),
    }
    assert _problems(_post_csv(org_client, url, "hour,kwh\n1,2\n")) == {("header",)}
    assert _problems(org_client.post(url, json={"profile": "none"})) == {("body",)}
    assert org_client.get(f"{base}/{instrument['id']}").json()["hours"] == 0

    # a change is checked as a creation is, and changes nothing when refused
    refused = org_client.patch(f"{base}/{instrument['id']}", json={"market": "DE"})
    assert refused.status_code == 422 and _problems(refused) == {("market",)}
    renamed = org_client.patch(f"{base}/{instrument['id']}", json={"name": "Wind PPA"})
    assert renamed.json()["name"] == "Wind PPA" and renamed.json()["market"] == "US-SRTV"
    onsite = org_client.post(
        base, json={**PPA, "kind": "onsite", "market": "anywhere", "name": "roof"}
    )
    assert onsite.status_code == 201, onsite.text  # on-site generation needs no market

    assert org_client.delete(f"{base}/{instrument['id']}").status_code == 204
    assert org_client.get(f"{base}/{instrument['id']}").status_code == 404
    assert org_client.delete(f"{base}/{instrument['id']}").status_code == 404
    actions = {
        (e["action"], e["resource"])
        for e in org_client.get("/v1/audit", params={"limit": 200}).json()["data"]
    }
    assert {
        ("create", "plant_instrument"),
        ("update", "plant_instrument"),
        ("delete", "plant_instrument"),
    } <= actions


def test_an_instrument_belongs_to_its_plant(org_client) -> None:  # type: ignore[no-untyped-def]
    first, second = _plant(org_client), _plant(org_client)
    instrument = org_client.post(f"/v1/plants/{first['id']}/instruments", json=PPA).json()
    elsewhere = f"/v1/plants/{second['id']}/instruments/{instrument['id']}"
    assert org_client.get(elsewhere).status_code == 404
    assert org_client.delete(elsewhere).status_code == 404
    assert org_client.get(f"/v1/plants/{second['id']}/instruments").json()["count"] == 0
