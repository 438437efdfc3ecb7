"""Every control of every page has a label and can be reached with the keyboard: each input,
select, textarea and button is named (a <label for>, aria-label or its text), no control is
taken out of the tab order or given a positive tabindex, and ids are unique."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from fastapi.testclient import TestClient

CONTROLS = ("input", "select", "textarea", "button")


class _Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, Any]] = []
        self.labelled: set[str] = set()
        self.ids: list[str] = []
        self._button: dict[str, Any] | None = None
        self._in_label = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if "id" in found:
            self.ids.append(found["id"])
        if tag == "label":
            self._in_label += 1
            if found.get("for"):
                self.labelled.add(found["for"])
        if tag in CONTROLS and found.get("type") != "hidden":
            # A control inside its <label> is named by it.
            control = {"tag": tag, **found, "text": "", "wrapped": self._in_label > 0}
            self.controls.append(control)
            if tag == "button":
                self._button = control

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button["text"] += data.strip()

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._button = None
        if tag == "label":
            self._in_label = max(0, self._in_label - 1)


def problems_of(html: str) -> list[str]:
    parser = _Controls()
    parser.feed(html)
    problems = []
    for control in parser.controls:
        name = control.get("id") or control.get("name") or control["tag"]
        named = (
            control.get("id") in parser.labelled
            or control["wrapped"]
            or control.get("aria-label")
            or control.get("aria-labelledby")
            or (control["tag"] == "button" and control["text"])
        )
        if not named:
            problems.append(f"{name}: no label")
        tabindex = control.get("tabindex")
        if tabindex and int(tabindex) != 0:
            problems.append(f"{name}: tabindex {tabindex}")
    duplicates = {i for i in parser.ids if parser.ids.count(i) > 1}
    problems += [f"id '{i}' used twice" for i in sorted(duplicates)]
    return problems


def test_every_control_of_every_page_is_labelled_and_in_the_tab_order(app, spring_hill) -> None:  # type: ignore[no-untyped-def]
    browser: TestClient = spring_hill["browser"]
    csrf, plant_id = spring_hill["csrf"], spring_hill["loaded"].plant_id
    bom_id = next(iter(spring_hill["loaded"].bom_ids.values()))
    made = browser.post(
        "/ui/suppliers",
        data={"csrf_token": csrf, "name": "Labelled", "country": "KR"},
        follow_redirects=False,
    )
    supplier_url = made.headers["location"]
    browser.post(
        f"{supplier_url}/sites",
        data={"csrf_token": csrf, "site_name": "A", "site_country": "KR", "site_grid_region": "KR"},
    )
    computed = browser.post(
        f"/ui/boms/{bom_id}/footprints", data={"csrf_token": csrf}, follow_redirects=False
    )
    pages = [
        "/ui/boms",
        "/ui/boms/upload",
        f"/ui/boms/{bom_id}",
        f"/ui/boms/{bom_id}/what-if",
        computed.headers["location"],
        "/ui/suppliers",
        supplier_url,
        "/ui/plants",
        f"/ui/plants/{plant_id}",
        f"/ui/plants/{plant_id}/hourly",
        "/ui/backgrounds",
        f"/ui/boms/{bom_id}/comparison",
    ]
    checked = 0
    for url in pages:
        response = browser.get(url)
        assert response.status_code == 200, url
        assert problems_of(response.text) == [], url
        checked += len(re.findall(r"<(?:input|select|textarea|button)\b", response.text))
    assert checked > 100  # the energy-report form alone has more
    sign_in_page = TestClient(app).get("/ui/sign-in").text
    assert problems_of(sign_in_page) == []


def test_the_checker_finds_an_unlabelled_control() -> None:
    html = (
        '<label for="a">A</label><input id="a"><label>C <input name="c"></label>'
        '<input id="b"><button tabindex="3">Go</button><button id="x"></button><i id="a"></i>'
    )
    assert problems_of(html) == [
        "b: no label",
        "button: tabindex 3",
        "x: no label",
        "id 'a' used twice",
    ]
