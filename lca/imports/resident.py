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

from lca.background import Background, load_background
from lca.build import read_manifest

DEFAULT_BUDGET_BYTES = 1 << 30  # 1 GiB: about ten ecoinvent-sized engines


def engine_bytes(background: Background) -> int:
    """Bytes held by a background's engine arrays (LU factors included once computed)."""
    return background.engine.nbytes()


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

    def evict(self, version: str) -> bool:
        """Drop ``version`` (its background was deleted); whether it was resident."""
        with self._lock:
            return self._resident.pop(version, None) is not None

    def memory_bytes(self) -> int:
        return sum(engine_bytes(b) for b in self._resident.values())

    @property
    def versions(self) -> list[str]:
        """Resident versions, least recently used first."""
        with self._lock:
            return list(self._resident)
