"""Our cradle-to-gate factors against published per-kg figures (data/validation/factors.csv).

The scores come from the linter's plain scipy solve of the CSVs (no Brightway build), the same
numbers data/VALIDATION.md shows. A factor passes when it lies inside the span of its ``band``
figures widened by FACTOR_BAND (1.5) each way; see lca/validation.py for why that width.
"""

from __future__ import annotations

import re

import pytest

from lca.catalogue import DEFAULT_DATA_DIR, load_catalogue
from lca.data_check import plain_system, unit_scores
from lca.validation import (
    FACTOR_BAND,
    PublishedFactor,
    example_boms,
    factor_band,
    factory_energy_band,
    factory_energy_kwh_per_kwh,
    published_factors,
    published_ranges,
)

PUBLISHED = published_factors()
SCORES = unit_scores(plain_system(load_catalogue()))
BANDED = sorted({p.factor for p in PUBLISHED if p.use == "band"})

# Outside their band, each for a reason stated in data/validation/notes.md. strict=True: the test
# starts failing (and must be made a normal test) the day the data or the figure moves inside.
OUTSIDE = {
    "pvdf": "35.46 vs the one PVDF LCA read, 55.8 (ratio 0.64)",
}


def _params() -> list[object]:
    return [
        pytest.param(code, marks=pytest.mark.xfail(strict=True, reason=OUTSIDE[code]))
        if code in OUTSIDE
        else code
        for code in BANDED
    ]


@pytest.mark.parametrize("code", _params())
def test_factor_inside_published_band(code: str) -> None:
    band = factor_band([p for p in PUBLISHED if p.factor == code])
    assert band is not None
    low, high = band
    assert low <= SCORES[code] <= high, (code, SCORES[code], band)


def test_band_widens_the_published_span_by_the_stated_factor() -> None:
    """Two figures 2 and 8 (one a range 4–8): the band is 2 / 1.5 = 1.333 to 8 × 1.5 = 12."""
    figures = [
        PublishedFactor("x", 2.0, 2.0, "kg CO2e/kg", "b", 2024, "band", "s", "t"),
        PublishedFactor("x", 4.0, 8.0, "kg CO2e/kg", "b", 2024, "band", "s", "t"),
        PublishedFactor("x", 100.0, 100.0, "kg CO2e/kg", "b", 2024, "context", "s", "t"),
    ]
    assert FACTOR_BAND == 1.5
    assert factor_band(figures) == pytest.approx((2.0 / 1.5, 12.0))
    assert factor_band(figures[2:]) is None


def test_every_published_figure_names_a_known_product_and_its_source() -> None:
    for figure in PUBLISHED:
        assert figure.factor in SCORES, figure.factor
        assert figure.source and figure.table_page and figure.boundary
        assert figure.unit == "kg CO2e/kg"
        assert figure.use in ("band", "context")
        assert 0 < figure.low <= figure.high
        assert 1990 <= figure.year <= 2026


def test_key_cathode_factors_have_published_figures_or_are_listed_as_open() -> None:
    """The precursors that carry the cathode factors each have at least one band figure, except
    those named in data/validation/notes.md as having none found (kept short on purpose)."""
    open_list = {"nickel_sulfate_id", "pcam_nmc111", "pcam_nmc622", "pcam_nmc811"}
    precursors = {
        "nickel_sulfate",
        "cobalt_sulfate_cn",
        "lithium_hydroxide_cn",
        "lithium_carbonate_cn",
        "lithium_carbonate_brine_cl",
        "graphite_natural_cn",
        "graphite_synthetic_cn",
    }
    assert precursors <= set(BANDED)
    assert not open_list & set(BANDED)


def test_nmc811_cathode_and_natural_graphite_have_a_producer_figure_beside_the_models() -> None:
    """GREET 2022 (via EverBatt) bands every cathode; NMC811 also has POSCO Chemical's declared PN8
    cathode, and natural graphite POSCO Chemical's declared anode beside Istrate et al. 2024."""
    first_words = {
        code: {p.source.split()[0] for p in PUBLISHED if p.factor == code and p.use == "band"}
        for code in ("nmc811_cam", "graphite_natural_cn")
    }
    assert {"Argonne", "POSCO"} <= first_words["nmc811_cam"]
    assert {"Istrate", "Engels", "POSCO"} <= first_words["graphite_natural_cn"]


