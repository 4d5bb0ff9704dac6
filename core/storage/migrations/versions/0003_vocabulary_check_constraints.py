"""CHECK constraints for the vocabulary: roles, states, levels, severities

Every enum-valued column admits exactly the values of its enum in duban.domain.vocabulary (as of this
revision: the lists are written out here, so that a later change of an enum needs a migration of its own).
Rows that hold another value (``role = 'boss'``, ``state = 'clsoed'``) stop the upgrade with a list of
them, before anything is changed.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from duban.errors import StorageError

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: table → column → the values its CHECK constraint ``ck_<table>_<column>`` admits.
VOCABULARY: dict[str, dict[str, tuple[str, ...]]] = {
    "jurisdiction": {"level": ("national", "province", "prefecture", "county", "township")},
    "policy": {
        "level": ("national", "province", "prefecture", "county", "township"),
        "status": ("draft", "in_force", "superseded", "withdrawn"),
    },
    "responsibility": {
        "role": ("lead", "support", "joint"),
        "state": ("assigned", "acknowledged", "in_progress", "completion_requested", "closed", "returned"),
    },
    "schedule": {"source": ("hint", "config", "manual", "template")},
    "report": {"review_state": ("submitted", "accepted", "returned")},
    "extension": {"state": ("pending", "approved", "refused")},
    "finding": {"severity": ("error", "warning", "info")},
    "outbox_message": {
        "kind": ("digest", "escalate", "completion", "failure", "test"),
        "level": ("blue", "yellow", "red", "done", "failure", "test"),
        "state": ("pending", "sending", "sent", "failed"),
    },
    "app_user": {"role": ("coordinator", "department", "viewer")},
}


def _condition(column: str, allowed: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in allowed)})"


def _refuse_unknown_values() -> None:
    """Stop with the offending values listed, rather than with the database's bare CHECK failure."""
    connection = op.get_bind()
    found: list[str] = []
    for table, columns in VOCABULARY.items():
        for column, allowed in columns.items():
            col = sa.column(column, sa.String)
            rows = connection.execute(
                sa.select(col, sa.func.count())
                .select_from(sa.table(table, col))
                .where(col.is_not(None), col.not_in(allowed))
                .group_by(col)
            ).all()
            found += [f"{table}.{column} = {value!r}（{n} 行）" for value, n in rows]
    if found:
        raise StorageError(
            "数据库中有词汇表之外的取值，无法添加 CHECK 约束；请先改正这些行再运行 duban db upgrade：\n  "
            + "\n  ".join(found)
        )


def upgrade() -> None:
    _refuse_unknown_values()
    for table, columns in VOCABULARY.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, allowed in columns.items():
                batch_op.create_check_constraint(op.f(f"ck_{table}_{column}"), _condition(column, allowed))


def downgrade() -> None:
    for table, columns in VOCABULARY.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
