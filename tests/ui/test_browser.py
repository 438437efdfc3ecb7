"""The web interface in a real browser: headless Chromium (Debian's chromium and
chromium-driver) driven by Selenium against `cellcarbon serve` on a loopback port.

One browser and one server for the module. Each main page is saved as a screenshot to
docs/ui/ (shown in the README) and checked not to be blank.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.boms.bom_files import HEADER, example, xlsx_bytes
from tests.servers import free_port, migrated, server_up, wait_until

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "ui"
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
WIDTH = 1280
# A page of text on white has a few dozen colours (anti-aliasing); a blank or failed render
# has one or two.
MIN_COLOURS = 50


def _org(env: dict[str, str], name: str) -> str:
    created = subprocess.run(
        [sys.executable, "-m", "app.cli", "org", "create", name],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return created.stdout.strip().splitlines()[-1].split()[-1]


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, real_background_dir: Path
) -> Iterator[dict[str, Any]]:
    env = migrated(tmp_path_factory.mktemp("ui-server") / "cellcarbon.db", real_background_dir)
    token, other_token = _org(env, "Example Cells"), _org(env, "Another Company")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    if not server_up(base):
        process.kill()
        pytest.fail(
            f"server did not start: {process.stderr.read().decode() if process.stderr else ''}"
        )
    yield {"base": base, "token": token, "other_token": other_token, "env": env}
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads: Path) -> Iterator[Any]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        message = "chromium and chromium-driver are not installed (make test installs them)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="cellcarbon-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},1000",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait(driver: Any, css: str, timeout: float = 20) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def _find(driver: Any, css: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, css)


def screenshot(driver: Any, name: str) -> Path:
    """The whole page as docs/ui/<name>.png, checked to carry more than a blank page's colours."""
    from PIL import Image

    # The top of the page, without a focused field pulling the view down to it.
    driver.execute_script("document.activeElement?.blur(); window.scrollTo(0, 0)")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(WIDTH, min(max(int(height) + 140, 700), 4000))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(WIDTH, 1000)
    with Image.open(path) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > MIN_COLOURS, f"{name}.png looks blank"
    return path


@pytest.fixture(scope="module")
def state() -> dict[str, Any]:
    """What one test leaves for the next (the BOM and footprint made through the pages)."""
    return {}


def _sign_in(driver: Any, base: str, token: str, shot: bool = False) -> None:
    driver.get(f"{base}/ui/sign-in")
    if shot:
        screenshot(driver, "sign-in")
    _find(driver, "#api_key").send_keys(token)
    _find(driver, "#api_key").submit()
    _wait(driver, "form.sign-out")