# The factors issue 17 names. Each is banded, or is an exception that data/validation/notes.md
# explains; an exception checked through an input names that input, which must be banded.
ISSUE_17_FACTORS = (
    "nmc111_cam",
    "nmc622_cam",
    "nmc811_cam",
    "lfp_cam",
    "pcam_nmc111",
    "pcam_nmc622",
    "pcam_nmc811",
    "nickel_sulfate",
    "cobalt_sulfate_cn",
    "lithium_hydroxide_cn",
    "lithium_carbonate_cn",
    "graphite_natural_cn",
    "graphite_synthetic_cn",
    "pvdf",
    "copper_foil",
    "aluminium_foil",
    "can_aluminium",
    "electrolyte_lipf6",
    "separator_pe_coated",
)
EXCEPTIONS: dict[str, str | None] = {
    "pcam_nmc111": None,  # no published total; its inventory is compared with GREET's instead
    "pcam_nmc622": None,
    "pcam_nmc811": None,
    "electrolyte_lipf6": "lipf6",
    "separator_pe_coated": "polyethylene",
    "copper_foil": "copper_cathode",
    "aluminium_foil": "aluminium_primary",
    "can_aluminium": "aluminium_primary",
}


# Banded on one independent source (first word of the citation) only; notes.md says what was
# searched for a second. A factor in neither list has two or more.
ONE_SOURCE = {
    "nmc111_cam",
    "nmc622_cam",
    "lfp_cam",
    "cobalt_sulfate_cn",
    "lithium_carbonate_cn",
    "pvdf",
}


@pytest.mark.parametrize("code", ISSUE_17_FACTORS)
def test_issue_17_factor_has_two_independent_figures_or_is_listed(code: str) -> None:
    """Two band figures from different publishers (GREET's vintages count once), or the factor
    is listed as having one (ONE_SOURCE) or none (EXCEPTIONS) and notes.md says so."""
    publishers = {
        p.source.split()[0].rstrip(",") for p in PUBLISHED if p.factor == code and p.use == "band"
    }
    notes = (DEFAULT_DATA_DIR / "validation" / "notes.md").read_text(encoding="utf-8")
    listed = notes[notes.index("**Factors with one published figure, or none.**") :]
    if code in ONE_SOURCE:
        assert len(publishers) == 1, f"{code} has {sorted(publishers)}: drop it from ONE_SOURCE"
        assert f"`{code}`" in listed
    elif code in EXCEPTIONS:
        assert not publishers
        assert f"`{code}`" in listed or code.startswith("pcam_")
    else:
        assert len(publishers) >= 2, f"{code} has {sorted(publishers)}: list it in ONE_SOURCE"


@pytest.mark.parametrize("code", ISSUE_17_FACTORS)
def test_issue_17_factor_is_banded_or_an_explained_exception(code: str) -> None:
    notes = (DEFAULT_DATA_DIR / "validation" / "notes.md").read_text(encoding="utf-8")
    if code not in EXCEPTIONS:
        assert code in BANDED, f"{code} has no band figure and is not a listed exception"
        return
    assert code not in BANDED, f"{code} now has a band figure: make it a normal factor"
    assert f"`{code}`" in notes, f"{code} is an exception that notes.md does not explain"
    through = EXCEPTIONS[code]
    if through is not None:
        assert through in BANDED, (code, through)


# Molar masses (IUPAC 2021): Ni 58.693, Co 58.933, NiSO4·6H2O 262.85, CoSO4·7H2O 281.10.
_HYDRATE = {"NiSO4·6H2O": 58.693 / 262.85, "CoSO4·7H2O": 58.933 / 281.10}


def test_everbatt_rows_convert_grams_per_short_ton_to_kg_per_kg() -> None:
    """EverBatt's 'GREET IO' sheet gives grams per short ton; the workbook divides by 907.2 kg
    per ton. NMC811: 23,123,170 g / 907.2 kg / 1000 = 25.49 kg CO2e/kg. Per-kg-metal rows are put
    per kg hydrate by the metal's mass fraction (Ni in NiSO4·6H2O: 58.693 / 262.85 = 0.2233)."""
    rows = [p for p in PUBLISHED if "EverBatt" in p.source and "derived" not in p.boundary]
    assert len(rows) >= 10
    for row in rows:
        grams = float(re.search(r"= ([\d,]+) g per ton", row.table_page).group(1).replace(",", ""))
        expected = grams / 907.2 / 1000
        for salt, metal_fraction in _HYDRATE.items():
            if salt in row.boundary:
                expected *= metal_fraction
        assert row.low == pytest.approx(expected, abs=0.006), row.table_page


@pytest.mark.parametrize("example", sorted(example_boms()))
def test_plant_energy_per_kwh_inside_published_band(example: str) -> None:
    """Electricity + heat (MJ / 3.6) per kWh of cell against Degen et al. 2023 (20.3–37.5),
    Degen & Schütte 2022 (41.48) and GREET (47.2): within 20.3 / 1.5 = 13.5 to 47.2 × 1.5 = 70.8."""
    low, high = factory_energy_band(published_ranges())
    assert (low, high) == pytest.approx((20.3 / 1.5, 47.2 * 1.5))
    electricity, heat_mj = factory_energy_kwh_per_kwh(example_boms()[example])
    assert low <= electricity + heat_mj / 3.6 <= high
