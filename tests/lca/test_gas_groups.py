"""Gas groups of the by-gas split."""

from __future__ import annotations

import pytest

from lca.background import GAS_GROUPS, INDICATORS


def test_hcfc142b_is_its_own_group_not_an_hfc(real_background) -> None:  # type: ignore[no-untyped-def]
    """1 kg HCFC-142b: 2300 kg CO2e (AR6 GWP100), all of it in 'hcfc', none in 'hfc'."""
    row = real_background.flow_row("hcfc142b")
    assert row[INDICATORS.index("gwp100_hcfc")] == pytest.approx(2300)
    assert row[INDICATORS.index("gwp100_hfc")] == 0.0
    assert GAS_GROUPS[-1] == "unspecified"  # supplier PCFs put their total in the last group


def test_pvdf_reports_its_hcfc_release(real_background) -> None:  # type: ignore[no-untyped-def]
    """PVDF's VDF step releases HCFC-142b (see test_grid_and_method_data): ~20 kg CO2e/kg."""
    assert real_background.unit_score("pvdf", "gwp100_hcfc") == pytest.approx(20.2, abs=0.05)
    # What stays in 'hfc' is the chain's true HFC releases (about 1 kg CO2e), not the HCFC.
    assert real_background.unit_score("pvdf", "gwp100_hfc") < 2.0
