"""Shared steps of the import tests: map the system's codes onto an imported background."""

from __future__ import annotations

from pathlib import Path

from lca.background import Background
from lca.footprint import ForegroundInput
from lca.imports.mapping import MaterialMapping, materials_of, suggest

# A 'cell' in the system's material codes; amounts in each material's unit.
BOM = [
    ForegroundInput("cathode", "cathode", 0.3, "cathode"),
    ForegroundInput("anode", "graphite", 0.1, "anode"),
    ForegroundInput("foil", "copper", 0.05, "current collector"),
    ForegroundInput("electrolyte", "electrolyte", 0.05, "electrolyte"),
    ForegroundInput("plant", "electricity_mix", 1.5, "cell manufacturing"),
]
# 0.3 × 2.356956 + 0.1 × 4.1768 + 0.05 × 2.4248 + 0.05 × 0.899508 + 1.5 × 0.4596
# = 0.7070868 + 0.41768 + 0.12124 + 0.0449754 + 0.6894 = 1.9803822 kg CO2e (unit scores in
# tests/lca/imports/system.py).
BOM_KG_CO2E = 1.9803822


def mapping_by_suggestion(direct: Background, imported: Background) -> MaterialMapping:
    """Each material mapped to the best suggestion (the system's names are unique)."""
    materials = materials_of(direct)
    entries = {code: suggest(m, imported, limit=1)[0].code for code, m in materials.items()}
    return MaterialMapping(imported.version, entries)


def leftovers(root: Path) -> list[str]:
    """What imports left in ``root``, but the shared biosphere3 template: backgrounds and any
    staging directory (which a finished import, failed or not, must have removed)."""
    if not root.exists():
        return []
    return sorted(p.name for p in root.iterdir() if not p.name.startswith(".template-biosphere3"))
