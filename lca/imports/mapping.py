"""Map the project's material codes onto an imported background's activities.

BOM lines name materials by the codes of the open background (``nmc811_cam``, ``copper_foil``);
an imported background (ecoinvent, a company's openLCA database) has its own activities. A
:class:`MaterialMapping` says which imported activity stands for each material, checked for
units: a material counted in kg cannot be priced by an activity producing kWh. A BOM is computed
on an imported background only when every material it uses is mapped; otherwise
:class:`MissingMappings` names each one.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from lca.background import Background, Product
from lca.footprint import FootprintResult, ForegroundInput, compute
from lca.units import convert, ureg

# Unit names after bw2io's normalize_units, as Pint reads them (lca.units defines tkm).
_PINT_UNITS = {
    "kilogram": "kg",
    "gram": "g",
    "ton": "t",
    "kilowatt hour": "kWh",
    "watt hour": "Wh",
    "megajoule": "MJ",
    "kilojoule": "kJ",
    "gigajoule": "GJ",
    "cubic meter": "m**3",
    "litre": "L",
    "square meter": "m**2",
    "meter": "m",
    "kilometer": "km",
    "ton kilometer": "tkm",
    "hour": "h",
}


@dataclass(frozen=True)
class Material:
    """A material code a BOM may use, in its reference unit (from the open background)."""

    code: str
    name: str
    reference_product: str
    unit: str
    location: str


@dataclass(frozen=True)
class Suggestion:
    """A candidate activity for a material, best first."""

    code: str
    name: str
    reference_product: str
    location: str
    unit: str
    score: float  # 0..1: name 50 %, reference product 35 %, location 15 %
    unit_factor: float | None  # 1 material unit = unit_factor activity units; None: incompatible


@dataclass(frozen=True)
class MappingProblem:
    material: str
    detail: str


class MissingMappings(ValueError):
    """A BOM uses materials that the mapping does not cover (or covers wrongly)."""

    def __init__(self, background: str, problems: Sequence[MappingProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            f"cannot compute on background {background}: "
            + "; ".join(f"{p.material}: {p.detail}" for p in self.problems)
        )


@dataclass(frozen=True)
class MaterialMapping:
    """Material code → imported activity code, for one background version."""

    background_version: str
    entries: Mapping[str, str]


def pint_unit(unit: str) -> str:
    return _PINT_UNITS.get(unit, unit)


def unit_factor(material_unit: str, activity_unit: str) -> float | None:
    """How many activity units one material unit is; None when the dimensions differ."""
    try:
        return convert(ureg.Quantity(1.0, pint_unit(material_unit)), pint_unit(activity_unit))
    except Exception:  # UnitError, or Pint's own errors for unit names it does not know
        return None


def _similarity(a: str, b: str) -> float:
    a, b = a.lower().strip(), b.lower().strip()
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b).ratio()


def suggest(material: Material, background: Background, limit: int = 5) -> list[Suggestion]:
    """Activities of ``background`` that could stand for ``material``, best first; those in an
    incompatible unit rank after every compatible one."""
    suggestions = []
    for product in background.products.values():
        reference = _reference_product(background, product)
        location = 1.0 if product.location == material.location else 0.0
        if material.location == "GLO" and product.location in ("GLO", "RoW"):
            location = 1.0
        score = (
            0.5 * _similarity(material.name, product.name)
            + 0.35 * _similarity(material.reference_product or material.name, reference)
            + 0.15 * location
        )
        suggestions.append(
            Suggestion(
                code=product.code,
                name=product.name,
                reference_product=reference,
                location=product.location,
                unit=product.unit,
                score=round(score, 6),
                unit_factor=unit_factor(material.unit, product.unit),
            )
        )
    suggestions.sort(key=lambda s: (s.unit_factor is None, -s.score, s.code))
    return suggestions[:limit]


def _reference_product(background: Background, product: Product) -> str:
    return product.reference_product or product.name


def check_mapping(
    mapping: MaterialMapping, materials: Mapping[str, Material], background: Background
) -> list[MappingProblem]:
    """Every problem of ``mapping`` on ``background`` at once (unknown codes, units)."""
    problems = []
    if mapping.background_version != background.version:
        problems.append(
            MappingProblem(
                "*",
                f"the mapping is for background {mapping.background_version[:12]}, "
                f"not {background.version[:12]}",
            )
        )
    for material, code in sorted(mapping.entries.items()):
        if material not in materials:
            problems.append(MappingProblem(material, "not a material code of the open background"))
            continue
        product = background.products.get(code)
        if product is None:
            problems.append(MappingProblem(material, f"activity {code} is not in the background"))
            continue
        if unit_factor(materials[material].unit, product.unit) is None:
            problems.append(
                MappingProblem(
                    material,
                    f"{material} is counted in {materials[material].unit}; activity "
                    f"'{product.name}' produces {product.unit}",
                )
            )
    return problems


def mapped_inputs(
    inputs: Sequence[ForegroundInput],
    mapping: MaterialMapping,
    materials: Mapping[str, Material],
    background: Background,
) -> list[ForegroundInput]:
    """``inputs`` (in material codes and units) restated in the background's activities and
    units; raises :class:`MissingMappings` naming every material that is not mapped."""
    problems = check_mapping(mapping, materials, background)
    for item in inputs:
        if item.product not in mapping.entries and item.product not in {
            p.material for p in problems
        }:
            problems.append(
                MappingProblem(item.product, f"{item.label}: no mapping for this material")
            )
    if problems:
        raise MissingMappings(background.name, problems)
    restated = []
    for item in inputs:
        product = background.product(mapping.entries[item.product])
        factor = unit_factor(materials[item.product].unit, product.unit)
        assert factor is not None  # checked above
        restated.append(replace(item, product=product.code, amount=item.amount * factor))
    return restated


def compute_mapped(
    background: Background,
    inputs: Sequence[ForegroundInput],
    mapping: MaterialMapping,
    materials: Mapping[str, Material],
    nominal_energy_kwh: float,
) -> FootprintResult:
    """The footprint of ``inputs`` on an imported background, through ``mapping``."""
    return compute(
        background, mapped_inputs(inputs, mapping, materials, background), nominal_energy_kwh
    )


def materials_of(background: Background) -> dict[str, Material]:
    """The materials a BOM may name: the products of the open background ``background``."""
    return {
        p.code: Material(p.code, p.name, _reference_product(background, p), p.unit, p.location)
        for p in background.products.values()
    }
