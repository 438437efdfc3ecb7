"""suppliers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 14:07:50.785607
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supplier",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("lei", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("duns", sqlmodel.sql.sqltypes.AutoString(length=13), nullable=True),
        sa.Column("pact_company_urn", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supplier", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supplier_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "supplier_pcf",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("product", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("pact_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("kg_co2e_per_kg", sa.Float(), nullable=False),
        sa.Column("fossil_kg_co2e_per_kg", sa.Float(), nullable=True),
        sa.Column("reference_period_start", sa.Date(), nullable=True),
        sa.Column("reference_period_end", sa.Date(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supplier_pcf", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supplier_pcf_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_supplier_pcf_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "supplier_site",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("grid_region", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supplier_site", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supplier_site_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_supplier_site_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "energy_report",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("product", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("output_kg", sa.Float(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.Uuid(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["supplier_site.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["energy_report.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("supersedes_id"),
    )
    with op.batch_alter_table("energy_report", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_energy_report_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_energy_report_site_id"), ["site_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_energy_report_supplier_id"), ["supplier_id"], unique=False
        )

    with op.batch_alter_table("bom_line", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("supplier_site", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True)
        )

    # Footprints computed before supplier data existed used the grid average everywhere, so
    # their market-based total equals their location-based one, and no line was primary.
    with op.batch_alter_table("footprint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kg_co2e_market_based", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("primary_data_share", sa.Float(), nullable=True))
    op.execute("UPDATE footprint SET kg_co2e_market_based = kg_co2e, primary_data_share = 0")
    with op.batch_alter_table("footprint", schema=None) as batch_op:
        batch_op.alter_column("kg_co2e_market_based", existing_type=sa.Float(), nullable=False)
        batch_op.alter_column("primary_data_share", existing_type=sa.Float(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("footprint", schema=None) as batch_op:
        batch_op.drop_column("primary_data_share")
        batch_op.drop_column("kg_co2e_market_based")

    with op.batch_alter_table("bom_line", schema=None) as batch_op:
        batch_op.drop_column("supplier_site")

    with op.batch_alter_table("energy_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_energy_report_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_energy_report_site_id"))
        batch_op.drop_index(batch_op.f("ix_energy_report_organisation_id"))

    op.drop_table("energy_report")
    with op.batch_alter_table("supplier_site", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_site_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_supplier_site_organisation_id"))

    op.drop_table("supplier_site")
    with op.batch_alter_table("supplier_pcf", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_pcf_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_supplier_pcf_organisation_id"))

    op.drop_table("supplier_pcf")
    with op.batch_alter_table("supplier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_organisation_id"))

    op.drop_table("supplier")
