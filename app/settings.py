"""Settings, read once from the environment (prefix ``CELLCARBON_``) and validated at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from lca.catalogue import DEFAULT_DATA_DIR


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CELLCARBON_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./var/cellcarbon.db",
        description="SQLAlchemy URL; SQLite by default, postgresql+psycopg://… in production",
    )
    brightway_dir: Path = Field(default=Path("./var/brightway"))
    data_dir: Path = Field(default=DEFAULT_DATA_DIR)
    max_body_bytes: int = Field(default=1024 * 1024, gt=0, description="request body limit")
    default_organisation: str = Field(default="default")
    page_limit_max: int = Field(default=200, gt=0)


@lru_cache
def get_settings() -> Settings:
    return Settings()