def test_sign_in_upload_xlsx_and_see_the_apis_figure(
    browser: Any, server: dict[str, Any], state: dict[str, Any], tmp_path: Path
) -> None:
    base, token = server["base"], server["token"]
    _sign_in(browser, base, token, shot=True)
    assert token not in browser.current_url and "cc_" not in browser.page_source
    cookies = {c["name"]: c for c in browser.get_cookies()}
    assert cookies["cc_ui_session"]["httpOnly"] and cookies["cc_ui_session"]["sameSite"] == "Strict"
    # The example BOM as an ERP's XLSX export; cell and plant typed into the form.
    bom = example("nmc811_pouch")
    rows = [
        [line["component"], line["material"], *line["amount"].split(" ", 1), line.get("source", "")]
        for line in bom["lines"]
    ]
    xlsx = tmp_path / "nmc811_pouch.xlsx"
    xlsx.write_bytes(xlsx_bytes(HEADER, rows))
    browser.get(f"{base}/ui/boms/upload")
    fields = {
        "name": bom["name"],
        "chemistry": bom["cell"]["chemistry"],
        "format": bom["cell"]["format"],
        "nominal_capacity": bom["cell"]["nominal_capacity"],
        "nominal_voltage": bom["cell"]["nominal_voltage"],
        "mass": bom["cell"]["mass"],
        "plant_name": bom["plant"]["name"],
        "electricity_per_cell": bom["plant"]["electricity_per_cell"],
        "heat_per_cell": bom["plant"]["heat_per_cell"],
    }
    for name, value in fields.items():
        _find(browser, f"#{name}").send_keys(value)
    from selenium.webdriver.support.ui import Select

    Select(_find(browser, "#grid_region")).select_by_visible_text(bom["plant"]["grid_region"])
    _find(browser, "#file").send_keys(str(xlsx))
    screenshot(browser, "upload")
    _find(browser, "#file").submit()
    _wait(browser, "#lines")
    assert _find(browser, "#bom-name").text == bom["name"]
    assert len(browser.find_elements("css selector", "#lines tbody tr")) == len(bom["lines"])
    state["bom_url"] = browser.current_url
    screenshot(browser, "bom")
    _find(browser, "#compute").click()
    _wait(browser, "#per-kwh")
    footprint_id = browser.current_url.rsplit("/", 1)[1]
    state["footprint_url"] = browser.current_url
    api = httpx.get(
        f"{base}/v1/footprints/{footprint_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    assert _find(browser, "#per-kwh").text == f"{api['kg_co2e_per_kwh']:,.2f}"
    assert _find(browser, "#per-cell").text == f"{api['kg_co2e_per_cell']:,.3f}"
    # Stage, component, gas and upstream; no line names a supplier, and the page says so.
    assert len(browser.find_elements("css selector", "svg.chart")) == 4
    assert "No line of this BOM names a supplier" in browser.page_source
    screenshot(browser, "footprint")


def test_upload_problems_are_shown_by_row(
    browser: Any, server: dict[str, Any], tmp_path: Path
) -> None:
    """An XLSX whose second line has the unit 'parsec': the row is shown with that cell marked,
    the empty cell fields are marked next to their inputs, and no BOM is added."""
    bom = example("nmc811_pouch")
    rows = [
        [line["component"], line["material"], *line["amount"].split(" ", 1), ""]
        for line in bom["lines"]
    ]
    rows[1][3] = "parsec"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx_bytes(HEADER, rows))
    browser.get(f"{server['base']}/ui/boms")
    listed = len(browser.find_elements("css selector", "#boms tbody tr"))
    browser.get(f"{server['base']}/ui/boms/upload")
    _find(browser, "#name").send_keys("Half-filled")
    _find(browser, "#file").send_keys(str(bad))
    _find(browser, "#file").submit()
    _wait(browser, "#row-problems")
    # The title row and the empty row above the header make the second line spreadsheet row 5.
    row = _find(browser, "#row-problems tbody tr")
    assert row.find_element("css selector", "th").text == "5"
    assert row.find_element("css selector", "td.bad").text == "parsec"
    assert _find(browser, "#nominal_capacity").get_attribute("aria-invalid") == "true"
    screenshot(browser, "upload-problems")
    browser.get(f"{server['base']}/ui/boms")
    assert len(browser.find_elements("css selector", "#boms tbody tr")) == listed


def test_a_scenario_side_by_side(
    browser: Any, server: dict[str, Any], state: dict[str, Any]
) -> None:
    from selenium.webdriver.support.ui import Select

    browser.get(state["bom_url"] + "/what-if")
    _find(browser, "#name_1").send_keys("Made in Sweden")
    Select(_find(browser, "#grid_region_1")).select_by_visible_text("SE")
    _find(browser, "#recycled_ni_2").send_keys("30")
    _find(browser, "#compare").click()
    table = _wait(browser, "#scenario-results")
    headers = [th.text for th in table.find_elements("css selector", "thead th")][1:]
    assert headers == ["as it stands", "Made in Sweden", "scenario 2"]
    bom_id = state["bom_url"].rsplit("/", 1)[1]
    api = httpx.post(
        f"{server['base']}/v1/boms/{bom_id}/scenarios",
        headers={"Authorization": f"Bearer {server['token']}"},
        json={"scenarios": [{"name": "SE", "grid_region": "SE"}]},
        timeout=30,
    ).json()
    per_kwh = [td.text for td in table.find_elements("css selector", "tbody tr:first-child td")]
    assert per_kwh[1] == f"{api['scenarios'][0]['kg_co2e_per_kwh']:,.2f}"
    assert float(per_kwh[1]) < float(per_kwh[0])  # Sweden's grid is cleaner than US-SRTV
    screenshot(browser, "what-if")


