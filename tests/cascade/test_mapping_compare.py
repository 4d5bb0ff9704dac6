"""duban map and duban compare through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from duban.errors import PermissionDenied, ValidationError
from duban.services.compare import compare_policies
from duban.services.identity import SYSTEM, Actor
from duban.services.mapping import accept_proposals, confirm_links, list_links, propose_links
from duban.storage.models import AuditEvent, Task, TaskLink
from tests.cascade.conftest import JILIN, NATIONAL, YUNNAN

VIEWER = Actor("v", "viewer")


def _task(session: Session, policy_id: int, number: str) -> Task:
    return session.scalars(select(Task).where(Task.policy_id == policy_id, Task.number == number)).one()


def test_propose_confirm_correct_and_list(session: Session, seeded: dict[str, int]) -> None:
    result = propose_links(session, actor=SYSTEM, child=YUNNAN)
    session.commit()
    assert result.parent == seeded["001"] and len(result.tasks) == 22
    four = next(r for r in result.tasks if r.number == "四")
    assert {p.number for p in four.parents} == {"三", "四"}
    stored = session.scalars(select(TaskLink)).all()
    assert stored and not any(link.confirmed for link in stored)

    # the coordinator corrects 十三: it also carries national 十四's rehabilitation sentence
    thirteen = _task(session, seeded["000"], "十三")
    n13, n14 = _task(session, seeded["001"], "十三"), _task(session, seeded["001"], "十四")
    links = confirm_links(session, actor=SYSTEM, child_task_id=thirteen.id, parent_task_ids=[n13.id, n14.id])
    session.commit()
    assert {link.parent_task_id for link in links} == {n13.id, n14.id} and all(
        link.confirmed for link in links
    )
    added = next(link for link in links if link.parent_task_id == n14.id)
    assert 0 < added.confidence < 0.5  # the matcher's score, kept for the record

    # proposing again keeps the confirmed links of 十三 and re-proposes the others
    again = propose_links(session, actor=SYSTEM, child=YUNNAN)
    session.commit()
    assert next(r for r in again.tasks if r.number == "十三").kept_confirmed
    assert len(session.scalars(select(TaskLink).where(TaskLink.child_task_id == thirteen.id)).all()) == 2

    listing = list_links(session, child=YUNNAN)
    row = next(t for t in listing.tasks if t.number == "十三")
    assert [p.number for p in row.parents] == ["十三", "十四"] and all(p.confirmed for p in row.parents)

    assert accept_proposals(session, actor=SYSTEM, child=YUNNAN, min_confidence=0.9) > 0
    session.commit()
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert {"tasklink.propose", "tasklink.confirm", "tasklink.accept"} <= set(actions)


def test_confirm_without_parents_takes_the_proposal_and_refusals(
    session: Session, seeded: dict[str, int]
) -> None:
    child = _task(session, seeded["002"], "二十")  # 三.二十 → national 一
    with pytest.raises(ValidationError, match="没有映射建议"):
        confirm_links(session, actor=SYSTEM, child_task_id=child.id)
    propose_links(session, actor=SYSTEM, child=JILIN)
    [link] = confirm_links(session, actor=SYSTEM, child_task_id=child.id)
    assert link.confirmed and link.parent_task_id == _task(session, seeded["001"], "一").id
    with pytest.raises(ValidationError, match="同一份政策"):
        confirm_links(session, actor=SYSTEM, child_task_id=child.id, parent_task_ids=[child.id])
    with pytest.raises(PermissionDenied):
        propose_links(session, actor=VIEWER, child=JILIN)
    with pytest.raises(ValidationError, match="--parent"):
        propose_links(session, actor=SYSTEM, child=NATIONAL)


def test_compare_province_with_the_national_policy(session: Session, seeded: dict[str, int]) -> None:
    data = compare_policies(session, child=YUNNAN, parent=NATIONAL)
    assert data.relation == "implements" and len(data.pairs) == 22
    assert data.unmatched_parent == () and data.unmatched_child == ()
    pair = next(p for p in data.pairs if p.number == "八")
    assert pair.parent == "五" and 0 < pair.confidence <= 1
    # national 三: 人社 leads … ; Yunnan 四 (→ 四, a joint task of 农业农村 and 文旅) is led by 农业农村
    four = next(c for c in data.changed_responsibilities if c.number == "四")
    assert ("nongye", "joint", "lead") in [(c.agency, c.before, c.after) for c in four.changes]
    assert any("分工调整" in line for line in data.summary)


def test_compare_sectioned_numbers_and_draft_vs_final(session: Session, seeded: dict[str, int]) -> None:
    data = compare_policies(session, child=JILIN, parent=str(seeded["004"]))
    assert data.relation == "versions"
    assert {p.number for p in data.pairs} >= {"一.一", "三.二十三"}
    assert next(p for p in data.pairs if p.number == "三.二十").parent == "一.一"
    assert [t.number for t in data.unmatched_parent] == ["一.三"]  # removed: 纳入妇女儿童发展规划
    assert data.unmatched_child == ()
    assert [c.number for c in data.changed_responsibilities] == ["一.十一"]  # 妇儿工委 added
    assert any(r.number == "一.一" for r in data.reworded)


def test_compare_prefers_confirmed_links(session: Session, seeded: dict[str, int]) -> None:
    child = _task(session, seeded["000"], "一")
    wrong = _task(session, seeded["001"], "二十三")
    confirm_links(session, actor=SYSTEM, child_task_id=child.id, parent_task_ids=[wrong.id])
    data = compare_policies(session, child=YUNNAN, parent=NATIONAL)
    pair = next(p for p in data.pairs if p.number == "一")
    assert pair.parent == "二十三" and pair.parents[0].confirmed
    assert [t.number for t in data.unmatched_parent] == ["一"]
