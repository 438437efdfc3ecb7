"""Turn a cell BOM as written by a person (quantities with units) into canonical foreground inputs.

Every problem is collected with the path of the field it concerns, so a client sees all of them
at once. Canonical units: see :mod:`lca.units`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from lca.background import Background
from lca.errors import FieldProblem, InputError, joined
from lca.footprint import STAGE_MATERIALS, STAGE_PRODUCTION, ForegroundInput, ForegroundProcess
from lca.ranges import range_problem
from lca.regionalise import LNG, RegionaliseError, check_regionalisable, gas_supply, regionalise
from lca.units import UnitError, convert, parse_quantity

# Plant heat is counted as the natural gas the plant burns (MJ of fuel, lower heating value), as
# a gas meter or bill reports it and as GREET and Degen et al. give cell-plant energy. The gas
# comes through the plant region's supply chain: regasified LNG in Japan and Korea
# (lca.regionalise.NATURAL_GAS_SUPPLY), pipeline gas elsewhere.
HEAT_PRODUCT = "natural_gas_burned_industrial"
HEAT_PRODUCT_LNG = "natural_gas_burned_industrial_lng"
Location = tuple[str | int, ...]


class BomError(InputError):
    """The BOM cannot be used; ``problems`` says which fields and why."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__(joined(problems), problems)


@dataclass(frozen=True)
class NormalisedLine:
    position: int
    component: str
    material: str
    amount_given: str
    amount: float
    unit: str
    supplier: str | None
    source: str | None
    made_in: str | None = None  # grid region where the material is made, when not the data's
    # "material": part of the cell; "process": consumed in making it and leaving it (a solvent
    # such as NMP) — in the footprint, outside the cell's mass balance.
    kind: str = "material"


@dataclass(frozen=True)
class NormalisedBom:
    name: str
    chemistry: str
    cell_format: str
    nominal_capacity_ah: float
    nominal_voltage_v: float
    nominal_energy_kwh: float
    cell_mass_kg: float | None
    plant_name: str
    grid_region: str
    electricity_product: str
    electricity_kwh: float
    heat_mj: float
    lines: tuple[NormalisedLine, ...]
    heat_product: str = HEAT_PRODUCT

    def foreground_inputs(self) -> list[ForegroundInput]:
        """The cell's inputs: every BOM line, then plant electricity and heat."""
        return cell_foreground(
            self.lines,
            grid_region=self.grid_region,
            electricity_product=self.electricity_product,
            electricity_kwh=self.electricity_kwh,
            heat_mj=self.heat_mj,
            heat_product=self.heat_product,
        )

    @property
    def material_mass_kg(self) -> float:
        """Mass of the lines that end up in the cell (kg lines of kind "material")."""
        return sum(line.amount for line in self.lines if is_cell_material(line.kind, line.unit))

    def regionalised_processes(self, background: Background) -> dict[int, ForegroundProcess]:
        """Line position → the process of its material made in the line's ``made_in`` region."""
        return regionalised_processes(background, self.lines)

    def footprint_model(
        self, background: Background
    ) -> tuple[list[ForegroundInput], dict[str, ForegroundProcess]]:
        """The cell's inputs with every ``made_in`` line priced by its regionalised process."""
        inputs = self.foreground_inputs()
        processes: dict[str, ForegroundProcess] = {}
        for position, process in self.regionalised_processes(background).items():
            inputs[position] = replace(inputs[position], product=process.code)
            processes[process.code] = process
        return inputs, processes


LINE_KINDS = ("material", "process")


def is_cell_material(kind: str | None, unit: str) -> bool:
    """Whether a line's mass is part of the cell (its mass balance): kg, and not a process line."""
    return unit == "kg" and (kind or "material") != "process"


def plant_heat_product(background: Background, region: str) -> str:
    """The gas burned for plant heat in grid region ``region``, through that region's supply."""
    if gas_supply(background, region) == LNG and HEAT_PRODUCT_LNG in background.products:
        return HEAT_PRODUCT_LNG
    return HEAT_PRODUCT


