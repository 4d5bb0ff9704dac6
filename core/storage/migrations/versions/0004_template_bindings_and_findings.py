"""template bindings, responsibility findings kept over time, check runs

Revision ID: 0004
Revises: 0003

- ``template_binding``: an agency template bound to a task (proposed / confirmed / rejected);
- ``finding`` gains ``indicator``, ``first_seen``, ``last_seen``, ``resolved_on`` and a partial unique index
  (one open-or-resolved responsibility finding per responsibility, plugin and code); existing rows are
  first seen on their report's day (or the day they were created);
- ``check_run``: one row per run of the responsibility checks (day, scope, fingerprint, faults).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=300), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responsibilities", sa.Integer(), nullable=False),
        sa.Column("found", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("faults", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_run")),
    )
    with op.batch_alter_table("check_run", schema=None) as batch_op:
        batch_op.create_index("ix_check_run_as_of_scope", ["as_of", "scope"], unique=False)

    op.create_table(
        "template_binding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("agency_key", sa.String(length=40), nullable=False),
        sa.Column("template_key", sa.String(length=80), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "source IN ('serves', 'mapping', 'keywords', 'manual')", name=op.f("ck_template_binding_source")
        ),
        sa.CheckConstraint(
            "state IN ('proposed', 'confirmed', 'rejected')", name=op.f("ck_template_binding_state")
        ),
        sa.ForeignKeyConstraint(
            ["agency_key"], ["agency.key"], name=op.f("fk_template_binding_agency_key_agency")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_template_binding_task_id_task"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_binding")),
        sa.UniqueConstraint(
            "task_id",
            "agency_key",
            "template_key",
            name=op.f("uq_template_binding_task_id_agency_key_template_key"),
        ),
    )
    with op.batch_alter_table("template_binding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_template_binding_task_id"), ["task_id"], unique=False)

    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("indicator", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("first_seen", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("last_seen", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("resolved_on", sa.Date(), nullable=True))

    # existing findings: a report's finding was seen on the report's day, any other on the day it was made
    op.execute(
        "UPDATE finding SET first_seen = (SELECT report.submitted_on FROM report WHERE report.id = finding.report_id) "
        "WHERE report_id IS NOT NULL"
    )
    # SQLite keeps datetimes as ISO text: its first ten characters are the day (if they read as one)
    created_day = (
        "date(substr(created_at, 1, 10))" if op.get_bind().dialect.name == "sqlite" else "CAST(created_at AS DATE)"
    )
    op.execute(f"UPDATE finding SET first_seen = {created_day} WHERE first_seen IS NULL")
    op.execute("UPDATE finding SET first_seen = CURRENT_DATE WHERE first_seen IS NULL")  # unreadable: today
    op.execute("UPDATE finding SET last_seen = first_seen")

    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.alter_column("first_seen", existing_type=sa.Date(), nullable=False)
        batch_op.create_index(
            "uq_finding_responsibility_check",
            ["responsibility_id", "plugin", "code"],
            unique=True,
            sqlite_where=sa.text("report_id IS NULL"),
            postgresql_where=sa.text("report_id IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.drop_index("uq_finding_responsibility_check")
        batch_op.drop_column("resolved_on")
        batch_op.drop_column("last_seen")
        batch_op.drop_column("first_seen")
        batch_op.drop_column("indicator")

    with op.batch_alter_table("template_binding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_template_binding_task_id"))
    op.drop_table("template_binding")

    with op.batch_alter_table("check_run", schema=None) as batch_op:
        batch_op.drop_index("ix_check_run_as_of_scope")
    op.drop_table("check_run")
