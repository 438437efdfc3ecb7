"""A dozen-activity battery supply chain, written out in each format the importer reads.

Unit scores (IPCC AR6 GWP100: CH4 fossil 29.8, N2O 273, SF6 25,200, CF4 7,380, C2F6 12,400;
biogenic CO2 counts 0), worked out by hand in dependency order:

* electricity_mix: 0.4 CO2 + 0.002 CH4 × 29.8 = 0.4596 kg CO2e/kWh
* natural_gas: 0.0002 CH4 × 29.8 = 0.00596 /MJ
* heat_gas: 1 MJ gas + 0.056 CO2 = 0.06196 /MJ
* steel: 2 kWh + 10 MJ heat + 1.5 CO2 = 0.9192 + 0.6196 + 1.5 = 3.0388 /kg
* copper: 3 kWh + 0.5 CO2 + 0.002 N2O × 273 = 1.3788 + 0.5 + 0.546 = 2.4248 /kg
* aluminium: 15 kWh + 1.6 CO2 + 1e-4 CF4 × 7,380 + 1e-4 C2F6 × 12,400
  = 6.894 + 1.6 + 0.738 + 1.24 = 10.472 /kg
* solvent: 5 MJ heat + 0.3 biogenic CO2 (0) = 0.3098 /kg
* nickel_sulfate: 0.1 kg steel + 1.5 kWh + 4 MJ heat + 0.2 CO2
  = 0.30388 + 0.6894 + 0.24784 + 0.2 = 1.44112 /kg
* graphite: 8 kWh + 0.5 CO2 = 3.6768 + 0.5 = 4.1768 /kg
* lithium_carbonate: 20 MJ heat + 0.3 kWh + 2 CO2 = 1.2392 + 0.13788 + 2 = 3.37708 /kg
* cathode: 0.4 kg NiSO4 + 0.1 kg Li2CO3 + 0.05 kg Al + 2 kWh
  = 0.576448 + 0.337708 + 0.5236 + 0.9192 = 2.356956 /kg
* electrolyte: 0.8 kg solvent + 0.1 kg Li2CO3 + 1 MJ heat + 1e-5 SF6 × 25,200
  = 0.24784 + 0.337708 + 0.06196 + 0.252 = 0.899508 /kg
"""

from __future__ import annotations

import shutil
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

REAL_DATA = Path(__file__).resolve().parents[3] / "data"
NAMESPACE = uuid.UUID("6f1c1f44-2b7e-4d43-8d8a-3a1f4c0c2b10")


@dataclass(frozen=True)
class Activity:
    code: str
    name: str
    product: str
    unit: str  # as in data/ ("kg", "kWh", "MJ")
    location: str


ACTIVITIES = (
    Activity("electricity_mix", "electricity production, grid mix", "electricity", "kWh", "XX"),
    Activity("natural_gas", "natural gas supply", "natural gas", "MJ", "GLO"),
    Activity("heat_gas", "heat production, natural gas boiler", "heat", "MJ", "GLO"),
    Activity("steel", "steel production, converter", "steel", "kg", "GLO"),
    Activity("copper", "copper production, primary", "copper", "kg", "CL"),
    Activity("aluminium", "aluminium production, primary, ingot", "aluminium", "kg", "CN"),
    Activity("solvent", "solvent production, organic", "solvent", "kg", "GLO"),
    Activity("nickel_sulfate", "nickel sulfate production", "nickel sulfate", "kg", "ID"),
    Activity("graphite", "graphite production, synthetic", "graphite", "kg", "CN"),
    Activity("lithium_carbonate", "lithium carbonate production", "lithium carbonate", "kg", "CL"),
    Activity("cathode", "cathode active material production, NMC", "cathode material", "kg", "KR"),
    Activity(
        "electrolyte", "electrolyte production, LiPF6 in carbonates", "electrolyte", "kg", "CN"
    ),
)

