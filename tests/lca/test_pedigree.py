"""Pedigree scores, the GSD they imply, and a footprint's contribution-weighted rating."""

from __future__ import annotations

import math

import pytest

from lca.catalogue import DEFAULT_DATA_DIR, load_catalogue
from lca.footprint import ForegroundInput
from lca.pedigree import PEDIGREE_FILE, Pedigree, derive, pedigree_csv
from lca.quality import exchange_quality, quality_level, rate


@pytest.mark.parametrize(
    ("source", "location", "expected"),
    [
        # An estimate with no year: 4 4 5 3 3, DQR (3 + 3 + 5 + 4) / 4 = 3.75.
        ("estimate: drying of pCAM. gsd estimate: pedigree", "CN", Pedigree(4, 4, 5, 3, 3)),
        # Derived from a 2023 source, regional: 2 3 1 2 2 (2024 − 2023 = 1 year < 3).
        ("derived: Ember 2023 generation shares", "KR", Pedigree(2, 3, 1, 2, 2)),
        # A 2006 guideline for a GLO activity: 18 years old → temporal 5, GLO → 3.
        (
            "IPCC 2006 GL Vol. 2 Ch. 1 Table 1.4. gsd estimate: pedigree",
            "GLO",
            Pedigree(2, 3, 5, 3, 2),
        ),
        ("stoichiometry", "CN", Pedigree(1, 1, 1, 1, 1)),
        ("", "CN", Pedigree(5, 4, 5, 2, 3)),
    ],
)
def test_derived_pedigree(source: str, location: str, expected: Pedigree) -> None:
    assert derive(source, location) == expected


def test_dqr_and_gsd_by_hand() -> None:
    """Pedigree (4, 4, 5, 3, 3): DQR = (TeR 3 + GeR 3 + TiR 5 + P 4) / 4 = 3.75. With basic
    uncertainty 1.05 and the factors 1.20, 1.10, 1.50, 1.02, 1.20:
    GSD² = exp(√(ln²1.05 + ln²1.20 + ln²1.10 + ln²1.50 + ln²1.02 + ln²1.20))
         = exp(√(0.00238 + 0.03324 + 0.00908 + 0.16440 + 0.00039 + 0.03324))
         = exp(√0.24273) = exp(0.49268), so GSD = exp(0.24634) = 1.2793."""
    pedigree = Pedigree(4, 4, 5, 3, 3)
    assert pedigree.dqr == 3.75
    assert pedigree.gsd(1.05) == pytest.approx(1.2793, abs=1e-4)
    assert pedigree.gsd(1.05) == pytest.approx(
        math.exp(0.5 * math.sqrt(sum(math.log(u) ** 2 for u in (1.05, 1.2, 1.1, 1.5, 1.02, 1.2))))
    )
    assert [quality_level(x) for x in (1.5, 1.9, 2.5, 3.75, 4.2)] == [
        "excellent",
        "very good",
        "good",
        "fair",
        "poor",
    ]


def test_pedigree_file_is_up_to_date() -> None:
    """data/quality/pedigree.csv is what `python -m lca.pedigree --write` makes of data/."""
    shipped = (DEFAULT_DATA_DIR / PEDIGREE_FILE).read_text(encoding="utf-8")
    assert shipped == pedigree_csv(load_catalogue(DEFAULT_DATA_DIR))


def test_rating_of_gas_burned_by_hand(real_background) -> None:  # type: ignore[no-untyped-def]
    """1 MJ natural_gas_burned_industrial. Its exchanges, with weight (kg CO2e that scale with
    each) and derived DQR:

    * natural_gas_supply 1 MJ × 0.010662 kg CO2e/MJ = 0.010662, DQR 4.00 (no citation);
    * CO2 0.0561 kg × 1 = 0.0561, CH4 1e-6 × 29.8 = 0.0000298, N2O 1e-7 × 273 = 0.0000273,
      each IPCC 2006 for GLO: DQR (2 + 3 + 5 + 2) / 4 = 3.00;
    and of natural_gas_supply (supply 1 MJ):
    * CO2 0.005 kg (an estimate, JEC 2020: 4 4 2 3 3) → DQR 3.00; CH4 0.00019 × 29.8 = 0.005662
      (derived, IEA 2024: 2 3 1 3 2) → DQR 2.00.

    Σw = 0.010662 + 0.0561 + 0.0000298 + 0.0000273 + 0.005 + 0.005662 = 0.0774811;
    Σwq = 4 × 0.010662 + 3 × 0.0611571 + 2 × 0.005662 = 0.2374433; DQR = 3.0645 ("fair").
    """
    quality = exchange_quality(real_background)
    rating = rate(
        real_background,
        quality,
        [ForegroundInput("gas", "natural_gas_burned_industrial", 1.0, "plant")],
    )
    assert rating.rated_kg_co2e == pytest.approx(0.0774811, rel=1e-4)
    assert rating.dqr == pytest.approx(3.0645, abs=5e-4)
    assert rating.level == "fair"
    # Twice the amount, the same rating (weights scale together).
    double = rate(
        real_background,
        quality,
        [ForegroundInput("gas", "natural_gas_burned_industrial", 2.0, "plant")],
    )
    assert double.dqr == pytest.approx(rating.dqr, rel=1e-12)


def test_an_estimate_without_gsd_gets_its_pedigree_gsd(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An estimate with an empty gsd (steel's 3 kWh of wind power, no year, GLO: pedigree
    4 4 5 3 3, basic 1.05) gets GSD 1.2793 (see test_dqr_and_gsd_by_hand); a non-estimate with
    an empty gsd keeps no uncertainty, as before."""
    from lca.build import _database_dict
    from tests.toy import write_toy_data

    data = write_toy_data(tmp_path / "data")
    with (data / "background/exchanges/toy.csv").open("a", encoding="utf-8") as handle:
        handle.write("steel,technosphere,electricity_wind,3,kWh,,estimate: toy rolling mill\n")
    exchanges = [
        e
        for key, activity in _database_dict(load_catalogue(data)).items()
        if key[1] == "steel"
        for e in activity["exchanges"]
        if e["type"] == "technosphere"
    ]
    estimated = [e for e in exchanges if e["amount"] == 3.0]
    assert len(estimated) == 1
    assert math.exp(estimated[0]["scale"]) == pytest.approx(1.2793, abs=1e-4)
    heat = [e for e in exchanges if e["input"][1] == "heat_natural_gas"]  # toy, no gsd
    assert len(heat) == 1 and "scale" not in heat[0]
