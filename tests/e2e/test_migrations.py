"""The migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import app.tables  # noqa: F401  (registers every table)
from app.core.db import make_engine


def test_migration_head_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            diff = compare_metadata(context, SQLModel.metadata)
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert diff == []
    assert {"organisation", "bom", "bom_line", "footprint", "alembic_version"} <= tables


# Tables of millions of rows keyed by a parent that carries the organisation, so their rows stay
# narrow (PostgreSQL writes them with COPY): the parent's key column.
KEYED_BY_PARENT = {"meter_reading": "meter_key", "meter_hourly": "meter_key"}


def test_every_business_table_carries_the_organisation() -> None:
    for table in SQLModel.metadata.sorted_tables:
        if table.name in KEYED_BY_PARENT:
            assert KEYED_BY_PARENT[table.name] in table.columns, table.name
        elif table.name != "organisation":
            assert "organisation_id" in table.columns, table.name
