"""The design-study cells beside published pack figures, for ``data/VALIDATION.md``.

Two tables: the cells per region beside GREET's US pack, ADEME's Base Empreinte packs (France's
national database, per country of manufacture) and other published packs; and the cells split into
materials and plant energy beside GREET's pack materials and GREET's cell production + pack
assembly, to show which part of ours differs from GREET's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lca.background import Background
from lca.catalogue import DEFAULT_DATA_DIR
from lca.footprint import STAGE_MATERIALS, STAGE_PRODUCTION
from lca.validation import (
    DESIGN_STUDY_SUFFIX,
    VALIDATION_REGIONS,
    PublishedRange,
    ValidationRow,
    example_boms,
    footprint_in,
)

# Rows of published.csv from France's national database, per chemistry and country of manufacture.
NATIONAL_DATABASE = "ADEME Base Empreinte"
# GREET's pack materials rows and its one assembly row (published.csv, chemistry column).
GREET_MATERIALS_BOUNDARY = "pack, materials only"
GREET_ASSEMBLY = "all (GREET assembly)"
# Where the split is shown: China, where the design cells are made, and the US, where GREET's
# pack is (when the background has a US grid region).
SPLIT_REGIONS = ("CN", "US")


def design_rows(rows: list[ValidationRow]) -> list[ValidationRow]:
    return [r for r in rows if r.example.endswith(DESIGN_STUDY_SUFFIX)]


def national_pack_figures(ranges: list[PublishedRange]) -> dict[tuple[str, str], PublishedRange]:
    """ADEME's Base Empreinte pack figures by (chemistry, region of manufacture)."""
    return {(r.chemistry, r.region): r for r in ranges if r.source.startswith(NATIONAL_DATABASE)}


