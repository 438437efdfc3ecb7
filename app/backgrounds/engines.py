"""Imported backgrounds resident in this process, within the memory budget of the settings.

One :class:`~lca.imports.resident.ResidentBackgrounds` per process (per budget): an engine is
read from its cache on first use (a cold start: arrays only, no factorisation), kept while it is
used, and the least recently used are evicted once their arrays exceed the budget.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from app.core.errors import BackgroundUnavailable
from app.core.settings import Settings
from lca.background import Background, BackgroundNotBuilt
from lca.imports.resident import ResidentBackgrounds

_lock = threading.Lock()
_resident: dict[int, ResidentBackgrounds] = {}
# Seconds the last cold starts took, by version (what /v1/backgrounds/{id} reports).
cold_starts: dict[str, float] = {}


def resident(settings: Settings) -> ResidentBackgrounds:
    """The process's resident engines for this memory budget."""
    budget = settings.backgrounds_memory_bytes
    with _lock:
        if budget not in _resident:
            _resident[budget] = ResidentBackgrounds(budget_bytes=budget)
        return _resident[budget]


def background_directory(settings: Settings, version: str) -> Path:
    return settings.backgrounds_root / version


def imported_engine(settings: Settings, version: str) -> Background:
    """The imported background ``version``, loaded from its cache if it is not resident."""
    engines = resident(settings)
    loads = engines.loads
    started = time.perf_counter()
    try:
        background = engines.get(background_directory(settings, version))
    except (BackgroundNotBuilt, FileNotFoundError) as exc:
        raise BackgroundUnavailable(
            f"imported background {version[:12]} is registered but its files are missing: {exc}"
        ) from None
    if engines.loads != loads:
        cold_starts[version] = time.perf_counter() - started
    return background


def discard(settings: Settings, version: str) -> None:
    """Evict ``version`` from this process and delete its Brightway directory (its background
    was deleted and no organisation registers that version any more). Other processes drop
    their copy when they next fail to find it, or on eviction."""
    resident(settings).evict(version)
    cold_starts.pop(version, None)
    shutil.rmtree(background_directory(settings, version), ignore_errors=True)


def forget_engines() -> None:
    """Drop every resident imported engine (between tests)."""
    with _lock:
        _resident.clear()
        cold_starts.clear()
