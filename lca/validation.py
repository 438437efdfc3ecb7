"""Our example cells beside published cell footprints (the table in ``data/VALIDATION.md``).

Run ``python -m lca.validation [--brightway-dir DIR]``: it builds the background if needed, computes
every example cell as made in its own plant region and in CN, KR and SE, and prints a Markdown
table with the published ranges from ``data/validation/published.csv``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lca.background import Background
from lca.bom import normalise_bom
from lca.catalogue import DEFAULT_DATA_DIR
from lca.footprint import FootprintResult, compute

VALIDATION_REGIONS = ("CN", "KR", "SE")


@dataclass(frozen=True)
class PublishedRange:
    chemistry: str
    boundary: str
    low: float
    high: float
    unit: str
    source: str


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
                low=float(row["low"]),
                high=float(row["high"]),
                unit=row["unit"],
                source=row["source"],
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
    from lca.background import load_background
    from lca.build import build_background

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brightway-dir", type=Path)
    args = parser.parse_args(argv)
    directory = args.brightway_dir or Path(tempfile.mkdtemp()) / "brightway"
    build_background(directory, progress=lambda _: None)
    background = load_background(directory)
    print(f"background {background.name} {background.version[:12]}, {background.method}\n")
    print(markdown_table(validation_rows(background), published_ranges()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