def design_table(rows: list[ValidationRow], ranges: list[PublishedRange]) -> str:
    """Design-study cells per region beside GREET's pack (materials + assembly), ADEME's packs
    made in the same regions and other published packs."""
    greet = {
        r.chemistry: r.low
        for r in ranges
        if r.boundary.startswith("pack, cradle-to-gate (materials + assembly)")
    }
    national = national_pack_figures(ranges)
    by_example: dict[str, dict[str, float]] = {}
    chemistry: dict[str, str] = {}
    for row in design_rows(rows):
        by_example.setdefault(row.example, {})[row.region] = row.kg_co2e_per_kwh
        chemistry[row.example] = row.chemistry
    regions = " / ".join(VALIDATION_REGIONS)
    lines = [
        "| design-study cell | made in CN | made in KR | made in SE | GREET pack, US (materials + "
        f"assembly) | ours CN ÷ GREET | {NATIONAL_DATABASE} pack, made in {regions} | "
        f"ours ÷ {NATIONAL_DATABASE}, {regions} | other published pack figures, kg CO2e/kWh |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in sorted(by_example, key=lambda n: by_example[n]["CN"]):
        values = by_example[name]
        reference = greet.get(chemistry[name])
        greet_cells = f"{reference:g} | {values['CN'] / reference:.2f}" if reference else "– | –"
        ademe = [national.get((chemistry[name], region)) for region in VALIDATION_REGIONS]
        if all(figure is None for figure in ademe):
            national_cells = "– | –"
        else:
            national_cells = (
                " / ".join("–" if f is None else f"{f.low:g}" for f in ademe)
                + " | "
                + " / ".join(
                    "–" if f is None else f"{values[region] / f.low:.2f}"
                    for f, region in zip(ademe, VALIDATION_REGIONS, strict=True)
                )
            )
        others = "; ".join(
            f"{r.low:g}{'' if r.low == r.high else f'–{r.high:g}'} ({r.region}, "
            f"{r.source.split('(')[0].strip().rstrip(',')}, {r.chemistry})"
            for r in _pack_figures(ranges, chemistry[name])
        )
        lines.append(
            f"| {name} ({chemistry[name]}) | "
            + " | ".join(f"{values[r]:.1f}" for r in VALIDATION_REGIONS)
            + f" | {greet_cells} | {national_cells} | {others or '–'} |"
        )
    return "\n".join(lines)


def _pack_figures(ranges: list[PublishedRange], chemistry: str) -> list[PublishedRange]:
    """Whole-pack cradle-to-gate figures (not GREET's, not materials-only, not the national
    database's, which has a column of its own) of the same family."""
    family = "LFP" if "LFP" in chemistry.upper() else "NMC"
    return [
        r
        for r in ranges
        if r.unit == "kg CO2e/kWh"
        and r.boundary.startswith(("pack, cradle-to-gate, China", "battery (cells + pack)"))
        and r.chemistry.upper().startswith(family)
    ]


@dataclass(frozen=True)
class GreetSplitRow:
    """One design cell made in one region, split as GREET splits its pack (kg CO2e per kWh)."""

    example: str
    chemistry: str
    region: str
    materials: float  # the materials stage: every BOM line
    plant_energy: float  # the production stage: the plant electricity and plant heat lines
    greet_materials: float | None  # GREET's pack materials (no row for a chemistry: None)
    greet_assembly: float  # GREET's cell production + pack assembly, all chemistries

    @property
    def total(self) -> float:
        return self.materials + self.plant_energy


def greet_split_rows(
    background: Background, ranges: list[PublishedRange], data_dir: Path = DEFAULT_DATA_DIR
) -> list[GreetSplitRow]:
    """Each design-study cell made in each of :data:`SPLIT_REGIONS` the background has."""
    greet_materials = {
        r.chemistry: r.low for r in ranges if r.boundary.startswith(GREET_MATERIALS_BOUNDARY)
    }
    assembly = next(r.low for r in ranges if r.chemistry == GREET_ASSEMBLY)
    regions = [r for r in SPLIT_REGIONS if r in background.grid_regions]
    rows = []
    for name, bom in example_boms(data_dir).items():
        if not name.endswith(DESIGN_STUDY_SUFFIX):
            continue
        chemistry = bom["cell"]["chemistry"]
        for region in regions:
            result = footprint_in(background, bom, region)
            # The engine's split by stage (lca.bom puts the plant's energy in the production
            # stage, every BOM line in the materials stage).
            plant = result.by_stage.get(STAGE_PRODUCTION, 0.0)
            materials = result.by_stage.get(STAGE_MATERIALS, 0.0)
            kwh = result.nominal_energy_kwh
            rows.append(
                GreetSplitRow(
                    example=name,
                    chemistry=chemistry,
                    region=region,
                    materials=materials / kwh,
                    plant_energy=plant / kwh,
                    greet_materials=greet_materials.get(chemistry),
                    greet_assembly=assembly,
                )
            )
    # The order of the design-study table: by the cell's footprint made in the first region.
    first = {r.example: r.total for r in rows if r.region == regions[0]}
    return sorted(rows, key=lambda r: (first[r.example], SPLIT_REGIONS.index(r.region)))


def greet_split_table(rows: list[GreetSplitRow]) -> str:
    lines = [
        "| design-study cell | made in | ours: materials | GREET pack materials, US | "
        "ours ÷ GREET | ours: plant energy | GREET cell production + pack assembly, US | "
        "ours ÷ GREET | ours: total | GREET pack, US | ours ÷ GREET |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.greet_materials is None:
            materials, total = "– | –", "– | –"
        else:
            greet_total = row.greet_materials + row.greet_assembly
            materials = f"{row.greet_materials:g} | {row.materials / row.greet_materials:.2f}"
            total = f"{greet_total:.2f} | {row.total / greet_total:.2f}"
        lines.append(
            f"| {row.example} ({row.chemistry}) | {row.region} | {row.materials:.1f} | "
            f"{materials} | {row.plant_energy:.1f} | {row.greet_assembly:g} | "
            f"{row.plant_energy / row.greet_assembly:.2f} | {row.total:.1f} | {total} |"
        )
    return "\n".join(lines)
