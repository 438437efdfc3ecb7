"""Fixtures of the web interface's tests."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import make_organisation
from tests.ui.test_pages import sign_in


@pytest.fixture(scope="session")
def spring_hill(app, settings, real_background) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The example plant month loaded into a new organisation, and a signed-in browser of it."""
    from app.core.runtime import get_engine
    from app.plants.example import load_spring_hill, organisation_id

    name = f"ui plants {uuid.uuid4().hex[:8]}"
    token = make_organisation(settings, name)
    engine = get_engine(settings)
    owner = organisation_id(engine, name)
    assert owner is not None
    loaded = load_spring_hill(engine, owner, real_background)
    browser, csrf = sign_in(app, token)
    return {"browser": browser, "token": token, "loaded": loaded, "csrf": csrf}
