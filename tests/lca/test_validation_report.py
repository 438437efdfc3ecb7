"""data/VALIDATION.md is generated: rendering it again from data/ gives the committed file."""

from __future__ import annotations

import pytest

from lca.catalogue import DEFAULT_DATA_DIR
from lca.validation_report import fill_placeholders, render


def test_committed_validation_md_is_what_the_generator_renders(real_background) -> None:  # type: ignore[no-untyped-def]
    committed = (DEFAULT_DATA_DIR / "VALIDATION.md").read_text(encoding="utf-8")
    assert render(real_background) == committed, (
        "data/VALIDATION.md is stale: run python -m lca.validation_report --write"
    )


def test_placeholders_are_filled_and_unknown_ones_refused() -> None:
    assert fill_placeholders("a {x.y} b {{z}}", {"x.y": "1.5"}) == "a 1.5 b {z}"
    with pytest.raises(KeyError, match="nope"):
        fill_placeholders("{nope}", {})
