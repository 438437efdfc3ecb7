"""The test system of system.py as a SimaPro 9 CSV process export."""

from __future__ import annotations

from pathlib import Path

from tests.lca.imports.system import ACTIVITIES, EMISSIONS, TECHNOSPHERE, Activity, method_flows_csv

SIMAPRO_UNITS = {"kg": "kg", "kWh": "kWh", "MJ": "MJ"}


def simapro_product_name(activity: Activity) -> str:
    """SimaPro's product naming: '<product> {<location>}| <activity> | <library>'."""
    return f"{activity.product} {{{activity.location}}}| {activity.name} | CellCarbon test"


def simapro_csv_text() -> str:
    """The system as a SimaPro 9 process export (semicolon separated, '.' decimals)."""
    by_code = {a.code: a for a in ACTIVITIES}
    flows = method_flows_csv()
    lines = [
        "{SimaPro 9.5.0.1}",
        "{processes}",
        "{Project: CellCarbon test system}",
        "{CSV Format version: 9.0.0}",
        "{CSV separator: Semicolon}",
        "{Decimal separator: .}",
        "{Date separator: /}",
        "{Short date format: dd/MM/yyyy}",
        "{Date: 01/12/2026}",
        "{Time: 10:00:00}",
        "",
    ]
    for a in ACTIVITIES:
        lines += [
            "Process",
            "",
            "Category type",
            "material",
            "",
            "Process name",
            a.name,
            "",
            "Type",
            "Unit process",
            "",
            "Products",
            f"{simapro_product_name(a)};{SIMAPRO_UNITS[a.unit]};1;100;not defined;Battery\\test;",
            "",
        ]
        inputs = [(s, amount) for c, s, amount in TECHNOSPHERE if c == a.code]
        energy = [(s, x) for s, x in inputs if by_code[s].unit in ("kWh", "MJ")]
        materials = [(s, x) for s, x in inputs if by_code[s].unit == "kg"]
        for block, rows in (("Materials/fuels", materials), ("Electricity/heat", energy)):
            if rows:
                lines.append(block)
                for source, amount in rows:
                    s = by_code[source]
                    lines.append(
                        f"{simapro_product_name(s)};{SIMAPRO_UNITS[s.unit]};{amount!r};"
                        "Undefined;0;0;0;"
                    )
                lines.append("")
        emissions = [(key, amount) for e, key, amount in EMISSIONS if e == a.code]
        if emissions:
            lines.append("Emissions to air")
            for key, amount in emissions:
                lines.append(f"{flows[key][0]};;kg;{amount!r};Undefined;0;0;0;")
            lines.append("")
        lines += ["End", ""]
    return "\r\n".join(lines) + "\r\n"


def write_simapro_csv(target: Path, text: str | None = None) -> Path:
    target.write_text(simapro_csv_text() if text is None else text, encoding="cp1252")
    return target
