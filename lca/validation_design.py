"""The design-study cells beside published pack figures, for ``data/VALIDATION.md``: per region
beside GREET's US pack, ADEME's Base Empreinte packs (France's national database, per country of
manufacture) and other published packs.
"""

from __future__ import annotations

from lca.validation import (
    DESIGN_STUDY_SUFFIX,
    VALIDATION_REGIONS,
    PublishedRange,
    ValidationRow,
)

# Rows of published.csv from France's national database, per chemistry and country of manufacture.
NATIONAL_DATABASE = "ADEME Base Empreinte"


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
