"""Build the Brightway project from ``data/``: biosphere3, the background database, the method.

The build is deterministic (sorted inputs, fixed codes) and is skipped when the manifest written
next to the project records the same content hash as ``data/`` has now.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lca.brightway import (
    BIOSPHERE_NAME,
    DATABASE_NAME,
    GWP20,
    GWP100,
    PROJECT_NAME,
    use_brightway_dir,
)
from lca.catalogue import BACKGROUND_NAME, DEFAULT_DATA_DIR, Catalogue, load_catalogue
from lca.data_check import convert_exchanges, lint
from lca.errors import LcaError
from lca.pedigree import basic_uncertainty, derive, is_estimate

MANIFEST_NAME = "cellcarbon-background.json"
# stats_arrays uncertainty type ids (stats_arrays.LognormalUncertainty.id == 2).
_NO_UNCERTAINTY = 0
_LOGNORMAL = 2

Progress = Callable[[str], None]


class InvalidBackgroundData(LcaError, ValueError):
    """The data in ``data/`` failed the linter; the build did not start."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n".join(problems[:20])
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problems in the background data:\n{shown}{more}")


@dataclass(frozen=True)
class Manifest:
    """What was built, from which data: every footprint records ``content_hash``."""

    name: str
    content_hash: str
    activities: int
    exchanges: int
    methods: list[list[str]]
    grid_regions: dict[str, dict[str, Any]]
    flows: dict[str, list[str]]  # biosphere3 code -> [flow key, gas group]
    built_at: float
    project: str = PROJECT_NAME
    database: str = DATABASE_NAME
    # The database holding the elementary flows of ``flows`` (an imported background may bring
    # its own), and where the data came from (see lca.imports).
    biosphere: str = BIOSPHERE_NAME
    source_format: str = "cellcarbon-data"

    @property
    def version(self) -> str:
        return self.content_hash[:12]


def manifest_path(brightway_dir: Path) -> Path:
    return Path(brightway_dir) / MANIFEST_NAME


def read_manifest(brightway_dir: Path) -> Manifest | None:
    path = manifest_path(brightway_dir)
    if not path.exists():
        return None
    return Manifest(**json.loads(path.read_text()))


def is_up_to_date(brightway_dir: Path, data_dir: Path = DEFAULT_DATA_DIR) -> bool:
    """True when the built project matches the content hash of ``data_dir``."""
    from lca.brightway import project_exists
    from lca.catalogue import content_hash

    manifest = read_manifest(brightway_dir)
    return (
        manifest is not None
        and manifest.content_hash == content_hash(data_dir)
        and project_exists(brightway_dir)
    )


def build_background(
    brightway_dir: Path,
    data_dir: Path = DEFAULT_DATA_DIR,
    *,
    force: bool = False,
    progress: Progress = print,
) -> Manifest:
    """Build (or keep) the Brightway project for ``data_dir``; return its manifest."""
    if not force and is_up_to_date(brightway_dir, data_dir):
        manifest = read_manifest(brightway_dir)
        assert manifest is not None
        progress(f"background {manifest.version} is up to date; nothing to build")
        return manifest
    started = time.perf_counter()
    progress("[1/5] reading and checking data/")
    catalogue = load_catalogue(data_dir)
    problems = lint(catalogue)
    if problems:
        raise InvalidBackgroundData(problems)
    bw2data = use_brightway_dir(brightway_dir, project="default")
    manifest_path(brightway_dir).unlink(missing_ok=True)
    if PROJECT_NAME in bw2data.projects:
        progress(f"[2/5] removing the previous project '{PROJECT_NAME}'")
        bw2data.projects.delete_project(PROJECT_NAME, delete_dir=True)
    else:
        progress("[2/5] creating the project")
    use_brightway_dir(brightway_dir)
    progress(f"[3/5] writing {BIOSPHERE_NAME}")
    _write_biosphere(catalogue)
    progress(
        f"[4/5] writing {DATABASE_NAME}: {len(catalogue.activities)} activities, "
        f"{len(catalogue.exchanges)} exchanges"
    )
    bw2data.Database(DATABASE_NAME).write(_database_dict(catalogue))
    progress("[5/5] registering IPCC AR6 GWP100 and GWP20")
    _write_methods(catalogue)
    manifest = Manifest(
        name=BACKGROUND_NAME,
        content_hash=catalogue.content_hash,
        activities=len(catalogue.activities),
        exchanges=len(catalogue.exchanges),
        methods=[list(GWP100), list(GWP20)],
        grid_regions={
            g.region: {
                "name": g.name,
                "country": g.country,
                "activity": g.activity,
                "residual_mix_kg_per_kwh": g.residual_mix_kg_per_kwh,
                "residual_mix_source": g.residual_mix_source,
            }
            for g in sorted(catalogue.grid_regions, key=lambda g: g.region)
        },
        flows={f.biosphere3_code: [f.key, f.gas_group] for f in catalogue.flows},
        built_at=time.time(),
    )
    manifest_path(brightway_dir).write_text(json.dumps(asdict(manifest), indent=2))
    progress(f"built background {manifest.version} in {time.perf_counter() - started:.1f} s")
    return manifest


