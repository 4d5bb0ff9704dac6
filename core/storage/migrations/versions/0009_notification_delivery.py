"""notification delivery: leases held by a run, resend, digest fingerprints, silences

Revision ID: 0009
Revises: 0007

- ``outbox_message`` gains ``claimed_by`` (the run holding the lease: only it renews the lease and marks
  the message), ``retried_at`` (``duban notify retry``: permanent failures before it no longer count) and
  ``fingerprint`` (a digest's items and levels, for ``notify.changes_only``);
- ``notification_silence``: a department, a task or a route muted until ``ends_at``, with author and reason
  (``duban notify silence add/list/remove``). On PostgreSQL coordinators write it and every group reads it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("retried_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
    op.create_table(
        "notification_silence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "scope IN ('department', 'task', 'route')", name=op.f("ck_notification_silence_scope")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_silence")),
    )
    with op.batch_alter_table("notification_silence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_silence_active", ["scope", "target", "ends_at"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        q = op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar()
        op.execute(f"REVOKE ALL ON {q}.notification_silence FROM PUBLIC")
        op.execute(
            f"GRANT SELECT ON {q}.notification_silence TO duban_coordinator, duban_department, duban_viewer"
        )
        op.execute(f"GRANT INSERT, UPDATE, DELETE ON {q}.notification_silence TO duban_coordinator")
        op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q} TO duban_coordinator")


def downgrade() -> None:
    with op.batch_alter_table("notification_silence", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_silence_active")
    op.drop_table("notification_silence")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("fingerprint")
        batch_op.drop_column("retried_at")
        batch_op.drop_column("claimed_by")
