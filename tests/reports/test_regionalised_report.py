"""Reports say which lines were priced as made in another region."""

from __future__ import annotations

from typing import Any


def test_report_lists_the_regionalised_lines(client, example_bom: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    cam = next(i for i, line in enumerate(example_bom["lines"]) if line["material"] == "nmc811_cam")
    example_bom["lines"][cam]["made_in"] = "KR"
    bom = client.post("/v1/boms", json=example_bom).json()
    footprint = client.post(f"/v1/boms/{bom['id']}/footprints").json()
    report = client.get(f"/v1/footprints/{footprint['id']}/report", params={"format": "json"})
    assert report.status_code == 200, report.text
    body = report.json()
    label = f"line {cam + 1}: nmc811_cam"
    assert body["regionalised"] == {"KR": [label]}
    assert [line["made_in"] for line in body["lines"] if line["made_in"]] == ["KR"]
    assert any(note.startswith(f"made in KR: {label}") for note in body["notes"])
