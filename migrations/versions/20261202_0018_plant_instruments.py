"""plant_instrument: contractual instruments and on-site generation stored per plant, with their
hourly profiles (instrument_hour)

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0018"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


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


def downgrade() -> None:
    op.drop_table("instrument_hour")
    op.drop_index("ix_plant_instrument_plant_id", table_name="plant_instrument")
    op.drop_index("ix_plant_instrument_organisation_id", table_name="plant_instrument")
    op.drop_table("plant_instrument")
