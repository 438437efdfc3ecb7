"""The README shows every screenshot the browser tests write to docs/ui/, and no other."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_shows_each_screenshot() -> None:
    shown = set(re.findall(r"\(docs/ui/([a-z0-9-]+\.png)\)", (ROOT / "README.md").read_text()))
    written = set(re.findall(r'screenshot\([^,]+, "([a-z0-9-]+)"', _browser_tests()))
    assert shown == {f"{name}.png" for name in written}
    assert all((ROOT / "docs" / "ui" / name).is_file() for name in shown)


def _browser_tests() -> str:
    return (ROOT / "tests" / "ui" / "test_browser.py").read_text()