def test_monte_carlo_reaches_100_percent_and_draws_its_distribution(
    browser: Any, state: dict[str, Any]
) -> None:
    browser.get(state["footprint_url"])
    iterations = _find(browser, "#iterations")
    iterations.clear()
    iterations.send_keys("300")
    _find(browser, "#start-mc").click()
    _wait(browser, "#mc-job")
    statuses: list[str] = []

    def finished() -> bool:
        # Read in one script: htmx replaces the panel every half second, so a found element
        # may be gone by the time Selenium asks it a second question.
        status = browser.execute_script(
            "const job = document.getElementById('mc-job');"
            "return job ? job.dataset.status + ' ' + job.querySelector('progress').value : null"
        )
        if status:
            statuses.append(status)
        return bool(status) and status.split()[0] in ("succeeded", "failed")

    wait_until(finished, 90, "the Monte Carlo job to end")
    assert statuses[-1] == "succeeded 100"
    assert _find(browser, "#mc-percent").text == "100 %"
    assert _find(browser, "#mc-histogram svg") is not None
    assert not browser.find_elements("css selector", "#mc-job[hx-trigger]")  # polling stopped
    screenshot(browser, "monte-carlo")


def test_download_the_pdf_report(browser: Any, state: dict[str, Any], downloads: Path) -> None:
    browser.get(state["footprint_url"])
    _find(browser, "#report-pdf").click()
    footprint_id = state["footprint_url"].rsplit("/", 1)[1]
    target = downloads / f"footprint-{footprint_id}.pdf"
    wait_until(lambda: target.exists() and target.stat().st_size > 1000, 30, "the PDF download")
    time.sleep(0.2)  # Chromium renames the finished download into place; let it settle
    assert target.read_bytes()[:5] == b"%PDF-"


def test_suppliers_convert_units_as_you_type(browser: Any, server: dict[str, Any]) -> None:
    from selenium.webdriver.support.ui import Select

    browser.get(f"{server['base']}/ui/suppliers")
    _find(browser, "#name").send_keys("Hanyang Cathode Materials")
    _find(browser, "#country").send_keys("KR")
    _find(browser, "#name").submit()
    _wait(browser, "#site_name").send_keys("Gwangyang plant")
    _find(browser, "#site_country").send_keys("KR")
    Select(_find(browser, "#site_grid_region")).select_by_visible_text("KR")
    _find(browser, "#site_name").submit()
    _wait(browser, "#sites")
    _find(browser, "#output").send_keys("1200 t")
    _find(browser, "#electricity").send_keys("2.4 GWh")
    wait_until(
        lambda: (
            _find(browser, "#electricity-converted").text == "= 2,400,000 kWh"
            and _find(browser, "#output-converted").text == "= 1,200,000 kg"
        ),
        10,
        "the converted quantities",
    )
    # A fuel is read by its heating value: 80 t of diesel in MJ (LHV); an instrument in kWh.
    # The lists are folded away until opened (by keyboard: the summary is a button).
    from selenium.webdriver.common.keys import Keys

    for folded in ("#fuels summary", "#instruments summary"):
        _find(browser, folded).send_keys(Keys.ENTER)
    Select(_find(browser, "#fuel_1_fuel")).select_by_value("diesel")
    _find(browser, "#fuel_1_amount").send_keys("80 t")
    _find(browser, "#instrument_1_amount").send_keys("500 MWh")
    wait_until(
        lambda: (
            _find(browser, "#fuel_1_amount-converted").text.endswith("MJ (LHV, diesel)")
            and _find(browser, "#instrument_1_amount-converted").text == "= 500,000 kWh"
        ),
        10,
        "the fuel and instrument conversions",
    )
    screenshot(browser, "supplier")


