"""Open work of a dissolved agency is shown against its successor without rewriting history."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from duban.domain.schedule import milestone_key
from duban.errors import PermissionDenied
from duban.plugin_host import PluginHost
from duban.services.identity import Actor
from duban.services.reports import submit_report
from duban.services.status import Scope, overdue, responsibility_rows, summary
from duban.storage.models import Agency, Milestone, Responsibility
from tests.services.workflow_scenario import at, build

NONGYE = Actor("ny", "department", "nongye", "530000")
FUPIN = Actor("fp", "department", "fupin", "530000")


def test_fupin_work_moves_to_nongye_from_2023(session: Session, host: PluginHost) -> None:
    s = build(session)
    fupin = session.get(Agency, "fupin")
    assert fupin is not None and fupin.successor_key == "nongye" and fupin.successor_since.year == 2023
    resp = Responsibility(
        agency_key="fupin", name_as_written="省扶贫办", role="support", jurisdiction_code="530000"
    )
    s.t1.responsibilities.append(resp)
    session.flush()
    for period, due in (("2020", "2020-12-31"), ("2024", "2024-12-31")):
        d = dt.date.fromisoformat(due)
        session.add(
            Milestone(
                key=milestone_key(s.t1.id, resp.id, period),
                task_id=s.t1.id,
                responsibility_id=resp.id,
                period=period,
                due_date=d,
                effective_due_date=d,
            )
        )
    session.commit()

    def agency_of(day: str) -> str:
        rows = responsibility_rows(session, as_of=dt.date.fromisoformat(day), scope=Scope())
        return next(r.agency for r in rows if r.responsibility == resp.id)

    assert agency_of("2021-06-01") == "fupin"
    assert agency_of("2024-06-01") == "nongye"
    depts = {d.agency for d in summary(session, as_of=dt.date(2025, 3, 1)).departments}
    assert "nongye" in depts and "fupin" not in depts
    late = [
        o
        for o in overdue(session, as_of=dt.date(2025, 3, 1), scope=Scope(agency="nongye"))
        if o.responsibility == resp.id
    ]
    assert [(o.agency, o.recorded_agency) for o in late] == [("nongye", "fupin"), ("nongye", "fupin")]

    with pytest.raises(PermissionDenied):
        submit_report(
            session, actor=FUPIN, host=host, responsibility_id=resp.id, text="扶贫办报送", **at("2024-03-01")
        )
    report = submit_report(
        session,
        actor=NONGYE,
        host=host,
        responsibility_id=resp.id,
        text="农业农村厅接续办理",
        **at("2024-03-01"),
    ).report
    session.commit()
    assert report.submitted_by == "ny"
    assert session.get(Responsibility, resp.id).agency_key == "fupin"  # history is not rewritten
