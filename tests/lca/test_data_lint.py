"""The linter passes on the shipped data and catches each kind of defect on a broken copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lca.catalogue import DEFAULT_DATA_DIR, load_catalogue
from lca.data_check import lint, plain_system, unit_scores
from tests.toy import write_toy_data


def test_shipped_data_passes_the_linter() -> None:
    catalogue = load_catalogue(DEFAULT_DATA_DIR)
    assert lint(catalogue) == []
    assert len(catalogue.activities) >= 100
    assert all(e.source for e in catalogue.exchanges)


def test_every_exchange_source_names_a_document_or_says_it_is_an_estimate() -> None:
    """A source is more than a word: at least a title-like phrase or an explicit estimate."""
    for exchange in load_catalogue(DEFAULT_DATA_DIR).exchanges:
        assert len(exchange.source) >= 12, (exchange.origin, exchange.source)


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    return write_toy_data(tmp_path / "data")


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text() + line + "\n")


def _problems(data: Path) -> str:
    return "\n".join(lint(load_catalogue(data)))


def test_missing_source(broken: Path) -> None:
    _append(broken / "background/exchanges/toy.csv", "steel,technosphere,solvent,1,g,,")
    assert "no source" in _problems(broken)


def test_bad_unit_and_wrong_dimension(broken: Path) -> None:
    _append(broken / "background/exchanges/toy.csv", "steel,technosphere,solvent,1,blorbs,,toy x")
    _append(broken / "background/exchanges/toy.csv", "steel,technosphere,solvent,1,kWh,,toy x")
    problems = _problems(broken)
    assert "not a quantity Pint understands" in problems
    assert "expected a mass" in problems


def test_two_producers_of_one_product(broken: Path) -> None:
    _append(broken / "background/activities/toy.csv", "steel,steel again,steel,kg,GLO,material,toy")
    assert "has several producers" in _problems(broken)


def test_unknown_reference_and_uncharacterised_flow(broken: Path) -> None:
    _append(broken / "background/exchanges/toy.csv", "steel,technosphere,unobtainium,1,kg,,toy x")
    _append(broken / "background/exchanges/toy.csv", "steel,biosphere,nf3,1,g,,toy x")
    problems = _problems(broken)
    assert "no activity produces 'unobtainium'" in problems
    assert "'nf3' is used but has no characterisation factor" in problems


def test_gas_group_the_footprint_does_not_report(broken: Path) -> None:
    """A flow in a group outside lca.background.GAS_GROUPS would vanish from the by-gas split."""
    flows = broken / "method/flows.csv"
    flows.write_text(flows.read_text().replace(",n2o,", ",nitrous,", 1))
    assert "gas group 'nitrous' of 'n2o' is not one of" in _problems(broken)


def test_orphan_activity(broken: Path) -> None:
    _append(broken / "background/activities/toy.csv", "lonely,lonely,lonely,kg,GLO,material,toy")
    assert "'lonely' is an orphan" in _problems(broken)


def test_singular_technosphere(broken: Path) -> None:
    """Steel needs 1 kg solvent per kg and solvent 1 kg steel per kg: I − A is singular."""
    _append(broken / "background/exchanges/toy.csv", "steel,technosphere,solvent,1,kg,,toy x")
    _append(broken / "background/exchanges/toy.csv", "solvent,technosphere,steel,1,kg,,toy x")
    assert "singular" in _problems(broken)


def test_plain_scores_agree_with_the_brightway_build(real_background) -> None:  # type: ignore[no-untyped-def]
    """Two independent assemblies of the same data (scipy from CSV; bw2calc from the project)."""
    plain = unit_scores(plain_system(load_catalogue(DEFAULT_DATA_DIR)))
    for code, score in plain.items():
        # Brightway stores amounts as float32: agreement is to ~1e-6 relative.
        assert real_background.unit_score(code) == pytest.approx(score, rel=2e-5, abs=1e-9), code


def test_data_dir_copy_has_the_same_hash(tmp_path: Path) -> None:
    from lca.catalogue import content_hash

    copy = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, copy)
    assert content_hash(copy) == content_hash(DEFAULT_DATA_DIR)
    _append(copy / "background/exchanges/energy.csv", "")
    assert content_hash(copy) != content_hash(DEFAULT_DATA_DIR)
