"""Background pages in-process, on both databases: the upload starts an import job whose page
shows its progress (and its problem report when it fails), the mapping page with suggestions
and a CSV upload, a footprint computed on another background (missing mappings listed, not an
error page), the comparison of one BOM on two backgrounds, tenancy and CSRF."""

from __future__ import annotations

import io
import re
import time
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.backgrounds.helpers import BOM_KG_CO2E, ELECTRICITY, HEAT, TARGETS, small_bom, system_zip
from tests.conftest import make_organisation
from tests.ui.test_accessibility import problems_of
from tests.ui.test_pages import sign_in

_IMPORT = re.compile(r"/ui/imports/([0-9a-f-]{36})")


def wait_for_import(browser: TestClient, url: str, timeout: float = 300.0) -> str:
    """The import page once its job has ended (polled as htmx does: the fragment)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fragment = browser.get(url, headers={"HX-Request": "true"})
        assert fragment.status_code == 200, fragment.text
        if 'data-status="succeeded"' in fragment.text or 'data-status="failed"' in fragment.text:
            assert "<html" not in fragment.text  # a fragment, not a page
            return browser.get(url).text
        time.sleep(0.1)
    raise AssertionError(f"{url} did not end")


def upload(browser: TestClient, csrf: str, content: bytes, name: str) -> Any:
    return browser.post(
        "/ui/backgrounds/upload",
        data={"csrf_token": csrf, "name": name},
        files={"file": ("release.zip", content, "application/zip")},
        follow_redirects=False,
    )


@pytest.fixture(scope="module")
def org(app, settings) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """An organisation with the test system imported through the upload form, and the small
    BOM (helpers.small_bom) stored through the API."""
    token = make_organisation(settings, f"ui backgrounds {uuid.uuid4().hex[:8]}")
    browser, csrf = sign_in(app, token)
    with browser, TestClient(app, headers={"Authorization": f"Bearer {token}"}) as api:
        started = upload(browser, csrf, system_zip(), "test system (ecospold2)")
        assert started.status_code == 303, started.text
        job_url = started.headers["location"]
        assert _IMPORT.fullmatch(job_url)
        done = wait_for_import(browser, job_url)
        assert 'data-status="succeeded"' in done, done
        background_id = re.search(r'href="/ui/backgrounds/([0-9a-f-]{36})"', done).group(1)  # type: ignore[union-attr]
        bom = api.post("/v1/boms", json=small_bom("ui background cell")).json()
        yield {
            "browser": browser,
            "csrf": csrf,
            "api": api,
            "background_id": background_id,
            "bom_id": bom["id"],
            "job_url": job_url,
        }


def test_the_list_shows_each_background_with_its_facts(org: dict[str, Any]) -> None:
    page = org["browser"].get("/ui/backgrounds")
    assert page.status_code == 200
    stored = org["api"].get(f"/v1/backgrounds/{org['background_id']}").json()
    row = re.search(r'<table id="backgrounds">.*?</table>', page.text, re.S).group(0)  # type: ignore[union-attr]
    assert "test system (ecospold2)" in row and stored["version"][:12] in row
    assert "ecospold2" in row and "ready" in row and "12" in row
    assert f"{stored['size_bytes'] / 1024:,.1f} KiB" in row
    assert f"{stored['method_coverage']['characterised_flows']} imported flows characterised" in row
    assert problems_of(page.text) == []
    job = org["browser"].get(org["job_url"]).text
    assert 'value="100"' in job and 'id="import-progress"' in job


def test_a_failed_import_shows_its_problem_report(org: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(system_zip())) as good, zipfile.ZipFile(buffer, "w") as bad:
        for index, name in enumerate(good.namelist()):
            text = good.read(name)
            bad.writestr(name, text[:200] if index < 2 else text)  # two files cut short
    before = org["api"].get("/v1/backgrounds").json()["count"]
    started = upload(org["browser"], org["csrf"], buffer.getvalue(), "broken")
    assert started.status_code == 303
    page = wait_for_import(org["browser"], started.headers["location"])
    assert 'data-status="failed"' in page and 'id="import-problems"' in page
    assert "nothing was registered" in page
    report = re.search(r'id="import-problems".*?(<table>.*?</table>)', page, re.S).group(1)  # type: ignore[union-attr]
    assert report.count("<td>malformed</td>") == 2, report
    assert org["api"].get("/v1/backgrounds").json()["count"] == before


def test_an_upload_without_a_file_is_a_page_naming_it(org: dict[str, Any]) -> None:
    response = org["browser"].post("/ui/backgrounds/upload", data={"csrf_token": org["csrf"]})
    assert response.status_code == 422 and "text/html" in response.headers["content-type"]
    assert "choose the file" in response.text


def test_footprint_page_states_its_background_and_lists_missing_mappings(
    org: dict[str, Any],
) -> None:
    browser, csrf = org["browser"], org["csrf"]
    opened = browser.post(
        f"/ui/boms/{org['bom_id']}/footprints", data={"csrf_token": csrf}, follow_redirects=False
    )
    page = browser.get(opened.headers["location"]).text
    statement = re.search(r'<p id="footprint-background">(.*?)</p>', page, re.S).group(1)  # type: ignore[union-attr]
    assert "open background" in statement
    assert f'<option value="{org["background_id"]}">' in page  # compute on another
    assert problems_of(page) == []
    refused = browser.post(
        f"/ui/boms/{org['bom_id']}/footprints/on-background",
        data={"csrf_token": csrf, "background_id": org["background_id"]},
    )
    assert refused.status_code == 422 and "text/html" in refused.headers["content-type"]
    listed = re.findall(r"<li><code>(\w+)</code>", refused.text)
    assert set(TARGETS) <= set(listed) and len(listed) == 6  # four lines, electricity, heat
    assert f"/ui/backgrounds/{org['background_id']}?bom={org['bom_id']}" in refused.text
    assert problems_of(refused.text) == []


def _map_by_suggestion(org: dict[str, Any]) -> None:
    browser = org["browser"]
    url = f"/ui/backgrounds/{org['background_id']}"
    page = browser.get(url, params={"bom": org["bom_id"]})
    assert page.status_code == 200 and problems_of(page.text) == []
    form = re.search(r'<form[^>]*id="mapping-form".*?</form>', page.text, re.S).group(0)  # type: ignore[union-attr]
    data = {"csrf_token": org["csrf"], "bom_id": org["bom_id"]}
    # The activity the API tests map each material to, as a user picks it from the select.
    for name, options in re.findall(r'<select[^>]*name="map__(\w+)">(.*?)</select>', form, re.S):
        plant = ELECTRICITY[0] if name.startswith("electricity") else HEAT[0]
        wanted = TARGETS[name][0] if name in TARGETS else plant
        chosen = [
            code
            for code, text in re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', options)
            if text.split(" (")[0] == wanted
        ]
        assert len(chosen) == 1, (name, options)
        data[f"map__{name}"] = chosen[0]
    assert len(data) == 2 + 6
    saved = browser.post(f"{url}/mapping", data=data, follow_redirects=False)
    assert saved.status_code == 303, saved.text


def test_map_by_suggestion_then_compute_on_the_imported_background(org: dict[str, Any]) -> None:
    """Each material mapped from its suggestions to the activity the API tests use: the
    footprint on the imported background is the hand-worked figure."""
    _map_by_suggestion(org)
    browser, api = org["browser"], org["api"]
    mapping = api.get(f"/v1/backgrounds/{org['background_id']}/mapping").json()
    names = {e["material"]: e["activity_name"] for e in mapping["entries"]}
    for material, (activity, _) in TARGETS.items():
        assert names[material] == activity
    computed = browser.post(
        f"/ui/boms/{org['bom_id']}/footprints/on-background",
        data={"csrf_token": org["csrf"], "background_id": org["background_id"]},
        follow_redirects=False,
    )
    assert computed.status_code == 303, computed.text
    footprint_id = computed.headers["location"].rsplit("/", 1)[-1]
    stored = api.get(f"/v1/footprints/{footprint_id}").json()
    assert stored["kg_co2e_per_cell"] == pytest.approx(BOM_KG_CO2E, rel=1e-7)
    page = browser.get(computed.headers["location"]).text
    statement = re.search(r'<p id="footprint-background">(.*?)</p>', page, re.S).group(1)  # type: ignore[union-attr]
    assert "imported background" in statement and "test system (ecospold2)" in statement
    assert stored["background"]["version"][:12] in statement
    assert '<option value="open">' in page  # back to the open background
    assert 'id="mc-open-only"' in page and 'id="start-mc"' not in page
    assert problems_of(page) == []


def test_a_bad_mapping_csv_is_shown_and_nothing_is_stored(org: dict[str, Any]) -> None:
    url = f"/ui/backgrounds/{org['background_id']}"
    before = org["api"].get(f"{url.replace('/ui/', '/v1/')}/mapping").json()
    refused = org["browser"].post(
        f"{url}/mapping",
        data={"csrf_token": org["csrf"]},
        files={"file": ("m.csv", b"material,activity\nno_such_material,nope\n", "text/csv")},
    )
    assert refused.status_code == 422 and 'id="mapping-problems"' in refused.text
    assert "no_such_material" in refused.text
    after = org["api"].get(f"{url.replace('/ui/', '/v1/')}/mapping").json()
    assert after == before


def test_a_mapping_csv_replaces_the_mapping(org: dict[str, Any]) -> None:
    api, url = org["api"], f"/ui/backgrounds/{org['background_id']}"
    entries = api.get(f"/v1/backgrounds/{org['background_id']}/mapping").json()["entries"]
    if not entries:
        _map_by_suggestion(org)
        entries = api.get(f"/v1/backgrounds/{org['background_id']}/mapping").json()["entries"]
    text = "material,activity\n" + "".join(f"{e['material']},{e['activity']}\n" for e in entries)
    saved = org["browser"].post(
        f"{url}/mapping",
        data={"csrf_token": org["csrf"]},
        files={"file": ("m.csv", text.encode(), "text/csv")},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    after = api.get(f"/v1/backgrounds/{org['background_id']}/mapping").json()["entries"]
    assert after == entries
    page = org["browser"].get(url).text
    assert page.count("<tr>") >= len(entries) + 1 and problems_of(page) == []


def test_the_comparison_shows_the_difference_per_line(org: dict[str, Any]) -> None:
    if not org["api"].get(f"/v1/backgrounds/{org['background_id']}/mapping").json()["entries"]:
        _map_by_suggestion(org)
    page = org["browser"].get(
        f"/ui/boms/{org['bom_id']}/comparison",
        params={"first": "open", "second": org["background_id"]},
    )
    assert page.status_code == 200, page.text
    answer = (
        org["api"]
        .get(
            f"/v1/boms/{org['bom_id']}/comparison",
            params={"backgrounds": f"open,{org['background_id']}"},
        )
        .json()
    )
    table = re.search(r'<table id="comparison">.*?</table>', page.text, re.S).group(0)  # type: ignore[union-attr]
    rows = re.findall(r"<tr><td>\d+</td>.*?</tr>", table, re.S)
    assert len(rows) == len(answer["lines"]) == 6
    for row, line in zip(rows, answer["lines"], strict=True):
        assert f"{line['difference_kg_co2e']:,.4f}" in row
        assert f"{line['kg_co2e'][1]:,.4f}" in row
    assert f"{answer['difference_kg_co2e']:,.3f}" in page.text
    assert f"{BOM_KG_CO2E:,.3f}" in page.text
    assert problems_of(page.text) == []
    # The same BOM compared with itself picks nothing odd: an unknown id is the 404 page.
    missing = org["browser"].get(
        f"/ui/boms/{org['bom_id']}/comparison", params={"second": str(uuid.uuid4())}
    )
    assert missing.status_code == 404 and "Not found" in missing.text


def test_another_organisations_background_is_a_404_page(app, settings, org) -> None:  # type: ignore[no-untyped-def]
    token = make_organisation(settings, f"ui bg other {uuid.uuid4().hex[:8]}")
    intruder, csrf = sign_in(app, token)
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as api:
        own_bom_id = api.post("/v1/boms", json=small_bom("mine")).json()["id"]
    background_id = org["background_id"]
    answers = [
        intruder.get(f"/ui/backgrounds/{background_id}"),
        intruder.get(org["job_url"]),
        intruder.post(
            f"/ui/backgrounds/{background_id}/mapping",
            data={"csrf_token": csrf, "map__copper_foil": "x"},
        ),
        intruder.post(
            f"/ui/boms/{own_bom_id}/footprints/on-background",
            data={"csrf_token": csrf, "background_id": background_id},
        ),
        intruder.get(f"/ui/boms/{own_bom_id}/comparison", params={"second": background_id}),
        intruder.get(f"/ui/boms/{org['bom_id']}/comparison"),
    ]
    for answer in answers:
        assert answer.status_code == 404, (answer.url, answer.status_code, answer.text[:300])
        assert "text/html" in answer.headers["content-type"] and "Not found" in answer.text
    listed = intruder.get("/ui/backgrounds").text
    assert background_id not in listed and "test system (ecospold2)" not in listed


def test_forms_without_the_csrf_token_are_refused(org: dict[str, Any]) -> None:
    browser, background_id = org["browser"], org["background_id"]
    before = org["api"].get(f"/v1/backgrounds/{background_id}/mapping").json()
    posts = [
        ("/ui/backgrounds/upload", {"file": ("r.zip", system_zip(), "application/zip")}),
        (f"/ui/backgrounds/{background_id}/mapping", None),
        (f"/ui/boms/{org['bom_id']}/footprints/on-background", None),
    ]
    for url, files in posts:
        for data in ({}, {"csrf_token": "forged"}):
            sent = {**data, "background_id": background_id, "map__copper_foil": "x"}
            response = browser.post(url, data=sent, files=files)
            assert response.status_code == 403, (url, response.text[:200])
            assert "text/html" in response.headers["content-type"]
    assert org["api"].get(f"/v1/backgrounds/{background_id}/mapping").json() == before


def test_an_upload_over_the_size_limit_is_refused(settings, org) -> None:  # type: ignore[no-untyped-def]
    """The form's upload has the API's background limit (here 1,000 bytes, below the 1 MiB
    of other bodies), so a release of a GiB is not refused by the general one either."""
    from app.main import create_app
    from tests.ui.test_pages import sign_in as sign_in_to

    small = settings.model_copy(update={"max_background_upload_bytes": 1000})
    limited = create_app(small)
    token = make_organisation(settings, f"ui bg limit {uuid.uuid4().hex[:8]}")
    browser, csrf = sign_in_to(limited, token)
    with browser:
        refused = upload(browser, csrf, system_zip(), "too big")
        assert refused.status_code == 413
        assert browser.get("/ui/backgrounds").text.count("<tr>") == 0