def test_markup_in_a_name_is_text(browser: Any, server: dict[str, Any]) -> None:
    bom = example("nmc811_pouch")
    bom["name"] = "<script>alert(1)</script>"
    created = httpx.post(
        f"{server['base']}/v1/boms",
        headers={"Authorization": f"Bearer {server['token']}"},
        json=bom,
        timeout=30,
    )
    browser.get(f"{server['base']}/ui/boms/{created.json()['id']}")
    assert _find(browser, "#bom-name").text == "<script>alert(1)</script>"
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert  # noqa: B018 (the property raises when no alert is open)
    browser.get(f"{server['base']}/ui/boms")
    screenshot(browser, "boms")


def test_a_form_without_its_csrf_token_is_refused(browser: Any, state: dict[str, Any]) -> None:
    browser.get(state["bom_url"])
    # The compute form's token (the first one on the page is the sign-out form's).
    browser.execute_script(
        "document.getElementById('compute').form.querySelector('[name=csrf_token]').remove()"
    )
    _find(browser, "#compute").click()
    # Read in one script: the page being replaced would leave a found element stale.
    wait_until(
        lambda: (
            browser.execute_script(
                "const h = document.querySelector('main h1'); return h ? h.textContent : null"
            )
            == "Forbidden"
        ),
        20,
        "the 403 page",
    )
    assert "security token" in _find(browser, ".problem").text


def test_another_organisations_bom_is_a_404_page(browser: Any, server: dict[str, Any]) -> None:
    created = httpx.post(
        f"{server['base']}/v1/boms",
        headers={"Authorization": f"Bearer {server['other_token']}"},
        json=example("nmc811_pouch"),
        timeout=30,
    )
    assert created.status_code == 201
    browser.get(f"{server['base']}/ui/boms/{created.json()['id']}")
    assert _find(browser, "main h1").text == "Not found"


def _colours(png: bytes) -> int:
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        found = image.convert("RGB").getcolors(maxcolors=1 << 20)
    return len(found or [])


def _charts_drawn(browser: Any, least: int) -> None:
    """At least ``least`` SVG charts, each laid out at a visible size and rendered with more
    than a blank figure's colours (lines, labels and their anti-aliasing)."""
    charts = browser.find_elements("css selector", "svg.chart")
    assert len(charts) >= least
    for chart in charts:
        browser.execute_script("arguments[0].scrollIntoView()", chart)
        assert chart.size["width"] > 300 and chart.size["height"] > 100
        assert _colours(chart.screenshot_as_png) > 20


