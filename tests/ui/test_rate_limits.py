"""Rate limits of the web interface: pages spend their key's API budget (429 page with
Retry-After beyond it), and failed sign-ins are limited per client address."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient

from tests.conftest import make_organisation

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _attempt(browser: TestClient, key: str) -> tuple[int, str, dict[str, str]]:
    form = browser.get("/ui/sign-in")
    answer = browser.post(
        "/ui/sign-in",
        data={"api_key": key, "csrf_token": _CSRF.search(form.text).group(1)},  # type: ignore[union-attr]
        follow_redirects=False,
    )
    return answer.status_code, answer.text, dict(answer.headers)


def test_failed_sign_ins_are_limited_per_address_and_successes_do_not_count(settings) -> None:  # type: ignore[no-untyped-def]
    """A limit of 3 failures a minute: a good key signs in any number of times; three wrong
    keys from one address, and the fourth attempt — even with the good key — is a 429 page
    with Retry-After; another address is not affected."""
    from app.main import create_app

    limited = create_app(settings.model_copy(update={"ui_sign_in_failures_per_minute": 3}))
    token = make_organisation(settings, f"ui limit {uuid.uuid4().hex[:8]}")
    wrong = "cc_000000000000_" + "x" * 43
    address = f"192.0.2.{uuid.uuid4().int % 250 + 1}"
    with TestClient(limited, client=(address, 50000)) as browser:
        for _ in range(5):
            assert _attempt(browser, token)[0] == 303
            browser.cookies.clear()
        for _ in range(3):
            assert _attempt(browser, wrong)[0] == 401
        status, text, headers = _attempt(browser, token)
        assert status == 429 and "Too many failed sign-ins" in text
        assert int(headers["retry-after"]) >= 1
        assert 'id="api_key"' in text  # still the sign-in form, with a fresh CSRF token
    with TestClient(limited, client=("198.51.100.7", 50000)) as other:
        assert _attempt(other, token)[0] == 303


def test_pages_spend_the_keys_api_budget(settings) -> None:  # type: ignore[no-untyped-def]
    """With 5 requests a minute per key: the page carries the RateLimit headers; after the
    budget is spent (pages and API calls together), the next page is a 429 page."""
    from app.main import create_app

    limited = create_app(settings.model_copy(update={"rate_limit_per_minute": 5}))
    token = make_organisation(settings, f"ui budget {uuid.uuid4().hex[:8]}")
    with TestClient(limited) as browser:
        assert _attempt(browser, token)[0] == 303  # signing in spends nothing
        first = browser.get("/ui/boms")
        assert first.status_code == 200 and first.headers["ratelimit-limit"] == "5"
        assert first.headers["ratelimit-remaining"] == "4"
        api = browser.get("/v1/boms", headers={"Authorization": f"Bearer {token}"})
        assert api.headers["ratelimit-remaining"] == "3"
        statuses = [browser.get("/ui/suppliers").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = browser.get("/ui/plants")
        assert refused.status_code == 429 and "Too many requests" in refused.text
        assert "text/html" in refused.headers["content-type"]
        assert int(refused.headers["retry-after"]) >= 1