def regionalised_processes(
    background: Background, lines: Iterable[NormalisedLine]
) -> dict[int, ForegroundProcess]:
    """Line position → regionalised process, for every line with a ``made_in`` region."""
    return {
        line.position: regionalise(background, line.material, line.made_in).process
        for line in lines
        if line.made_in is not None
    }


class LineLike(Protocol):
    """What a stored or freshly normalised BOM line offers (read-only)."""

    @property
    def position(self) -> int: ...
    @property
    def material(self) -> str: ...
    @property
    def amount(self) -> float: ...
    @property
    def component(self) -> str: ...


def cell_foreground(
    lines: Iterable[LineLike],
    *,
    grid_region: str,
    electricity_product: str,
    electricity_kwh: float,
    heat_mj: float,
    heat_product: str = HEAT_PRODUCT,
) -> list[ForegroundInput]:
    """Foreground inputs of one cell: its material lines, then the plant's electricity and heat."""
    inputs = [
        ForegroundInput(
            label=f"line {line.position + 1}: {line.material}",
            product=line.material,
            amount=line.amount,
            component=line.component,
            stage=STAGE_MATERIALS,
        )
        for line in lines
    ]
    if electricity_kwh > 0:
        inputs.append(
            ForegroundInput(
                label=f"plant electricity ({grid_region})",
                product=electricity_product,
                amount=electricity_kwh,
                component="cell manufacturing",
                stage=STAGE_PRODUCTION,
            )
        )
    if heat_mj > 0:
        inputs.append(
            ForegroundInput(
                label="plant heat (natural gas burned)",
                product=heat_product,
                amount=heat_mj,
                component="cell manufacturing",
                stage=STAGE_PRODUCTION,
            )
        )
    return inputs


class _Collector:
    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def quantity(
        self,
        text: Any,
        loc: Location,
        unit: str,
        *,
        kind: str,
        positive: bool = True,
        density_kg_per_l: float | None = None,
        what: str = "",
    ) -> float:
        """``text`` in ``unit``, or NaN after recording why it cannot be used.

        ``kind`` names its plausible range in :data:`lca.ranges.PLAUSIBLE_RANGES`.
        """
        try:
            value = convert(parse_quantity(text), unit, density_kg_per_l=density_kg_per_l)
        except UnitError as exc:
            suffix = f"; {what} is measured in {unit}" if what else ""
            self.problems.append(FieldProblem(loc, f"{exc}{suffix}"))
            return float("nan")
        problem: str | None
        if positive and not value > 0:
            problem = f"must be greater than zero (got '{text}')"
        elif value < 0:
            problem = f"must not be negative (got '{text}')"
        else:
            problem = range_problem(kind, value, unit)
        if problem is not None:
            self.problems.append(FieldProblem(loc, problem))
            return float("nan")
        return value


