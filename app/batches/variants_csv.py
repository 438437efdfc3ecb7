"""Variants from a CSV file and batch results to a CSV file, for ``cellcarbon batch``.

A variants file has a header row and one variant per row; every column but ``key`` is optional
and an empty cell changes nothing:

``key``
    the variant's name, unique in the file
``grid_region``
    make the cell in this grid region
``substitutions``
    ``old=new`` pairs of material codes separated by ``;``
    (``graphite_synthetic_cn=graphite_natural_cn``)
``suppliers``
    ``material=supplier id`` pairs separated by ``;``
``recycled_Ni``, ``recycled_Co``, ``recycled_Li``
    the element's recycled share, a fraction (``0.3``) or a percentage (``30%``)
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

RECYCLED_COLUMNS = {"recycled_Ni": "Ni", "recycled_Co": "Co", "recycled_Li": "Li"}
COLUMNS = ("key", "grid_region", "substitutions", "suppliers", *RECYCLED_COLUMNS)
RESULT_COLUMNS = (
    "key",
    "kg_co2e_per_cell",
    "kg_co2e_per_kwh",
    "kg_co2e_per_cell_market_based",
    "kg_co2e_per_kwh_market_based",
    "kg_co2e_per_cell_gwp20",
    "nominal_energy_kwh",
    "top_contributor",
    "top_contributor_kg_co2e",
    "problem",
)


class VariantsFileError(ValueError):
    """The variants file cannot be read; ``problems`` names every row and column at fault."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems[:5]))
        self.problems = problems


def read_variants(text: str) -> list[dict[str, Any]]:
    """The variants of a CSV text, as ``POST /v1/footprints/batch`` takes them."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    problems = [f"unknown column '{name}'; known: {', '.join(COLUMNS)}" for name in header]
    problems = [p for p, name in zip(problems, header, strict=True) if name not in COLUMNS]
    if "key" not in header:
        problems.append("the header has no 'key' column")
    if problems:
        raise VariantsFileError(problems)
    variants: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(reader, start=2):  # row 1 is the header
        variant, row_problems = _variant(row, number)
        key = variant.get("key", "")
        if key in seen:
            row_problems.append(f"row {number}: key '{key}' is also on row {seen[key]}")
        seen.setdefault(key, number)
        problems += row_problems
        variants.append(variant)
    if not variants:
        problems.append("no variants: the file has a header row only")
    if problems:
        raise VariantsFileError(problems)
    return variants


def _variant(row: dict[str, str | None], number: int) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    cells = {name: (value or "").strip() for name, value in row.items() if name is not None}
    if None in row:
        problems.append(f"row {number}: more cells than columns")
    variant: dict[str, Any] = {"key": cells.get("key", "")}
    if not variant["key"]:
        problems.append(f"row {number}: key is empty")
    if cells.get("grid_region"):
        variant["grid_region"] = cells["grid_region"]
    for column in ("substitutions", "suppliers"):
        if cells.get(column):
            pairs, pair_problems = _pairs(cells[column])
            variant[column] = pairs
            problems += [f"row {number}, {column}: {p}" for p in pair_problems]
    shares: dict[str, float] = {}
    for column, element in RECYCLED_COLUMNS.items():
        text = cells.get(column, "")
        if not text:
            continue
        try:
            share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            problems.append(f"row {number}, {column}: '{text}' is not a number or percentage")
            continue
        if not 0 <= share <= 1:
            problems.append(f"row {number}, {column}: {text} is not within 0–100 %")
            continue
        shares[element] = share
    if shares:
        variant["recycled_share"] = shares
    return variant, problems


def _pairs(text: str) -> tuple[dict[str, str], list[str]]:
    """``a=b;c=d`` as a mapping, in order; every malformed pair named."""
    pairs: dict[str, str] = {}
    problems = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        old, sep, new = (s.strip() for s in part.partition("="))
        if not sep or not old or not new:
            problems.append(f"'{part}' is not old=new")
        else:
            pairs[old] = new
    return pairs, problems


def result_row(line: dict[str, Any]) -> dict[str, Any]:
    """One NDJSON result line as a row of the results file."""
    if "problem" in line:
        problem = line["problem"]
        reasons = "; ".join(
            f"{'.'.join(map(str, e.get('loc', [])))}: {e.get('msg', '')}"
            for e in problem.get("errors", [])
        )
        return {"key": line["key"], "problem": reasons or problem.get("detail", "")}
    top = line["top"][0] if line.get("top") else {}
    return {
        **{name: line[name] for name in RESULT_COLUMNS[1:7]},
        "key": line["key"],
        "top_contributor": top.get("label", ""),
        "top_contributor_kg_co2e": top.get("kg_co2e", ""),
        "problem": "",
    }


def write_results(lines: Iterable[dict[str, Any]], out: TextIO) -> Iterator[dict[str, Any]]:
    """Write each result line to ``out`` as CSV as it comes; yield it on (for progress)."""
    writer = csv.DictWriter(out, fieldnames=RESULT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for line in lines:
        writer.writerow(result_row(line))
        yield line


def ndjson_lines(chunks: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """Parsed NDJSON objects from a byte stream cut anywhere."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            if raw.strip():
                yield json.loads(raw)
    if pending.strip():
        yield json.loads(pending)
