"""The web interface in-process: sessions and their cookie, CSRF, tenancy, escaping, uploads
with their problems, and the unit converter (the browser tests drive the same pages for real)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.backgrounds.helpers import import_test_system
from tests.boms.bom_files import HEADER, csv_bytes, table_rows
from tests.conftest import make_organisation
from tests.plants.test_plants_api import PLANT

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(app: Any, token: str) -> tuple[TestClient, str]:
    """A browser-like client signed in with ``token``, and its session's CSRF token."""
    browser = TestClient(app)
    form = browser.get("/ui/sign-in")
    answer = browser.post(
        "/ui/sign-in",
        data={"api_key": token, "csrf_token": _CSRF.search(form.text).group(1)},  # type: ignore[union-attr]
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    page = browser.get("/ui/boms")
    return browser, _CSRF.search(page.text).group(1)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def owner(app, settings) -> Iterator[tuple[TestClient, str, str]]:  # type: ignore[no-untyped-def]
    token = make_organisation(settings, f"ui owner {uuid.uuid4().hex[:8]}")
    browser, csrf = sign_in(app, token)
    with browser:
        yield browser, csrf, token


@pytest.fixture(scope="module")
def owned(app, owner, example_bom_module) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """One of each resource the pages show, in the owner's organisation, made through the API."""
    _, _, token = owner
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as api:
        bom = api.post("/v1/boms", json=example_bom_module).json()
        footprint = api.post(f"/v1/boms/{bom['id']}/footprints").json()
        job = api.post(f"/v1/footprints/{footprint['id']}/uncertainty", json={"iterations": 10})
        supplier = api.post("/v1/suppliers", json={"name": "Owned", "country": "KR"}).json()
        plant = api.post("/v1/plants", json=PLANT).json()
        background_id = import_test_system(api)
    return {
        "background_id": background_id,
        "plant_id": plant["id"],
        "bom_id": bom["id"],
        "footprint_id": footprint["id"],
        "job_id": job.json()["id"],
        "supplier_id": supplier["id"],
        "kind": "report",
        "fmt": "pdf",
    }


@pytest.fixture(scope="module")
def example_bom_module() -> dict[str, Any]:
    import json
    from pathlib import Path

    return json.loads((Path(__file__).parents[2] / "data/examples/nmc811_pouch.json").read_text())


def _ui_routes() -> list[tuple[str, str]]:
    from fastapi.routing import APIRoute

    from app.ui import (
        background_pages,
        bom_pages,
        footprint_pages,
        plant_pages,
        scenario_pages,
        supplier_pages,
    )

    found = []
    modules = (background_pages, bom_pages, footprint_pages, plant_pages, scenario_pages)
    for module in (*modules, supplier_pages):
        for route in module.router.routes:
            assert isinstance(route, APIRoute)
            for method in route.methods:
                found.append((method, f"/ui{route.path}"))
    return found


def test_session_cookie_is_httponly_strict_and_holds_no_key(app, settings) -> None:  # type: ignore[no-untyped-def]
    token = make_organisation(settings, f"ui cookie {uuid.uuid4().hex[:8]}")
    browser = TestClient(app)
    form = browser.get("/ui/sign-in")
    answer = browser.post(
        "/ui/sign-in",
        data={"api_key": token, "csrf_token": _CSRF.search(form.text).group(1)},  # type: ignore[union-attr]
        follow_redirects=False,
    )
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("cc_ui_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    assert "Secure" not in cookie  # plain HTTP here; over TLS the cookie is Secure
    value = cookie.split(";")[0].split("=", 1)[1]
    assert token not in cookie and token.split("_", 2)[2] not in value
    assert answer.headers["location"] == "/ui/boms" and token not in answer.headers["location"]
    # Over TLS (as a proxy in front would report it), the same cookie is Secure.
    secure = TestClient(app, base_url="https://testserver")
    form = secure.get("/ui/sign-in")
    answer = secure.post(
        "/ui/sign-in",
        data={"api_key": token, "csrf_token": _CSRF.search(form.text).group(1)},  # type: ignore[union-attr]
        follow_redirects=False,
    )
    assert "Secure" in answer.headers["set-cookie"]


def test_unknown_key_is_refused_and_sign_out_ends_the_session(app, owner, settings) -> None:  # type: ignore[no-untyped-def]
    browser = TestClient(app)
    form = browser.get("/ui/sign-in")
    refused = browser.post(
        "/ui/sign-in",
        data={
            "api_key": "cc_000000000000_" + "x" * 43,
            "csrf_token": _CSRF.search(form.text).group(1),
        },  # type: ignore[union-attr]
    )
    assert refused.status_code == 401 and "cannot sign in" in refused.text
    assert browser.get("/ui/boms", follow_redirects=False).headers["location"] == "/ui/sign-in"
    # A second session of the owner's key, signed out: its cookie no longer opens anything.
    _, _, token = owner
    second, csrf = sign_in(app, token)
    assert (
        second.post("/ui/sign-out", data={"csrf_token": csrf}, follow_redirects=False).status_code
        == 303
    )
    second.cookies.clear()
    assert second.get("/ui/boms", follow_redirects=False).status_code == 303


def test_sign_in_without_its_csrf_cookie_is_403(app, owner) -> None:  # type: ignore[no-untyped-def]
    _, _, token = owner
    response = TestClient(app).post("/ui/sign-in", data={"api_key": token, "csrf_token": "x"})
    assert response.status_code == 403 and "security token" in response.text


def test_every_form_post_without_the_csrf_token_is_403(app, owner, owned, settings) -> None:  # type: ignore[no-untyped-def]
    """Every POST route of the interface, with the session cookie but without (or with a wrong)
    token: refused with the 403 page, and nothing is stored (the audit log does not grow)."""
    from app.core.audit import AuditEvent
    from app.core.runtime import get_engine

    browser, _, _ = owner

    def audit_rows() -> int:
        with get_engine(settings).connect() as connection:
            return int(
                connection.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
            )

    before = audit_rows()
    posts = [(m, p) for m, p in _ui_routes() if m == "POST"] + [("POST", "/ui/sign-out")]
    assert len(posts) >= 8
    for _, path in posts:
        url = re.sub(r"\{(\w+)\}", lambda m: owned[m.group(1)], path)
        for data in ({}, {"csrf_token": "forged"}):
            response = browser.post(
                url, data=data, files={"file": ("b.csv", b"x")} if "upload" in url else None
            )
            assert response.status_code == 403, (url, response.status_code, response.text[:200])
            assert "text/html" in response.headers["content-type"]
    assert audit_rows() == before


def test_another_organisations_resources_are_404_pages(app, settings, owned) -> None:  # type: ignore[no-untyped-def]
    """Every page with an id in its path, opened (GET) or posted to (with a valid CSRF token of
    the intruder's own session) by another organisation: a 404 page, never the resource."""
    intruder, csrf = sign_in(app, make_organisation(settings, f"ui other {uuid.uuid4().hex[:8]}"))
    checked = 0
    for method, path in _ui_routes():
        if "{" not in path:
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: owned[m.group(1)], path)
        if method == "GET":
            response = intruder.get(url)
        else:
            response = intruder.post(url, data={"csrf_token": csrf, "name_1": "x"})
        assert response.status_code == 404, (method, url, response.status_code)
        assert "text/html" in response.headers["content-type"] and "Not found" in response.text
        checked += 1
    assert checked >= 18  # the plant pages' three and the background pages' five among them


def test_a_bom_name_with_markup_is_shown_as_text(owner, example_bom, app) -> None:  # type: ignore[no-untyped-def]
    browser, csrf, token = owner
    example_bom["name"] = "<script>alert(1)</script>"
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as api:
        bom_id = api.post("/v1/boms", json=example_bom).json()["id"]
    for url in (f"/ui/boms/{bom_id}", "/ui/boms?q=script"):
        page = browser.get(url).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script>alert(1)" not in page


def test_csv_problems_are_shown_by_row_and_column_and_nothing_is_stored(owner, example_bom) -> None:  # type: ignore[no-untyped-def]
    """Row 2 (the first line) gets unit 'parsec', row 4 an unknown material: both rows are shown
    with the offending cell marked, plus the missing metadata fields next to their inputs."""
    browser, csrf, _ = owner
    rows = table_rows(example_bom)
    rows[0][3] = "parsec"
    rows[2][1] = "unobtainium"
    before = browser.get("/ui/boms").text.count('href="/ui/boms/')
    response = browser.post(
        "/ui/boms/upload",
        data={"csrf_token": csrf, "name": "bad file", "chemistry": "NMC811"},
        files={"file": ("bom.csv", csv_bytes(HEADER, rows), "text/csv")},
    )
    assert response.status_code == 422
    table = response.text[response.text.index('id="row-problems"') :]
    assert re.search(r'<th scope="row">2</th>.*?<td class="bad">parsec</td>', table, re.S)
    assert re.search(r'<th scope="row">4</th>.*?<td class="bad">unobtainium</td>', table, re.S)
    assert 'id="nominal_capacity-error"' in response.text  # a required field left empty
    assert 'value="bad file"' in response.text  # what was typed stays in the form
    assert browser.get("/ui/boms").text.count('href="/ui/boms/') == before


def test_the_converter_shows_the_canonical_value_or_why_not(owner) -> None:  # type: ignore[no-untyped-def]
    """2.4 GWh = 2,400,000 kWh; 1200 t = 1,200,000 kg; '2.4 kg' of electricity is a mass."""
    browser, _, _ = owner

    def converted(kind: str, text: str) -> str:
        return browser.get("/ui/quantity", params={"kind": kind, "field": "q", "q": text}).text

    assert "= 2,400,000 kWh" in converted("site.electricity", "2.4 GWh")
    assert "= 1,200,000 kg" in converted("site.output", "1200 t")
    assert 'class="error"' in converted("site.electricity", "2.4 kg")
    assert "outside the plausible range" in converted("site.output", "1e20 t")
    assert (
        browser.get("/ui/quantity", params={"kind": "cell.mass", "field": "q"}).status_code == 422
    )


def test_a_read_key_cannot_store_and_a_revoked_key_ends_its_sessions(app, owner, owned) -> None:  # type: ignore[no-untyped-def]
    """A read-only key signs in and reads, but computing a footprint is 403; once the key is
    revoked through the API, its session's next page is the sign-in page."""
    _, _, admin = owner
    with TestClient(app, headers={"Authorization": f"Bearer {admin}"}) as api:
        created = api.post("/v1/api-keys", json={"name": "reader", "scopes": ["read"]}).json()
        reader, csrf = sign_in(app, created["token"])
        assert reader.get(f"/ui/boms/{owned['bom_id']}").status_code == 200
        refused = reader.post(f"/ui/boms/{owned['bom_id']}/footprints", data={"csrf_token": csrf})
        assert refused.status_code == 403 and "lacks the &#39;write&#39; scope" in refused.text
        assert api.delete(f"/v1/api-keys/{created['id']}").status_code == 204
    answer = reader.get(f"/ui/boms/{owned['bom_id']}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/sign-in"


def test_supplier_site_and_energy_report_through_the_forms(owner) -> None:  # type: ignore[no-untyped-def]
    """A report with electricity in kg is shown back with the problem next to that field and
    is not stored; corrected, it is listed with its per-kg footprint."""
    browser, csrf, _ = owner
    made = browser.post(
        "/ui/suppliers",
        data={"csrf_token": csrf, "name": "Foil Works", "country": "ID"},
        follow_redirects=False,
    )
    supplier_url = made.headers["location"]
    site = browser.post(
        f"{supplier_url}/sites",
        data={"csrf_token": csrf, "site_name": "Morowali", "site_country": "ID"},
    )
    assert site.status_code == 422 and 'id="site_grid_region"' in site.text
    browser.post(
        f"{supplier_url}/sites",
        data={
            "csrf_token": csrf,
            "site_name": "Morowali",
            "site_country": "ID",
            "site_grid_region": "ID",
        },
    )
    page = browser.get(supplier_url).text
    site_id = re.search(r'<option value="([0-9a-f-]{36})">Morowali</option>', page).group(1)  # type: ignore[union-attr]
    report = {
        "csrf_token": csrf,
        "site_id": site_id,
        "product": "copper_foil",
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "output": "1200 t",
        "electricity": "800 kg",
    }
    refused = browser.post(f"{supplier_url}/energy-reports", data=report)
    assert refused.status_code == 422
    assert re.search(r'id="electricity-error">[^<]*mass', refused.text)
    assert "No energy reports yet." in refused.text
    report["electricity"] = "800 MWh"
    stored = browser.post(f"{supplier_url}/energy-reports", data=report)
    assert stored.status_code == 200 and 'id="energy-reports"' in stored.text
    assert "copper_foil" in stored.text and "2024-01-01 – 2024-12-31" in stored.text


def test_scenario_problems_are_shown_with_their_scenario(owner, owned) -> None:  # type: ignore[no-untyped-def]
    """A supplier swap to a supplier without data for the material, and a recycled share of
    'lots': both reported under their scenario, nothing compared."""
    browser, csrf, _ = owner
    response = browser.post(
        f"/ui/boms/{owned['bom_id']}/what-if",
        data={
            "csrf_token": csrf,
            "supplier_material_1": "nmc811_cam",
            "supplier_1": owned["supplier_id"],
            "recycled_co_2": "lots",
        },
    )
    assert response.status_code == 422
    assert 'id="scenario-results"' not in response.text
    assert "&#39;lots&#39; is not a percentage" in response.text.split('id="scenario-2-errors"')[1]
    first = response.text.split('id="scenario-1-errors"')[1].split("</ul>")[0]
    assert "has no data for material" in first
