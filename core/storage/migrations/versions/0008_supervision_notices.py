"""督办单 (supervision notices) and the escalation ladder; outbox kinds for 催办 and 督办通报

Revision ID: 0008
Revises: 0007

Every backend:

- ``supervision_notice``: one numbered 督办单 per escalated milestone (督〔year〕第number号), which is also the
  escalation ladder's memory (rung and 三色, the days the coordinator and the department's leadership were
  last told, the day the item stopped being red) and the department's 签收 (``signed_at`` / ``signed_by``);
- ``outbox_message.kind`` admits ``remind`` (an ad-hoc 催办) and ``report`` (the weekly leader digest and
  the monthly 督办通报).

PostgreSQL only: the table's privileges and row-level security follow migration 0007 — coordinators read and
write every notice, viewers read every notice, department users read their own and may write nothing but
the 签收 columns of their own.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

KINDS_BEFORE = ("digest", "escalate", "completion", "failure", "test")
KINDS_AFTER = (*KINDS_BEFORE, "remind", "report")
COLORS = ("yellow", "orange", "red")


def _in(column: str, allowed: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in allowed)})"


def upgrade() -> None:
    op.create_table(
        "supervision_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("responsibility_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("agency_key", sa.String(length=40), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=12), nullable=True),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("matter", sa.Text(), nullable=False),
        sa.Column("due_by", sa.Date(), nullable=False),
        sa.Column("requirement", sa.Text(), nullable=False),
        sa.Column("rung", sa.Integer(), nullable=False),
        sa.Column("color", sa.String(length=16), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("coordinator_on", sa.Date(), nullable=False),
        sa.Column("leadership_on", sa.Date(), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_by", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_in("color", COLORS), name=op.f("ck_supervision_notice_color")),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestone.id"],
            name=op.f("fk_supervision_notice_milestone_id_milestone"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["responsibility_id"],
            ["responsibility.id"],
            name=op.f("fk_supervision_notice_responsibility_id_responsibility"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_supervision_notice_task_id_task"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_notice")),
        sa.UniqueConstraint("milestone_id", name=op.f("uq_supervision_notice_milestone_id")),
        sa.UniqueConstraint("year", "number", name=op.f("uq_supervision_notice_year_number")),
    )
    with op.batch_alter_table("supervision_notice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supervision_notice_responsibility_id"), ["responsibility_id"], unique=False
        )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_message_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_outbox_message_kind"), _in("kind", KINDS_AFTER))
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()


def downgrade() -> None:
    connection = op.get_bind()
    new_kinds = tuple(k for k in KINDS_AFTER if k not in KINDS_BEFORE)
    # the 催办 and 通报 messages go with the kinds that name them (their attempts cascade)
    connection.execute(sa.text(f"DELETE FROM outbox_message WHERE {_in('kind', new_kinds)}"))
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_message_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_outbox_message_kind"), _in("kind", KINDS_BEFORE))
    with op.batch_alter_table("supervision_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_notice_responsibility_id"))
    op.drop_table("supervision_notice")


def _postgres_upgrade() -> None:
    s = str(op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one())
    t = f'"{s}".supervision_notice'
    op.execute(f"REVOKE ALL ON {t} FROM PUBLIC")
    op.execute(f"GRANT SELECT ON {t} TO duban_coordinator, duban_department, duban_viewer")
    op.execute(f"GRANT INSERT, UPDATE, DELETE ON {t} TO duban_coordinator")
    op.execute(f"GRANT UPDATE (signed_at, signed_by) ON {t} TO duban_department")
    op.execute(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
    sees_all = "(SELECT duban_current_role()) IN ('coordinator', 'viewer')"
    is_coordinator = "(SELECT duban_current_role()) = 'coordinator'"
    mine = "duban_in_scope(agency_key, jurisdiction_code)"
    op.execute(
        f"CREATE POLICY duban_read_all ON {t} FOR SELECT TO duban_coordinator, duban_viewer USING ({sees_all})"
    )
    op.execute(
        f"CREATE POLICY duban_coordinator_all ON {t} FOR ALL TO duban_coordinator "
        f"USING ({is_coordinator}) WITH CHECK ({is_coordinator})"
    )
    op.execute(f"CREATE POLICY duban_department_read ON {t} FOR SELECT TO duban_department USING ({mine})")
    # 签收 of one's own notice, under one's own name
    op.execute(
        f"CREATE POLICY duban_department_update ON {t} FOR UPDATE TO duban_department USING ({mine}) "
        f"WITH CHECK ({mine} AND signed_by = (SELECT duban_current_name()))"
    )
