"""Post an example supply chain (data/examples/suppliers/*.json) and a BOM that uses it, over HTTP.

Used by ``cellcarbon example supply-chain`` against a running service and by the tests.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx


class ExampleError(RuntimeError):
    """The service refused part of the example."""


def _post(client: httpx.Client, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(url, json=body)
    if response.status_code not in (200, 201):
        raise ExampleError(f"POST {url} → {response.status_code}: {response.text}")
    return dict(response.json())


def post_supply_chain(client: httpx.Client, example: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Create the example's suppliers, sites, energy reports and PCFs; return their ids by key."""
    ids: dict[str, dict[str, str]] = {"suppliers": {}, "sites": {}, "reports": {}, "pcfs": {}}
    for entry in example["suppliers"]:
        supplier = _post(client, "/v1/suppliers", entry["supplier"])
        ids["suppliers"][entry["key"]] = supplier["id"]
        for site in entry.get("sites", []):
            created = _post(client, f"/v1/suppliers/{supplier['id']}/sites", site["site"])
            ids["sites"][site["key"]] = created["id"]
        for n, report in enumerate(entry.get("energy_reports", [])):
            body = {**report["report"], "site_id": ids["sites"][report["site"]]}
            created = _post(client, f"/v1/suppliers/{supplier['id']}/energy-reports", body)
            ids["reports"][f"{entry['key']}:{n}"] = created["id"]
        for n, pcf in enumerate(entry.get("pcfs", [])):
            body = {"material": pcf["material"], "footprint": pcf["footprint"]}
            created = _post(client, f"/v1/suppliers/{supplier['id']}/pcfs", body)
            ids["pcfs"][f"{entry['key']}:{n}"] = created["id"]
    return ids


def bom_with_suppliers(
    bom: dict[str, Any], example: dict[str, Any], ids: dict[str, dict[str, str]]
) -> dict[str, Any]:
    """A copy of ``bom`` whose lines name the example's suppliers (by material)."""
    changed = copy.deepcopy(bom)
    changed["name"] = f"{bom['name']} — with supplier data"
    for line in changed["lines"]:
        link = example["bom_lines"].get(line["material"])
        if link:
            line["supplier"] = ids["suppliers"][link["supplier"]]
            if link.get("site"):
                line["supplier_site"] = ids["sites"][link["site"]]
    return changed


def footprint_of(client: httpx.Client, bom: dict[str, Any]) -> dict[str, Any]:
    created = _post(client, "/v1/boms", bom)
    return _post(client, f"/v1/boms/{created['id']}/footprints", {})
