"""Methods a footprint on an imported background may use: the project's IPCC AR6 GWP100 (the
default), or a climate method shipped with the import (e.g. an openLCA package's EF 3.1 climate
change category), registered at import as ``("shipped", <name>)``.

A method is named by the words of its Brightway name joined by spaces (``IPCC AR6 GWP100``,
``shipped Climate change - GWP100 (IPCC AR5)``); the registry lists them per background.
"""

from __future__ import annotations

import threading
from typing import Any

from app.backgrounds.models import ImportedBackground
from app.core.errors import InvalidInput
from lca.background import Background
from lca.brightway import GWP100
from lca.imports.shipped import shipped_view

DEFAULT_METHOD = " ".join(GWP100)
# Views priced in a shipped method, by (background version, method): a copy of the unit scores
# each (8 indicator columns per product), kept per process; few backgrounds ship a method.
_VIEWS_KEPT = 16
_views: dict[tuple[str, tuple[str, ...]], Background] = {}
_lock = threading.Lock()


def shipped_methods(row: ImportedBackground) -> list[tuple[str, ...]]:
    """The methods the import carried, as registered in its Brightway project."""
    found: list[Any] = row.method_coverage.get("shipped_methods", [])
    return [tuple(str(part) for part in name) for name in found]


def method_names(row: ImportedBackground) -> list[str]:
    """Every method a footprint on this background may name, the default first."""
    return [DEFAULT_METHOD, *(" ".join(name) for name in shipped_methods(row))]


def chosen_method(row: ImportedBackground, name: str | None) -> tuple[str, ...] | None:
    """The shipped method ``name`` designates (None: the default); 422 for any other name."""
    if name is None or name == DEFAULT_METHOD:
        return None
    for method in shipped_methods(row):
        if " ".join(method) == name:
            return method
    raise InvalidInput(
        f"background {row.name} has no method '{name[:200]}'",
        [
            {
                "loc": ["query", "method"],
                "msg": f"one of {method_names(row)} (GET /v1/backgrounds/{row.id})",
                "type": "value_error",
            }
        ],
    )


def priced_in(imported: Background, method: tuple[str, ...] | None) -> Background:
    """``imported`` with its GWP100 scores in ``method`` (itself for the default)."""
    if method is None:
        return imported
    key = (imported.version, method)
    with _lock:
        found = _views.get(key)
    if found is None:
        found = shipped_view(imported, method)
        with _lock:
            if len(_views) >= _VIEWS_KEPT:
                _views.clear()
            _views[key] = found
    return found


def forget_views(version: str | None = None) -> None:
    """Drop the views of ``version`` (every view when None)."""
    with _lock:
        for key in [k for k in _views if version is None or k[0] == version]:
            del _views[key]
