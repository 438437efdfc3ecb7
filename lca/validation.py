"""Our example cells and the factors that carry them, beside published figures.

The published figures live in ``data/validation/published.csv`` (cell footprints, shares, factory
energy) and ``data/validation/factors.csv`` (cradle-to-gate kg CO2e per kg of single products).
:mod:`lca.validation_report` renders ``data/VALIDATION.md`` from them; run
``python -m lca.validation_report --write [--brightway-dir DIR]`` after changing anything in
``data/``.
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from lca.background import Background
from lca.bom import normalise_bom
from lca.catalogue import DEFAULT_DATA_DIR
from lca.footprint import FootprintResult, compute

VALIDATION_REGIONS = ("CN", "KR", "SE")
# Examples built from a published design-study inventory (premise), not from a teardown.
DESIGN_STUDY_SUFFIX = "_design"


@dataclass(frozen=True)
class PublishedRange:
    chemistry: str
    boundary: str
    region: str
    low: float
    high: float
    unit: str
    source: str


@dataclass(frozen=True)
class PublishedFactor:
    """One published cradle-to-gate figure for one background product (a point when low == high).

    ``use`` is ``band`` when the figure is on the same basis as ours and bounds it in the tests, or
    ``context`` when its basis is unclear (shown in the table, not tested).
    """

    factor: str
    low: float
    high: float
    unit: str
    boundary: str
    year: int
    use: str
    source: str
    table_page: str


@dataclass(frozen=True)
class ValidationRow:
    example: str
    chemistry: str
    region: str
    kg_co2e_per_kwh: float
    cathode_share: float
    largest_line: str
    manufacturing_share: float


def published_ranges(data_dir: Path = DEFAULT_DATA_DIR) -> list[PublishedRange]:
    with (data_dir / "validation" / "published.csv").open(newline="", encoding="utf-8") as handle:
        return [
            PublishedRange(
                chemistry=row["chemistry"],
                boundary=row["boundary"],
                region=row["region"],
                low=float(row["low"]),
                high=float(row["high"]),
                unit=row["unit"],
                source=row["source"],
            )
            for row in csv.DictReader(handle)
        ]


# Ours must lie within the published span (lowest low .. highest high of the ``band`` figures)
# widened by this factor each way. Published figures for one product differ by 2-3x (background
# database, grid, allocation), so a tighter band would test the choice of paper, not our data;
# 1.5 still catches a unit or basis error (per kg metal vs per kg salt, kWh vs MJ).
FACTOR_BAND = 1.5


def factor_band(published: list[PublishedFactor]) -> tuple[float, float] | None:
    """(lowest acceptable, highest acceptable) for one product, or None without a band figure."""
    band = [p for p in published if p.use == "band"]
    if not band:
        return None
    return min(p.low for p in band) / FACTOR_BAND, max(p.high for p in band) * FACTOR_BAND


def factory_energy_band(ranges: list[PublishedRange]) -> tuple[float, float]:
    """Acceptable plant energy per kWh of cell (all carriers, kWh/kWh): the published span of the
    ``kWh/kWh`` rows widened by :data:`FACTOR_BAND` each way, as for the per-kg factors."""
    rows = [r for r in ranges if r.unit == "kWh/kWh"]
    return min(r.low for r in rows) / FACTOR_BAND, max(r.high for r in rows) * FACTOR_BAND


def factory_energy_kwh_per_kwh(bom: dict) -> tuple[float, float]:  # type: ignore[type-arg]
    """(plant electricity kWh, plant heat MJ) per kWh of nominal cell energy of one BOM."""
    from lca.units import convert, parse_quantity

    cell, plant = bom["cell"], bom["plant"]
    kwh = (
        convert(parse_quantity(cell["nominal_capacity"]), "A*h")
        * convert(parse_quantity(cell["nominal_voltage"]), "V")
        / 1000
    )
    return (
        convert(parse_quantity(plant["electricity_per_cell"]), "kWh") / kwh,
        convert(parse_quantity(plant["heat_per_cell"]), "MJ") / kwh,
    )


def published_factors(data_dir: Path = DEFAULT_DATA_DIR) -> list[PublishedFactor]:
    with (data_dir / "validation" / "factors.csv").open(newline="", encoding="utf-8") as handle:
        return [
            PublishedFactor(
                factor=row["factor"],
                low=float(row["low"]),
                high=float(row["high"]),
                unit=row["unit"],
                boundary=row["boundary"],
                year=int(row["year"]),
                use=row["use"],
                source=row["source"],
                table_page=row["table_page"],
            )
            for row in csv.DictReader(handle)
        ]


def example_boms(data_dir: Path = DEFAULT_DATA_DIR) -> dict[str, dict]:  # type: ignore[type-arg]
    return {
        path.stem: json.loads(path.read_text())
        for path in sorted((data_dir / "examples").glob("*.json"))
    }


def footprint_in(background: Background, bom: dict, region: str | None) -> FootprintResult:  # type: ignore[type-arg]
    """The example cell's footprint, made in ``region`` (None: the BOM's own plant region)."""
    bom = json.loads(json.dumps(bom))
    if region is not None:
        bom["plant"]["grid_region"] = region
    normalised = normalise_bom(bom, background)
    return compute(background, normalised.foreground_inputs(), normalised.nominal_energy_kwh)


def validation_rows(
    background: Background, data_dir: Path = DEFAULT_DATA_DIR
) -> list[ValidationRow]:
    rows = []
    for name, bom in example_boms(data_dir).items():
        own = bom["plant"]["grid_region"]
        for region in (own, *[r for r in VALIDATION_REGIONS if r != own]):
            result = footprint_in(background, bom, region)
            largest = max(result.lines, key=lambda line: line.kg_co2e)
            manufacturing = result.by_component.get("cell manufacturing", 0.0)
            rows.append(
                ValidationRow(
                    example=name,
                    chemistry=bom["cell"]["chemistry"],
                    region=region,
                    kg_co2e_per_kwh=result.kg_co2e_per_kwh,
                    cathode_share=result.by_component.get("cathode", 0.0) / result.kg_co2e,
                    largest_line=largest.product,
                    manufacturing_share=manufacturing / result.kg_co2e,
                )
            )
    return rows


def markdown_table(rows: list[ValidationRow], ranges: list[PublishedRange]) -> str:
    cell_ranges = [r for r in ranges if r.boundary.startswith("cell") and r.unit == "kg CO2e/kWh"]
    lines = [
        "| example | chemistry | made in | ours, kg CO2e/kWh | cathode share | largest line | "
        "plant energy share | published cell ranges (kg CO2e/kWh) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        matching = [
            f"{r.low:g}–{r.high:g} ({r.source.split('(')[0].strip()[:30]}, {r.chemistry[:12]})"
            for r in cell_ranges
            if _chemistry_matches(row.chemistry, r.chemistry)
        ]
        lines.append(
            f"| {row.example} | {row.chemistry} | {row.region} | {row.kg_co2e_per_kwh:.1f} | "
            f"{row.cathode_share:.0%} | {row.largest_line} | {row.manufacturing_share:.0%} | "
            f"{'; '.join(matching)} |"
        )
    return "\n".join(lines)


def _chemistry_matches(ours: str, published: str) -> bool:
    """NMC811 matches 'NMC811' and multi-chemistry rows such as 'NCM/NCA/LFP (8 chemistries)'."""
    ours_upper = ours.upper()
    family = "LFP" if "LFP" in ours_upper else "NMC"
    published_upper = published.upper().replace("NCM", "NMC")
    if ours_upper in published_upper:
        return True
    return family in published_upper and (
        "CHEMISTRIES" in published_upper or "/" in published_upper
    )


def main(argv: list[str] | None = None) -> int:
    from lca.validation_report import main as report_main

    return report_main(argv)


if __name__ == "__main__":
    sys.exit(main())
