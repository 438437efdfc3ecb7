"""The background, loaded once per process from the built Brightway project and read-only after.

Loading builds the matrices with bw2calc, factorises the technosphere matrix once and solves the
adjoint system ``Aᵀ x = Bᵀ c`` for every score we report (GWP100, GWP20, GWP100 per gas group,
biogenic CO2 in and out). ``x`` is then the cradle-to-gate score of one unit of *every*
background product, so the score of any foreground on top of the background is a dot product.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from lca.brightway import (
    BIOSPHERE_NAME,
    DATABASE_NAME,
    GWP100,
    METHODS,
    use_brightway_dir,
)
from lca.build import Manifest, read_manifest

GAS_GROUPS = ("co2_fossil", "co2_land_use", "ch4", "n2o", "sf6", "pfc", "hfc", "nf3")
# Indicator columns of the unit-score matrix, in order.
INDICATORS = (
    "gwp100",
    "gwp20",
    *(f"gwp100_{group}" for group in GAS_GROUPS),
    "biogenic_co2_emission_kg",
    "biogenic_co2_removal_kg",
)


class BackgroundNotBuilt(RuntimeError):
    """The Brightway project has not been built yet (run ``cellcarbon background build``)."""


class UnknownProduct(KeyError):
    """A product code that the background does not contain."""


@dataclass(frozen=True)
class Product:
    """A background product a BOM line may name."""

    code: str
    name: str
    unit: str
    location: str
    category: str
    source: str
    density_kg_per_l: float | None
    brightway_id: int


@dataclass(frozen=True)
class GridRegionInfo:
    region: str
    name: str
    country: str
    activity: str
    residual_mix_kg_per_kwh: float | None
    residual_mix_source: str


class Background:
    """Matrices, factorisation and unit scores of one background version. Read-only."""

    def __init__(
        self,
        manifest: Manifest,
        products: dict[str, Product],
        grid_regions: dict[str, GridRegionInfo],
        data_objs: list[Any],
        product_row: dict[int, int],
        unit_scores: np.ndarray,
        method_packages: dict[str, Any],
        foreground_id: int,
    ) -> None:
        self.manifest = manifest
        self.products = products
        self.grid_regions = grid_regions
        self.data_objs = data_objs
        self._product_row = product_row
        unit_scores.setflags(write=False)
        self._unit_scores = unit_scores
        self._method_packages = method_packages
        # An id that no background node uses, for a foreground datapackage (see lca.footprint).
        self.foreground_id = foreground_id

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def version(self) -> str:
        return self.manifest.content_hash

    @property
    def method(self) -> str:
        return " ".join(GWP100)

    def method_package(self, method: str) -> Any:
        """The ``bw_processing`` datapackage of a method (``'gwp100'`` or ``'gwp20'``)."""
        return self._method_packages[method]

    def product(self, code: str) -> Product:
        try:
            return self.products[code]
        except KeyError:
            raise UnknownProduct(code) from None

    def unit_score_row(self, code: str) -> np.ndarray:
        """Scores of one unit of ``code`` for every indicator in :data:`INDICATORS`."""
        product = self.product(code)
        return self._unit_scores[self._product_row[product.brightway_id]]

    def unit_score(self, code: str, indicator: str = "gwp100") -> float:
        return float(self.unit_score_row(code)[INDICATORS.index(indicator)])


def load_background(brightway_dir: Path) -> Background:
    """Open the built project, build matrices with bw2calc and compute all unit scores."""
    import bw2calc

    manifest = read_manifest(brightway_dir)
    if manifest is None:
        raise BackgroundNotBuilt(
            f"no background in {brightway_dir}; run `cellcarbon background build`"
        )
    bw2data = use_brightway_dir(brightway_dir, manifest.project)
    database = bw2data.Database(manifest.database)
    products: dict[str, Product] = {}
    for node in database:
        products[node["code"]] = Product(
            code=node["code"],
            name=node["name"],
            unit=node["unit"],
            location=node.get("location") or "",
            category=node.get("category") or "",
            source=node.get("source") or "",
            density_kg_per_l=node.get("density_kg_per_l"),
            brightway_id=node.id,
        )
    if not products:
        raise BackgroundNotBuilt(f"database {manifest.database} is empty")
    first = next(iter(sorted(products.values(), key=lambda p: p.code)))
    _, data_objs, _ = bw2data.prepare_lca_inputs(
        {first.brightway_id: 1}, method=GWP100, remapping=False
    )
    lca = bw2calc.LCA({first.brightway_id: 1}, data_objs=data_objs)
    lca.lci()
    flow_rows = lca.dicts.biosphere
    method_packages = {
        name: bw2data.Method(method).datapackage() for name, method in METHODS.items()
    }

    def flow_id(code: str) -> int:
        return int(bw2data.get_node(database=BIOSPHERE_NAME, code=code).id)

    characterisation = _indicator_matrix(flow_rows, manifest.flows, method_packages, flow_id)
    rhs = (lca.biosphere_matrix.T @ characterisation).toarray()
    factorised = spla.splu(sp.csc_matrix(lca.technosphere_matrix.T))
    unit_scores = np.asarray(factorised.solve(rhs))
    grid_regions = {
        region: GridRegionInfo(region=region, **fields)
        for region, fields in manifest.grid_regions.items()
    }
    return Background(
        manifest=manifest,
        products=products,
        grid_regions=grid_regions,
        data_objs=[obj for obj in data_objs if not _is_method_package(obj)],
        product_row=dict(lca.dicts.product),
        unit_scores=unit_scores,
        method_packages=method_packages,
        foreground_id=1
        + max(max(lca.dicts.activity.keys()), max(lca.dicts.product.keys()), max(flow_rows.keys())),
    )


def _is_method_package(datapackage: Any) -> bool:
    return any("characterization" in str(r.get("matrix", "")) for r in datapackage.resources)


def _characterisation_factors(method_package: Any) -> dict[int, float]:
    """Flow id → factor, read from the method's datapackage exactly as bw2calc reads it.

    bw2data stores matrix data as float32, so the factors (and every background amount) are
    float32-rounded: reading them here rather than from ``Method.load()`` keeps our scores equal
    to bw2calc's to the last bits.
    """
    arrays = {
        r["kind"]: method_package.get_resource(r["name"])[0] for r in method_package.resources
    }
    return {
        int(row): float(value)
        for row, value in zip(arrays["indices"]["row"], arrays["data"], strict=True)
    }


def _indicator_matrix(
    flow_rows: Any, flows: dict[str, list[str]], method_packages: dict[str, Any], id_of: Any
) -> sp.csr_matrix:
    """Flows × indicators: the characterisation factor of each flow in each indicator column."""
    group_by_id = {id_of(code): (key, group) for code, (key, group) in flows.items()}
    matrix = sp.lil_matrix((len(flow_rows), len(INDICATORS)))
    for column, method in enumerate(("gwp100", "gwp20")):
        for flow_id, factor in _characterisation_factors(method_packages[method]).items():
            if flow_id not in flow_rows:
                continue  # characterised, but emitted by no background activity
            row = flow_rows[flow_id]
            matrix[row, column] = factor
            _, group = group_by_id.get(flow_id, ("", ""))
            if method == "gwp100" and group in GAS_GROUPS:
                matrix[row, INDICATORS.index(f"gwp100_{group}")] = factor
    for flow_id, (key, _) in group_by_id.items():
        if flow_id not in flow_rows:
            continue
        if key == "co2_biogenic":
            matrix[flow_rows[flow_id], INDICATORS.index("biogenic_co2_emission_kg")] = 1.0
        elif key == "co2_biogenic_uptake":
            matrix[flow_rows[flow_id], INDICATORS.index("biogenic_co2_removal_kg")] = 1.0
    return matrix.tocsr()


__all__ = [
    "Background",
    "BackgroundNotBuilt",
    "DATABASE_NAME",
    "GAS_GROUPS",
    "INDICATORS",
    "Product",
    "UnknownProduct",
    "load_background",
]
