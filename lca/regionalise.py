"""A material made in another region: its production chain re-linked to that region's energy.

A BOM line may say where its material is made (``made_in``: a grid region). The background's
process for that material stays as it is (other consumers of it are untouched); the line is
priced instead by a *foreground copy* of the material's production chain in which

* every input of a grid electricity mix (any region's ``electricity_grid_*`` of
  data/grid/regions.csv) is replaced by the same amount of the target region's mix;
* every input of natural gas supply is replaced by the target region's gas supply chain
  (:data:`NATURAL_GAS_SUPPLY`: LNG for Japan and Korea, pipeline gas elsewhere), which reaches
  the gas burned for process heat and purchased steam.

Depth — what counts as the material's *own* chain:

* depth 0 is the material's own process;
* its direct precursors (depth 1, up to ``depth``) are copied too when they are
  *energy-intensive*: materials or chemicals whose own process's electricity and heat make at
  least :data:`ENERGY_INTENSIVE_SHARE` of their cradle-to-gate GWP100. A precursor that is
  not (a mined concentrate, a salt whose burden is its reagents) keeps its background region:
  such precursors are usually bought on the world market, not made at the material's site;
* the heat chain (useful heat, steam, gas burned) below any copied process is always followed
  down to the gas supply, since it is that process's own heat.

Captive and dedicated supplies (an aluminium smelter's own coal plant) are not grid mixes and
stay as they are.

The copy is *flattened* into one :class:`lca.footprint.ForegroundProcess`: the inputs of each
copied precursor, scaled by how much of it one unit of the material takes, replace the
precursor's input. Its score is therefore a dot product with the background's cached unit
scores — exact, with no new factorisation — and a plain ``bw2calc`` run on the background plus
the copy as a foreground datapackage (:func:`lca.footprint.reference_score`) gives the same
number (tests hold them equal to 1e-9).

Not covered yet: a recycled-content scenario (:func:`lca.scenarios.with_recycled_content`)
substitutes virgin salts at every background consumer, but not inside a copy, whose flattened
inputs (e.g. the lithium hydroxide of a copied CAM) stay virgin; and :mod:`lca.batch` prices
BOM lines without their ``made_in``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from lca.background import Background, Product
from lca.footprint import ForegroundProcess

# A precursor is copied when its own electricity and heat make at least this share of its
# cradle-to-gate GWP100. Our choice, not a published threshold: a tenth takes in the steps that
# are usually integrated with the material's plant — for a cathode active material its pCAM
# co-precipitation (0.11 in our data) and lithium hydroxide refining (0.16) — and leaves out
# products whose burden is mined or smelted elsewhere (aluminium on captive power, 0.01).
ENERGY_INTENSIVE_SHARE = 0.10
DEFAULT_DEPTH = 1

PIPELINE_GAS = "natural_gas_supply"
LNG = "natural_gas_supply_lng"
# Gas supply chain by country of a grid region. Japan and Korea import almost all their natural
# gas as LNG (IEA, Gas Market Report / country profiles: JP ~98 %, KR ~99 % of supply imported as
# LNG); the background's LNG chain (data/background/activities/energy.csv) is modelled for them.
# Everywhere else the background's pipeline-gas chain applies.
NATURAL_GAS_SUPPLY: dict[str, str] = {"JP": LNG, "KR": LNG}
# Products that carry a process's own heat down to the gas supply.
HEAT_CHAIN = ("heat_natural_gas", "heat_steam", "natural_gas_burned_industrial")
_COPIED_CATEGORIES = ("material", "chemical")


class RegionaliseError(ValueError):
    """A material or region that regionalisation cannot apply to."""


@dataclass(frozen=True)
class Regionalised:
    """A material's production chain re-linked to ``region``: the process to price a line by."""

    material: str
    region: str
    process: ForegroundProcess
    copied: tuple[str, ...]  # background processes copied into it, the material first


def gas_supply(background: Background, region: str) -> str:
    """The natural gas supply chain (a background product code) of a grid region."""
    country = background.grid_regions[region].country
    supply = NATURAL_GAS_SUPPLY.get(country, PIPELINE_GAS)
    return supply if supply in background.products else PIPELINE_GAS


def process_code(material: str, region: str) -> str:
    return f"{material}@{region}"


