"""Several backgrounds resident in one process, within a memory budget.

Each background is loaded from its engine cache (``<dir>/engine/<version>/``: arrays only, no
bw2data, no factorisation), so bringing one back after eviction costs a file read. The least
recently used are evicted once the resident engines' arrays exceed the budget; the one just asked
for is always kept, even alone above the budget (it is needed to answer).

Sizes are what the arrays hold (unit scores, direct scores, the sparse A, B and indicator
matrices, and the LU factors once a supply vector has been asked for), not the Python objects
around them. An ecoinvent-sized engine (20,000 products) holds ~100 MB with its factorisation.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from lca.background import Background, load_background
from lca.build import read_manifest

DEFAULT_BUDGET_BYTES = 1 << 30  # 1 GiB: about ten ecoinvent-sized engines


def engine_bytes(background: Background) -> int:
    """Bytes held by a background's engine arrays (LU factors included once computed)."""
    engine = background.engine
    total = 0
    for array in (
        engine.unit_scores,
        engine.direct_scores,
        engine.product_ids,
        engine.activity_ids,
        engine.flow_ids,
    ):
        total += np.asarray(array).nbytes
    for matrix in (engine.technosphere, engine.biosphere, engine.indicators):
        total += _sparse_bytes(matrix)
    lu = getattr(engine, "_lu", None)
    if lu is not None:
        total += _sparse_bytes(lu.L) + _sparse_bytes(lu.U) + 2 * lu.perm_c.nbytes
    return total


def _sparse_bytes(matrix: sp.spmatrix) -> int:
    compressed = matrix if hasattr(matrix, "indptr") else sp.csc_matrix(matrix)
    return int(compressed.data.nbytes + compressed.indices.nbytes + compressed.indptr.nbytes)


class ResidentBackgrounds:
    """Backgrounds by version, least recently used evicted past ``budget_bytes``."""

    def __init__(
        self,
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
        loader: Callable[[Path], Background] = load_background,
    ) -> None:
        self.budget_bytes = budget_bytes
        self._loader = loader
        self._lock = threading.Lock()
        self._resident: OrderedDict[str, Background] = OrderedDict()
        self.loads = 0  # how many times a background was read from disk

    def get(self, brightway_dir: Path) -> Background:
        """The background built in ``brightway_dir``, loaded on first use or after eviction."""
        manifest = read_manifest(Path(brightway_dir))
        if manifest is None:
            from lca.background import BackgroundNotBuilt

            raise BackgroundNotBuilt(f"no background in {brightway_dir}")
        version = manifest.content_hash
        with self._lock:
            background = self._resident.get(version)
            if background is not None:
                self._resident.move_to_end(version)
                return background
            background = self._loader(Path(brightway_dir))
            self.loads += 1
            self._resident[version] = background
            self._evict(keep=version)
            return background

    def _evict(self, keep: str) -> None:
        while self.memory_bytes() > self.budget_bytes and len(self._resident) > 1:
            oldest = next(iter(self._resident))
            if oldest == keep:
                self._resident.move_to_end(oldest)
                continue
            del self._resident[oldest]

    def memory_bytes(self) -> int:
        return sum(engine_bytes(b) for b in self._resident.values())

    @property
    def versions(self) -> list[str]:
        """Resident versions, least recently used first."""
        with self._lock:
            return list(self._resident)
