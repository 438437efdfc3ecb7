"""Batch scoring of variants equals one footprint per variant (lca.scenarios.compare and
lca.footprint.compute) to 1e-12, and a variant that cannot be applied gets its own problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lca.batch import Variant, VariantProblem, VariantScores, score_variants
from lca.bom import normalise_bom
from lca.footprint import ForegroundProcess, compute
from lca.scenarios import Scenario, compare

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "examples" / "nmc811_pouch.json"


@pytest.fixture(scope="module")
def base(real_background):  # type: ignore[no-untyped-def]
    return normalise_bom(json.loads(EXAMPLE.read_text()), real_background)


def _scenarios(real_background, base) -> list[Scenario]:  # type: ignore[no-untyped-def]
    materials = sorted({line.material for line in base.lines})
    regions = sorted(real_background.grid_regions)
    scenarios = [Scenario(name="baseline")]
    for n, region in enumerate(regions):
        scenarios.append(
            Scenario(
                name=f"grid-{region}",
                grid_region=region,
                recycled_share={"Ni": 0.1 * (n % 4)} if n % 2 else {},
            )
        )
    if "graphite_synthetic_cn" in materials:
        scenarios.append(
            Scenario(
                name="natural-graphite",
                substitutions={"graphite_synthetic_cn": "graphite_natural_cn"},
                recycled_share={"Co": 0.3, "Li": 0.2},
            )
        )
    return scenarios


def test_batch_equals_one_comparison_per_variant(real_background, base) -> None:  # type: ignore[no-untyped-def]
    scenarios = _scenarios(real_background, base)
    variants = [Variant(key=s.name, scenario=s) for s in scenarios]
    batch = score_variants(real_background, base, variants)
    assert [r.key for r in batch] == [s.name for s in scenarios]
    for scores, scenario in zip(batch, scenarios, strict=True):
        assert isinstance(scores, VariantScores)
        single = compare(real_background, base, [scenario])[0].footprint
        assert scores.kg_co2e_per_cell == pytest.approx(single.kg_co2e, rel=1e-12)
        assert scores.kg_co2e_per_kwh == pytest.approx(single.kg_co2e_per_kwh, rel=1e-12)
        assert scores.kg_co2e_per_cell_gwp20 == pytest.approx(single.kg_co2e_gwp20, rel=1e-12)
        # No supplier data: market-based equals location-based.
        assert scores.kg_co2e_per_cell_market_based == pytest.approx(single.kg_co2e, rel=1e-12)
        largest = max(single.lines, key=lambda line: abs(line.kg_co2e))
        assert scores.top[0].label == largest.label
        assert scores.top[0].kg_co2e == pytest.approx(largest.kg_co2e, rel=1e-12)


def test_supplier_processes_price_each_basis(real_background, base) -> None:  # type: ignore[no-untyped-def]
    """Line 1 from a supplier whose location-based process is 1 kWh of the KR grid per kg and
    whose market-based one is 0.1 kg of direct fossil CO2 per kg; a variant swaps every line of
    another material to another such supplier. Each basis equals compute() on its own inputs."""
    first = base.lines[0]
    second = next(line for line in base.lines if line.material != first.material)
    swapped_positions = [line.position for line in base.lines if line.material == second.material]
    location = ForegroundProcess(
        code="s1:location",
        product=first.material,
        inputs=(("electricity_grid_kr", 1.0),),
        emissions=(),
    )
    market = ForegroundProcess(
        code="s1:market", product=first.material, inputs=(), emissions=(("co2_fossil", 0.1),)
    )
    swap_location = ForegroundProcess(
        code="s2:location",
        product=second.material,
        inputs=(("electricity_grid_se", 2.0),),
        emissions=(),
    )
    swap_market = ForegroundProcess(
        code="s2:market", product=second.material, inputs=(), emissions=(("co2_fossil", 0.2),)
    )
    processes = {"location_based": {0: location}, "market_based": {0: market}}
    variants = [
        Variant(key="as-is"),
        Variant(
            key="swap",
            scenario=Scenario(name="swap", supplier_swaps={second.material: swap_location}),
            market_swaps={second.material: swap_market},
        ),
    ]
    as_is, swapped = score_variants(real_background, base, variants, processes)
    assert isinstance(as_is, VariantScores) and isinstance(swapped, VariantScores)
    inputs = base.foreground_inputs()

    def expected(chosen: dict[int, ForegroundProcess]) -> float:
        changed = list(inputs)
        for position, process in chosen.items():
            changed[position] = changed[position].__class__(
                **{**changed[position].__dict__, "product": process.code}
            )
        procs = {p.code: p for p in chosen.values()}
        return compute(real_background, changed, base.nominal_energy_kwh, procs).kg_co2e

    assert as_is.kg_co2e_per_cell == pytest.approx(expected({0: location}), rel=1e-12)
    assert as_is.kg_co2e_per_cell_market_based == pytest.approx(expected({0: market}), rel=1e-12)
    assert swapped.kg_co2e_per_cell == pytest.approx(
        expected({0: location, **dict.fromkeys(swapped_positions, swap_location)}), rel=1e-12
    )
    assert swapped.kg_co2e_per_cell_market_based == pytest.approx(
        expected({0: market, **dict.fromkeys(swapped_positions, swap_market)}), rel=1e-12
    )
    assert swapped.kg_co2e_per_cell != pytest.approx(as_is.kg_co2e_per_cell, rel=1e-6)


def test_an_invalid_variant_gets_its_problem_and_the_others_are_scored(  # type: ignore[no-untyped-def]
    real_background, base
) -> None:
    variants = [
        Variant(key="ok", scenario=Scenario(name="ok", grid_region="SE")),
        Variant(key="bad-region", scenario=Scenario(name="x", grid_region="XX-NOWHERE")),
        Variant(
            key="bad-material", scenario=Scenario(name="y", substitutions={"nope": "nmc811_cam"})
        ),
        Variant(key="bad-share", scenario=Scenario(name="z", recycled_share={"Ni": 1.5})),
        Variant(key="ok2", scenario=Scenario(name="ok2", grid_region="CN")),
    ]
    results = score_variants(real_background, base, variants)
    assert [r.key for r in results] == [v.key for v in variants]
    assert isinstance(results[0], VariantScores) and isinstance(results[4], VariantScores)
    for problem in results[1:4]:
        assert isinstance(problem, VariantProblem)
    assert "XX-NOWHERE" in results[1].msg  # type: ignore[union-attr]
    assert "nope" in results[2].msg  # type: ignore[union-attr]
    assert results[3].loc == ("scenario", "recycled_share")  # type: ignore[union-attr]


def test_variants_sharing_changes_share_one_pricing_and_keep_their_keys(
    real_background, base
) -> None:  # type: ignore[no-untyped-def]
    """Variants with the same changes are priced once per background view; each still gets
    its own key, in the order given, and the figures it would get alone (bit for bit)."""
    same = {"grid_region": "CN", "substitutions": {"graphite_synthetic_cn": "graphite_natural_cn"}}
    variants = [
        Variant("a", Scenario(name="a", **same)),  # type: ignore[arg-type]
        Variant("b", Scenario(name="b", recycled_share={"Ni": 0.3}, **same)),  # type: ignore[arg-type]
        Variant("c", Scenario(name="c", **same)),  # type: ignore[arg-type]
        Variant("d", Scenario(name="d", grid_region="SE")),
    ]
    together = score_variants(real_background, base, variants)
    alone = [score_variants(real_background, base, [v])[0] for v in variants]
    assert [r.key for r in together] == ["a", "b", "c", "d"]
    for shared, single in zip(together, alone, strict=True):
        assert shared == single
    assert isinstance(together[1], VariantScores) and isinstance(together[0], VariantScores)
    assert together[1].kg_co2e_per_cell < together[0].kg_co2e_per_cell  # recycled Ni is lower


def test_chunks_reuse_priced_foregrounds_and_equal_one_run(real_background, base) -> None:  # type: ignore[no-untyped-def]
    """A streamed answer prices each foreground once per background view and later chunks take
    its figures: chunks of 3, with repeated changes under shared scenario objects, give exactly
    (bit for bit) what one run over every variant gives, problems in place."""
    from lca.batch import chunks

    scenarios = _scenarios(real_background, base)
    unknown = Scenario(name="unknown", substitutions={"graphite_synthetic_cn": "unobtainium"})
    # Variants sharing scenario objects, as a batch request's equal changes do.
    variants = [
        Variant(key=f"{s.name}-{n}", scenario=s) for n in range(3) for s in [*scenarios, unknown]
    ]
    whole = score_variants(real_background, base, variants)
    streamed = [
        row for chunk in chunks(real_background, base, variants, size=3) for row in chunk.rows()
    ]
    assert streamed == whole
    assert isinstance(whole[len(scenarios)], VariantProblem)
