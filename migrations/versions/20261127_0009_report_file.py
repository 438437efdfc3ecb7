"""report_file: reports rendered by jobs, kept for download

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "report_file",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("footprint_id", sa.Uuid(), nullable=False),
        sa.Column("kind", _string(20), nullable=False),
        sa.Column("format", _string(10), nullable=False),
        sa.Column("media_type", _string(100), nullable=False),
        sa.Column("sha256", _string(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["footprint_id"], ["footprint.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_file_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_report_file_footprint_id"), ["footprint_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("report_file")
