"""Flow identity rules of lca.imports.methods, on hand-made flows (no Brightway)."""

from __future__ import annotations

import pytest

from lca.imports.methods import (
    BY_CAS,
    BY_NAME,
    BY_UUID,
    MethodFlow,
    compartment,
    link_method,
    looks_like_greenhouse_gas,
    normalised_name,
)

CO2 = MethodFlow(
    "co2_fossil", "co2_fossil", "Carbon dioxide, fossil", "air", "co2-uuid", "124-38-9", 1, 1
)
CO2_BIO = MethodFlow(
    "co2_biogenic",
    "co2_biogenic",
    "Carbon dioxide, non-fossil",
    "air",
    "bio-uuid",
    "124-38-9",
    0,
    0,
)
N2O = MethodFlow("n2o", "n2o", "Dinitrogen monoxide", "air", "n2o-uuid", "10024-97-2", 273, 273)
OURS = [CO2, CO2_BIO, N2O]


def _flow(code: str, name: str, categories: tuple[str, ...], cas: str | None = None) -> dict:  # type: ignore[type-arg]
    return {
        "database": "bio",
        "code": code,
        "name": name,
        "categories": categories,
        "CAS number": cas,
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Carbon dioxide, fossil", "carbon dioxide, fossil"),
        ("carbon dioxide (fossil)", "carbon dioxide, fossil"),
        ("  Methane  (non-fossil) ", "methane, non-fossil"),
    ],
)
def test_normalised_names(name: str, expected: str) -> None:
    assert normalised_name(name) == expected


@pytest.mark.parametrize(
    ("categories", "expected"),
    [
        (("air", "urban air close to ground"), "air"),
        (("Elementary flows", "Emission to air", "unspecified"), "air"),
        (("natural resource", "in air"), "natural resource"),
        (("water", "surface water"), "water"),
        (("Emission to soil",), "soil"),
        ((), ""),
    ],
)
def test_top_compartment(categories: tuple[str, ...], expected: str) -> None:
    assert compartment(categories) == expected


@pytest.mark.parametrize(
    ("name", "ghg"),
    [
        ("Methane, fossil", True),
        ("Methane, bromo-, Halon 1001", True),
        ("Ethane, 1,1,1,2-tetrafluoro-, HFC-134a", True),
        ("Chloroform", True),
        ("Sulfur hexafluoride", True),
        ("Carbon monoxide, fossil", False),
        ("Methanol", False),
        ("Methanesulfonic acid", False),
        ("Dioxins, measured as 2,3,7,8-tetrachlorodibenzo-p-dioxin", False),
    ],
)
def test_greenhouse_gas_names(name: str, ghg: bool) -> None:
    assert looks_like_greenhouse_gas(name) is ghg


def test_rules_in_order_uuid_name_cas() -> None:
    """The UUID wins; a same-name flow in a sub-compartment matches by name; CAS 124-38-9 is
    shared by fossil and non-fossil CO2 and matches nothing; N2O's CAS is unique."""
    imported = [
        _flow("co2-uuid", "Carbon dioxide, fossil", ("air",)),
        _flow("x1", "carbon dioxide (fossil)", ("air", "urban air close to ground")),
        _flow("x2", "CO2", ("air",), "124-38-9"),
        _flow("x3", "Nitrous oxide", ("Emission to air", "unspecified"), "10024-97-2"),
        _flow("x4", "Carbon dioxide, fossil", ("water",)),
    ]
    used = frozenset(("bio", f["code"]) for f in imported)
    link = link_method(OURS, imported, used)
    rules = {m.flow[1]: (m.key, m.rule) for m in link.matches}
    assert rules == {
        "co2-uuid": ("co2_fossil", BY_UUID),
        "x1": ("co2_fossil", BY_NAME),
        "x3": ("n2o", BY_CAS),
    }
    assert link.unmatched_method_flows == ("co2_biogenic",)
    # 'CO2' to air looks like no GHG name and the water CO2 is not in air: neither is reported.
    assert link.uncharacterised == ()


def test_unmatched_greenhouse_gas_reported_only_when_used() -> None:
    halon = _flow("h", "Methane, bromo-, Halon 1001", ("air",))
    assert link_method(OURS, [halon], frozenset()).uncharacterised == ()
    link = link_method(OURS, [halon], frozenset({("bio", "h")}))
    assert link.uncharacterised == (("bio", "h"),)
    assert "Halon 1001" in link.problems[0].location


def test_flow_a_shipped_method_characterises_is_reported() -> None:
    odd = _flow("o", "Water vapour, stratospheric", ("air",))
    link = link_method(OURS, [odd], frozenset({("bio", "o")}), frozenset({("bio", "o")}))
    assert link.uncharacterised == (("bio", "o"),)
