"""The plant API on SQLite and PostgreSQL: plants, readings, lots, grid factors, footprints."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.webhooks.endpoints import register

PLANT: dict[str, Any] = {
    "site": "Test plant",
    "grid_region": "US-SRTV",
    "time_zone": "America/Chicago",
    "lines": [{"line_id": "L1", "name": "line 1"}],
    "areas": [{"area_id": "dry", "kind": "dry_room", "rule": "run_time"}],
    "meters": [
        {"meter_id": "main_el", "carrier": "electricity", "scope": "plant"},
        {
            "meter_id": "L1_el",
            "carrier": "electricity",
            "scope": "line",
            "scope_id": "L1",
            "parent": "main_el",
        },
        {"meter_id": "gas", "carrier": "natural_gas", "scope": "area", "scope_id": "dry"},
    ],
}


def _problems(response: Any) -> list[tuple[str, ...]]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return [tuple(map(str, e["loc"])) for e in response.json()["errors"]]


def _plant(client: Any) -> dict[str, Any]:
    response = client.post("/v1/plants", json=PLANT)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _long_csv(rows: list[tuple[str, str, float, str]]) -> str:
    return "meter,timestamp,value,unit\n" + "".join(f"{m},{t},{v},{u}\n" for m, t, v, u in rows)


def _quarter_hours(meter: str, first_hour: int, hours: int, kwh: float, unit: str = "kWh"):  # type: ignore[no-untyped-def]
    """``kwh`` per quarter hour from 2026-06-01T``first_hour``:00Z for ``hours`` hours."""
    return [
        (meter, f"2026-06-01T{h:02d}:{q * 15:02d}:00Z", kwh, unit)
        for h in range(first_hour, first_hour + hours)
        for q in range(4)
    ]


def _post_csv(client: Any, url: str, text: str) -> Any:
    return client.post(url, content=text.encode(), headers={"content-type": "text/csv"})


def test_plant_document_round_trips(org_client) -> None:  # type: ignore[no-untyped-def]
    plant = _plant(org_client)
    assert [m["unit"] for m in plant["meters"]] == ["kWh", "kWh", "MJ"]
    assert org_client.get(f"/v1/plants/{plant['id']}").json() == plant
    listing = org_client.get("/v1/plants").json()
    assert listing["count"] == 1 and listing["data"][0]["id"] == plant["id"]


def test_bad_plant_lists_every_problem_and_stores_nothing(org_client) -> None:  # type: ignore[no-untyped-def]
    bad = {
        **PLANT,
        "grid_region": "NOWHERE",
        "time_zone": "Mars/Olympus",
        "areas": [{"area_id": "dry", "kind": "sauna", "rule": "run_time", "lines": ["L9"]}],
        "meters": [
            {"meter_id": "a", "carrier": "electricity", "scope": "plant", "parent": "b"},
            {"meter_id": "b", "carrier": "electricity", "scope": "plant", "parent": "a"},
            {"meter_id": "c", "carrier": "plutonium", "scope": "line", "scope_id": "L7"},
            {"meter_id": "d", "carrier": "natural_gas", "scope": "plant", "parent": "a"},
        ],
    }
    response = org_client.post("/v1/plants", json=bad)
    assert response.status_code == 422
    locs = _problems(response)
    for expected in [
        ("time_zone",),
        ("grid_region",),
        ("areas", "0", "kind"),
        ("areas", "0", "lines", "0"),
        ("meters", "0", "parent"),
        ("meters", "1", "parent"),
        ("meters", "2", "carrier"),
        ("meters", "2", "scope_id"),
        ("meters", "3", "parent"),
    ]:
        assert expected in locs, (expected, locs)
    assert org_client.get("/v1/plants").json()["count"] == 0


def test_readings_long_wide_json_and_multipart_give_one_quality_report(org_client) -> None:  # type: ignore[no-untyped-def]
    plant = _plant(org_client)
    url = f"/v1/plants/{plant['id']}/readings"
    rows = _quarter_hours("main_el", 0, 2, 25.0)
    rows[3] = ("main_el", rows[3][1], 2500.0, "kWh")  # a spike? too few intervals: not checked
    del rows[5]  # a gap
    long = _post_csv(org_client, url, _long_csv(rows))
    assert long.status_code == 200, long.text
    body = long.json()
    assert body["values_stored"] == 7 and body["values_replaced"] == 0
    assert body["quality"]["counts"] == {"gaps": 1}
    assert body["quality"]["findings"][0]["meter_id"] == "main_el"
    # wide CSV: 1 m³... no: gas in MJ and in kWh (converted to MJ), electricity in MWh
    wide = (
        "timestamp,L1_el [MWh],gas [kWh]\n2026-06-01T00:00:00Z,0.01,1\n2026-06-01T00:15:00Z,0.01,\n"
    )
    answer = _post_csv(org_client, url, wide)
    assert answer.status_code == 200, answer.text
    assert answer.json()["meters"] == ["L1_el", "gas"]
    assert answer.json()["values_stored"] == 3
    records = [{"meter": "L1_el", "timestamp": "2026-06-01T01:00:00Z", "value": 10, "unit": "kWh"}]
    assert org_client.post(url, json=records).status_code == 200
    files = {
        "file": (
            "readings.json",
            b'{"readings": ' + str(records).replace("'", '"').encode() + b"}",
            "application/json",
        )
    }
    multipart = org_client.post(url, files=files)
    assert multipart.status_code == 200, multipart.text
    assert multipart.json()["values_replaced"] == 1  # the same interval again


def test_a_period_sent_again_replaces_the_stored_one(org_client, settings) -> None:  # type: ignore[no-untyped-def]
    """25 kWh a quarter hour for 2 h, then the same 2 h at 10 kWh: the roll-up is 40 kWh an
    hour (4 × 10), not 140."""
    from sqlmodel import select

    from app.core.db import session_scope
    from app.core.runtime import get_engine
    from app.plants.models import MeterHourly, MeterReading, PlantMeter

    plant = _plant(org_client)
    url = f"/v1/plants/{plant['id']}/readings"
    assert (
        _post_csv(org_client, url, _long_csv(_quarter_hours("main_el", 0, 2, 25.0))).status_code
        == 200
    )
    # the second upload is hourly: it replaces the quarter hours whatever their length
    hourly = [("main_el", f"2026-06-01T{h:02d}:00:00Z", 40.0, "kWh") for h in range(2)]
    again = _post_csv(org_client, f"{url}?interval_s=3600", _long_csv(hourly))
    assert again.status_code == 200, again.text
    assert again.json()["values_replaced"] == 8
    with session_scope(get_engine(settings)) as session:
        readings = session.exec(
            select(MeterReading.value).where(
                MeterReading.meter_key.in_(
                    select(PlantMeter.meter_key).where(
                        PlantMeter.plant_id == uuid.UUID(plant["id"])
                    )
                )
            )
        ).all()
        hours = session.exec(
            select(MeterHourly.value).where(
                MeterHourly.meter_key.in_(
                    select(PlantMeter.meter_key).where(
                        PlantMeter.plant_id == uuid.UUID(plant["id"])
                    )
                )
            )
        ).all()
    assert sorted(readings) == [40.0, 40.0]
    assert sorted(hours) == [40.0, 40.0]


def test_unit_mismatch_is_422_and_stores_nothing(org_client) -> None:  # type: ignore[no-untyped-def]
    plant = _plant(org_client)
    url = f"/v1/plants/{plant['id']}/readings"
    rows = [
        ("main_el", "2026-06-01T00:00:00Z", 5.0, "kWh"),
        ("main_el", "2026-06-01T00:15:00Z", 5.0, "m^3"),
        ("nobody", "2026-06-01T00:15:00Z", 5.0, "kWh"),
        ("L1_el", "yesterday", 5.0, "kWh"),
        ("L1_el", "2026-06-01T00:15:00Z", "five", "kWh"),
    ]
    response = _post_csv(org_client, url, _long_csv(rows))  # type: ignore[arg-type]
    assert response.status_code == 422
    assert set(_problems(response)) == {
        ("rows", "1", "unit"),
        ("rows", "2", "meter"),
        ("rows", "3", "timestamp"),
        ("rows", "4", "value"),
    }
    # nothing stored: the good first row is not there either
    ok = _post_csv(org_client, url, _long_csv(rows[:1]))
    assert ok.json()["values_replaced"] == 0
    assert (
        org_client.post(url, content=b"x", headers={"content-type": "image/png"}).status_code == 422
    )


def test_lots_name_stored_boms_and_every_problem_is_listed(org_client, example_bom) -> None:  # type: ignore[no-untyped-def]
    plant = _plant(org_client)
    bom = org_client.post("/v1/boms", json=example_bom).json()
    url = f"/v1/plants/{plant['id']}/lots"
    lot = {
        "lot_id": "A",
        "cell_model": bom["id"],
        "line": "L1",
        "start": "2026-06-01T00:00:00Z",
        "end": "2026-06-01T02:00:00Z",
        "good_cells": 100,
        "scrapped_cells": 5,
    }
    bad = [
        {**lot, "lot_id": "B", "cell_model": "00000000-0000-0000-0000-000000000000"},
        {**lot, "lot_id": "C", "line": "L9", "end": "2026-05-01T00:00:00Z"},
        {**lot, "lot_id": "D", "cell_model": "nmc811", "good_cells": -1},
        {**lot, "lot_id": "E" * 81, "good_cells": 10**12},
    ]
    response = org_client.post(url, json=[lot, *bad])
    assert response.status_code == 422
    assert set(_problems(response)) >= {
        ("lots", "1", "cell_model"),
        ("lots", "2", "line"),
        ("lots", "2", "end"),
        ("lots", "3", "cell_model"),
        ("lots", "3", "good_cells"),
        ("lots", "4", "lot_id"),
        ("lots", "4", "good_cells"),
    }
    csv_text = "lot_id,cell_model,line,start,end,good_cells,scrapped_cells\n" + (
        f"A,{bom['id']},L1,2026-06-01T00:00:00Z,2026-06-01T02:00:00Z,100,5\n"
    )
    created = _post_csv(org_client, url, csv_text)
    assert created.status_code == 200, created.text
    assert created.json()["created"] == 1
    again = org_client.post(url, json=[{**lot, "good_cells": 90}])
    assert again.json() == {**again.json(), "created": 0, "replaced": 1}


EM_EXPORT = (
    "Datetime (UTC),Country,Zone Name,Zone Id,Carbon Intensity gCO₂eq/kWh (direct),"
    "Carbon Intensity gCO₂eq/kWh (LCA),Low Carbon Percentage,Renewable Percentage,"
    "Data Source,Data Estimated,Data Estimation Method\n"
    "2026-06-01 00:00:00,United States,TVA,US-TEN-TVA,380,420,50,20,eia.gov,false,\n"
    "2026-06-01 01:00:00,United States,TVA,US-TEN-TVA,500,600,50,20,eia.gov,false,\n"
)


def test_grid_factors_from_our_csv_and_an_electricity_maps_export(org_client) -> None:  # type: ignore[no-untyped-def]
    ours = "region,hour_start_utc,kg_co2e_per_kwh,source\nUS-SRTV,2026-06-01T00:00:00Z,0.4,test\n"
    first = _post_csv(org_client, "/v1/grid-factors", ours)
    assert first.status_code == 200, first.text
    assert first.json() == {"regions": {"US-SRTV": 1}, "replaced": 0}
    em = _post_csv(
        org_client, "/v1/grid-factors?layout=electricity_maps&zone=US-TEN-TVA:US-SRTV", EM_EXPORT
    )
    assert em.status_code == 200, em.text
    assert em.json() == {"regions": {"US-SRTV": 2}, "replaced": 1}
    bad = (
        "region,hour_start_utc,kg_co2e_per_kwh,source\n"
        "US-SRTV,2026-06-01T00:30:00Z,0.4,test\n"
        "US-SRTV,2026-06-01T01:00:00Z,-1,test\n"
        "US-SRTV,2026-06-01T02:00:00Z,0.4,\n"
    )
    response = _post_csv(org_client, "/v1/grid-factors", bad)
    assert response.status_code == 422
    assert set(_problems(response)) == {
        ("rows", "0", "hour_start_utc"),
        ("rows", "1", "kg_co2e_per_kwh"),
        ("rows", "2", "source"),
    }
    unknown = _post_csv(org_client, "/v1/grid-factors", ours.replace("US-SRTV", "XX-NOPE"))
    assert unknown.status_code == 422


def _known_answer_setup(client: Any, bom: dict[str, Any]) -> tuple[str, str]:
    plant = _plant(client)
    readings = _quarter_hours("main_el", 0, 2, 25.0) + _quarter_hours("L1_el", 0, 2, 2.5)
    assert (
        _post_csv(client, f"/v1/plants/{plant['id']}/readings", _long_csv(readings)).status_code
        == 200
    )
    factors = (
        "region,hour_start_utc,kg_co2e_per_kwh,source\n"
        "US-SRTV,2026-06-01T00:00:00Z,0.4,test\nUS-SRTV,2026-06-01T01:00:00Z,0.6,test\n"
    )
    assert _post_csv(client, "/v1/grid-factors", factors).status_code == 200
    lot = {
        "lot_id": "A",
        "cell_model": bom["id"],
        "line": "L1",
        "start": "2026-06-01T00:00:00Z",
        "end": "2026-06-01T02:00:00Z",
        "good_cells": 80,
        "scrapped_cells": 20,
    }
    assert client.post(f"/v1/plants/{plant['id']}/lots", json=[lot]).status_code == 200
    return plant["id"], "from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z"


def test_lot_footprint_known_answer_and_versions(org_client, example_bom) -> None:  # type: ignore[no-untyped-def]
    """One lot of 80 good + 20 scrapped cells runs 00:00-02:00 UTC on L1. The main meter reads
    100 kWh an hour (4 × 25), of which L1 10 kWh (4 × 2.5): the buckets are L1 10 and the main
    remainder 90 kWh an hour, both the lot's alone. Location-based:
    100 kWh × 0.4 + 100 kWh × 0.6 = 100 kg CO2e, borne by the 80 good cells: 1.25 kg per cell.
    Energy per good cell 200 / 80 = 2.5 kWh. Materials: the BOM's material lines per cell × 100
    cells made / 80 good. Computed again on the same data: no new version. A corrected reading
    of the main meter for hour 01 (65 kWh for the whole hour, replacing its four quarter hours)
    makes version 2: (100 × 0.4 + 65 × 0.6) / 80 = 0.9875 kg per cell."""
    bom = org_client.post("/v1/boms", json=example_bom).json()
    plant_id, period = _known_answer_setup(org_client, bom)
    computed = org_client.post(f"/v1/plants/{plant_id}/footprints?{period}")
    assert computed.status_code == 200, computed.text
    summary = computed.json()
    assert summary["lots"] == 1 and summary["new_versions"] == 1
    assert summary["metered"]["electricity"] == pytest.approx(200.0)
    assert summary["allocated"]["electricity"] == pytest.approx(200.0)
    rows = org_client.get(f"/v1/plants/{plant_id}/footprints?{period}").json()["data"]
    (row,) = rows
    assert row["plant_energy_kg_co2e_per_cell"]["location"] == pytest.approx(1.25)
    assert row["by_area"]["location"]["line"] == pytest.approx((10 * 0.4 + 10 * 0.6) / 80)
    assert row["by_carrier"]["location"]["electricity"] == pytest.approx(1.25)
    assert row["kg_co2e_per_cell"]["location"] == pytest.approx(
        1.25 + row["material_kg_co2e_per_cell"]
    )
    assert row["kg_co2e_per_kwh"]["location"] == pytest.approx(
        row["kg_co2e_per_cell"]["location"] / 0.219, rel=1e-3
    )
    # per good cell the materials of 100 cells made are borne by 80: above the static BOM's
    # materials, which know no scrap; per cell made they are below the whole static estimate
    static = row["static_estimate_kg_co2e_per_cell"]["location"]
    assert 0 < row["material_kg_co2e_per_cell"] * 80 / 100 < static
    assert row["version"] == 1 and row["idle_share"]["location"] == 0.0
    # the same inputs again: nothing new
    assert org_client.post(f"/v1/plants/{plant_id}/footprints?{period}").json()["unchanged"] == 1
    late = [("main_el", "2026-06-01T01:00:00Z", 65.0, "kWh")]
    assert (
        _post_csv(org_client, f"/v1/plants/{plant_id}/readings", _long_csv(late)).status_code == 200
    )
    second = org_client.post(f"/v1/plants/{plant_id}/footprints?{period}").json()
    assert second["new_versions"] == 1
    (row2,) = org_client.get(f"/v1/plants/{plant_id}/footprints?{period}").json()["data"]
    assert row2["version"] == 2
    assert row2["plant_energy_kg_co2e_per_cell"]["location"] == pytest.approx(0.9875)
    monthly = org_client.get(f"/v1/plants/{plant_id}/footprints?{period}&granularity=month").json()
    assert monthly["data"][0]["key"] == "2026-05"  # 02:00 UTC is 21:00 on 31 May in Chicago
    assert monthly["data"][0]["kg_co2e_per_cell"] == row2["kg_co2e_per_cell"]


def test_bad_periods_are_listed(org_client) -> None:  # type: ignore[no-untyped-def]
    plant = _plant(org_client)
    response = org_client.get(f"/v1/plants/{plant['id']}/footprints?from=soon&to=later")
    assert response.status_code == 422
    assert set(_problems(response)) == {("query", "from"), ("query", "to")}
    backwards = org_client.post(
        f"/v1/plants/{plant['id']}/footprints?from=2026-06-02&to=2026-06-01"
    )
    assert _problems(backwards) == [("query", "to")]


def test_a_long_period_is_a_job(org_client, example_bom) -> None:  # type: ignore[no-untyped-def]
    import time

    bom = org_client.post("/v1/boms", json=example_bom).json()
    plant_id, _ = _known_answer_setup(org_client, bom)
    response = org_client.post(f"/v1/plants/{plant_id}/footprints?from=2026-01-01&to=2026-12-31")
    assert response.status_code == 202, response.text
    job = response.json()
    deadline = time.monotonic() + 60
    while job["status"] not in ("succeeded", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
        job = org_client.get(f"/v1/jobs/{job['id']}").json()
    assert job["status"] == "succeeded", job
    assert job["result"]["new_versions"] == 1


def test_lot_footprint_ready_webhook(
    org_client, example_bom, webhook_settings, receiver_factory
) -> None:  # type: ignore[no-untyped-def]
    receiver = receiver_factory([204])
    register(org_client, receiver.url, ["lot.footprint.ready"])
    bom = org_client.post("/v1/boms", json=example_bom).json()
    plant_id, period = _known_answer_setup(org_client, bom)
    summary = org_client.post(f"/v1/plants/{plant_id}/footprints?{period}").json()
    (delivered,) = receiver.wait_for(1)
    event = delivered.json()
    assert event["type"] == "lot.footprint.ready"
    data = event["data"]
    assert data["plant_id"] == plant_id
    assert [f["id"] for f in data["lot_footprints"]] == summary["footprint_ids"]


def test_intervals_spanning_hours_roll_up_by_time(org_client, settings) -> None:  # type: ignore[no-untyped-def]
    """Two-hour intervals of 20 kWh from 00:00 and 02:00 give 10 kWh in each of hours 0-3;
    a quarter hour of 4 kWh sent later at 01:00 replaces the first interval (it overlaps it):
    hour 0 then has no reading (no roll-up), hour 1 holds 4 and hours 2-3 hold 10."""
    from sqlmodel import select

    from app.core.db import session_scope
    from app.core.runtime import get_engine
    from app.plants.models import MeterHourly, PlantMeter

    plant = _plant(org_client)
    url = f"/v1/plants/{plant['id']}/readings"
    rows = [("main_el", f"2026-06-01T0{h}:00:00Z", 20.0, "kWh") for h in (0, 2)]
    assert _post_csv(org_client, f"{url}?interval_s=7200", _long_csv(rows)).status_code == 200

    def hours() -> dict[int, float]:
        with session_scope(get_engine(settings)) as session:
            found = session.exec(
                select(MeterHourly.hour, MeterHourly.value).where(
                    MeterHourly.meter_key.in_(
                        select(PlantMeter.meter_key).where(
                            PlantMeter.plant_id == uuid.UUID(plant["id"])
                        )
                    )
                )
            ).all()
        first = 1_780_272_000 // 3600  # 2026-06-01T00:00:00Z
        return {h - first: v for h, v in found}

    assert hours() == pytest.approx({0: 10.0, 1: 10.0, 2: 10.0, 3: 10.0})
    late = [("main_el", "2026-06-01T01:00:00Z", 4.0, "kWh")]
    answer = _post_csv(org_client, f"{url}?interval_s=900", _long_csv(late))
    assert answer.json()["values_replaced"] == 1
    assert hours() == pytest.approx({1: 4.0, 2: 10.0, 3: 10.0})


def test_uploads_sharing_an_hour_roll_it_up_together(org_client, settings) -> None:  # type: ignore[no-untyped-def]
    """Roll-ups are binned from each upload plus the stored intervals in its first and last hour.

    A: 1 kWh at 00:00 and 00:15. B: 2 kWh at 00:30, 00:45, 01:00, 01:15 → hour 0 = 1+1+2+2 = 6,
    hour 1 = 4. C: 9 kWh over 01:30-03:00 → hour 1 = 4+3 = 7, hour 2 = 6. D: 5 kWh at 00:15
    replaces A's second → hour 0 = 1+5+2+2 = 10. E: 1 kWh at 02:45 overlaps C, which goes →
    hour 1 = 4, hour 2 = 1. F: 3 kWh over 03:00-04:30 → hour 3 = 2, hour 4 = 1; G: 1 kWh at 04:30
    shares hour 4 with F, which started an hour before it → hour 4 = 1+1 = 2.
    """
    from sqlmodel import select

    from app.core.db import session_scope
    from app.core.runtime import get_engine
    from app.plants.models import MeterHourly, PlantMeter

    plant = _plant(org_client)
    url = f"/v1/plants/{plant['id']}/readings"

    def send(interval_s: int, *rows: tuple[str, float]) -> None:
        body = _long_csv([("main_el", f"2026-06-01T{t}:00Z", v, "kWh") for t, v in rows])
        answer = _post_csv(org_client, f"{url}?interval_s={interval_s}", body)
        assert answer.status_code == 200, answer.text

    def hours() -> dict[int, float]:
        with session_scope(get_engine(settings)) as session:
            found = session.exec(
                select(MeterHourly.hour, MeterHourly.value).where(
                    MeterHourly.meter_key.in_(
                        select(PlantMeter.meter_key).where(
                            PlantMeter.plant_id == uuid.UUID(plant["id"])
                        )
                    )
                )
            ).all()
        first = 1_780_272_000 // 3600  # 2026-06-01T00:00:00Z
        return {h - first: v for h, v in found}

    send(900, ("00:00", 1.0), ("00:15", 1.0))
    send(900, ("00:30", 2.0), ("00:45", 2.0), ("01:00", 2.0), ("01:15", 2.0))
    assert hours() == pytest.approx({0: 6.0, 1: 4.0})
    send(5400, ("01:30", 9.0))
    assert hours() == pytest.approx({0: 6.0, 1: 7.0, 2: 6.0})
    send(900, ("00:15", 5.0))
    assert hours() == pytest.approx({0: 10.0, 1: 7.0, 2: 6.0})
    send(900, ("02:45", 1.0))
    assert hours() == pytest.approx({0: 10.0, 1: 4.0, 2: 1.0})
    send(5400, ("03:00", 3.0))
    send(900, ("04:30", 1.0))
    assert hours() == pytest.approx({0: 10.0, 1: 4.0, 2: 1.0, 3: 2.0, 4: 2.0})


def test_period_report_as_xlsx_and_pdf(org_client, example_bom) -> None:  # type: ignore[no-untyped-def]
    """The known-answer lot (1.25 kg CO2e of plant energy per good cell, location-based) in the
    workbook's day sheet, the hourly sheet with 100 kWh at 0.4 and 0.6 kg/kWh, text as text."""
    import io

    from openpyxl import load_workbook

    bom = org_client.post("/v1/boms", json=example_bom).json()
    plant_id, period = _known_answer_setup(org_client, bom)
    org_client.post(f"/v1/plants/{plant_id}/footprints?{period}")
    xlsx = org_client.get(f"/v1/plants/{plant_id}/report?{period}&format=xlsx")
    assert xlsx.status_code == 200, xlsx.text
    book = load_workbook(io.BytesIO(xlsx.content))
    day = list(book["by day"].iter_rows(values_only=True))
    assert day[1][0] == "2026-05-31" and day[1][2] == 80
    hourly = list(book["hourly"].iter_rows(values_only=True))
    assert hourly[1][1:] == (pytest.approx(100.0), pytest.approx(0.4))
    assert hourly[2][1:] == (pytest.approx(100.0), pytest.approx(0.6))
    areas = {r[0]: r[1] for r in book["by area"].iter_rows(min_row=2, values_only=True)}
    assert sum(areas.values()) == pytest.approx(1.25)
    assert all(cell.data_type == "s" for cell in book["summary"]["A"])
    pdf = org_client.get(f"/v1/plants/{plant_id}/report?{period}&format=pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
