"""Render ``data/VALIDATION.md``: every number in it is computed here, none is typed by hand.

``python -m lca.validation_report [--brightway-dir DIR] [--write]`` builds the background (into a
temporary directory unless one is given), computes the example cells and the background factors,
and prints the document (or writes it to ``data/VALIDATION.md``). The prose that explains the
numbers is ``data/validation/notes.md``; its ``{placeholders}`` are filled from :func:`note_values`.
``tests/lca/test_validation_report.py`` checks that the committed file is what this renders.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lca.background import Background
from lca.catalogue import DEFAULT_DATA_DIR, load_catalogue
from lca.data_check import plain_system, unit_scores
from lca.validation import (
    PublishedFactor,
    PublishedRange,
    ValidationRow,
    example_boms,
    factor_band,
    factory_energy_band,
    factory_energy_kwh_per_kwh,
    footprint_in,
    markdown_table,
    published_factors,
    published_ranges,
    validation_rows,
)
from lca.validation_design import (
    NATIONAL_DATABASE,
    design_rows,
    design_table,
    greet_split_rows,
    greet_split_table,
)

# A line or the plant energy carrying more than this share of any example (in its own region)
# makes its product a "key factor" that needs published figures beside it.
KEY_SHARE = 0.03
# Precursors of the key cathode materials: they carry the CAM factors, so they are checked too.
PRECURSORS = (
    "nickel_sulfate",
    "nickel_sulfate_id",
    "cobalt_sulfate_cn",
    "lithium_hydroxide_cn",
    "lithium_carbonate_cn",
    "lithium_carbonate_brine_cl",
    "pcam_nmc111",
    "pcam_nmc622",
    "pcam_nmc811",
    "aluminium_primary",
    "aluminium_primary_cn",
    "copper_cathode",
)
# Named in issue 17 though each stays below KEY_SHARE, or one step up from a key factor: natural
# graphite (the issue names natural and synthetic graphite; synthetic carries more than KEY_SHARE,
# natural less in every example), the separator, the electrolyte's salt and the polymers the
# separator and pouch are made of.
OTHER_INPUTS = (
    "graphite_natural_cn",
    "separator_pe_coated",
    "lipf6",
    "polyethylene",
    "polypropylene",
)
# Elementary flows released by the PVDF chain's fluorochemical steps (data/method/flows.csv).
FUGITIVE_FLUOROCHEMICALS = ("hfc152a", "hcfc142b")


@dataclass(frozen=True)
class FactorRow:
    code: str
    ours: float
    published: tuple[PublishedFactor, ...]
    band: tuple[float, float] | None

    @property
    def status(self) -> str:
        if self.band is None:
            figures = "no published figure found" if not self.published else "basis unclear"
            return figures
        low, high = self.band
        return "inside band" if low <= self.ours <= high else "OUTSIDE band"


def key_factors(background: Background, data_dir: Path = DEFAULT_DATA_DIR) -> list[str]:
    """Products whose line carries more than :data:`KEY_SHARE` of any example, then the cathode
    precursors and :data:`OTHER_INPUTS`."""
    codes: list[str] = []
    for bom in example_boms(data_dir).values():
        result = footprint_in(background, bom, None)
        for line in result.lines:
            if line.share > KEY_SHARE and line.component != "cell manufacturing":
                codes.append(line.product)
    return sorted(set(codes)) + [c for c in PRECURSORS + OTHER_INPUTS if c not in codes]


def factor_rows(codes: list[str], data_dir: Path = DEFAULT_DATA_DIR) -> list[FactorRow]:
    """Our cradle-to-gate score of each product (the linter's plain solve) beside the literature."""
    scores = unit_scores(plain_system(load_catalogue(data_dir)))
    published = published_factors(data_dir)
    rows = []
    for code in codes:
        mine = tuple(p for p in published if p.factor == code)
        rows.append(FactorRow(code, scores[code], mine, factor_band(list(mine))))
    return rows


def factor_table(rows: list[FactorRow]) -> str:
    lines = [
        "| product | ours, kg CO2e/kg | published (kg CO2e/kg) | ours ÷ published | use | "
        "boundary, year | source | status |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if not row.published:
            lines.append(f"| `{row.code}` | {row.ours:.2f} | – | – | – | – | – | {row.status} |")
            continue
        for i, p in enumerate(row.published):
            value = f"{p.low:g}" if p.low == p.high else f"{p.low:g}–{p.high:g}"
            ratio = (
                f"{row.ours / p.low:.2f}"
                if p.low == p.high
                else f"{row.ours / p.high:.2f}–{row.ours / p.low:.2f}"
            )
            first = i == 0
            lines.append(
                f"| {'`' + row.code + '`' if first else ''} | {f'{row.ours:.2f}' if first else ''} "
                f"| {value} | {ratio} | {p.use} | {p.boundary}, {p.year} | {p.source}; "
                f"{p.table_page} | {row.status if first else ''} |"
            )
    return "\n".join(lines)


def provenance_table(data_dir: Path = DEFAULT_DATA_DIR) -> str:
    """How the exchanges' sources describe themselves, by the word they start with."""
    exchanges = load_catalogue(data_dir).exchanges
    kinds = {"estimate": 0, "derived": 0, "named source": 0}
    for exchange in exchanges:
        head = exchange.source.strip().lower()
        kind = next((k for k in ("estimate", "derived") if head.startswith(k)), "named source")
        kinds[kind] += 1
    lines = ["| source of the exchange | exchanges | share |", "|---|---|---|"]
    for kind, count in kinds.items():
        lines.append(f"| {kind} | {count} | {count / len(exchanges):.0%} |")
    return "\n".join(lines)


def factory_energy_table(ranges: list[PublishedRange], data_dir: Path = DEFAULT_DATA_DIR) -> str:
    """Plant electricity + heat per kWh of cell for every example (the cell-plant energy factor)."""
    published = "; ".join(
        f"{r.low:g}{'' if r.low == r.high else f'–{r.high:g}'} ({r.chemistry})"
        for r in ranges
        if r.unit == "kWh/kWh"
    )
    low, high = factory_energy_band(ranges)
    lines = [
        f"Published, kWh of all carriers per kWh of cell: {published} (`published.csv`). "
        f"`tests/lca/test_factor_validation.py` holds every example within {low:.1f}–{high:.1f} "
        "(the published span widened by `FACTOR_BAND`).",
        "",
        "| example | plant electricity, kWh/kWh | plant heat, MJ/kWh | total, kWh/kWh |",
        "|---|---|---|---|",
    ]
    for name, bom in example_boms(data_dir).items():
        electricity, heat = factory_energy_kwh_per_kwh(bom)
        lines.append(
            f"| {name} | {electricity:.2f} | {heat:.1f} | {electricity + heat / 3.6:.1f} |"
        )
    return "\n".join(lines)


# Lithium mass fractions, for comparing lithium chemicals per kg of lithium:
# Li2CO3 2 x 6.941 / 73.89; LiOH.H2O 6.941 / 41.96 (IUPAC standard atomic weights).
LITHIUM_FRACTION = {"lithium_carbonate_cn": 0.18787, "lithium_hydroxide_cn": 0.16542}
# Crenna et al. 2021's LiFePO4 inventory as shipped in premise 2.5.2 (lci-batteries-NMC111-811-
# NCA-LFP.xlsx, activity 'Lithium iron phosphate [LiFePO4]', per kg): hydrothermal route, mapped
# onto our catalogue. Its 1 kg of iron sulfate (a by-product) is taken as burden-free, and it lists
# no electricity.
CRENNA_LFP = {
    "lithium_hydroxide_cn": 0.46,
    "phosphoric_acid": 0.65,
    "heat_steam": 15.0,
    "process_water": 46.0,
}
# Examples whose lines (made in CN) the notes quote product by product.
QUOTED_EXAMPLES = ("lfp_prismatic", "lfp_design", "nmc811_design", "nmc622_design")


def note_values(
    background: Background, rows: list[ValidationRow], data_dir: Path = DEFAULT_DATA_DIR
) -> dict[str, str]:
    """The computed figures the prose in ``data/validation/notes.md`` refers to.

    Keys: ``<example>.<region>`` (kg CO2e/kWh); ``<example>.<product>.per_kwh`` (kg CO2e per kWh),
    ``.kg_per_kwh`` (amount per kWh, kg or kWh) and ``.share`` for the examples in
    :data:`QUOTED_EXAMPLES` made in CN; ``factor.<code>`` (kg CO2e/kg, the linter's score);
    ``ratio.<code>`` (ours over the lowest published band figure) and ``ratio.<code>.<source>``
    (over one band point figure, named by its source's first word: ``ratio.nmc811_cam.posco``);
    ``split.<example>.<region>.*`` (the split against GREET's pack: ``materials``, ``plant``, and
    each over GREET's, ``materials_ratio``, ``plant_ratio``, ``total_ratio``);
    ``largest_share.<product>`` (the largest share of any example, made in its own
    region, that the product's lines carry); ``per_li.*`` (kg CO2e/kg Li);
    and a few derived figures named in the notes.
    """
    values: dict[str, str] = {}
    for row in rows:
        values[f"{row.example}.{row.region}"] = f"{row.kg_co2e_per_kwh:.1f}"
    boms = example_boms(data_dir)
    largest: dict[str, float] = {}
    for bom in boms.values():
        own = footprint_in(background, bom, None)
        shares: dict[str, float] = {}
        for line in own.lines:
            shares[line.product] = shares.get(line.product, 0.0) + line.share
        for product, share in shares.items():
            largest[product] = max(largest.get(product, 0.0), share)
    for product, share in largest.items():
        values[f"largest_share.{product}"] = f"{share:.1%}"
    per_kwh: dict[tuple[str, str], float] = {}
    kg_per_kwh: dict[tuple[str, str], float] = {}
    for name in QUOTED_EXAMPLES:
        result = footprint_in(background, boms[name], "CN")
        for line in result.lines:
            key = (name, line.product)
            per_kwh[key] = per_kwh.get(key, 0.0) + line.kg_co2e / result.nominal_energy_kwh
            kg_per_kwh[key] = kg_per_kwh.get(key, 0.0) + line.amount / result.nominal_energy_kwh
            values[f"{name}.{line.product}.share"] = f"{line.share:.0%}"
    for (name, product), value in per_kwh.items():
        values[f"{name}.{product}.per_kwh"] = f"{value:.1f}"
        values[f"{name}.{product}.kg_per_kwh"] = f"{kg_per_kwh[(name, product)]:.3g}"
    system = plain_system(load_catalogue(data_dir))
    scores = unit_scores(system)
    for code, score in scores.items():
        values[f"factor.{code}"] = f"{score:.2f}"
    # PVDF with the fugitive fluorochemicals of its chain characterised at zero: the part of ours
    # that GREET's PVDF row can be compared with.
    no_fugitive = np.array(
        [
            0.0 if key in FUGITIVE_FLUOROCHEMICALS else cf
            for key, cf in zip(system.flow_keys, system.gwp100, strict=True)
        ]
    )
    values["pvdf.without_fugitive"] = (
        f"{unit_scores(dataclasses.replace(system, gwp100=no_fugitive))['pvdf']:.1f}"
    )
    published = published_factors(data_dir)
    for code in {p.factor for p in published}:
        band = [p for p in published if p.factor == code and p.use == "band"]
        if band:
            values[f"ratio.{code}"] = f"{scores[code] / min(p.low for p in band):.2f}"
        # Ours over each band point figure, named by its source's first word; a name two of a
        # product's figures share is left out rather than guessed.
        named: dict[str, list[PublishedFactor]] = {}
        for figure in band:
            if figure.low == figure.high:
                first_word = re.sub(r"[^a-z]", "", figure.source.split()[0].lower())
                named.setdefault(first_word, []).append(figure)
        for first_word, figures in named.items():
            if len(figures) == 1:
                values[f"ratio.{code}.{first_word}"] = f"{scores[code] / figures[0].low:.2f}"
    for split in greet_split_rows(background, published_ranges(data_dir), data_dir):
        prefix = f"split.{split.example}.{split.region}"
        values[f"{prefix}.materials"] = f"{split.materials:.1f}"
        values[f"{prefix}.plant"] = f"{split.plant_energy:.1f}"
        values[f"{prefix}.plant_ratio"] = f"{split.plant_energy / split.greet_assembly:.2f}"
        if split.greet_materials is not None:
            greet_total = split.greet_materials + split.greet_assembly
            values[f"{prefix}.materials_ratio"] = f"{split.materials / split.greet_materials:.2f}"
            values[f"{prefix}.total_ratio"] = f"{split.total / greet_total:.2f}"
    for code, fraction in LITHIUM_FRACTION.items():
        values[f"per_li.{code}"] = f"{scores[code] / fraction:.0f}"
        istrate = next(p for p in published if p.factor == code and "Istrate" in p.source)
        values[f"per_li.istrate.{code}"] = f"{istrate.low / fraction:.0f}"
    natural = json.loads(json.dumps(boms["lfp_prismatic"]))
    for raw in natural["lines"]:
        if raw["material"] == "graphite_synthetic_cn":
            raw["material"] = "graphite_natural_cn"
    for region in ("CN", "KR"):
        values[f"lfp_prismatic.all_natural.{region}"] = (
            f"{footprint_in(background, natural, region).kg_co2e_per_kwh:.1f}"
        )
    design = {r.example: r.kg_co2e_per_kwh for r in design_rows(rows) if r.region == "CN"}
    gap = design["lfp_design"] - design["nmc811_design"]
    values["design.lfp_minus_nmc811.CN"] = f"{gap:.1f}"
    lfp_kg = kg_per_kwh[("lfp_design", "lfp_cam")]
    values["design.lfp_cam_needed"] = f"{scores['lfp_cam'] - gap / lfp_kg:.1f}"
    catalogue = load_catalogue(data_dir)
    lithium = sum(
        e.amount * scores[e.input]
        for e in catalogue.exchanges
        if e.activity == "lfp_cam" and e.input.startswith("lithium_carbonate")
    )
    values["design.lfp_cam_lithium"] = f"{lithium:.1f}"
    crenna = sum(amount * scores[code] for code, amount in CRENNA_LFP.items())
    values["crenna.lfp_cam"] = f"{crenna:.1f}"
    values["crenna.lfp_cam.ratio"] = f"{scores['lfp_cam'] / crenna:.2f}"
    values.update(_lfp_design_variant(background, boms))
    # The LFP paste's NMP taken literally: the line holds the 0.5 % make-up of the solvent used.
    nmp_used = kg_per_kwh[("lfp_design", "nmp")] / 0.005
    values["design.lfp_nmp_literal.per_kwh"] = f"{nmp_used * 0.995 * scores['nmp']:.1f}"
    return values


def _lfp_design_variant(background: Background, boms: dict[str, dict]) -> dict[str, str]:  # type: ignore[type-arg]
    """The LFP design cell with the teardown example's plant energy per kWh (Degen et al. 2023's
    LFP plant) and its 2.5 % binder instead of the inventory's 8 %: what is left of the gap."""
    from lca.units import convert, parse_quantity

    teardown, variant = boms["lfp_prismatic"], json.loads(json.dumps(boms["lfp_design"]))
    cell = teardown["cell"]
    teardown_kwh = (
        convert(parse_quantity(cell["nominal_capacity"]), "A*h")
        * convert(parse_quantity(cell["nominal_voltage"]), "V")
        / 1000
    )
    for field, unit in (("electricity_per_cell", "kWh"), ("heat_per_cell", "MJ")):
        per_kwh = convert(parse_quantity(teardown["plant"][field]), unit) / teardown_kwh
        variant["plant"][field] = f"{per_kwh!r} {unit}"  # the design cell is 1 kWh
    for line in variant["lines"]:
        if line["material"] == "pvdf":
            grams = convert(parse_quantity(line["amount"]), "g") * 2.5 / 8
            line["amount"] = f"{grams!r} g"
    values = {}
    for region in ("CN", "SE"):
        result = footprint_in(background, variant, region)
        values[f"design.lfp_variant.{region}"] = f"{result.kg_co2e_per_kwh:.1f}"
    return values


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z0-9_.]+)\}")


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """Replace ``{name.with.dots}`` by ``values[name.with.dots]``; ``{{`` and ``}}`` are braces."""

    def _one(match: re.Match[str]) -> str:
        if match.group(0) in ("{{", "}}"):
            return match.group(0)[0]
        key = match.group(1)
        if key not in values:
            raise KeyError(f"data/validation/notes.md names {{{key}}}, which is not computed")
        return values[key]

    return _PLACEHOLDER.sub(_one, text)


