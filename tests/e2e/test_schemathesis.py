"""Property-based API tests from our own OpenAPI description (schemathesis, bounded examples).

Every operation gets generated requests (valid and invalid); none may answer 5xx, and every
response must match the schema the operation declares. ``make fuzz`` runs many more examples
(``CELLCARBON_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import os
import traceback

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

EXAMPLES = int(os.environ.get("CELLCARBON_FUZZ_EXAMPLES", "6"))


def _checker(strategy, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    @settings(
        max_examples=EXAMPLES,
        phases=[Phase.explicit, Phase.generate],  # report, don't spend minutes shrinking
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        case = data.draw(strategy)
        # Schema-valid is not enough for our API: "12 kWh" is a valid string but not a mass,
        # and the 422 that says so is right. Every other check applies.
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    return check


def test_no_server_errors_and_responses_match_the_schema(app, admin_token) -> None:  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {admin_token}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(("/v1/", "/health")):
            continue  # the PACT API has its own OAuth2 and is exercised by tests/pact
        operations += 1
        try:
            _checker(operation.as_strategy(), headers)()
        except Exception as exc:  # collect every operation's failure, then report them all
            details = "".join(traceback.format_exception_only(exc))
            for sub in getattr(exc, "exceptions", ()):
                details += "".join(traceback.format_exception_only(sub))[:1500]
            failures.append(f"{operation.label}: {details}")
    assert operations >= 20
    assert not failures, "\n\n".join(failures)
