"""pact sharing rules: every footprint of a BOM stored from then on is shared with a client

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pact_sharing_rule",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("bom_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["bom_id"], ["bom.id"]),
        sa.ForeignKeyConstraint(["client_id"], ["pact_client.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pact_sharing_rule", schema=None) as batch_op:
        for column in ("bom_id", "client_id", "organisation_id"):
            batch_op.create_index(
                batch_op.f(f"ix_pact_sharing_rule_{column}"), [column], unique=False
            )


def downgrade() -> None:
    op.drop_table("pact_sharing_rule")
