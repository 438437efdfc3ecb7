"""job (organisation_id, started_at) index: fair turns ask when each organisation last started a job

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:30:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index(
            "ix_job_organisation_started", ["organisation_id", "started_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index("ix_job_organisation_started")
