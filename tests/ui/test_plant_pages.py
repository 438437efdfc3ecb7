"""Plant pages in-process, on the Spring Hill example month: the figures the API answers, charts
with units on their axes, periods checked next to their fields, downloads and tenancy."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_organisation
from tests.ui.test_pages import sign_in


def _next_day(day: str) -> str:
    # The page's last day is included: the API's period ends at the next day's midnight.
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def _text(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert found, element_id
    return found.group(1)


def test_the_plant_list_links_each_plant(spring_hill) -> None:  # type: ignore[no-untyped-def]
    page = spring_hill["browser"].get("/ui/plants")
    assert page.status_code == 200
    plant_id = spring_hill["loaded"].plant_id
    assert f'href="/ui/plants/{plant_id}"' in page.text
    assert "Spring Hill, Tennessee" in page.text


def test_the_plant_page_shows_the_apis_per_cell_figures(app, spring_hill) -> None:  # type: ignore[no-untyped-def]
    """With no period asked, the page shows the last month of lots: the example month. Its
    whole-period and per-lot figures are the API's, to the digits shown."""
    loaded = spring_hill["loaded"]
    html = spring_hill["browser"].get(f"/ui/plants/{loaded.plant_id}").text
    first = re.search(r'id="period-from"[^>]*value="([0-9-]+)"', html, re.S)
    last = re.search(r'id="period-to"[^>]*value="([0-9-]+)"', html, re.S)
    assert first and last
    with TestClient(app, headers={"Authorization": f"Bearer {spring_hill['token']}"}) as api:
        lots = api.get(
            f"/v1/plants/{loaded.plant_id}/footprints",
            params={"from": first.group(1), "to": _next_day(last.group(1))},
        ).json()
    assert lots["count"] == loaded.computed.lots
    shown = re.findall(
        r'<th scope="row" class="lot-id">([^<]+)</th>.*?class="num per-cell-location">([^<]+)<',
        html,
        re.S,
    )
    assert len(shown) == lots["count"]
    by_lot = {row["key"]: row for row in lots["data"]}
    for lot_id, figure in shown:
        assert figure == f"{by_lot[lot_id]['kg_co2e_per_cell']['location']:,.3f}", lot_id
    good = sum(row["good_cells"] for row in lots["data"])
    whole = sum(r["kg_co2e_per_cell"]["location"] * r["good_cells"] for r in lots["data"]) / good
    assert _text(html, "per-cell-location") == f"{whole:,.3f}"
    # Two charts, each with its unit on an axis, and a table behind each.
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    assert html.count(">kg CO2e per good cell</text>") == 2
    for table in ("table-days", "table-areas", "table-lines", "table-models", "table-months"):
        assert f'id="{table}"' in html
    assert "nmc811" in html.lower()  # the cell models by their BOMs' names


def test_the_hourly_view_draws_consumption_against_the_grid_factor(spring_hill) -> None:  # type: ignore[no-untyped-def]
    loaded = spring_hill["loaded"]
    html = spring_hill["browser"].get(f"/ui/plants/{loaded.plant_id}/hourly").text
    assert ">kWh per hour</text>" in html and ">kg CO2e per kWh</text>" in html
    total = float(_text(html, "total-kwh").replace(",", ""))
    assert total == pytest.approx(loaded.computed.metered["electricity"], rel=1e-3)
    assert html.count("<polyline") >= 2


def test_a_wrong_period_is_shown_next_to_its_field(spring_hill) -> None:  # type: ignore[no-untyped-def]
    plant_id = spring_hill["loaded"].plant_id
    browser = spring_hill["browser"]
    bad = browser.get(f"/ui/plants/{plant_id}", params={"from": "2026-13-01", "to": "2026-01-01"})
    assert bad.status_code == 422 and 'id="period-from-error"' in bad.text
    long = browser.get(
        f"/ui/plants/{plant_id}/hourly", params={"from": "2025-01-01", "to": "2025-12-31"}
    )
    assert long.status_code == 422 and "at most 62 days" in long.text
    empty = browser.get(f"/ui/plants/{plant_id}", params={"from": "2020-01-01", "to": "2020-01-31"})
    assert empty.status_code == 200 and 'id="no-lots"' in empty.text


