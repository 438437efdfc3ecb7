"""Point bw2data at CellCarbon's own Brightway directory, never the user's home.

bw2data reads ``BRIGHTWAY_DIR`` once, at import; importing it before the variable is set silently
uses (and creates) ``~/.local/share/Brightway3``. Every module that needs bw2data goes through
:func:`use_brightway_dir` first.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType

PROJECT_NAME = "cellcarbon"
DATABASE_NAME = "cellcarbon-background"
BIOSPHERE_NAME = "biosphere3"
GWP100 = ("IPCC AR6", "GWP100")
GWP20 = ("IPCC AR6", "GWP20")
METHODS = {"gwp100": GWP100, "gwp20": GWP20}

_current_dir: Path | None = None


def use_brightway_dir(brightway_dir: Path, project: str = PROJECT_NAME) -> ModuleType:
    """Select ``brightway_dir`` and ``project``; return the imported ``bw2data`` module."""
    global _current_dir
    brightway_dir = Path(brightway_dir).resolve()
    brightway_dir.mkdir(parents=True, exist_ok=True)
    if "bw2data" not in sys.modules:
        os.environ["BRIGHTWAY_DIR"] = str(brightway_dir)
    import bw2data

    if _current_dir != brightway_dir:
        # A Path, not a str: bw2data 4.8 calls Path methods on it.
        bw2data.projects.change_base_directories(brightway_dir)
        _current_dir = brightway_dir
    if bw2data.projects.current != project:
        bw2data.projects.set_current(project)
    return bw2data


def project_exists(brightway_dir: Path, project: str = PROJECT_NAME) -> bool:
    """Whether the Brightway project has been built in ``brightway_dir`` (without creating it)."""
    bw2data = use_brightway_dir(brightway_dir, project="default")
    return project in bw2data.projects