def normalise_bom(bom: Mapping[str, Any], background: Background) -> NormalisedBom:
    """Check and convert ``bom``; raise :class:`BomError` listing every problem."""
    check = _Collector()
    cell = bom.get("cell") or {}
    plant = bom.get("plant") or {}
    capacity = check.quantity(
        cell.get("nominal_capacity"),
        ("cell", "nominal_capacity"),
        "Ah",
        kind="cell.nominal_capacity",
    )
    voltage = check.quantity(
        cell.get("nominal_voltage"), ("cell", "nominal_voltage"), "V", kind="cell.nominal_voltage"
    )
    energy_kwh = capacity * voltage / 1000.0
    if energy_kwh == energy_kwh:  # NaN: capacity or voltage is reported already
        problem = range_problem("cell.nominal_energy", energy_kwh)
        if problem is not None:
            check.problems.append(
                FieldProblem(("cell", "nominal_capacity"), f"capacity × voltage: {problem}")
            )
    mass = None
    if cell.get("mass") is not None:
        mass = check.quantity(cell.get("mass"), ("cell", "mass"), "kg", kind="cell.mass")
    region = plant.get("grid_region")
    grid = background.grid_regions.get(region) if isinstance(region, str) else None
    if grid is None:
        known = ", ".join(sorted(background.grid_regions))
        check.problems.append(
            FieldProblem(
                ("plant", "grid_region"), f"unknown grid region '{region}'; known: {known}"
            )
        )
    electricity = check.quantity(
        plant.get("electricity_per_cell", "0 kWh"),
        ("plant", "electricity_per_cell"),
        "kWh",
        kind="plant.electricity_per_cell",
        positive=False,
    )
    heat = check.quantity(
        plant.get("heat_per_cell", "0 MJ"),
        ("plant", "heat_per_cell"),
        "MJ",
        kind="plant.heat_per_cell",
        positive=False,
    )
    lines = _normalise_lines(bom.get("lines") or [], background, check)
    if check.problems:
        raise BomError(check.problems)
    assert grid is not None
    return NormalisedBom(
        name=str(bom.get("name", "")),
        chemistry=str(cell.get("chemistry", "")),
        cell_format=str(cell.get("format", "")),
        nominal_capacity_ah=capacity,
        nominal_voltage_v=voltage,
        nominal_energy_kwh=energy_kwh,
        cell_mass_kg=mass,
        plant_name=str(plant.get("name", "")),
        grid_region=grid.region,
        electricity_product=grid.activity,
        electricity_kwh=electricity,
        heat_mj=heat,
        lines=tuple(lines),
        heat_product=plant_heat_product(background, grid.region),
    )


def _normalise_lines(
    raw_lines: Sequence[Mapping[str, Any]], background: Background, check: _Collector
) -> list[NormalisedLine]:
    if not raw_lines:
        check.problems.append(FieldProblem(("lines",), "a BOM needs at least one line"))
    lines = []
    for position, raw in enumerate(raw_lines):
        material = raw.get("material")
        product = background.products.get(material) if isinstance(material, str) else None
        if product is None:
            check.problems.append(
                FieldProblem(
                    ("lines", position, "material"),
                    f"unknown material code '{material}'; see GET /v1/materials",
                )
            )
            continue
        amount = check.quantity(
            raw.get("amount"),
            ("lines", position, "amount"),
            product.unit,
            kind=f"line.{product.unit}",
            density_kg_per_l=product.density_kg_per_l,
            what=f"material {product.code}",
        )
        made_in = _made_in(raw.get("made_in"), product.code, position, background, check)
        kind = raw.get("kind") or "material"
        if kind not in LINE_KINDS:
            check.problems.append(
                FieldProblem(
                    ("lines", position, "kind"),
                    f"unknown line kind '{kind}'; one of {', '.join(LINE_KINDS)}",
                )
            )
        lines.append(
            NormalisedLine(
                position=position,
                component=str(raw.get("component", "")),
                material=product.code,
                amount_given=str(raw.get("amount")),
                amount=amount,
                unit=product.unit,
                supplier=raw.get("supplier"),
                source=raw.get("source"),
                made_in=made_in,
                kind=str(kind),
            )
        )
    return lines


def _made_in(
    region: Any, material: str, position: int, background: Background, check: _Collector
) -> str | None:
    """The line's ``made_in`` region, or None after recording why it cannot be used."""
    if region is None:
        return None
    loc: Location = ("lines", position, "made_in")
    if not isinstance(region, str) or region not in background.grid_regions:
        known = ", ".join(sorted(background.grid_regions))
        check.problems.append(FieldProblem(loc, f"unknown grid region '{region}'; known: {known}"))
        return None
    try:
        check_regionalisable(background, material, region)
    except RegionaliseError as exc:
        check.problems.append(FieldProblem(loc, str(exc)))
        return None
    return region
