"""The test system of system.py as an openLCA JSON-LD package (olca-schema 2)."""

from __future__ import annotations

import json
import uuid
import zipfile
from pathlib import Path

from tests.lca.imports.system import ACTIVITIES, EMISSIONS, NAMESPACE, TECHNOSPHERE

# Elementary flows as an openLCA package names them: its own UUIDs (none is a biosphere3 UUID),
# EF-style category paths, and three spellings that differ from data/method/flows.csv: the
# method must link them by name, by a "name (qualifier)" form and by CAS number.
JSONLD_FLOWS = {
    "co2_fossil": ("Carbon dioxide, fossil", None),
    "ch4_fossil": ("Methane (fossil)", None),
    "n2o": ("Nitrous oxide", "10024-97-2"),
    "sf6": ("Sulfur hexafluoride", "2551-62-4"),
    "cf4": ("Methane, tetrafluoro-, R-14", "75-73-0"),
    "c2f6": ("Ethane, hexafluoro-, HFC-116", "76-16-4"),
    "co2_biogenic": ("Carbon dioxide, non-fossil", None),
}
# A "Climate change" impact category shipped in the package (GWP100 values of IPCC AR5 WG1
# Table 8.A.1, without climate-carbon feedback: CH4 28, N2O 265, SF6 23,500, CF4 6,630,
# C2F6 11,100), so the import has a shipped method to compare with.
JSONLD_SHIPPED_GWP = {
    "co2_fossil": 1.0,
    "ch4_fossil": 28.0,
    "n2o": 265.0,
    "sf6": 23500.0,
    "cf4": 6630.0,
    "c2f6": 11100.0,
}
_UNITS = {
    # unit group → (unit name → (@id, factor to the group's reference unit))
    "Units of mass": {"kg": 1.0, "g": 0.001},
    "Units of energy": {"MJ": 1.0},
    "Units of electricity": {"kWh": 1.0},
}


def _jid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"jsonld:{kind}:{key}"))


def _unit_ref(name: str) -> dict[str, str]:
    return {"@type": "Unit", "@id": _jid("unit", name), "name": name}


def _group_of(unit: str) -> str:
    return next(group for group, units in _UNITS.items() if unit in units)


def _flow_ref(code: str, name: str, flow_type: str, unit: str) -> dict[str, object]:
    return {"@type": "Flow", "@id": code, "name": name, "flowType": flow_type, "refUnit": unit}


def _exchange(
    flow: dict[str, object],
    amount: float,
    unit: str,
    *,
    is_input: bool,
    reference: bool = False,
    provider: str | None = None,
) -> dict[str, object]:
    exchange: dict[str, object] = {
        "@type": "Exchange",
        "amount": amount,
        "isInput": is_input,
        "isQuantitativeReference": reference,
        "flow": flow,
        "unit": _unit_ref(unit),
        "flowProperty": {"@type": "FlowProperty", "@id": _jid("property", _group_of(unit))},
    }
    if provider:
        exchange["defaultProvider"] = {"@type": "Process", "@id": provider}
    return exchange


def jsonld_documents(*, shipped_method: bool = True) -> dict[str, dict[str, object]]:
    """The package as {path in the zip: JSON document}."""
    docs: dict[str, dict[str, object]] = {}
    for group, units in _UNITS.items():
        reference = next(iter(units))
        docs[f"unit_groups/{_jid('group', group)}.json"] = {
            "@type": "UnitGroup",
            "@id": _jid("group", group),
            "name": group,
            "units": [
                {
                    "@type": "Unit",
                    "@id": _jid("unit", u),
                    "name": u,
                    "conversionFactor": f,
                    "isRefUnit": u == reference,
                }
                for u, f in units.items()
            ],
        }
        docs[f"flow_properties/{_jid('property', group)}.json"] = {
            "@type": "FlowProperty",
            "@id": _jid("property", group),
            "name": group,
            "unitGroup": {"@type": "UnitGroup", "@id": _jid("group", group)},
        }
    for location in sorted({a.location for a in ACTIVITIES}):
        docs[f"locations/{_jid('location', location)}.json"] = {
            "@type": "Location",
            "@id": _jid("location", location),
            "name": location,
            "code": location,
        }
    for a in ACTIVITIES:
        docs[f"flows/{_jid('product', a.code)}.json"] = {
            "@type": "Flow",
            "@id": _jid("product", a.code),
            "name": a.product,
            "flowType": "PRODUCT_FLOW",
            "category": "Technosphere flows/battery materials",
        }
    for key, (name, cas) in JSONLD_FLOWS.items():
        flow: dict[str, object] = {
            "@type": "Flow",
            "@id": _jid("flow", key),
            "name": name,
            "flowType": "ELEMENTARY_FLOW",
            "category": "Elementary flows/Emission to air/unspecified",
        }
        if cas:
            flow["cas"] = cas
        docs[f"flows/{_jid('flow', key)}.json"] = flow
    by_code = {a.code: a for a in ACTIVITIES}
    for a in ACTIVITIES:
        product = _flow_ref(_jid("product", a.code), a.product, "PRODUCT_FLOW", a.unit)
        exchanges = [_exchange(product, 1.0, a.unit, is_input=False, reference=True)]
        for consumer, source, amount in TECHNOSPHERE:
            if consumer != a.code:
                continue
            s = by_code[source]
            # Every input but the cathode's names its provider; those find it as the only one.
            provider = None if consumer == "cathode" else _jid("process", source)
            ref = _flow_ref(_jid("product", source), s.product, "PRODUCT_FLOW", s.unit)
            exchanges.append(_exchange(ref, amount, s.unit, is_input=True, provider=provider))
        for emitter, key, amount in EMISSIONS:
            if emitter != a.code:
                continue
            name, _ = JSONLD_FLOWS[key]
            ref = _flow_ref(_jid("flow", key), name, "ELEMENTARY_FLOW", "kg")
            if key in ("cf4", "c2f6"):  # given in grams: bw2io converts to the reference kg
                exchanges.append(_exchange(ref, amount * 1000, "g", is_input=False))
            else:
                exchanges.append(_exchange(ref, amount, "kg", is_input=False))
        docs[f"processes/{_jid('process', a.code)}.json"] = {
            "@type": "Process",
            "@id": _jid("process", a.code),
            "name": a.name,
            "processType": "UNIT_PROCESS",
            "location": {
                "@type": "Location",
                "@id": _jid("location", a.location),
                "name": a.location,
            },
            "exchanges": exchanges,
        }
    if shipped_method:
        docs[f"lcia_categories/{_jid('category', 'gwp')}.json"] = {
            "@type": "ImpactCategory",
            "@id": _jid("category", "gwp"),
            "name": "Climate change - GWP100 (IPCC AR5)",
            "refUnit": "kg CO2-Eq",
            "impactFactors": [
                {
                    "@type": "ImpactFactor",
                    "value": value,
                    "flow": {"@type": "Flow", "@id": _jid("flow", key)},
                    "unit": _unit_ref("kg"),
                }
                for key, value in JSONLD_SHIPPED_GWP.items()
            ],
        }
    return docs


def write_jsonld_zip(archive: Path, documents: dict[str, dict[str, object]] | None = None) -> Path:
    documents = jsonld_documents() if documents is None else documents
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        for path, document in sorted(documents.items()):
            handle.writestr(path, json.dumps(document, indent=1))
    return archive


def jsonld_process_path(code: str) -> str:
    return f"processes/{_jid('process', code)}.json"
