"""Several imported backgrounds in one process, least recently used evicted past a budget."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lca.background import load_background
from lca.imports.resident import ResidentBackgrounds, engine_bytes


@pytest.fixture
def three_dirs(ecospold2_import, jsonld_import, simapro_import) -> list[Path]:  # type: ignore[no-untyped-def]
    ecospold2, _ = ecospold2_import
    return [Path(r.descriptor.brightway_dir) for r in (ecospold2, jsonld_import, simapro_import)]


def test_least_recently_used_is_evicted(three_dirs: list[Path]) -> None:
    """A budget that holds two of the three: asking for A, B, A, C evicts B (A was used after
    it), and asking for B again reads it from its cache a second time."""
    a, b, c = three_dirs
    sizes = [engine_bytes(load_background(d)) for d in three_dirs]
    resident = ResidentBackgrounds(budget_bytes=sizes[0] + max(sizes[1], sizes[2]))
    first_a = resident.get(a)
    resident.get(b)
    assert resident.get(a) is first_a  # still resident: no second load
    resident.get(c)
    versions = [load_background(d).version for d in three_dirs]
    assert resident.versions == [versions[0], versions[2]]
    assert resident.loads == 3
    resident.get(b)
    assert resident.loads == 4
    assert versions[1] in resident.versions
    assert resident.memory_bytes() <= resident.budget_bytes


def test_one_background_above_the_budget_is_still_served(three_dirs: list[Path]) -> None:
    resident = ResidentBackgrounds(budget_bytes=1)
    background = resident.get(three_dirs[0])
    assert resident.versions == [background.version]
    resident.get(three_dirs[1])
    assert resident.versions == [load_background(three_dirs[1]).version]


def test_factorisation_counts_once_computed(three_dirs: list[Path]) -> None:
    background = load_background(three_dirs[0])
    before = engine_bytes(background)
    background.engine.factorised()
    assert engine_bytes(background) > before


def test_cold_start_from_the_cache_needs_no_brightway(three_dirs: list[Path]) -> None:
    """The cache holds arrays only: loading is a file read (< 3 s; ~ms for this system)."""
    started = time.perf_counter()
    background = load_background(three_dirs[0])
    assert time.perf_counter() - started < 3.0
    assert background.engine.unit_scores.shape[0] == 12