# (activity, input activity, amount in the input's unit)
TECHNOSPHERE = (
    ("heat_gas", "natural_gas", 1.0),
    ("steel", "electricity_mix", 2.0),
    ("steel", "heat_gas", 10.0),
    ("copper", "electricity_mix", 3.0),
    ("aluminium", "electricity_mix", 15.0),
    ("solvent", "heat_gas", 5.0),
    ("nickel_sulfate", "steel", 0.1),
    ("nickel_sulfate", "electricity_mix", 1.5),
    ("nickel_sulfate", "heat_gas", 4.0),
    ("graphite", "electricity_mix", 8.0),
    ("lithium_carbonate", "heat_gas", 20.0),
    ("lithium_carbonate", "electricity_mix", 0.3),
    ("cathode", "nickel_sulfate", 0.4),
    ("cathode", "lithium_carbonate", 0.1),
    ("cathode", "aluminium", 0.05),
    ("cathode", "electricity_mix", 2.0),
    ("electrolyte", "solvent", 0.8),
    ("electrolyte", "lithium_carbonate", 0.1),
    ("electrolyte", "heat_gas", 1.0),
)

# (activity, flow key of data/method/flows.csv, kg)
EMISSIONS = (
    ("electricity_mix", "co2_fossil", 0.4),
    ("electricity_mix", "ch4_fossil", 0.002),
    ("natural_gas", "ch4_fossil", 0.0002),
    ("heat_gas", "co2_fossil", 0.056),
    ("steel", "co2_fossil", 1.5),
    ("copper", "co2_fossil", 0.5),
    ("copper", "n2o", 0.002),
    ("aluminium", "co2_fossil", 1.6),
    ("aluminium", "cf4", 0.0001),
    ("aluminium", "c2f6", 0.0001),
    ("solvent", "co2_biogenic", 0.3),
    ("nickel_sulfate", "co2_fossil", 0.2),
    ("graphite", "co2_fossil", 0.5),
    ("lithium_carbonate", "co2_fossil", 2.0),
    ("electrolyte", "sf6", 0.00001),
)

UNIT_SCORES = {
    "electricity_mix": 0.4596,
    "natural_gas": 0.00596,
    "heat_gas": 0.06196,
    "steel": 3.0388,
    "copper": 2.4248,
    "aluminium": 10.472,
    "solvent": 0.3098,
    "nickel_sulfate": 1.44112,
    "graphite": 4.1768,
    "lithium_carbonate": 3.37708,
    "cathode": 2.356956,
    "electrolyte": 0.899508,
}

# Flows in other sub-compartments than data/method/flows.csv names (biosphere3 / ecoinvent 3.9
# elementary flow UUIDs): the ecospold2 export uses them, so the method must link by name.
EMISSION_UUIDS_ECOSPOLD2 = {
    ("steel", "co2_fossil"): ("f9749677-9c9f-4678-ab55-c607dfdc2cb9", "urban air close to ground"),
    ("copper", "n2o"): (
        "afd6d670-bbb0-4625-9730-04088a5b035e",
        "non-urban air or from high stacks",
    ),
}
# Halon 1001 (bromomethane), air/unspecified: a greenhouse gas data/method/ does not list.
HALON_1001 = "8c283de2-50d3-40c8-8bff-1e172c3398f8"

UNIT_NAMES = {"kg": "kg", "kWh": "kWh", "MJ": "MJ"}


def activity_uuid(code: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"activity:{code}"))


def product_uuid(code: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"product:{code}"))


def method_flows_csv() -> dict[str, tuple[str, str, str]]:
    """flow key → (name, top compartment, biosphere3 code), from data/method/flows.csv."""
    import csv

    with (REAL_DATA / "method" / "flows.csv").open(newline="") as handle:
        return {
            row["key"]: (row["name"], row["categories"], row["biosphere3_code"])
            for row in csv.DictReader(handle)
        }


# --- the project's own data/ format --------------------------------------------------------


def write_cellcarbon_data(target: Path) -> Path:
    """The system as a data/ folder; the method files are the shipped ones."""
    (target / "background" / "activities").mkdir(parents=True)
    (target / "background" / "exchanges").mkdir(parents=True)
    (target / "method").mkdir()
    lines = ["code,name,reference_product,unit,location,category,source"]
    for a in ACTIVITIES:
        lines.append(f'{a.code},"{a.name}",{a.product},{a.unit},{a.location},material,test system')
    (target / "background" / "activities" / "system.csv").write_text("\n".join(lines) + "\n")
    unit_of = {a.code: a.unit for a in ACTIVITIES}
    rows = ["activity,type,input,amount,unit,gsd,source"]
    for activity, source, amount in TECHNOSPHERE:
        rows.append(f"{activity},technosphere,{source},{amount!r},{unit_of[source]},,test system")
    for activity, flow, amount in EMISSIONS:
        rows.append(f"{activity},biosphere,{flow},{amount!r},kg,,test system")
    (target / "background" / "exchanges" / "system.csv").write_text("\n".join(rows) + "\n")
    for name in ("flows.csv", "ipcc_ar6.csv"):
        shutil.copy(REAL_DATA / "method" / name, target / "method" / name)
    return target