def regionalise(
    background: Background, material: str, region: str, *, depth: int = DEFAULT_DEPTH
) -> Regionalised:
    """``material``'s production chain with its electricity and heat from ``region``."""
    product = check_regionalisable(background, material, region)
    chain = _Chain(background, region, depth)
    chain.add(material, 1.0, level=0)
    process = ForegroundProcess(
        code=process_code(material, region),
        product=material,
        inputs=tuple(sorted(chain.inputs.items())),
        emissions=tuple(sorted(chain.emissions.items())),
        unit=product.unit,
        made_in=region,
    )
    return Regionalised(material, region, process, tuple(chain.copied))


def check_regionalisable(background: Background, material: str, region: str) -> Product:
    """``material``'s product if it can be made in ``region``; else :class:`RegionaliseError`."""
    if region not in background.grid_regions:
        raise RegionaliseError(f"unknown grid region '{region}'")
    product = background.products.get(material)
    if product is None:
        raise RegionaliseError(f"unknown material code '{material}'")
    if product.category not in _COPIED_CATEGORIES:
        raise RegionaliseError(
            f"'{material}' is a {product.category or 'background'} product, not a material made "
            "at a site; only materials and chemicals can be made in a region"
        )
    return product


def energy_share(background: Background, code: str) -> float:
    """Share of ``code``'s cradle-to-gate GWP100 from its own process's electricity and heat."""
    total = background.unit_score(code)
    if total <= 0:
        return 0.0
    energy = sum(
        amount * background.unit_score(input_code)
        for input_code, amount in _inputs(background, code)
        if _is_energy(background, input_code)
    )
    return energy / total


class _Chain:
    """Collects the flattened inputs and emissions of a copied chain."""

    def __init__(self, background: Background, region: str, depth: int) -> None:
        self.background = background
        self.depth = depth
        self.grid = background.grid_regions[region].activity
        self.grids = {g.activity for g in background.grid_regions.values()}
        self.gas = gas_supply(background, region)
        self.inputs: dict[str, float] = defaultdict(float)
        self.emissions: dict[str, float] = defaultdict(float)
        self.copied: list[str] = []

    def add(self, code: str, scale: float, *, level: int) -> None:
        """Add ``scale`` units of ``code``'s process (inputs swapped, precursors expanded)."""
        if code not in self.copied:
            self.copied.append(code)
        for input_code, amount in _inputs(self.background, code):
            needed = scale * amount
            if input_code in self.grids:
                self.inputs[self.grid] += needed
            elif input_code in (PIPELINE_GAS, LNG):
                self.inputs[self.gas] += needed
            elif input_code in HEAT_CHAIN and self.gas != PIPELINE_GAS:
                self.add(input_code, needed, level=level)
            elif level < self.depth and self._energy_intensive(input_code):
                self.add(input_code, needed, level=level + 1)
            else:
                self.inputs[input_code] += needed
        for flow, kg in _emissions(self.background, code):
            self.emissions[flow] += scale * kg

    def _energy_intensive(self, code: str) -> bool:
        product = self.background.product(code)
        return (
            product.category in _COPIED_CATEGORIES
            and energy_share(self.background, code) >= ENERGY_INTENSIVE_SHARE
        )


def _is_energy(background: Background, code: str) -> bool:
    grids = {g.activity for g in background.grid_regions.values()}
    return code in grids or code in HEAT_CHAIN or code in (PIPELINE_GAS, LNG)


def _inputs(background: Background, code: str) -> list[tuple[str, float]]:
    """Inputs of one unit of ``code``'s process: (product code, amount), from the matrix."""
    engine = background.engine
    product_id = background.product(code).brightway_id
    row = engine.product_index[product_id]
    column = engine.activity_index[product_id]
    technosphere = engine.technosphere
    start, end = technosphere.indptr[column], technosphere.indptr[column + 1]
    rows = technosphere.indices[start:end]
    values = technosphere.data[start:end]
    production = float(values[rows == row].sum())
    return [
        (background.product_by_id(int(engine.product_ids[r])).code, -float(v) / production)
        for r, v in zip(rows, values, strict=True)
        if r != row and v != 0
    ]


def _emissions(background: Background, code: str) -> list[tuple[str, float]]:
    """Direct emissions of one unit of ``code``'s process: (flow key, kg), from the matrix."""
    engine = background.engine
    product_id = background.product(code).brightway_id
    row = engine.product_index[product_id]
    column = engine.activity_index[product_id]
    production = float(engine.technosphere[row, column])
    emitted = engine.biosphere[:, [column]].tocoo()
    return [
        (background.flow_key_by_id(int(engine.flow_ids[r])), float(v) / production)
        for r, v in zip(emitted.row, emitted.data, strict=True)
        if v != 0
    ]
