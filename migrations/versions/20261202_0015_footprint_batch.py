"""footprint_batch: the kept NDJSON answer of a batch posted with ?store=true

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "footprint_batch",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("base_bom_id", sa.Uuid(), nullable=True),
        sa.Column("background_version", _string(64), nullable=False),
        sa.Column("request_sha256", _string(64), nullable=False),
        sa.Column("variants", sa.Integer(), nullable=False),
        sa.Column("invalid", sa.Integer(), nullable=False),
        sa.Column("answer", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_footprint_batch_organisation_id", "footprint_batch", ["organisation_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_footprint_batch_organisation_id", table_name="footprint_batch")
    op.drop_table("footprint_batch")