# --- ecospold2 -------------------------------------------------------------------------------

_SPOLD = """<?xml version="1.0" encoding="UTF-8"?>
<ecoSpold xmlns="http://www.EcoInvent.org/EcoSpold02">
  <activityDataset>
    <activityDescription>
      <activity id="{activity_id}" activityNameId="{activity_id}" specialActivityType="0">
        <activityName xml:lang="en">{name}</activityName>
        <generalComment><text xml:lang="en" index="1">Test system.</text></generalComment>
      </activity>
      <geography><shortname xml:lang="en">{location}</shortname></geography>
      <technology technologyLevel="3"/>
      <timePeriod startDate="2024-01-01" endDate="2024-12-31" isDataValidForEntirePeriod="true"/>
    </activityDescription>
    <flowData>
{exchanges}
    </flowData>
    <modellingAndValidation/>
    <administrativeInformation>
      <dataEntryBy personId="1" personName="CellCarbon tests" personEmail="tests@example.org"/>
      <dataGeneratorAndPublication personName="CellCarbon tests" personEmail="tests@example.org"/>
    </administrativeInformation>
  </activityDataset>
</ecoSpold>
"""


def _intermediate(product: Activity, amount: float, *, output: bool, link: bool) -> str:
    group = "<outputGroup>0</outputGroup>" if output else "<inputGroup>5</inputGroup>"
    link_attr = f' activityLinkId="{activity_uuid(product.code)}"' if link else ""
    return (
        f'      <intermediateExchange id="{uuid.uuid4()}" '
        f'intermediateExchangeId="{product_uuid(product.code)}"{link_attr} amount="{amount!r}">\n'
        f'        <name xml:lang="en">{escape(product.product)}</name>\n'
        f'        <unitName xml:lang="en">{UNIT_NAMES[product.unit]}</unitName>\n'
        f"        {group}\n      </intermediateExchange>"
    )


def _elementary(code: str, name: str, subcompartment: str, amount: float) -> str:
    return (
        f'      <elementaryExchange id="{uuid.uuid4()}" elementaryExchangeId="{code}" '
        f'amount="{amount!r}">\n'
        f'        <name xml:lang="en">{escape(name)}</name>\n'
        '        <unitName xml:lang="en">kg</unitName>\n'
        '        <compartment><compartment xml:lang="en">air</compartment>'
        f'<subcompartment xml:lang="en">{subcompartment}</subcompartment></compartment>\n'
        "        <outputGroup>4</outputGroup>\n      </elementaryExchange>"
    )


def spold_text(activity: Activity, *, halon: bool = False) -> str:
    by_code = {a.code: a for a in ACTIVITIES}
    flows = method_flows_csv()
    parts = [_intermediate(activity, 1.0, output=True, link=False)]
    for consumer, source, amount in TECHNOSPHERE:
        if consumer == activity.code:
            parts.append(_intermediate(by_code[source], amount, output=False, link=True))
    for emitter, key, amount in EMISSIONS:
        if emitter == activity.code:
            name, _, code = flows[key]
            code, sub = EMISSION_UUIDS_ECOSPOLD2.get((emitter, key), (code, "unspecified"))
            parts.append(_elementary(code, name, sub, amount))
    if halon:
        parts.append(_elementary(HALON_1001, "Methane, bromo-, Halon 1001", "unspecified", 1e-6))
    return _SPOLD.format(
        activity_id=activity_uuid(activity.code),
        name=escape(activity.name),
        location=activity.location,
        exchanges="\n".join(parts),
    )


def write_ecospold2(target: Path) -> Path:
    """The system as an ecospold2 release folder (datasets/*.spold, ecoinvent's file names)."""
    folder = target / "datasets"
    folder.mkdir(parents=True)
    for activity in ACTIVITIES:
        filename = f"{activity_uuid(activity.code)}_{product_uuid(activity.code)}.spold"
        text = spold_text(activity, halon=activity.code == "graphite")
        (folder / filename).write_text(text, encoding="utf-8")
    return target


def zip_folder(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                handle.write(path, path.relative_to(folder).as_posix())
    return archive
