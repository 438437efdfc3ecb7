"""Link the project's IPCC AR6 method (data/method/) to an imported biosphere by flow identity.

An imported background brings its own elementary flows: biosphere3 (ecospold2, the same UUIDs our
method names), or the flows of an openLCA or SimaPro export. Each of our characterised flows is
matched to imported flows, in this order:

1. the same UUID as its biosphere3 flow;
2. the same name (case, spacing and ``name (qualifier)`` vs ``name, qualifier`` ignored) in the
   same compartment — every sub-compartment of air gets the air factor, as the method's factors
   do not depend on where in the air a gas is emitted;
3. the same CAS number in the same compartment, only where the CAS number names one of our flows
   (fossil and non-fossil methane share CAS 74-82-8, so a CAS match cannot tell them apart).

Imported air emissions that look like greenhouse gases but matched none of our flows are
reported, so a user sees what the method does not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lca.catalogue import Catalogue
from lca.imports.report import UNCHARACTERISED_GHG, Problem

BY_UUID = "uuid"
BY_NAME = "name"
BY_CAS = "cas"

# Names of gases with a GWP in IPCC AR6 WG1 Table 7.SM.7, as ecoinvent and the EF flow lists
# spell them: CO2, CH4, N2O, SF6, NF3, SO2F2 and the halogenated methanes, ethanes and propanes
# (HFCs, PFCs, CFCs, HCFCs, halons, chloroform, methyl chloride ...).
_GHG_NAMES = re.compile(
    r"^(carbon dioxide|methane|dinitrogen monoxide|nitrous oxide|sulfur hexafluoride"
    r"|sulphur hexafluoride|nitrogen fluoride|nitrogen trifluoride|sulfuryl fluoride|chloroform)"
    r"(,|$)"
    r"|\b(hfc|hcfc|cfc|pfc)-?\d|halon"
    r"|^(methane|ethane|propane|butane|pentane|ethene|propene), .*(fluoro|chloro|bromo|iodo)"
)
_COMPARTMENTS = {
    "air": "air",
    "emission to air": "air",
    "emissions to air": "air",
    "airborne emissions": "air",
    "water": "water",
    "emission to water": "water",
    "soil": "soil",
    "emission to soil": "soil",
    "natural resource": "natural resource",
    "resource": "natural resource",
    "resources": "natural resource",
    "raw": "natural resource",
}


@dataclass(frozen=True)
class MethodFlow:
    """One characterised flow of our method, with what identifies it."""

    key: str
    gas_group: str
    name: str
    compartment: str
    biosphere3_code: str
    cas: str | None
    gwp100: float
    gwp20: float


@dataclass(frozen=True)
class FlowMatch:
    """An imported flow that one of our method's flows characterises."""

    flow: tuple[str, str]  # (database, code)
    flow_name: str
    key: str
    rule: str


@dataclass(frozen=True)
class MethodLink:
    """Our method linked to one imported biosphere."""

    matches: tuple[FlowMatch, ...]
    unmatched_method_flows: tuple[str, ...]  # our flow keys with no imported flow
    uncharacterised: tuple[tuple[str, str], ...] = field(default=())  # greenhouse gases left out
    problems: tuple[Problem, ...] = field(default=())

    def flows_of(self, key: str) -> list[tuple[str, str]]:
        return [m.flow for m in self.matches if m.key == key]


def looks_like_greenhouse_gas(name: str) -> bool:
    """Whether an elementary flow's name is one of the gases with a GWP in IPCC AR6."""
    return bool(_GHG_NAMES.search(normalised_name(name)))


def normalised_name(name: str) -> str:
    text = re.sub(r"\s*\(([^)]*)\)", r", \1", name.strip().lower())
    return re.sub(r"\s+", " ", text).strip(" ,")


def compartment(categories: Sequence[str] | None) -> str:
    """The top compartment of a flow's categories (``air``, ``water``, ``soil``, ...)."""
    for part in categories or ():
        found = _COMPARTMENTS.get(str(part).strip().lower())
        if found:
            return found
    return ""


def _cas(value: Any) -> str | None:
    if not value:
        return None
    return str(value).strip().lstrip("0") or None


def method_flows(catalogue: Catalogue, biosphere3: dict[str, dict[str, Any]]) -> list[MethodFlow]:
    """Our characterised flows; CAS numbers come from each flow's biosphere3 entry."""
    factors = {f.flow: f for f in catalogue.factors}
    flows = []
    for flow in catalogue.flows:
        factor = factors.get(flow.key)
        if factor is None:
            continue
        reference = biosphere3.get(flow.biosphere3_code, {})
        flows.append(
            MethodFlow(
                key=flow.key,
                gas_group=flow.gas_group,
                name=flow.name,
                compartment=compartment(flow.categories),
                biosphere3_code=flow.biosphere3_code,
                cas=_cas(reference.get("CAS number")),
                gwp100=factor.gwp100,
                gwp20=factor.gwp20,
            )
        )
    return flows


def link_method(
    ours: Sequence[MethodFlow],
    imported: Iterable[dict[str, Any]],
    used: frozenset[tuple[str, str]],
    shipped_characterised: frozenset[tuple[str, str]] = frozenset(),
) -> MethodLink:
    """Match our flows to the ``imported`` flows (dicts with database, code, name, categories,
    CAS number). Of the ``used`` flows (those some activity exchanges), the ones left without a
    factor are reported when they look like a greenhouse gas or a method shipped with the import
    characterises them (``shipped_characterised``)."""
    by_code = {f.biosphere3_code: f for f in ours}
    by_name = {(normalised_name(f.name), f.compartment): f for f in ours}
    cas_count: dict[str, int] = {}
    for f in ours:
        if f.cas:
            cas_count[f.cas] = cas_count.get(f.cas, 0) + 1
    by_cas: dict[tuple[str | None, str], MethodFlow] = {
        (f.cas, f.compartment): f for f in ours if f.cas and cas_count[f.cas] == 1
    }
    matches: list[FlowMatch] = []
    uncharacterised: list[tuple[str, str]] = []
    problems: list[Problem] = []
    for flow in imported:
        key = (str(flow["database"]), str(flow["code"]))
        where = compartment(flow.get("categories"))
        name = normalised_name(str(flow.get("name") or ""))
        match, rule = by_code.get(key[1]), BY_UUID
        if match is None:
            match, rule = by_name.get((name, where)), BY_NAME
        if match is None:
            match, rule = by_cas.get((_cas(flow.get("CAS number")), where)), BY_CAS
        if match is not None:
            matches.append(FlowMatch(key, str(flow.get("name")), match.key, rule))
        elif key in used and (
            key in shipped_characterised or (where == "air" and _GHG_NAMES.search(name))
        ):
            uncharacterised.append(key)
            problems.append(
                Problem(
                    UNCHARACTERISED_GHG,
                    f"{flow.get('name')} {tuple(flow.get('categories') or ())} [{key[1]}]",
                    "looks like a greenhouse gas but matches no flow of IPCC AR6 "
                    "(data/method/); it counts 0 in GWP100 and GWP20",
                )
            )
    found = {m.key for m in matches}
    matches.sort(key=lambda m: (m.key, m.rule != BY_UUID, m.flow))
    return MethodLink(
        matches=tuple(matches),
        unmatched_method_flows=tuple(f.key for f in ours if f.key not in found),
        uncharacterised=tuple(uncharacterised),
        problems=tuple(problems),
    )
