"""backgrounds: an organisation's imported backgrounds; footprints record theirs

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "imported_background",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", _string(200), nullable=False),
        sa.Column("version", _string(64), nullable=False),
        sa.Column("source_format", _string(40), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("activities", sa.Integer(), nullable=False),
        sa.Column("exchanges", sa.Integer(), nullable=False),
        sa.Column("biosphere_flows", sa.Integer(), nullable=False),
        sa.Column("status", _string(16), nullable=False),
        sa.Column("method_coverage", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id", "version"),
    )
    with op.batch_alter_table("imported_background", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_imported_background_organisation_id"),
            ["organisation_id"],
            unique=False,
        )
    with op.batch_alter_table("footprint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("background_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            "fk_footprint_background_id_imported_background",
            "imported_background",
            ["background_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("footprint", schema=None) as batch_op:
        batch_op.drop_constraint(
            "fk_footprint_background_id_imported_background", type_="foreignkey"
        )
        batch_op.drop_column("background_id")
    op.drop_table("imported_background")
