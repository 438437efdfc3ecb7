"""The background, loaded once per process and read-only after.

The first load of a background version builds the matrices with bw2calc from the Brightway
project, factorises once and solves the adjoint system for every indicator we report (GWP100,
GWP20, GWP100 per gas group, biogenic CO2 in and out) — see :mod:`lca.engine`. The result is
cached under ``<brightway_dir>/engine/<content hash>/``, so later starts read arrays and need
neither bw2data nor a factorisation.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lca.brightway import GWP100, METHODS, use_brightway_dir
from lca.build import Manifest, read_manifest
from lca.engine import MatrixEngine, characterisation_factors
from lca.errors import LcaError

# "unspecified" holds aggregated data whose split by gas is unknown (an imported supplier PCF); it
# stays last. HCFCs (ozone-depleting, controlled by the Montreal Protocol rather than the Kyoto
# basket, but with AR6 GWPs) are a group of their own, not counted as HFCs.
GAS_GROUPS = (
    "co2_fossil",
    "co2_land_use",
    "ch4",
    "n2o",
    "sf6",
    "pfc",
    "hfc",
    "hcfc",
    "nf3",
    "unspecified",
)
# Indicator columns of the unit-score matrix, in order.
INDICATORS = (
    "gwp100",
    "gwp20",
    *(f"gwp100_{group}" for group in GAS_GROUPS),
    "biogenic_co2_emission_kg",
    "biogenic_co2_removal_kg",
)
CACHE_DIR = "engine"
# bw2data's base directory and current project are process-wide: with several backgrounds (and
# imports, lca.imports.pipeline) in one process, every use of bw2data here holds this lock, so a
# thread never reads one background's project while another has switched to its own.
BRIGHTWAY_LOCK = threading.RLock()
PRODUCTS_FILE = "products.json"
FLOWS_FILE = "flows.json"


class BackgroundNotBuilt(LcaError, RuntimeError):
    """The Brightway project has not been built yet (run ``cellcarbon background build``)."""


class UnknownProduct(LcaError, KeyError):
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
    reference_product: str = ""


@dataclass(frozen=True)
class FlowInfo:
    """An elementary flow of data/method/flows.csv: its Brightway id and its factors."""

    key: str
    brightway_id: int
    factors: tuple[float, ...]  # one per indicator in INDICATORS


@dataclass(frozen=True)
class GridRegionInfo:
    region: str
    name: str
    country: str
    activity: str
    residual_mix_kg_per_kwh: float | None
    residual_mix_source: str


class Background:
    """One background version: its products, grid regions and matrix engine. Read-only."""

    def __init__(
        self,
        manifest: Manifest,
        products: dict[str, Product],
        engine: MatrixEngine,
        brightway_dir: Path,
        flows: dict[str, FlowInfo],
    ) -> None:
        self.manifest = manifest
        self.products = products
        self.flows = flows
        self._flow_key_by_id = {f.brightway_id: f.key for f in flows.values()}
        self.engine = engine
        self.brightway_dir = brightway_dir
        self.grid_regions = {
            region: GridRegionInfo(region=region, **fields)
            for region, fields in manifest.grid_regions.items()
        }
        self._by_id = {p.brightway_id: p for p in products.values()}
        self._lock = threading.Lock()
        self._datapackages: dict[str, Any] | None = None
        # An id that no background node uses, for a foreground datapackage (see lca.footprint).
        self.foreground_id = 1 + int(
            max(engine.product_ids.max(), engine.activity_ids.max(), engine.flow_ids.max())
        )

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def version(self) -> str:
        return self.manifest.content_hash

    @property
    def method(self) -> str:
        return " ".join(GWP100)

    def product(self, code: str) -> Product:
        try:
            return self.products[code]
        except KeyError:
            raise UnknownProduct(code) from None

    def product_by_id(self, brightway_id: int) -> Product:
        return self._by_id[brightway_id]

    def unit_score_row(self, code: str) -> np.ndarray:
        """Scores of one unit of ``code`` for every indicator in :data:`INDICATORS`."""
        return self.engine.unit_scores[self.engine.product_index[self.product(code).brightway_id]]

    def unit_score(self, code: str, indicator: str = "gwp100") -> float:
        return float(self.unit_score_row(code)[INDICATORS.index(indicator)])

    @property
    def flow_keys(self) -> frozenset[str]:
        return frozenset(self.flows)

    def flow_row(self, key: str) -> np.ndarray:
        """Factors of 1 kg of flow ``key`` for every indicator in :data:`INDICATORS`."""
        return np.asarray(self.flows[key].factors)

    def flow_key_by_id(self, brightway_id: int) -> str:
        return self._flow_key_by_id[brightway_id]

    def with_unit_scores(self, unit_scores: np.ndarray) -> Background:
        """The same background priced with other unit scores (a scenario view; see
        :mod:`lca.scenarios`). It shares matrices and metadata; only scores differ."""
        engine = self.engine.with_unit_scores(unit_scores)
        return Background(self.manifest, self.products, engine, self.brightway_dir, self.flows)

    # --- Brightway datapackages, for reference calculations (loaded on first use) ----------

    @property
    def data_objs(self) -> list[Any]:
        """The background's inventory datapackages (no method), as bw2calc takes them."""
        return list(self._packages()["inventory"])

    def method_package(self, method: str) -> Any:
        """The ``bw_processing`` datapackage of a method (``'gwp100'`` or ``'gwp20'``)."""
        return self._packages()[method]

    def _packages(self) -> dict[str, Any]:
        with self._lock:
            if self._datapackages is None:
                with BRIGHTWAY_LOCK:
                    self._datapackages = _datapackages(self.brightway_dir, self.manifest)
            return self._datapackages


