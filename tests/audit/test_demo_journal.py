"""``duban demo``'s history is audited like real work: every 签收, report, review and extension has its event, the
chain holds, and a checkpoint taken on the demo verifies clean (and catches a hand edit)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from duban.cli.main import cli
from duban.storage.db import make_engine, session_factory
from duban.storage.models import AuditEvent, Extension, Report, Responsibility


@pytest.mark.departments
def test_the_demo_history_is_journaled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "demo.db"
    runner = CliRunner()
    result = runner.invoke(cli, ["demo", "--db", str(db), "--no-open", "--today", "2026-03-16"])
    assert result.exit_code == 0, result.stderr
    engine = make_engine(f"sqlite:///{db}")
    with session_factory(engine)() as s:

        def events(action: str) -> set[str]:
            return set(s.scalars(select(AuditEvent.entity_id).where(AuditEvent.action == action)))

        reports = {str(i) for i in s.scalars(select(Report.id))}
        reviewed = {str(i) for i in s.scalars(select(Report.id).where(Report.reviewed_at.is_not(None)))}
        requested = {str(i) for i in s.scalars(select(Extension.id))}
        decided = {str(i) for i in s.scalars(select(Extension.id).where(Extension.decided_at.is_not(None)))}
        acked = s.scalar(
            select(func.count())
            .select_from(Responsibility)
            .where(Responsibility.acknowledged_at.is_not(None))
        )
        assert len(reports) > 1000 and events("report.submit") == reports
        assert events("report.accept") | events("report.return") == reviewed
        assert events("extension.request") == requested
        assert events("extension.approve") | events("extension.refuse") == decided
        assert len(events("responsibility.acknowledge")) == acked
        assert s.scalar(select(func.count()).where(Report.reviewed_by == "coordinator")) == 0
        actors = set(s.scalars(select(AuditEvent.actor).where(AuditEvent.action == "report.submit")))
        assert actors == set(s.scalars(select(Report.submitted_by))) and "coordinator" not in actors
    assert runner.invoke(cli, ["--db", str(db), "audit", "verify"]).exit_code == 0

    key = tmp_path / "k"
    assert runner.invoke(cli, ["audit", "keygen", str(key)]).exit_code == 0
    monkeypatch.setenv("DUBAN_AUDIT_KEY_FILE", str(key))
    cp = tmp_path / "cp.json"
    made = runner.invoke(cli, ["--db", str(db), "audit", "checkpoint", "--out", str(cp)])
    assert made.exit_code == 0, made.stderr
    verify = runner.invoke(cli, ["--db", str(db), "audit", "verify", "--checkpoint", str(cp)])
    assert verify.exit_code == 0, verify.stdout
    with engine.begin() as conn:
        conn.execute(update(Report).where(Report.id == min(int(r) for r in reports)).values(text="改过"))
    verify = runner.invoke(cli, ["--db", str(db), "audit", "verify", "--checkpoint", str(cp)])
    assert verify.exit_code == 12 and "数据表在日志之外被修改" in verify.stdout
    engine.dispose()
