"""agency aliases learned from import corrections

Revision ID: 0006
Revises: 0005

- ``agency_alias``: a name as written (normalised) that a coordinator mapped to an agency when correcting
  an import (``duban import --answers`` / ``--review``); the next import resolves it. Listed and removed
  with ``duban alias list`` / ``duban alias remove``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agency_alias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agency_key", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_name", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_key"], ["agency.key"], name=op.f("fk_agency_alias_agency_key_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_alias")),
        sa.UniqueConstraint("name", name=op.f("uq_agency_alias_name")),
    )
    with op.batch_alter_table("agency_alias", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agency_alias_agency_key"), ["agency_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agency_alias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agency_alias_agency_key"))
    op.drop_table("agency_alias")
