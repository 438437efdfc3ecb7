"""Read the shipped background data (``data/``) into typed, immutable records.

The CSV layout is documented in ``data/README.md``. Reading does no validation beyond parsing;
:mod:`lca.data_check` says what is wrong with the data, all at once.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
BACKGROUND_NAME = "cellcarbon-open-background"


@dataclass(frozen=True)
class Activity:
    code: str
    name: str
    reference_product: str
    unit: str
    location: str
    category: str
    source: str
    origin: str  # "file:line", for error messages


@dataclass(frozen=True)
class Exchange:
    activity: str
    kind: str  # "technosphere" | "biosphere"
    input: str
    amount: float
    unit: str
    gsd: float | None
    source: str
    origin: str


@dataclass(frozen=True)
class Flow:
    key: str
    name: str
    categories: tuple[str, ...]
    gas_group: str
    biosphere3_code: str


@dataclass(frozen=True)
class CharacterisationFactor:
    flow: str
    gwp100: float
    gwp20: float
    source: str


@dataclass(frozen=True)
class GridRegion:
    region: str
    name: str
    country: str
    activity: str
    residual_mix_kg_per_kwh: float | None
    residual_mix_source: str


@dataclass(frozen=True)
class Density:
    code: str
    density_kg_per_l: float
    source: str


@dataclass(frozen=True)
class Catalogue:
    """Everything in ``data/`` that the background build and the engine need."""

    activities: tuple[Activity, ...]
    exchanges: tuple[Exchange, ...]
    flows: tuple[Flow, ...]
    factors: tuple[CharacterisationFactor, ...]
    grid_regions: tuple[GridRegion, ...]
    densities: tuple[Density, ...]
    content_hash: str
    parse_errors: tuple[str, ...] = field(default=())

    def activity_by_code(self) -> dict[str, Activity]:
        return {a.code: a for a in self.activities}

    def density_by_code(self) -> dict[str, float]:
        return {d.code: d.density_kg_per_l for d in self.densities}

    def grid_region_by_code(self) -> dict[str, GridRegion]:
        return {g.region: g for g in self.grid_regions}


def data_files(data_dir: Path) -> list[Path]:
    """The files whose content defines the background (sorted, so the hash is stable)."""
    patterns = ("background/**/*.csv", "method/*.csv", "grid/*.csv", "units/*.csv")
    files = {p for pattern in patterns for p in data_dir.glob(pattern) if p.is_file()}
    return sorted(files)


def content_hash(data_dir: Path) -> str:
    """SHA-256 over the relative path and bytes of every background file: the data version."""
    digest = hashlib.sha256()
    for path in data_files(data_dir):
        digest.update(path.relative_to(data_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _rows(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        for line_no, row in enumerate(csv.DictReader(handle), start=2):
            cleaned = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            yield f"{path.name}:{line_no}", cleaned


def _float(text: str) -> float:
    return float(text) if text else float("nan")


def load_catalogue(data_dir: Path = DEFAULT_DATA_DIR) -> Catalogue:
    """Read every data file; rows that cannot be parsed are reported in ``parse_errors``."""
    errors: list[str] = []
    activities: list[Activity] = []
    exchanges: list[Exchange] = []
    background = data_dir / "background"
    for path in sorted((background / "activities").glob("*.csv")):
        for origin, row in _rows(path):
            try:
                activities.append(
                    Activity(
                        code=row["code"],
                        name=row["name"],
                        reference_product=row.get("reference_product", ""),
                        unit=row["unit"],
                        location=row.get("location", ""),
                        category=row.get("category", ""),
                        source=row.get("source", ""),
                        origin=origin,
                    )
                )
            except KeyError as exc:
                errors.append(f"{origin}: missing column {exc}")
    for path in sorted((background / "exchanges").glob("*.csv")):
        for origin, row in _rows(path):
            try:
                gsd_text = row.get("gsd", "")
                exchanges.append(
                    Exchange(
                        activity=row["activity"],
                        kind=row["type"],
                        input=row["input"],
                        amount=float(row["amount"]),
                        unit=row["unit"],
                        gsd=float(gsd_text) if gsd_text else None,
                        source=row.get("source", ""),
                        origin=origin,
                    )
                )
            except KeyError as exc:
                errors.append(f"{origin}: missing column {exc}")
            except ValueError as exc:
                errors.append(f"{origin}: {exc}")
    flows = [
        Flow(
            key=row["key"],
            name=row["name"],
            categories=tuple(row["categories"].split("::")),
            gas_group=row["gas_group"],
            biosphere3_code=row["biosphere3_code"],
        )
        for _, row in _rows(data_dir / "method" / "flows.csv")
    ]
    factors: list[CharacterisationFactor] = []
    method_file = data_dir / "method" / "ipcc_ar6.csv"
    if method_file.exists():
        for origin, row in _rows(method_file):
            try:
                factors.append(
                    CharacterisationFactor(
                        flow=row["flow"],
                        gwp100=float(row["gwp100"]),
                        gwp20=_float(row.get("gwp20", "")),
                        source=row.get("source", ""),
                    )
                )
            except (KeyError, ValueError) as exc:
                errors.append(f"{origin}: {exc}")
    regions: list[GridRegion] = []
    regions_file = data_dir / "grid" / "regions.csv"
    if regions_file.exists():
        for origin, row in _rows(regions_file):
            try:
                residual = row.get("residual_mix_kg_per_kwh", "")
                regions.append(
                    GridRegion(
                        region=row["region"],
                        name=row["name"],
                        country=row.get("country", ""),
                        activity=row["activity"],
                        residual_mix_kg_per_kwh=float(residual) if residual else None,
                        residual_mix_source=row.get("residual_mix_source", ""),
                    )
                )
            except (KeyError, ValueError) as exc:
                errors.append(f"{origin}: {exc}")
    densities: list[Density] = []
    densities_file = background / "densities.csv"
    if densities_file.exists():
        from lca.units import UnitError, convert, parse_quantity

        for origin, row in _rows(densities_file):
            try:
                quantity = parse_quantity(f"{row['density']} {row['unit']}")
                value = convert(quantity, "kg/L")
                densities.append(Density(row["code"], value, row.get("source", "")))
            except (KeyError, UnitError) as exc:
                errors.append(f"{origin}: {exc}")
    return Catalogue(
        activities=tuple(activities),
        exchanges=tuple(exchanges),
        flows=tuple(flows),
        factors=tuple(factors),
        grid_regions=tuple(regions),
        densities=tuple(densities),
        content_hash=content_hash(data_dir),
        parse_errors=tuple(errors),
    )


def catalogue_summary(catalogue: Catalogue) -> str:
    """One JSON line with counts, for logs and progress output."""
    return json.dumps(
        {
            "activities": len(catalogue.activities),
            "exchanges": len(catalogue.exchanges),
            "flows": len(catalogue.flows),
            "hash": catalogue.content_hash[:12],
        }
    )
