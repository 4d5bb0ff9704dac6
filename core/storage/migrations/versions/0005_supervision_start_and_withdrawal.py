"""supervision start of a policy, withdrawn milestones, the comment duty of a draft

Revision ID: 0005
Revises: 0004

- ``policy.supervision_start``: the first day duban supervises a policy (no milestone before it). Policies
  imported before this revision get the day they were imported (in Asia/Shanghai, the default time zone),
  the same default a new import gets; milestones already generated stay as they are.
- ``milestone.withdrawn_at / withdrawn_by / withdrawn_reason``: a milestone the coordinator withdrew.
- ``task.kind``: ``task`` (the document's tasks) or ``comment`` (the coordinator's reply to a draft).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BACKFILL_TZ = "Asia/Shanghai"


def upgrade() -> None:
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supervision_start", sa.Date(), nullable=True))
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="task", nullable=False))
        batch_op.create_check_constraint(op.f("ck_task_kind"), "kind IN ('task', 'comment')")

    policy = sa.table(
        "policy",
        sa.column("id", sa.Integer),
        sa.column("imported_at", sa.DateTime(timezone=True)),
        sa.column("supervision_start", sa.Date),
    )
    connection = op.get_bind()
    tz = ZoneInfo(BACKFILL_TZ)
    for row in connection.execute(sa.select(policy.c.id, policy.c.imported_at)).all():
        at = row.imported_at
        if isinstance(at, str):  # SQLite without type information
            at = dt.datetime.fromisoformat(at)
        if at is None:
            continue
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        connection.execute(
            policy.update().where(policy.c.id == row.id).values(supervision_start=at.astimezone(tz).date())
        )


def downgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_task_kind"), type_="check")
        batch_op.drop_column("kind")
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_reason")
        batch_op.drop_column("withdrawn_by")
        batch_op.drop_column("withdrawn_at")
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.drop_column("supervision_start")
