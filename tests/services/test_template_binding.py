"""Template binding on the five seed documents: what is proposed (hand-checked), confirming, rejecting, the
task mapping, and which template a report is checked against."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from duban.errors import PermissionDenied, ValidationError
from duban.plugin_host import PluginHost
from duban.services.identity import SYSTEM, Actor
from duban.services.importing import import_policy
from duban.services.templates import (
    bind_template,
    choose_template,
    confirm_binding,
    list_bindings,
    propose_template_bindings,
    reject_binding,
)
from duban.storage.models import Policy, Responsibility, Task, TaskLink, TemplateBinding
from tests.conftest import SEEDS

MZ = Actor("mz", "department", "minzheng", "000000")

NATIONAL = "民发〔2019〕86号"
YUNNAN = "云民发〔2020〕8号"
JILIN = "吉民发〔2020〕28号"
ACTION_PLAN = "农村留守妇女困难群体精准关爱帮扶行动方案"


def import_seeds(session: Session, host: PluginHost) -> None:
    for path in sorted(SEEDS.glob("00*.txt")):
        import_policy(session, actor=SYSTEM, host=host, path=path)
    session.commit()


def proposals(session: Session, host: PluginHost) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """(document, task number) → {(agency, template)} of every stored binding."""
    page = list_bindings(session, host=host, limit=10_000)
    out: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for r in page.items:
        out.setdefault((r.policy, r.task_number), set()).add((r.agency, r.template))
    return out


def task_of(session: Session, doc: str, number: str, section: str | None = None) -> Task:
    policy = session.scalars(select(Policy).where((Policy.doc_number == doc) | (Policy.title == doc))).one()
    stmt = select(Task).where(Task.policy_id == policy.id, Task.number == number)
    if section is not None:
        stmt = stmt.where(Task.section == section)
    return session.scalars(stmt).one()


def test_the_seeds_get_sensible_proposals(session: Session, host: PluginHost) -> None:
    import_seeds(session, host)
    result = propose_template_bindings(session, actor=SYSTEM, host=host)
    session.commit()
    assert len(result.policies) == 5 and result.existing == 0
    got = proposals(session, host)

    # 信息台账 ↔ 民政, in every document that has the duty, and nobody else's template there
    for where in [(NATIONAL, "二十三"), (YUNNAN, "二十二"), (JILIN, "三.二十三"), (ACTION_PLAN, "03.一")]:
        assert ("minzheng", "minzheng.ledger") in got[where], where
    assert got[(NATIONAL, "二十三")] == {
        ("minzheng", "minzheng.ledger")
    }  # 妇联 supports, has no 台账 template
    draft = (
        "加强农村留守妇女关爱服务工作的实施方案"  # the Jilin draft has no doc number: found by its keywords
    )
    assert ("minzheng", "minzheng.ledger") in got[(draft, "一.五")]

    # 云南 任务分工六: 手拉手 and the four festival visits, all 妇联's
    assert got[(YUNNAN, "六")] == {
        ("fulian", "fulian.hand_in_hand"),
        ("fulian", "fulian.visit_new_year"),
        ("fulian", "fulian.visit_spring_festival"),
        ("fulian", "fulian.visit_womens_day"),
        ("fulian", "fulian.visit_mothers_day"),
    }
    # 任务分工二十二 (a focal person and an annual plan): each of the thirteen agencies its own template
    annual = got[(NATIONAL, "二十二")]
    assert len(annual) == 13 and all(t == f"{a}.annual_plan" for a, t in annual)

    # nothing absurd: the visit templates only where visits are, no template for an agency without a part
    visits = {k for k, v in got.items() if any(t.startswith("fulian.visit_") for _a, t in v)}
    assert visits == {(YUNNAN, "六")}
    assert ("fulian", "fulian.family_education") not in got.get((YUNNAN, "十九"), set())  # 家庭教育家风
    assert (NATIONAL, "二十一") not in got  # 打击侵害女童违法犯罪 is not 公安's 打击 duty toward 留守妇女
    agencies_of = {
        (t.id): {r.agency_key for r in t.responsibilities} for t in session.scalars(select(Task)).all()
    }
    for b in session.scalars(select(TemplateBinding)):
        assert b.agency_key in agencies_of[b.task_id]
        assert b.template_key.startswith(f"{b.agency_key}.")

    # proposing again changes nothing
    again = propose_template_bindings(session, actor=SYSTEM, host=host)
    assert again.proposed == () and again.existing == len(session.scalars(select(TemplateBinding)).all())


def test_confirm_reject_bind_and_permissions(session: Session, host: PluginHost) -> None:
    import_seeds(session, host)
    with pytest.raises(PermissionDenied):
        propose_template_bindings(session, actor=MZ, host=host, policy=NATIONAL)
    propose_template_bindings(session, actor=SYSTEM, host=host, policy=NATIONAL)
    ledger = session.scalars(
        select(TemplateBinding).where(TemplateBinding.template_key == "minzheng.ledger")
    ).one()
    row = confirm_binding(session, actor=SYSTEM, host=host, binding_id=ledger.id)
    assert row.state == "confirmed" and row.decided_by == SYSTEM.name
    assert confirm_binding(session, actor=SYSTEM, host=host, binding_id=ledger.id) == row  # twice: no change
    rejected = reject_binding(session, actor=SYSTEM, host=host, binding_id=ledger.id, reason="另行安排")
    assert rejected.state == "rejected" and rejected.note == "另行安排"
    # a rejected binding is not proposed again
    assert propose_template_bindings(session, actor=SYSTEM, host=host, policy=NATIONAL).proposed == ()
    # binding by hand needs a part of the template's agency in the task
    t5 = task_of(session, NATIONAL, "五")  # 民政 alone
    with pytest.raises(ValidationError, match="没有 fulian 部门的责任"):
        bind_template(session, actor=SYSTEM, host=host, task_id=t5.id, template="fulian.hand_in_hand")
    with pytest.raises(Exception, match="没有模板 minzheng.nothing"):
        bind_template(session, actor=SYSTEM, host=host, task_id=t5.id, template="minzheng.nothing")
    manual = bind_template(session, actor=SYSTEM, host=host, task_id=t5.id, template="minzheng.social_work")
    assert manual.state == "confirmed" and manual.source == "manual"
    page = list_bindings(session, host=host, policy=NATIONAL, state="confirmed")
    assert [r.template for r in page.items] == ["minzheng.social_work"] and page.total == 1


def test_a_provincial_task_binds_through_the_task_mapping(session: Session, host: PluginHost) -> None:
    """A county plan without doc-number hints or keywords gets the template of the national task it
    implements (TaskLink), for the agencies that answer for it there too."""
    import_seeds(session, host)
    national = task_of(session, NATIONAL, "二十三")
    county = Policy(
        doc_number="某民发〔2021〕1号", title="某县落实方案", jurisdiction_code="530000", level="county"
    )
    child = Task(number="一", text="做好留守妇女的基础信息工作，每半年报一次。", position=1)
    child.responsibilities.append(
        Responsibility(agency_key="minzheng", name_as_written="县民政局", role="lead")
    )
    child.responsibilities.append(
        Responsibility(agency_key="gongan", name_as_written="县公安局", role="support")
    )
    county.tasks.append(child)
    session.add(county)
    session.flush()
    session.add(TaskLink(child_task_id=child.id, parent_task_id=national.id, confidence=0.8, confirmed=True))
    session.commit()

    # the national document was never proposed: its would-be binding is carried over, at a lower score
    result = propose_template_bindings(session, actor=SYSTEM, host=host, policy="某民发〔2021〕1号")
    assert [(r.agency, r.template, r.source) for r in result.proposed] == [
        ("minzheng", "minzheng.ledger", "mapping")
    ]
    assert result.proposed[0].score == pytest.approx(0.81)
    assert f"{NATIONAL} 二十三" in result.proposed[0].reason


def test_the_report_picks_the_reporting_agencys_template(session: Session, host: PluginHost) -> None:
    import_seeds(session, host)
    propose_template_bindings(session, actor=SYSTEM, host=host, policy=YUNNAN)
    for b in session.scalars(select(TemplateBinding)):
        confirm_binding(session, actor=SYSTEM, host=host, binding_id=b.id)
    annual = task_of(session, YUNNAN, "二十一")
    assert choose_template(session, host=host, task=annual, agency="gongan").key == "gongan.annual_plan"
    assert choose_template(session, host=host, task=annual, agency="fulian").key == "fulian.annual_plan"

    visits = task_of(session, YUNNAN, "六")  # five templates of 妇联
    with pytest.raises(ValidationError, match="绑定了多个模板"):
        choose_template(session, host=host, task=visits, agency="fulian")
    assert (
        choose_template(session, host=host, task=visits, agency="fulian", indicator_keys=["fulian.pairs"]).key
        == "fulian.hand_in_hand"
    )
    with pytest.raises(ValidationError, match="fulian.visit_new_year"):  # the four visits share indicators
        choose_template(session, host=host, task=visits, agency="fulian", indicator_keys=["fulian.visited"])
    chosen = choose_template(
        session, host=host, task=visits, agency="fulian", requested="fulian.visit_spring_festival"
    )
    assert chosen.key == "fulian.visit_spring_festival"
    with pytest.raises(ValidationError, match="未绑定到任务"):
        choose_template(session, host=host, task=visits, agency="fulian", requested="fulian.best_family")

    unbound = task_of(session, YUNNAN, "一")  # 党的领导: no template of anyone
    free = choose_template(session, host=host, task=unbound, agency="minzheng")
    assert free.template is None and free.note == "此任务尚未绑定部门模板，按自由文本报送"