def _write_biosphere(catalogue: Catalogue) -> None:
    """Create Brightway's default biosphere3 and check that every flow we use is in it."""
    import bw2data
    import bw2io

    bw2io.create_default_biosphere3()
    database = bw2data.Database(BIOSPHERE_NAME)
    missing = [f.key for f in catalogue.flows if not _flow_exists(database, f.biosphere3_code)]
    if missing:
        raise InvalidBackgroundData([f"flow '{key}' is not in biosphere3" for key in missing])


def _flow_exists(database: Any, code: str) -> bool:
    try:
        database.get(code)
    except Exception:  # bw2data raises its own UnknownObject
        return False
    return True


def _database_dict(catalogue: Catalogue) -> dict[tuple[str, str], dict[str, Any]]:
    converted, _ = convert_exchanges(catalogue)
    flow_codes = {f.key: f.biosphere3_code for f in catalogue.flows}
    densities = catalogue.density_by_code()
    data: dict[tuple[str, str], dict[str, Any]] = {}
    for activity in sorted(catalogue.activities, key=lambda a: a.code):
        data[(DATABASE_NAME, activity.code)] = {
            "name": activity.name,
            "reference product": activity.reference_product or activity.name,
            "unit": activity.unit,
            "location": activity.location,
            "category": activity.category,
            "source": activity.source,
            "density_kg_per_l": densities.get(activity.code),
            "type": "process",
            "exchanges": [
                {
                    "input": (DATABASE_NAME, activity.code),
                    "amount": 1.0,
                    "type": "production",
                }
            ],
        }
    location = {a.code: a.location for a in catalogue.activities}
    category = {a.code: a.category for a in catalogue.activities}
    unsized = {
        (e.activity, e.kind, e.input): e.source for e in catalogue.exchanges if e.gsd is None
    }
    for exchange in converted:
        # An estimate without its own spread gets the one its pedigree implies (lca.pedigree).
        gsd = exchange.gsd
        source = unsized.get((exchange.activity, exchange.kind, exchange.input), "")
        if gsd is None and is_estimate(source):
            pedigree = derive(source, location.get(exchange.activity, ""))
            basic = basic_uncertainty(exchange.kind, exchange.input, category.get(exchange.input))
            gsd = pedigree.gsd(basic)
        if exchange.kind == "technosphere":
            input_key = (DATABASE_NAME, exchange.input)
        else:
            input_key = (BIOSPHERE_NAME, flow_codes[exchange.input])
        data[(DATABASE_NAME, exchange.activity)]["exchanges"].append(
            {
                "input": input_key,
                "amount": exchange.amount,
                "type": exchange.kind,
                **_uncertainty(exchange.amount, gsd),
            }
        )
    return data


def _uncertainty(amount: float, gsd: float | None) -> dict[str, Any]:
    """stats_arrays fields of a lognormal with geometric SD ``gsd`` around ``amount``."""
    if gsd is None or gsd <= 1 or amount == 0:
        return {"uncertainty type": _NO_UNCERTAINTY}
    return {
        "uncertainty type": _LOGNORMAL,
        "loc": math.log(abs(amount)),
        "scale": math.log(gsd),
        "negative": amount < 0,
    }


def _write_methods(catalogue: Catalogue) -> None:
    import bw2data

    flow_codes = {f.key: f.biosphere3_code for f in catalogue.flows}
    for method, column in ((GWP100, "gwp100"), (GWP20, "gwp20")):
        factors = [
            ((BIOSPHERE_NAME, flow_codes[f.flow]), getattr(f, column))
            for f in sorted(catalogue.factors, key=lambda f: f.flow)
            if not math.isnan(getattr(f, column))
        ]
        registered = bw2data.Method(method)
        registered.register(
            unit="kg CO2e",
            description=f"IPCC AR6 {column.upper()}, factors from data/method/ipcc_ar6.csv",
        )
        registered.write(factors)