@pytest.fixture(scope="module")
def example_plant(server: dict[str, Any]) -> str:
    """`cellcarbon example plant` into the signed-in organisation; the plant's id."""
    loaded = subprocess.run(
        [sys.executable, "-m", "app.cli", "example", "plant", "--organisation", "Example Cells"],
        cwd=ROOT,
        env=server["env"],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    line = next(x for x in loaded.stdout.splitlines() if x.startswith("plant "))
    return line.split()[1].rstrip(":")


def test_a_plant_page_shows_the_apis_per_cell_figure_and_draws_its_charts(
    browser: Any, server: dict[str, Any], example_plant: str
) -> None:
    """From the plant list by keyboard (Tab to the plant's link, Enter) to the plant page; its
    first lot's figure is the API's; the charts are drawn; Tab from the last day reaches the
    Show button and Enter shows the same period again."""
    from selenium.webdriver.common.keys import Keys

    base = server["base"]
    browser.get(f"{base}/ui/plants")
    screenshot(browser, "plants")
    link = _find(browser, f'a[href="/ui/plants/{example_plant}"]')
    body = _find(browser, "body")
    body.send_keys(Keys.TAB)
    for _ in range(30):
        if browser.switch_to.active_element == link:
            break
        browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element == link, "the plant's link is not reachable by Tab"
    link.send_keys(Keys.ENTER)
    _wait(browser, "#lots")
    assert browser.current_url.endswith(f"/ui/plants/{example_plant}")
    first = _find(browser, "#period-from").get_attribute("value")
    last = _find(browser, "#period-to").get_attribute("value")
    end = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    api = httpx.get(
        f"{base}/v1/plants/{example_plant}/footprints",
        params={"from": first, "to": end},
        headers={"Authorization": f"Bearer {server['token']}"},
        timeout=30,
    ).json()
    row = _find(browser, "#lot-1")
    lot_id = row.find_element("css selector", ".lot-id").text
    by_lot = {item["key"]: item for item in api["data"]}
    shown = row.find_element("css selector", ".per-cell-location").text
    assert shown == f"{by_lot[lot_id]['kg_co2e_per_cell']['location']:,.3f}"
    assert len(browser.find_elements("css selector", "#lots tbody tr")) == api["count"]
    _charts_drawn(browser, 2)
    screenshot(browser, "plant")
    _find(browser, "#period-to").click()
    # Chromium's date input takes Tab through its day, month and year parts first.
    for _ in range(4):
        if browser.switch_to.active_element.get_attribute("id") != "period-to":
            break
        browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "show-period"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait_until(lambda: "from=" in browser.current_url, 20, "the period form to be sent")
    assert _find(browser, "#lot-1 .per-cell-location").text == shown
    _find(browser, "#hourly-link").click()
    _wait(browser, "#hourly-chart")
    assert len(browser.find_elements("css selector", "#hourly-chart polyline")) >= 2
    _charts_drawn(browser, 1)
    screenshot(browser, "plant-hourly")


def test_another_organisations_plant_is_a_404_page(browser: Any, server: dict[str, Any]) -> None:
    from tests.plants.test_plants_api import PLANT

    created = httpx.post(
        f"{server['base']}/v1/plants",
        headers={"Authorization": f"Bearer {server['other_token']}"},
        json=PLANT,
        timeout=30,
    )
    assert created.status_code == 201
    for path in ("", "/hourly"):
        browser.get(f"{server['base']}/ui/plants/{created.json()['id']}{path}")
        assert _find(browser, "main h1").text == "Not found"
        assert "Test plant" not in browser.page_source


def _choose(browser: Any, select: Any, text: str) -> None:
    """Pick the option of ``select`` whose text starts with ``text`` (as a user reads it)."""
    from selenium.webdriver.support.ui import Select

    options = [o.text for o in Select(select).options]
    chosen = [o for o in options if o.startswith(text)]
    assert len(chosen) == 1, (text, options)
    Select(select).select_by_visible_text(chosen[0])


def test_import_a_background_map_compute_and_compare(
    browser: Any, server: dict[str, Any], tmp_path: Path
) -> None:
    """The test system (tests/lca/imports/system.py) uploaded as an ecospold2 zip through the
    form; the import's progress reaches 100 %; the small BOM's materials mapped from the
    suggestions; its footprint on the imported background is the hand-worked figure, the page
    says which background it used; the comparison shows the difference per line."""
    from tests.backgrounds.helpers import (
        BOM_KG_CO2E,
        ELECTRICITY,
        HEAT,
        TARGETS,
        small_bom,
        system_zip,
    )

    # The name the API tests give it: a release imported before (same content hash) is reused
    # with the name it was first imported under.
    name = "test system (ecospold2)"
    base, token = server["base"], server["token"]
    headers = {"Authorization": f"Bearer {token}"}
    bom = httpx.post(f"{base}/v1/boms", headers=headers, json=small_bom(), timeout=30).json()
    _sign_in(browser, base, token)
    release = tmp_path / "release.zip"
    release.write_bytes(system_zip())
    browser.get(f"{base}/ui/backgrounds")
    _find(browser, "#background-file").send_keys(str(release))
    _find(browser, "#background-name").send_keys(name)
    _find(browser, "#import-background").click()
    _wait(browser, "#import-job")

    def imported() -> bool:
        status = browser.execute_script(
            "const job = document.getElementById('import-job');"
            "return job ? job.dataset.status + ' ' + job.querySelector('progress').value : null"
        )
        return bool(status) and status.split()[0] in ("succeeded", "failed")

    wait_until(imported, 300, "the import job to end")
    assert _find(browser, "#import-job").get_attribute("data-status") == "succeeded"
    assert _find(browser, "#import-percent").text == "100 %"
    _find(browser, "#imported-background").click()
    _wait(browser, "#suggest-bom")
    background_id = browser.current_url.rsplit("/", 1)[1]
    _choose(browser, _find(browser, "#suggest-bom"), bom["name"])
    _find(browser, "#suggest").click()
    _wait(browser, "#mapping-form")
    for select in browser.find_elements("css selector", "#mapping-form select"):
        material = select.get_attribute("name").removeprefix("map__")
        if material in TARGETS:
            wanted = TARGETS[material][0]
        else:
            wanted = ELECTRICITY[0] if material.startswith("electricity") else HEAT[0]
        _choose(browser, select, f"{wanted} (")
    _find(browser, "#save-mapping").click()
    _wait(browser, "#mapping")
    assert len(browser.find_elements("css selector", "#mapping tbody tr")) == 6
    screenshot(browser, "background-mapping")
    browser.get(f"{base}/ui/backgrounds")
    assert name in _find(browser, "#backgrounds").text
    screenshot(browser, "backgrounds")
    browser.get(f"{base}/ui/boms/{bom['id']}")
    _find(browser, "#compute").click()
    _wait(browser, "#footprint-background")
    assert "open background" in _find(browser, "#footprint-background").text
    _choose(browser, _find(browser, "#other-background"), name)
    _find(browser, "#compute-on-background").click()
    wait_until(
        lambda: "imported background" in _find(browser, "#footprint-background").text,
        30,
        "the footprint on the imported background",
    )
    stated = _find(browser, "#footprint-background").text
    api = httpx.get(f"{base}/v1/backgrounds/{background_id}", headers=headers, timeout=30).json()
    assert name in stated and api["version"][:12] in stated
    assert _find(browser, "#per-cell").text == f"{BOM_KG_CO2E:,.3f}"
    browser.get(f"{base}/ui/boms/{bom['id']}/comparison")
    _choose(browser, _find(browser, "#compare-second"), name)
    _find(browser, "#compare").click()
    _wait(browser, "#comparison")
    assert len(browser.find_elements("css selector", "#comparison tbody tr")) == 6
    assert _find(browser, "#total-2").text == f"{BOM_KG_CO2E:,.3f}"
    compared = httpx.get(
        f"{base}/v1/boms/{bom['id']}/comparison",
        params={"backgrounds": f"open,{background_id}"},
        headers=headers,
        timeout=30,
    ).json()
    assert _find(browser, "#total-difference").text == f"{compared['difference_kg_co2e']:,.3f}"
    screenshot(browser, "comparison")


def test_sign_out(browser: Any, server: dict[str, Any]) -> None:
    browser.get(f"{server['base']}/ui/boms")
    _find(browser, "form.sign-out button").click()
    _wait(browser, "#api_key")
    browser.get(f"{server['base']}/ui/boms")
    assert browser.current_url.endswith("/ui/sign-in")
