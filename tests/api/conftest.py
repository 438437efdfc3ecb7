from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "examples"


@pytest.fixture
def example_bom() -> dict[str, Any]:
    """The NMC811 pouch example, freshly loaded so a test may change it."""
    return copy.deepcopy(json.loads((EXAMPLES / "nmc811_pouch.json").read_text()))
