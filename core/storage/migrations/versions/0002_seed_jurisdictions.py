"""seed 全国 and the province-level jurisdictions

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from duban.domain.jurisdictions import seed_rows

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

jurisdiction = sa.table(
    "jurisdiction",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("level", sa.String),
    sa.column("parent_code", sa.String),
)


def upgrade() -> None:
    op.bulk_insert(jurisdiction, seed_rows())


def downgrade() -> None:
    op.execute(jurisdiction.delete().where(jurisdiction.c.level.in_(["national", "province"])))