def load_background(brightway_dir: Path, *, use_cache: bool = True) -> Background:
    """Load the built background; from the engine cache when one exists for this version."""
    manifest = read_manifest(brightway_dir)
    if manifest is None:
        raise BackgroundNotBuilt(
            f"no background in {brightway_dir}; run `cellcarbon background build`"
        )
    cache = Path(brightway_dir) / CACHE_DIR / manifest.content_hash
    cached = [cache / PRODUCTS_FILE, cache / FLOWS_FILE]
    if use_cache and MatrixEngine.is_saved(cache) and all(p.exists() for p in cached):
        products = {
            row["code"]: Product(**row) for row in json.loads((cache / PRODUCTS_FILE).read_text())
        }
        flows = {
            row["key"]: FlowInfo(row["key"], row["brightway_id"], tuple(row["factors"]))
            for row in json.loads((cache / FLOWS_FILE).read_text())
        }
        return Background(manifest, products, MatrixEngine.load(cache), Path(brightway_dir), flows)
    with BRIGHTWAY_LOCK:
        products, engine, flows = _build_engine(Path(brightway_dir), manifest)
    if use_cache:
        engine.save(cache)
        (cache / PRODUCTS_FILE).write_text(
            json.dumps([asdict(p) for p in sorted(products.values(), key=lambda p: p.code)])
        )
        (cache / FLOWS_FILE).write_text(json.dumps([asdict(f) for f in flows.values()]))
    return Background(manifest, products, engine, Path(brightway_dir), flows)


def _build_engine(
    brightway_dir: Path, manifest: Manifest
) -> tuple[dict[str, Product], MatrixEngine, dict[str, FlowInfo]]:
    bw2data = use_brightway_dir(brightway_dir, manifest.project)
    products: dict[str, Product] = {}
    for node in bw2data.Database(manifest.database):
        products[node["code"]] = Product(
            code=node["code"],
            name=node["name"],
            unit=node["unit"],
            location=node.get("location") or "",
            category=node.get("category") or "",
            source=node.get("source") or "",
            density_kg_per_l=node.get("density_kg_per_l"),
            brightway_id=node.id,
            reference_product=node.get("reference product") or "",
        )
    if not products:
        raise BackgroundNotBuilt(f"database {manifest.database} is empty")
    packages = _datapackages(brightway_dir, manifest)
    first = min(products.values(), key=lambda p: p.code)
    factors = _indicator_factors(bw2data, packages, manifest.flows, manifest.biosphere)
    engine = MatrixEngine.from_datapackages(
        packages["inventory"], factors, any_product_id=first.brightway_id
    )
    flows: dict[str, FlowInfo] = {}
    # An imported biosphere may hold several flows of one key (CO2 to each sub-compartment of
    # air); the first listed in the manifest stands for the key in foreground emissions.
    for code, (key, _) in sorted(manifest.flows.items(), key=lambda item: item[1][0]):
        if key in flows:
            continue
        flow_id = int(bw2data.get_node(database=manifest.biosphere, code=code).id)
        row = tuple(float(factors[name].get(flow_id, 0.0)) for name in INDICATORS)
        flows[key] = FlowInfo(key=key, brightway_id=flow_id, factors=row)
    return products, engine, flows


def _datapackages(brightway_dir: Path, manifest: Manifest) -> dict[str, Any]:
    bw2data = use_brightway_dir(brightway_dir, manifest.project)
    first = next(iter(bw2data.Database(manifest.database)))
    _, data_objs, _ = bw2data.prepare_lca_inputs({first.id: 1}, remapping=False)
    packages: dict[str, Any] = {"inventory": data_objs}
    for name, method in METHODS.items():
        packages[name] = bw2data.Method(method).datapackage()
    return packages


def _indicator_factors(
    bw2data: Any, packages: dict[str, Any], flows: dict[str, list[str]], biosphere: str
) -> dict[str, dict[int, float]]:
    """Flow id → factor for every indicator in :data:`INDICATORS`."""
    flow_ids = {code: int(bw2data.get_node(database=biosphere, code=code).id) for code in flows}
    group_of = {flow_ids[code]: group for code, (_, group) in flows.items()}
    key_of = {flow_ids[code]: key for code, (key, _) in flows.items()}
    gwp100 = characterisation_factors(packages["gwp100"])
    factors: dict[str, dict[int, float]] = {
        "gwp100": gwp100,
        "gwp20": characterisation_factors(packages["gwp20"]),
    }
    for group in GAS_GROUPS:
        factors[f"gwp100_{group}"] = {
            flow: factor for flow, factor in gwp100.items() if group_of.get(flow) == group
        }
    factors["biogenic_co2_emission_kg"] = {
        flow: 1.0 for flow, key in key_of.items() if key == "co2_biogenic"
    }
    factors["biogenic_co2_removal_kg"] = {
        flow: 1.0 for flow, key in key_of.items() if key == "co2_biogenic_uptake"
    }
    assert tuple(factors) == INDICATORS
    return factors


__all__ = [
    "Background",
    "BackgroundNotBuilt",
    "GAS_GROUPS",
    "INDICATORS",
    "Product",
    "UnknownProduct",
    "load_background",
]
