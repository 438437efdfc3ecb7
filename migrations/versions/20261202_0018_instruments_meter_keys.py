"""plant_instrument: contractual instruments and on-site generation stored per plant, with their
hourly profiles (instrument_hour); meter readings and roll-ups keyed by an integer meter key;
opcua_source: OPC UA servers a job pulls meter history from

meter_reading and meter_hourly lose their organisation, plant and meter-id columns for
plant_meter.meter_key (a sequence hands keys out on PostgreSQL): narrower rows COPY faster.
Stored rows are moved across.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# As in 0012: monthly partitions of meter_reading in their own schema, a default for the rest.
PARTITION_SCHEMA = "meter_reading_parts"
FIRST_YEAR, LAST_YEAR = 2022, 2030
SEQUENCE = "plant_meter_key_seq"


def _string(length: int) -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _create_partitions(schema: str) -> None:
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        for month in range(1, 13):
            lo = int(datetime(year, month, 1, tzinfo=UTC).timestamp())
            nxt = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
            op.execute(
                f"CREATE TABLE {schema}.meter_reading_{year}_{month:02d} "
                f"PARTITION OF public.meter_reading FOR VALUES FROM ({lo}) "
                f"TO ({int(nxt.timestamp())})"
            )
    op.execute(
        f"CREATE TABLE {schema}.meter_reading_default PARTITION OF public.meter_reading DEFAULT"
    )


def _set_aside(table: str) -> None:
    """Rename a table (and on PostgreSQL its key and partitions) out of the way of its successor."""
    op.rename_table(table, f"{table}_old")
    if _postgres():
        op.execute(f"ALTER TABLE {table}_old RENAME CONSTRAINT {table}_pkey TO {table}_old_pkey")
        if table == "meter_reading":
            op.execute(f"ALTER SCHEMA {PARTITION_SCHEMA} RENAME TO {PARTITION_SCHEMA}_old")


def _drop_set_aside() -> None:
    op.drop_table("meter_reading_old")
    op.drop_table("meter_hourly_old")
    if _postgres():
        op.execute(f"DROP SCHEMA IF EXISTS {PARTITION_SCHEMA}_old CASCADE")


def _meter_keys() -> None:
    with op.batch_alter_table("plant_meter") as batch:
        batch.add_column(sa.Column("meter_key", sa.Integer(), nullable=True))
    if _postgres():
        op.execute(f"CREATE SEQUENCE {SEQUENCE} AS integer")
        op.execute(f"UPDATE plant_meter SET meter_key = nextval('{SEQUENCE}')")
    else:
        op.execute(
            "UPDATE plant_meter SET meter_key = "
            "(SELECT count(*) FROM plant_meter AS p WHERE p.rowid <= plant_meter.rowid)"
        )
    with op.batch_alter_table("plant_meter") as batch:
        batch.alter_column("meter_key", existing_type=sa.Integer(), nullable=False)
    op.create_index("ix_plant_meter_meter_key", "plant_meter", ["meter_key"], unique=True)


def _narrow_readings() -> None:
    _set_aside("meter_reading")
    _set_aside("meter_hourly")
    op.create_table(
        "meter_reading",
        sa.Column("meter_key", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("start_s", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("end_s", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("meter_key", "start_s"),
        postgresql_partition_by="RANGE (start_s)",
    )
    op.create_table(
        "meter_hourly",
        sa.Column("meter_key", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hour", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("meter_key", "hour"),
    )
    if _postgres():
        _create_partitions(PARTITION_SCHEMA)
    for table, time in (("meter_reading", "start_s, end_s"), ("meter_hourly", "hour")):
        columns = ", ".join(f"o.{c.strip()}" for c in time.split(","))
        op.execute(
            f"INSERT INTO {table} (meter_key, {time}, value) "
            f"SELECT m.meter_key, {columns}, o.value FROM {table}_old AS o "
            "JOIN plant_meter AS m ON m.plant_id = o.plant_id AND m.meter_id = o.meter_id"
        )
    _drop_set_aside()


def upgrade() -> None:
    op.create_table(
        "plant_instrument",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("plant_id", sa.Uuid(), nullable=False),
        sa.Column("name", _string(200), nullable=False),
        sa.Column("kind", _string(40), nullable=False),
        sa.Column("technology", _string(40), nullable=False),
        sa.Column("market", _string(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["plant_id"], ["plant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_plant_instrument_organisation_id", "plant_instrument", ["organisation_id"])
    op.create_index("ix_plant_instrument_plant_id", "plant_instrument", ["plant_id"])
    op.create_table(
        "instrument_hour",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("instrument_id", sa.Uuid(), nullable=False),
        sa.Column("hour", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kwh", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["instrument_id"], ["plant_instrument.id"]),
        sa.PrimaryKeyConstraint("instrument_id", "hour"),
    )
    _meter_keys()
    _narrow_readings()
    op.create_table(
        "opcua_source",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("plant_id", sa.Uuid(), nullable=False),
        sa.Column("url", _string(400), nullable=False),
        sa.Column("nodes", sa.JSON(), nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("reading_interval_s", sa.Integer(), nullable=True),
        sa.Column("pulled_until_s", sa.BigInteger(), nullable=False),
        sa.Column("next_job_id", sa.Uuid(), nullable=True),
        sa.Column("last_error", _string(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["plant_id"], ["plant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_opcua_source_organisation_id", "opcua_source", ["organisation_id"])
    op.create_index("ix_opcua_source_plant_id", "opcua_source", ["plant_id"])


def downgrade() -> None:
    op.drop_table("opcua_source")
    _set_aside("meter_reading")
    _set_aside("meter_hourly")
    org = sa.Column("organisation_id", sa.Uuid(), nullable=False)
    op.create_table(
        "meter_reading",
        org,
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
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("plant_id", sa.Uuid(), nullable=False),
        sa.Column("meter_id", _string(80), nullable=False),
        sa.Column("hour", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("plant_id", "meter_id", "hour"),
    )
    if _postgres():
        _create_partitions(PARTITION_SCHEMA)
    for table, time in (("meter_reading", "start_s, end_s"), ("meter_hourly", "hour")):
        columns = ", ".join(f"o.{c.strip()}" for c in time.split(","))
        op.execute(
            f"INSERT INTO {table} (organisation_id, plant_id, meter_id, {time}, value) "
            f"SELECT m.organisation_id, m.plant_id, m.meter_id, {columns}, o.value "
            f"FROM {table}_old AS o JOIN plant_meter AS m ON m.meter_key = o.meter_key"
        )
    _drop_set_aside()
    op.drop_index("ix_plant_meter_meter_key", table_name="plant_meter")
    with op.batch_alter_table("plant_meter") as batch:
        batch.drop_column("meter_key")
    if _postgres():
        op.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")
    op.drop_table("instrument_hour")
    op.drop_index("ix_plant_instrument_plant_id", table_name="plant_instrument")
    op.drop_index("ix_plant_instrument_organisation_id", table_name="plant_instrument")
    op.drop_table("plant_instrument")
