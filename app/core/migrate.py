"""Run Alembic programmatically (the CLI, the tests and `make run` all go through here)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config


def _project_root() -> Path:
    """The source tree (editable install, tests), else the working directory (installed wheel)."""
    for candidate in (Path(__file__).resolve().parent.parent, Path.cwd()):
        if (candidate / "alembic.ini").exists() and (candidate / "migrations").is_dir():
            return candidate
    raise FileNotFoundError("alembic.ini and migrations/ not found; run from the project folder")


def alembic_config(database_url: str) -> Config:
    root = _project_root()
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
