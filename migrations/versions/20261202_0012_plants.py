"""plants: lines, areas, meters, readings (monthly partitions on PostgreSQL), hourly roll-ups,
lots, grid factors and versioned lot footprints

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 11:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Monthly partitions of meter_reading live in their own schema, so the application schema (and
# the model comparison of tests/e2e/test_migrations.py) sees one table. Months outside these
# years land in the default partition: correct, only slower to prune.
PARTITION_SCHEMA = "meter_reading_parts"
FIRST_YEAR, LAST_YEAR = 2022, 2030


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _org() -> sa.Column:
    return sa.Column("organisation_id", sa.Uuid(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "plant",
        sa.Column("id", sa.Uuid(), nullable=False),
        _org(),
        sa.Column("site", _string(200), nullable=False),
        sa.Column("grid_region", _string(40), nullable=False),
        sa.Column("time_zone", _string(64), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_plant_organisation_id", "plant", ["organisation_id"])
    op.create_table(
        "plant_line",
        sa.Column("id", sa.Uuid(), nullable=False),
        _org(),
        sa.Column("plant_id", sa.Uuid(), nullable=False),
        sa.Column("line_id", _string(80), nullable=False),
        sa.Column("name", _string(200), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["plant_id"], ["plant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plant_id", "line_id"),
    )
    op.create_table(
        "plant_area",
        sa.Column("id", sa.Uuid(), nullable=False),
        _org(),
        sa.Column("plant_id", sa.Uuid(), nullable=False),
        sa.Column("area_id", _string(80), nullable=False),
        sa.Column("kind", _string(40), nullable=False),
        sa.Column("rule", _string(20), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["plant_id"], ["plant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plant_id", "area_id"),
    )
    op.create_table(
        "plant_meter",
        sa.Column("id", sa.Uuid(), nullable=False),
        _org(),
        sa.Column("plant_id", sa.Uuid(), nullable=False),
        sa.Column("meter_id", _string(80), nullable=False),
        sa.Column("carrier", _string(40), nullable=False),
        sa.Column("unit", _string(10), nullable=False),
        sa.Column("scope", _string(10), nullable=False),
        sa.Column("scope_id", _string(80), nullable=False),
        sa.Column("parent", _string(80), nullable=True),
        sa.Column("cumulative", sa.Boolean(), nullable=False),
        sa.Column("register_max", sa.Float(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["plant_id"], ["plant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plant_id", "meter_id"),
    )
    for table in ("plant_line", "plant_area", "plant_meter"):
        op.create_index(f"ix_{table}_organisation_id", table, ["organisation_id"])
        op.create_index(f"ix_{table}_plant_id", table, ["plant_id"])
    # No foreign keys on readings and roll-ups: they are checked once per upload by the service,
    # not once per row of a COPY of millions.
    op.create_table(
        "meter_reading",
        _org(),
        sa.Column("plant_id", sa.Uuid(), nullable=False),
        sa.Column("meter_id", _string(80), nullable=False),
        sa.Column("start_s", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("end_s", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("plant_id", "meter_id", "start_s"),
        postgresql_partition_by="RANGE (start_s)",
    )
    op.create_table(
        "meter_hourly",
        _org(),
        sa.Column("plant_id", sa.Uuid(), nullable=False),
        sa.Column("meter_id", _string(80), nullable=False),
        sa.Column("hour", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("plant_id", "meter_id", "hour"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _create_partitions()
    op.create_table(
        "plant_lot",
        sa.Column("id", sa.Uuid(), nullable=False),
        _org(),
        sa.Column("plant_id", sa.Uuid(), nullable=False),
        sa.Column("lot_id", _string(80), nullable=False),
        sa.Column("bom_id", sa.Uuid(), nullable=False),
        sa.Column("line", _string(80), nullable=False),
        sa.Column("start_s", sa.BigInteger(), nullable=False),
        sa.Column("end_s", sa.BigInteger(), nullable=False),
        sa.Column("good_cells", sa.Integer(), nullable=False),
        sa.Column("scrapped_cells", sa.Integer(), nullable=False),
        sa.Column("scrap_step", _string(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["plant_id"], ["plant.id"]),
        sa.ForeignKeyConstraint(["bom_id"], ["bom.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plant_id", "lot_id"),
    )
    op.create_index("ix_plant_lot_organisation_id", "plant_lot", ["organisation_id"])
    op.create_index("ix_plant_lot_bom_id", "plant_lot", ["bom_id"])
    op.create_index("ix_plant_lot_plant_id_end_s", "plant_lot", ["plant_id", "end_s"])
    op.create_table(
        "grid_factor",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("region", _string(40), nullable=False),
        sa.Column("hour", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kg_co2e_per_kwh", sa.Float(), nullable=False),
        sa.Column("source", _string(300), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("organisation_id", "region", "hour"),
    )
    op.create_table(
        "lot_footprint",
        sa.Column("id", sa.Uuid(), nullable=False),
        _org(),
        sa.Column("plant_id", sa.Uuid(), nullable=False),
        sa.Column("plant_lot_id", sa.Uuid(), nullable=False),
        sa.Column("lot_id", _string(80), nullable=False),
        sa.Column("bom_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.Uuid(), nullable=True),
        sa.Column("lot_end_s", sa.BigInteger(), nullable=False),
        sa.Column("input_sha256", _string(64), nullable=False),
        sa.Column("background_version", _string(64), nullable=False),
        sa.Column("kg_co2e_per_good_cell_location", sa.Float(), nullable=False),
        sa.Column("kg_co2e_per_good_cell_market_annual", sa.Float(), nullable=False),
        sa.Column("kg_co2e_per_good_cell_market_hourly", sa.Float(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["plant_id"], ["plant.id"]),
        sa.ForeignKeyConstraint(["plant_lot_id"], ["plant_lot.id"]),
        sa.ForeignKeyConstraint(["bom_id"], ["bom.id"]),
        sa.ForeignKeyConstraint(["supersedes_id"], ["lot_footprint.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plant_lot_id", "version"),
    )
    for column in ("organisation_id", "plant_id", "plant_lot_id"):
        op.create_index(f"ix_lot_footprint_{column}", "lot_footprint", [column])


def _create_partitions() -> None:
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {PARTITION_SCHEMA}")
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        for month in range(1, 13):
            lo = int(datetime(year, month, 1, tzinfo=UTC).timestamp())
            nxt = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
            op.execute(
                f"CREATE TABLE {PARTITION_SCHEMA}.meter_reading_{year}_{month:02d} "
                f"PARTITION OF public.meter_reading FOR VALUES FROM ({lo}) "
                f"TO ({int(nxt.timestamp())})"
            )
    op.execute(
        f"CREATE TABLE {PARTITION_SCHEMA}.meter_reading_default "
        "PARTITION OF public.meter_reading DEFAULT"
    )


def downgrade() -> None:
    for table in ("lot_footprint", "grid_factor", "plant_lot", "meter_hourly", "meter_reading"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SCHEMA IF EXISTS {PARTITION_SCHEMA} CASCADE")
    for table in ("plant_meter", "plant_area", "plant_line", "plant"):
        op.drop_table(table)
