"""data/VALIDATION.md is generated: rendering it again from data/ gives the committed file."""

from __future__ import annotations

import pytest

from lca.catalogue import DEFAULT_DATA_DIR, load_catalogue
from lca.validation import VALIDATION_REGIONS, ValidationRow, published_ranges
from lca.validation_design import design_table, national_pack_figures
from lca.validation_report import fill_placeholders, render


def test_committed_validation_md_is_what_the_generator_renders(real_background) -> None:  # type: ignore[no-untyped-def]
    committed = (DEFAULT_DATA_DIR / "VALIDATION.md").read_text(encoding="utf-8")
    assert render(real_background) == committed, (
        "data/VALIDATION.md is stale: run python -m lca.validation_report --write"
    )


def test_placeholders_are_filled_and_unknown_ones_refused() -> None:
    assert fill_placeholders("a {x.y} b {{z}}", {"x.y": "1.5"}) == "a 1.5 b {z}"
    with pytest.raises(KeyError, match="nope"):
        fill_placeholders("{nope}", {})


def _design_cells(per_region: dict[str, tuple[str, dict[str, float]]]) -> list[ValidationRow]:
    return [
        ValidationRow(name, chemistry, region, value, 0.4, "x", 0.1)
        for name, (chemistry, values) in per_region.items()
        for region, value in values.items()
    ]


def test_design_table_carries_the_national_database_beside_ours_per_region() -> None:
    """Every ADEME Base Empreinte row made in CN, KR or SE shows in the row of the design cell of
    the same chemistry, with ours ÷ ADEME; NMC111, which ADEME lacks, shows dashes. Toy cells:
    NMC811 at 52.5 / 51.5 / 42 kg CO2e/kWh against ADEME's 105 / 103 / 84 gives 0.50 each."""
    ranges = published_ranges()
    national = national_pack_figures(ranges)
    cells = {
        "nmc811_design": ("NMC811", {"CN": 52.5, "KR": 51.5, "SE": 42.0}),
        "nmc622_design": ("NMC622", {"CN": 60.0, "KR": 60.0, "SE": 60.0}),
        "lfp_design": ("LFP", {"CN": 70.0, "KR": 70.0, "SE": 70.0}),
        "nmc111_design": ("NMC111", {"CN": 80.0, "KR": 80.0, "SE": 80.0}),
    }
    table = design_table(_design_cells(cells), ranges)
    rows = {line.split(" ")[1]: line for line in table.splitlines()[2:]}
    for name, (chemistry, _) in cells.items():
        shown = [national.get((chemistry, region)) for region in VALIDATION_REGIONS]
        if chemistry == "NMC111":
            assert all(figure is None for figure in shown)
            continue
        assert all(figure is not None for figure in shown), chemistry
        assert " / ".join(f"{f.low:g}" for f in shown if f) in rows[name]
    assert "105 / 103 / 84 | 0.50 / 0.50 / 0.50" in rows["nmc811_design"]
    assert "| – | – |" in rows["nmc111_design"]


def test_every_national_database_row_is_made_in_one_of_our_grid_regions() -> None:
    national = national_pack_figures(published_ranges())
    ours = {grid.region for grid in load_catalogue().grid_regions}
    assert {region for _, region in national} >= {"CN", "KR", "SE", "US"}
    assert {chemistry for chemistry, _ in national} == {"LFP", "NMC622", "NMC811"}
    for (chemistry, region), figure in national.items():
        assert region in ours, (chemistry, region)
        assert figure.unit == "kg CO2e/kWh" and figure.low == figure.high
        assert f"column '{chemistry}' = {figure.low:g}" in figure.source
