"""JSON bodies with control characters or duplicate keys are refused with one 422 naming every
field, on every route, before anything is stored; the service never answers them with a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

NUL, DEL, C1 = "\x00", "\x7f", "\x85"


def _post(client: Any, path: str, document: Any) -> Any:
    return client.post(
        path, content=json.dumps(document), headers={"content-type": "application/json"}
    )


def _locs(response: Any) -> list[list[Any]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["loc"] for error in response.json()["errors"]]


def _count(client: Any, path: str) -> int:
    return int(client.get(path).json()["count"])


@pytest.mark.parametrize(
    ("path", "document", "loc"),
    [
        ("/v1/suppliers", {"name": f"Cathode{NUL}Co", "country": "KR"}, ["name"]),
        ("/v1/api-keys", {"name": f"key{NUL}", "scopes": ["read"]}, ["name"]),
        (
            "/v1/webhooks",
            {
                "url": "https://hooks.example.com/cc",
                "event_types": ["footprint.completed"],
                "description": f"erp{NUL}",
            },
            ["description"],
        ),
    ],
)
def test_a_nul_byte_in_a_name_is_a_422_with_its_path(
    client: Any, path: str, document: dict[str, Any], loc: list[Any]
) -> None:
    before = _count(client, path)
    response = _post(client, path, document)
    assert _locs(response) == [loc]
    assert "U+0000" in response.json()["errors"][0]["msg"]
    assert _count(client, path) == before


def test_every_control_character_in_a_bom_is_reported_at_once(
    client: Any, example_bom: dict[str, Any]
) -> None:
    before = _count(client, "/v1/boms")
    example_bom["name"] = f"pouch{NUL}"
    example_bom["lines"][0]["material"] = f"nmc811{DEL}_cam"
    example_bom["plant"]["name"] = f"plant{C1}"
    example_bom[f"odd{NUL}key"] = 1
    locs = _locs(_post(client, "/v1/boms", example_bom))
    assert sorted(map(str, locs)) == sorted(
        map(str, [["name"], ["lines", 0, "material"], ["plant", "name"], [f"odd{NUL}key"]])
    )
    assert _count(client, "/v1/boms") == before


def test_tab_line_feed_and_carriage_return_are_text(
    client: Any, example_bom: dict[str, Any]
) -> None:
    example_bom["description"] = "first line\r\nsecond\tline"
    response = _post(client, "/v1/boms", example_bom)
    assert response.status_code == 201, response.text
    assert response.json()["description"] == "first line\r\nsecond\tline"


def test_duplicate_keys_are_a_422_with_their_paths(
    client: Any, example_bom: dict[str, Any]
) -> None:
    """Built by hand: json.dumps cannot write a duplicate key."""
    before = _count(client, "/v1/boms")
    text = json.dumps(example_bom)
    text = text.replace('"name": ', '"name": "first", "name": ', 1)
    text = text.replace('"chemistry": ', '"chemistry": "LFP", "chemistry": ', 1)
    response = client.post("/v1/boms", content=text, headers={"content-type": "application/json"})
    assert sorted(map(str, _locs(response))) == sorted(map(str, [["name"], ["cell", "chemistry"]]))
    assert {e["type"] for e in response.json()["errors"]} == {"duplicate_key"}
    assert _count(client, "/v1/boms") == before


def test_a_body_without_a_content_type_is_checked_too(client: Any) -> None:
    response = client.post("/v1/suppliers", content=b'{"name": "a\\u0000b", "country": "KR"}')
    assert _locs(response) == [["name"]]


def test_a_batch_is_validated_from_the_document_the_check_decoded(
    org_client: Any, example_bom: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch route (ParsedJsonRoute) validates what the guard decoded: the request's own
    decoder is never called. A body the guard did not decode (a possible control character
    escape, here in a key the batch refuses) is still decoded, validated and refused by the
    route's own parser."""
    import starlette.requests

    bom_id = org_client.post("/v1/boms", json=example_bom).json()["id"]
    body = {"bom_id": bom_id, "variants": [{"key": "a", "grid_region": "SE"}, {"key": "b"}]}
    real_json = starlette.requests.json

    class _Counting:
        calls = 0

        def __getattr__(self, name: str) -> Any:
            return getattr(real_json, name)

        def loads(self, *args: Any, **kwargs: Any) -> Any:
            _Counting.calls += 1
            return real_json.loads(*args, **kwargs)

    monkeypatch.setattr(starlette.requests, "json", _Counting())
    answer = _post(org_client, "/v1/footprints/batch", body)
    assert answer.status_code == 200, answer.text
    assert [json.loads(line)["key"] for line in answer.text.splitlines()] == ["a", "b"]
    assert _Counting.calls == 0
    # Another route decodes the body itself, as FastAPI does.
    assert _post(org_client, "/v1/suppliers", {"name": "Cathode Co", "country": "KR"}).is_success
    assert _Counting.calls == 1
    # A field the schema refuses is still the route's 422, at its path.
    refused = _post(org_client, "/v1/footprints/batch", {**body, "top": 99})
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["top"]
