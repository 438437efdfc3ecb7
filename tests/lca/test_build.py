"""The build is skipped when data/ is unchanged, redone when it changes, and deterministic."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lca.background import load_background
from lca.build import build_background, is_up_to_date
from tests.toy import write_toy_data


def test_rebuild_only_when_data_changes(tmp_path: Path) -> None:
    data = write_toy_data(tmp_path / "data")
    brightway = tmp_path / "bw"
    messages: list[str] = []
    first = build_background(brightway, data, progress=messages.append)
    assert is_up_to_date(brightway, data)
    again = build_background(brightway, data, progress=messages.append)
    assert again.content_hash == first.content_hash
    assert messages[-1].endswith("is up to date; nothing to build")
    exchanges = data / "background/exchanges/toy.csv"
    exchanges.write_text(
        exchanges.read_text().replace(
            "steel,biosphere,co2_fossil,1,kg", "steel,biosphere,co2_fossil,2,kg"
        )
    )
    assert not is_up_to_date(brightway, data)
    changed = build_background(brightway, data, progress=messages.append)
    assert changed.content_hash != first.content_hash
    # One more kg of direct CO2 per kg of steel: 2.6196 + 1.
    assert abs(load_background(brightway).unit_score("steel") - 3.6196) < 1e-6


def test_build_is_deterministic(tmp_path: Path) -> None:
    data = write_toy_data(tmp_path / "data")
    scores = []
    for name in ("one", "two"):
        build_background(tmp_path / name, data, progress=lambda _: None)
        background = load_background(tmp_path / name)
        scores.append(np.array([background.unit_score_row(c) for c in sorted(background.products)]))
    np.testing.assert_array_equal(scores[0], scores[1])


def test_brightway_writes_only_where_it_is_told(tmp_path: Path) -> None:
    """bw2data keeps its projects in the directory we select, not the user's home."""
    import bw2data

    data = write_toy_data(tmp_path / "data")
    build_background(tmp_path / "bw", data, progress=lambda _: None)
    assert Path(bw2data.projects._base_data_dir).resolve() == (tmp_path / "bw").resolve()
    assert (tmp_path / "bw" / "cellcarbon-background.json").exists()