def render(background: Background, data_dir: Path = DEFAULT_DATA_DIR) -> str:
    rows = validation_rows(background, data_dir)
    ranges = published_ranges(data_dir)
    factors = factor_rows(key_factors(background, data_dir), data_dir)
    notes = (data_dir / "validation" / "notes.md").read_text(encoding="utf-8")
    sections = [
        "# Validation of the open background",
        "Generated by `python -m lca.validation_report --write` from `data/` (published figures: "
        "`data/validation/published.csv` and `data/validation/factors.csv`; prose: "
        "`data/validation/notes.md`). Do not edit by hand: "
        "`tests/lca/test_validation_report.py` fails when this file differs from what the "
        "generator renders.",
        f"background {background.name} {background.version[:12]}, {background.method}",
        "## Example cells beside published cell footprints\n\n"
        "Cradle-to-gate GWP100 per kWh of nominal cell energy, each example made in its own "
        "plant region and in CN, KR and SE.\n\n" + markdown_table(rows, ranges),
        "## Design-study cells beside published pack figures\n\n"
        "1-kWh cells built line by line from the premise package's cell inventories "
        "(`data/examples/*_design.json`; see below for what they are), made in CN, KR and SE. "
        "The published figures (`data/validation/published.csv`) are whole packs: GREET's US "
        "300-mile car pack (materials + assembly), the IVL 2019 literature range (Sweden's "
        "national report), Hao et al. 2017's Chinese 28 kWh packs, and France's national "
        f"database ({NATIONAL_DATABASE}, car packs with cells and pack made in the same "
        "country, as listed in the Ecobalyse documentation; its kg CO2e read as per kWh of "
        "pack) for the same chemistry made in the same region (it has no NMC111). Packs add "
        "housing, cooling and BMS to the cells, so a cell should sit at or below them.\n\n"
        + design_table(rows, ranges),
        "## Where our cells differ from GREET's packs\n\n"
        "Each design-study cell made in CN and, on the background's US national-average grid, "
        "in US, split as GREET splits its pack: materials (every line of the cell except the "
        "plant electricity and plant heat lines) and plant energy (those two lines), beside "
        "GREET's pack materials (`published.csv`, rows 'pack, materials only': US 300-mile car "
        "pack, cells plus housing and BMS) and GREET's cell production + pack assembly (row "
        "'all (GREET assembly)', US average grid), kg CO2e per kWh.\n\n"
        + greet_split_table(greet_split_rows(background, ranges, data_dir)),
        "## Cell-plant energy per kWh of cell\n\n" + factory_energy_table(ranges, data_dir),
        "## The factors that carry the results\n\n"
        f"Every product whose line carries more than {KEY_SHARE:.0%} of an example, then the "
        "precursors of the cathode materials, then natural graphite, the separator, the "
        "electrolyte's salt and the polymers. Ours is the linter's cradle-to-gate score "
        "(`python -m lca.data_check`). `band` figures bound ours in "
        "`tests/lca/test_factor_validation.py`: ours must lie within the published span widened "
        "by `lca.validation.FACTOR_BAND` each way; `context` figures have an unclear basis or "
        "model another route and are shown only.\n\n" + factor_table(factors),
        "## Where the exchanges come from\n\n"
        "By the first word of each exchange's `source` (data/README.md: derived values and "
        "estimates say so and say how; a derived value computes from named sources, an estimate "
        "is an engineering judgement).\n\n" + provenance_table(data_dir),
        fill_placeholders(notes, note_values(background, rows, data_dir)).strip(),
    ]
    return "\n\n".join(sections) + "\n"


def main(argv: list[str] | None = None) -> int:
    from lca.background import load_background
    from lca.build import build_background

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brightway-dir", type=Path)
    parser.add_argument("--write", action="store_true", help="write data/VALIDATION.md")
    args = parser.parse_args(argv)
    directory = args.brightway_dir or Path(tempfile.mkdtemp()) / "brightway"
    build_background(directory, progress=lambda _: None)
    text = render(load_background(directory))
    if args.write:
        (DEFAULT_DATA_DIR / "VALIDATION.md").write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
