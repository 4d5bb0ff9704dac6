"""The database refuses values outside the vocabulary (CHECK constraints of migration 0003), on both backends."""

from __future__ import annotations

import re

import pytest
from alembic import command
from sqlalchemy import CheckConstraint, Engine, func, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from duban.domain.vocabulary import PolicyStatus, ResponsibilityState, Role, Severity, values
from duban.errors import StorageError
from duban.storage.db import make_engine, session_factory
from duban.storage.migrate import alembic_config, upgrade
from duban.storage.models import Base, Finding, Policy, Responsibility, Task


def _responsibility(session: Session) -> int:
    policy = Policy(doc_number="民发〔2019〕86号", title="关于加强农村留守妇女关爱服务工作的意见")
    task = Task(number="一", text="建立健全农村留守妇女关爱服务体系。", position=1)
    task.responsibilities.append(Responsibility(agency_key="minzheng", name_as_written="民政部", role="lead"))
    policy.tasks.append(task)
    session.add(policy)
    session.commit()
    return task.responsibilities[0].id


def _model_checks() -> dict[str, set[str]]:
    """Constraint name → the values it admits, from the models."""
    out: dict[str, set[str]] = {}
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint):
                sql = str(constraint.sqltext.compile(compile_kwargs={"literal_binds": True}))
                out[str(constraint.name)] = set(re.findall(r"'([^']*)'", sql))
    return out


def _database_checks(engine: Engine) -> dict[str, set[str]]:
    """Constraint name → the quoted values of its reflected text (SQLite and PostgreSQL spell it differently)."""
    inspector = inspect(engine)
    out: dict[str, set[str]] = {}
    for table in inspector.get_table_names():
        for check in inspector.get_check_constraints(table):
            out[check["name"]] = set(re.findall(r"'([^']*)'", check["sqltext"]))
    return out


@pytest.mark.parametrize(
    ("statement", "what"),
    [
        ("UPDATE responsibility SET role = 'boss' WHERE id = :id", "role"),
        ("UPDATE responsibility SET state = 'clsoed' WHERE id = :id", "state"),
        (
            "INSERT INTO responsibility (task_id, name_as_written, role, state, version) "
            "SELECT task_id, '县民政局', 'boss', 'assigned', 1 FROM responsibility WHERE id = :id",
            "role",
        ),
        (
            "INSERT INTO responsibility (task_id, name_as_written, role, state, version) "
            "SELECT task_id, '县民政局', 'lead', 'clsoed', 1 FROM responsibility WHERE id = :id",
            "state",
        ),
    ],
)
def test_raw_sql_outside_the_vocabulary_is_refused(session: Session, statement: str, what: str) -> None:
    rid = _responsibility(session)
    with pytest.raises(IntegrityError, match=f"ck_responsibility_{what}|CHECK constraint failed"):
        session.execute(text(statement), {"id": rid})
    session.rollback()
    assert session.get(Responsibility, rid).role is Role.LEAD  # type: ignore[union-attr]


def test_orm_reads_enum_members_and_refuses_unknown_strings(session: Session) -> None:
    rid = _responsibility(session)
    session.execute(text("UPDATE responsibility SET state = 'in_progress' WHERE id = :id"), {"id": rid})
    session.commit()
    session.expire_all()
    resp = session.get(Responsibility, rid)
    assert resp is not None
    assert resp.role is Role.LEAD and resp.role.label == "牵头"
    assert resp.state is ResponsibilityState.IN_PROGRESS and resp.state.label == "办理中"
    assert resp.task.policy.status is PolicyStatus.IN_FORCE
    assert session.scalars(select(Responsibility.role)).all() == [Role.LEAD]
    resp.role = "boss"  # type: ignore[assignment]
    with pytest.raises(StatementError, match="boss"):
        session.commit()
    session.rollback()


def test_every_check_of_the_models_is_in_the_migrated_database(engine: Engine) -> None:
    models = _model_checks()
    assert "ck_responsibility_role" in models and models["ck_responsibility_role"] == set(values(Role))
    assert _database_checks(engine) == models


def test_downgrade_drops_the_checks_and_keeps_every_row(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as s:
            _responsibility(s)
        before = _row_counts(engine)
        command.downgrade(alembic_config(engine), "0002")
        assert _database_checks(engine) == {}
        assert _row_counts(engine) == before  # SQLite rebuilt the tables without cascading deletes
        upgrade(engine)
        assert _database_checks(engine) == _model_checks()
        assert _row_counts(engine) == before
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_upgrade_lists_rows_outside_the_vocabulary_and_changes_nothing(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as s:
            rid = _responsibility(s)
        command.downgrade(alembic_config(engine), "0002")
        with engine.begin() as conn:
            conn.execute(text("UPDATE responsibility SET role = 'boss' WHERE id = :id"), {"id": rid})
        with pytest.raises(StorageError, match=r"responsibility\.role = 'boss'（1 行）"):
            upgrade(engine)
        assert _database_checks(engine) == {}
        with engine.begin() as conn:
            conn.execute(text("UPDATE responsibility SET role = 'lead' WHERE id = :id"), {"id": rid})
        upgrade(engine)
        assert _database_checks(engine) == _model_checks()
    finally:
        engine.dispose()


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in Base.metadata.tables.items()
        }


def test_a_finding_stored_with_a_string_severity_reads_back_as_the_member(session: Session) -> None:
    rid = _responsibility(session)
    session.add(
        Finding(
            responsibility_id=rid,
            plugin="minzheng",
            code="ledger.stale",
            severity="warning",  # type: ignore[arg-type]
            message="农村留守妇女信息台账已超过六个月未更新",
        )
    )
    session.commit()
    session.expire_all()
    finding = session.scalars(select(Finding)).one()
    assert finding.severity is Severity.WARNING and finding.severity.label == "警告"