def test_the_period_report_downloads(spring_hill) -> None:  # type: ignore[no-untyped-def]
    plant_id = spring_hill["loaded"].plant_id
    html = spring_hill["browser"].get(f"/ui/plants/{plant_id}").text
    link = re.search(r'id="plant-report-xlsx" href="([^"]+)"', html)
    assert link
    answer = spring_hill["browser"].get(link.group(1).replace("&amp;", "&"))
    assert answer.status_code == 200 and answer.content[:2] == b"PK"
    assert "attachment" in answer.headers["content-disposition"]


def test_another_organisations_plant_is_a_404_page(app, settings, spring_hill) -> None:  # type: ignore[no-untyped-def]
    intruder, _ = sign_in(app, make_organisation(settings, f"ui other {uuid.uuid4().hex[:8]}"))
    plant_id = spring_hill["loaded"].plant_id
    for path in ("", "/hourly", "/report.xlsx", "/report.pdf"):
        answer = intruder.get(f"/ui/plants/{plant_id}{path}")
        assert answer.status_code == 404 and "Not found" in answer.text, path
        assert "Spring Hill" not in answer.text
    assert "Spring Hill" not in intruder.get("/ui/plants").text


def test_the_hourly_view_uses_stored_hourly_factors_and_counts_the_hours_without(
    app, spring_hill
) -> None:  # type: ignore[no-untyped-def]
    """2 November 2026 in Chicago (CST, UTC−6) is 24 hours from 06:00 UTC. Stored factors of
    0.25 kg CO2e/kWh for its first 12 hours (test values, not a grid's): 12 hours fall back to
    the annual factor, and the consumption-weighted factor lies between 0.25 and the annual one;
    with all 24 stored, it is exactly 0.25 and the location-based tonnes are 0.25 × the kWh."""
    from datetime import UTC, datetime

    plant_id = spring_hill["loaded"].plant_id
    browser = spring_hill["browser"]
    day = {"from": "2026-11-02", "to": "2026-11-02"}
    before = browser.get(f"/ui/plants/{plant_id}/hourly", params=day).text
    annual = float(_text(before, "weighted-factor"))
    assert "24 of 24 hours have no stored hourly factor" in before
    start = datetime(2026, 11, 2, 6, tzinfo=UTC)

    def upload(hours: int) -> None:
        moments = [start + timedelta(hours=h) for h in range(hours)]
        rows = [f"US-SRTV,{moment:%Y-%m-%dT%H:%M:%SZ},0.25,test values" for moment in moments]
        body = "region,hour_start_utc,kg_co2e_per_kwh,source\n" + "\n".join(rows) + "\n"
        with TestClient(app, headers={"Authorization": f"Bearer {spring_hill['token']}"}) as api:
            answer = api.post(
                "/v1/grid-factors", content=body, headers={"Content-Type": "text/csv"}
            )
        assert answer.status_code == 200, answer.text

    upload(12)
    half = browser.get(f"/ui/plants/{plant_id}/hourly", params=day).text
    assert "12 of 24 hours have no stored hourly factor" in half
    assert 0.25 < float(_text(half, "weighted-factor")) < annual
    upload(24)
    full = browser.get(f"/ui/plants/{plant_id}/hourly", params=day).text
    assert 'id="fallback"' not in full
    assert _text(full, "weighted-factor") == "0.250"
    kwh = float(_text(full, "total-kwh").replace(",", ""))
    tonnes = float(_text(full, "location-kg").replace(",", ""))
    assert tonnes == pytest.approx(0.25 * kwh / 1000, abs=0.06)  # shown to 0.1 t
