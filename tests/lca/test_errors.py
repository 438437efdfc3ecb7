"""The core's errors: one base, input errors carrying field problems, old bases kept."""

from __future__ import annotations

import pytest

from lca.background import BackgroundNotBuilt, UnknownProduct
from lca.bom import BomError
from lca.bom import FieldProblem as BomFieldProblem
from lca.build import InvalidBackgroundData
from lca.errors import FieldProblem, InputError, LcaError
from lca.lifecycle import LifecycleError
from lca.passport import PassportError
from lca.plant.model import PlantDataError
from lca.rulesets.model import RulesetInputError, UnknownRuleset
from lca.scenarios import ScenarioError
from lca.supplier import SupplierDataError
from lca.units import UnitError, parse_quantity


def test_input_errors_share_one_base_and_stay_value_errors() -> None:
    for cls in (
        BomError,
        UnitError,
        ScenarioError,
        SupplierDataError,
        LifecycleError,
        PlantDataError,
        PassportError,
        RulesetInputError,
    ):
        assert issubclass(cls, InputError) and issubclass(cls, ValueError), cls
        assert issubclass(cls, LcaError)


def test_other_core_errors_keep_their_bases() -> None:
    assert issubclass(BackgroundNotBuilt, LcaError) and issubclass(BackgroundNotBuilt, RuntimeError)
    assert issubclass(UnknownProduct, LcaError) and issubclass(UnknownProduct, KeyError)
    assert issubclass(UnknownRuleset, LcaError) and issubclass(UnknownRuleset, KeyError)
    assert issubclass(InvalidBackgroundData, LcaError)
    assert not issubclass(BackgroundNotBuilt, InputError)


def test_bom_module_re_exports_the_one_field_problem() -> None:
    assert BomFieldProblem is FieldProblem
    assert FieldProblem(("lines", 0), "bad").type == "value_error"


def test_pair_problems_become_field_problems_and_keep_their_pairs() -> None:
    """SupplierDataError was built from (path, reason) pairs; callers still read them, and the
    field problems say the same thing."""
    error = SupplierDataError([(("output", "amount"), "must be positive"), (("period",), "empty")])
    assert error.problems == [(("output", "amount"), "must be positive"), (("period",), "empty")]
    assert error.field_problems == (
        FieldProblem(("output", "amount"), "must be positive"),
        FieldProblem(("period",), "empty"),
    )
    assert str(error) == "output.amount: must be positive; period: empty"


def test_lifecycle_error_names_its_field() -> None:
    error = LifecycleError(("distribution", "legs", 0, "mode"), "mode 'air' is not allowed")
    assert error.field == ("distribution", "legs", 0, "mode")
    assert error.field_problems == (
        FieldProblem(("distribution", "legs", 0, "mode"), "mode 'air' is not allowed"),
    )


def test_a_unit_error_is_caught_as_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        parse_quantity("12 furlongs per fortnight")
    assert isinstance(caught.value, UnitError)
    assert caught.value.field_problems == ()  # the caller knows the field
