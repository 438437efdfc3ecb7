"""Material mapping onto an imported background: suggestions, unit checks, missing mappings."""

from __future__ import annotations

from pathlib import Path

import pytest

from lca.background import load_background
from lca.imports.mapping import (
    MaterialMapping,
    MissingMappings,
    compute_mapped,
    materials_of,
    suggest,
    unit_factor,
)
from tests.lca.imports.helpers import BOM, mapping_by_suggestion


def _imported(ecospold2_import):  # type: ignore[no-untyped-def]
    result, _ = ecospold2_import
    return load_background(Path(result.descriptor.brightway_dir))


def test_unit_factors() -> None:
    """1 kg = 1 kilogram = 0.001 ton; 1 kWh = 3.6 MJ; kg and kWh do not convert."""
    assert unit_factor("kg", "kilogram") == 1.0
    assert unit_factor("kg", "ton") == pytest.approx(0.001)
    assert unit_factor("kWh", "megajoule") == pytest.approx(3.6)
    assert unit_factor("kg", "kilowatt hour") is None
    assert unit_factor("kg", "parsec of bananas") is None


def test_suggestions_rank_by_name_product_and_location(ecospold2_import, direct_background) -> None:  # type: ignore[no-untyped-def]
    imported = _imported(ecospold2_import)
    copper = materials_of(direct_background)["copper"]
    best, *rest = suggest(copper, imported, limit=3)
    assert (best.name, best.location, best.unit_factor) == ("copper production, primary", "CL", 1.0)
    assert all(best.score > s.score for s in rest)


def test_incompatible_units_rank_last(ecospold2_import, direct_background) -> None:  # type: ignore[no-untyped-def]
    """Electricity (kWh) suggestions for a kg material come after every kg activity."""
    imported = _imported(ecospold2_import)
    steel = materials_of(direct_background)["steel"]
    suggestions = suggest(steel, imported, limit=12)
    factors = [s.unit_factor for s in suggestions]
    first_none = factors.index(None)
    assert all(f is None for f in factors[first_none:])
    assert all(f == 1.0 for f in factors[:first_none])


def test_bom_with_unmapped_materials_names_each(ecospold2_import, direct_background) -> None:  # type: ignore[no-untyped-def]
    imported = _imported(ecospold2_import)
    full = mapping_by_suggestion(direct_background, imported)
    partial = MaterialMapping(
        full.background_version,
        {k: v for k, v in full.entries.items() if k not in ("graphite", "electrolyte")},
    )
    with pytest.raises(MissingMappings) as info:
        compute_mapped(imported, BOM, partial, materials_of(direct_background), 0.2)
    assert {p.material for p in info.value.problems} == {"graphite", "electrolyte"}


def test_mapping_to_an_activity_in_another_unit_is_refused(
    ecospold2_import, direct_background
) -> None:  # type: ignore[no-untyped-def]
    imported = _imported(ecospold2_import)
    mapping = mapping_by_suggestion(direct_background, imported)
    entries = dict(mapping.entries, copper=mapping.entries["electricity_mix"])
    with pytest.raises(MissingMappings) as info:
        compute_mapped(
            imported,
            BOM,
            MaterialMapping(mapping.background_version, entries),
            materials_of(direct_background),
            0.2,
        )
    (problem,) = info.value.problems
    assert problem.material == "copper" and "kilowatt hour" in problem.detail


def test_mapping_made_for_another_version_is_refused(ecospold2_import, direct_background) -> None:  # type: ignore[no-untyped-def]
    imported = _imported(ecospold2_import)
    mapping = mapping_by_suggestion(direct_background, imported)
    stale = MaterialMapping("0" * 64, mapping.entries)
    with pytest.raises(MissingMappings, match="000000000000"):
        compute_mapped(imported, BOM, stale, materials_of(direct_background), 0.2)


def test_amounts_converted_to_the_activity_unit(ecospold2_import, direct_background) -> None:  # type: ignore[no-untyped-def]
    """A BOM in the material's unit (kg); the line is priced per the activity's unit (kilogram,
    factor 1): 0.05 kg copper × 2.4248 = 0.12124 kg CO2e."""
    imported = _imported(ecospold2_import)
    mapping = mapping_by_suggestion(direct_background, imported)
    result = compute_mapped(imported, BOM, mapping, materials_of(direct_background), 0.2)
    foil = next(line for line in result.lines if line.label == "foil")
    assert foil.kg_co2e == pytest.approx(0.12124, rel=1e-7)
    assert foil.unit == "kilogram"
