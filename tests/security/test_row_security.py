"""PostgreSQL refuses, in the engine, what duban's services refuse: each test connects as a login role that
``duban user add`` made (coordinator, department, viewer) and runs plain SQL.

Login roles are cluster-wide: they carry a per-test prefix and are dropped with the test's database
(tests/conftest.py drops every role commented "duban user of database <name>").
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from duban.errors import PermissionDenied
from duban.plugin_host import PluginHost
from duban.services import audit
from duban.services.identity import SYSTEM, add_user, resolve_actor, scram_verifier
from duban.services.reports import submit_report
from duban.storage.db import make_engine, session_factory
from tests.services.workflow_scenario import Scenario, at, build

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("backend", ["postgres"], indirect=True)]


@dataclass
class Secured:
    url: str
    scenario: Scenario
    logins: dict[str, str]  # duban user -> login role

    def engine(self, user: str) -> Engine:
        return create_engine(make_url(self.url).set(username=self.logins[user]))


@pytest.fixture
def secured(db_url: str) -> Iterator[Secured]:
    prefix = f"t{uuid.uuid4().hex[:8]}_"
    engine = make_engine(db_url)
    logins = {}
    with session_factory(engine)() as session:
        scenario = build(session)  # users coord, mz, fl, viewer without logins; data of four agencies
        for name, role, agency in (
            ("s_coord", "coordinator", None),
            ("s_mz", "department", "minzheng"),
            ("s_fl", "department", "fulian"),
            ("s_viewer", "viewer", None),
        ):
            add_user(
                session,
                actor=SYSTEM,
                name=name,
                role=role,
                agency=agency,
                jurisdiction="530000" if agency else None,
                db_role=prefix + name,
                create_login=True,
                password_verifier=scram_verifier("secret") if role == "coordinator" else None,
            )
            logins[name] = prefix + name
        session.commit()
    engine.dispose()
    secured = Secured(db_url, scenario, logins)
    yield secured


def refused(conn: Connection, sql: str, **params: object) -> str:
    """Run ``sql`` in a savepoint and return the engine's error (the test fails if it succeeds)."""
    with pytest.raises(DBAPIError) as info:  # noqa: PT012 - the savepoint is part of the statement
        with conn.begin_nested():
            conn.execute(text(sql), params)
    return str(info.value.orig)


def count(conn: Connection, sql: str, **params: object) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM ({sql}) x"), params).scalar_one())


def test_login_roles_are_members_of_their_group_with_a_scram_verifier(secured: Secured) -> None:
    admin = make_engine(secured.url)
    with admin.connect() as conn:
        groups = dict(
            conn.execute(
                text(
                    "SELECT m.rolname, g.rolname FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member "
                    "JOIN pg_roles g ON g.oid = a.roleid WHERE m.rolname = ANY(:names)"
                ),
                {"names": list(secured.logins.values())},
            ).all()
        )
        secret = conn.execute(
            text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": secured.logins["s_coord"]}
        ).scalar_one()
        nopass = conn.execute(
            text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": secured.logins["s_mz"]}
        ).scalar_one()
    admin.dispose()
    assert groups == {
        secured.logins["s_coord"]: "duban_coordinator",
        secured.logins["s_mz"]: "duban_department",
        secured.logins["s_fl"]: "duban_department",
        secured.logins["s_viewer"]: "duban_viewer",
    }
    assert secret.startswith("SCRAM-SHA-256$4096:") and nopass is None


def test_a_department_sees_only_its_own_rows(secured: Secured) -> None:
    s = secured.scenario
    with secured.engine("s_mz").connect() as conn:
        agencies = set(conn.execute(text("SELECT agency_key FROM responsibility")).scalars())
        assert agencies == {"minzheng"}
        assert set(conn.execute(text("SELECT id FROM milestone")).scalars()) == {s.m1.id, s.m2.id, s.m4.id}
        assert count(conn, "SELECT * FROM milestone WHERE id = :m", m=s.m3.id) == 0
        # no temporary tables (TEMPORARY is revoked from PUBLIC) ...
        assert "permission denied" in refused(conn, "CREATE TEMP TABLE app_user (name text)")
    admin = create_engine(make_url(secured.url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        database = make_url(secured.url).database
        conn.execute(text(f'GRANT TEMPORARY ON DATABASE "{database}" TO "{secured.logins["s_mz"]}"'))
    admin.dispose()
    with secured.engine("s_mz").connect() as conn:
        # ... and even with them, the policies cannot be fooled by a temporary table called app_user
        conn.execute(text("CREATE TEMP TABLE app_user AS SELECT * FROM public.app_user WITH NO DATA"))
        conn.execute(
            text(
                "INSERT INTO pg_temp.app_user (name, role, db_role) VALUES ('x', 'coordinator', current_user)"
            )
        )
        assert set(conn.execute(text("SELECT agency_key FROM responsibility")).scalars()) == {"minzheng"}


def test_a_department_cannot_touch_another_agencys_report(secured: Secured, host: PluginHost) -> None:
    s = secured.scenario
    admin = make_engine(secured.url)
    with session_factory(admin)() as session:  # a report of 妇联, as the owner
        fl = resolve_actor(session, as_user="fl")
        theirs = submit_report(
            session, actor=fl, host=host, responsibility_id=s.r_fl.id, milestone_id=s.m3.id, text="妇联进展"
        ).report.id
        session.commit()
    admin.dispose()
    with secured.engine("s_mz").connect() as conn:
        assert count(conn, "SELECT * FROM report") == 0  # sees zero rows of others
        updated = conn.execute(text("UPDATE report SET is_current = false WHERE id = :id"), {"id": theirs})
        assert updated.rowcount == 0  # the row is invisible: nothing changed
        # a report on another agency's responsibility
        error = refused(
            conn,
            "INSERT INTO report (responsibility_id, milestone_id, text, indicators, attachments, submitted_by, "
            "submitted_at, submitted_on, review_state, version, is_current) VALUES (:r, :m, '越权', '{}', '[]', "
            "'s_mz', now(), current_date, 'submitted', 1, true)",
            r=s.r_fl.id,
            m=s.m3.id,
        )
        assert "row-level security" in error
        # on its own responsibility, but already accepted, or under another name
        for who, state in (("s_mz", "accepted"), ("coord", "submitted")):
            error = refused(
                conn,
                "INSERT INTO report (responsibility_id, milestone_id, text, indicators, attachments, "
                "submitted_by, submitted_at, submitted_on, review_state, version, is_current) VALUES "
                "(:r, :m, '自批', '{}', '[]', :who, now(), current_date, :state, 1, true)",
                r=s.r_mz.id,
                m=s.m1.id,
                who=who,
                state=state,
            )
            assert "row-level security" in error
        # reviewing is a coordinator's: the department has no privilege on the review columns
        assert "permission denied" in refused(conn, "UPDATE report SET review_state = 'accepted'")
        assert "permission denied" in refused(conn, "UPDATE responsibility SET agency_key = 'fulian'")
        # importing: no INSERT on policy, task or responsibility
        assert "permission denied" in refused(
            conn,
            "INSERT INTO policy (title, issuers, status, imported_at) "
            "VALUES ('伪造', '[]', 'in_force', now())",
        )
        assert "permission denied" in refused(
            conn,
            "INSERT INTO responsibility (task_id, agency_key, name_as_written, role, state, version) "
            "VALUES (:t, 'minzheng', 'x', 'lead', 'assigned', 1)",
            t=s.t2.id,
        )
        # configuring: users, calendar decisions, aliases; and the login functions
        assert "permission denied" in refused(conn, "UPDATE app_user SET role = 'coordinator'")
        assert "permission denied" in refused(
            conn, "SELECT duban_create_login('x', 'duban_coordinator', NULL, 'x')"
        )


def test_a_viewer_writes_nothing(secured: Secured) -> None:
    s = secured.scenario
    with secured.engine("s_viewer").connect() as conn:
        assert set(conn.execute(text("SELECT agency_key FROM responsibility")).scalars()) == {
            "minzheng",
            "fulian",
            "gongan",
            "sifa",
        }
        for sql in (
            "INSERT INTO policy (title, issuers, status, imported_at) VALUES ('x', '[]', 'in_force', now())",
            "INSERT INTO extension (milestone_id, requested_by, requested_at, reason, progress, new_date, state) "
            f"VALUES ({s.m1.id}, 's_viewer', now(), 'x', '', current_date, 'pending')",
            f"UPDATE responsibility SET state = 'closed' WHERE id = {s.r_mz.id}",
            f"DELETE FROM milestone WHERE id = {s.m1.id}",
            "INSERT INTO app_user (name, role) VALUES ('x', 'coordinator')",
            "INSERT INTO agency_alias (name, agency_key, created_by, created_at) VALUES ('x', 'minzheng', 'v', now())",
            "UPDATE app_meta SET value = 'x'",
        ):
            assert "permission denied" in refused(conn, sql)


def test_a_coordinator_reviews_and_a_stranger_to_this_database_sees_nothing(secured: Secured) -> None:
    s = secured.scenario
    with secured.engine("s_coord").begin() as conn:
        assert count(conn, "SELECT * FROM responsibility") == 4
        conn.execute(
            text("UPDATE responsibility SET state = 'acknowledged' WHERE id = :id"), {"id": s.r_mz.id}
        )
    # a member of duban_coordinator whom this database's app_user does not know (e.g. a coordinator of
    # another duban database on the same cluster)
    admin = create_engine(make_url(secured.url), isolation_level="AUTOCOMMIT")
    stranger = f"t{uuid.uuid4().hex[:8]}_stranger"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{stranger}" LOGIN IN ROLE duban_coordinator'))
        conn.execute(
            text(
                f"COMMENT ON ROLE \"{stranger}\" IS 'duban user of database {make_url(secured.url).database}'"
            )
        )
        # even if a DBA lets it connect
        conn.execute(text(f'GRANT CONNECT ON DATABASE "{make_url(secured.url).database}" TO "{stranger}"'))
    try:
        other = create_engine(make_url(secured.url).set(username=stranger))
        with other.connect() as conn:
            assert count(conn, "SELECT * FROM responsibility") == 0
            assert count(conn, "SELECT * FROM report") == 0
            closed = conn.execute(
                text("UPDATE responsibility SET state = 'closed' WHERE id = :id"), {"id": s.r_mz.id}
            )
            assert closed.rowcount == 0
            for sql in (
                "INSERT INTO agency_alias (name, agency_key, created_by, created_at) "
                "VALUES ('x', 'minzheng', 'x', now())",
                "INSERT INTO app_user (name, role, db_role) VALUES ('me', 'coordinator', current_user)",
                "UPDATE policy SET title = 'x'",
            ):
                assert "只有本数据库的 coordinator 可以" in refused(conn, sql)
        other.dispose()
        # and without CONNECT (granted by duban user add to its own logins only) it cannot even connect
        with admin.connect() as conn:
            conn.execute(text(f'CREATE ROLE "{stranger}_2" LOGIN IN ROLE duban_coordinator'))
            conn.execute(
                text(
                    f"COMMENT ON ROLE \"{stranger}_2\" IS 'duban user of database {make_url(secured.url).database}'"
                )
            )
        nobody = create_engine(make_url(secured.url).set(username=f"{stranger}_2"))
        with pytest.raises(OperationalError, match="CONNECT"):
            nobody.connect()
        nobody.dispose()
    finally:  # both carry this database's comment: dropped with it (tests/conftest.py)
        admin.dispose()


def test_the_journal_is_append_only_for_everyone(secured: Secured) -> None:
    admin = make_engine(secured.url)
    with session_factory(admin)() as session:
        audit.record(session, actor="coord", action="test.event", entity_type="test", entity_id=1)
        session.commit()
    admin.dispose()
    for user in ("s_mz", "s_viewer", "s_coord"):
        with secured.engine(user).connect() as conn:
            for sql in (
                "UPDATE audit_event SET actor = 'x'",
                "DELETE FROM audit_event",
                "TRUNCATE audit_event",
            ):
                error = refused(conn, sql)
                assert "permission denied" in error or "append-only" in error, (user, sql, error)
    # the owner (here a superuser) too: the trigger refuses UPDATE, DELETE and TRUNCATE
    with create_engine(secured.url).connect() as conn:
        for sql in ("UPDATE audit_event SET actor = 'x'", "DELETE FROM audit_event", "TRUNCATE audit_event"):
            assert "append-only" in refused(conn, sql)
        assert count(conn, "SELECT * FROM audit_event") > 0


def test_a_department_cannot_forge_another_actor_but_records_its_own_work(
    secured: Secured, host: PluginHost
) -> None:
    s = secured.scenario
    with secured.engine("s_mz").connect() as conn:
        error = refused(
            conn,
            "INSERT INTO audit_event (seq, at, actor, action, entity_type, entity_id, prev_hash, hash) "
            "VALUES (999, now(), 'coord', 'review.accept', 'report', '1', '', '')",
        )
        assert "不是当前登录的用户" in error
    # through the services, as the department's login: report and audit event in one transaction
    engine = secured.engine("s_mz")
    with session_factory(engine)() as session:
        me = resolve_actor(session)
        assert (me.name, me.agency_key) == ("s_mz", "minzheng")
        with pytest.raises(PermissionDenied, match="所有者"):
            resolve_actor(session, as_user="coord")
        submit_report(
            session,
            actor=me,
            host=host,
            responsibility_id=s.r_mz.id,
            milestone_id=s.m1.id,
            text="民政进展",
            **at("2026-01-20"),
        )
        session.commit()
        actors = list(
            session.execute(text("SELECT actor FROM audit_event ORDER BY seq DESC LIMIT 1")).scalars()
        )
    engine.dispose()
    assert actors == ["s_mz"]
    admin = make_engine(secured.url)
    with session_factory(admin)() as session:
        assert audit.verify(session) == []
        # the owner acting as someone: "X 代 Y"
        as_mz = resolve_actor(session, as_user="mz")
        audit.record(session, actor=as_mz.name, action="test.as", entity_type="test", entity_id=1)
        session.commit()
        last = session.execute(text("SELECT actor FROM audit_event ORDER BY seq DESC LIMIT 1")).scalar_one()
    admin.dispose()
    assert last.endswith(" 代 mz")


def test_a_failed_write_leaves_neither_the_row_nor_its_event(secured: Secured, host: PluginHost) -> None:
    s = secured.scenario
    engine = secured.engine("s_mz")
    with session_factory(engine)() as session:
        before = session.execute(text("SELECT count(*) FROM audit_event")).scalar_one()
        me = resolve_actor(session)
        with pytest.raises((PermissionDenied, ProgrammingError, Exception)):
            submit_report(
                session, actor=me, host=host, responsibility_id=s.r_fl.id, milestone_id=s.m3.id, text="x"
            )
        session.rollback()
        assert session.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == before
    engine.dispose()


def test_a_departments_check_run_never_answers_for_a_coordinator(secured: Secured, host: PluginHost) -> None:
    from duban.services.responsibility_checks import run_responsibility_checks

    day = at("2026-02-10")["today"]
    engine = secured.engine("s_mz")
    with session_factory(engine)() as session:
        mine = run_responsibility_checks(
            session, host=host, as_of=day, actor=resolve_actor(session), today=day
        )
        session.commit()
    engine.dispose()
    assert mine.responsibilities == 1 and not mine.cached  # only 民政's, through row-level security
    admin = make_engine(secured.url)
    with session_factory(admin)() as session:
        everything = run_responsibility_checks(
            session, host=host, as_of=day, actor=resolve_actor(session, as_user="coord"), today=day
        )
        session.commit()
    admin.dispose()
    assert everything.responsibilities == 4 and not everything.cached
    with session_factory(engine)() as session:  # and the coordinator's run answers for the department
        again = run_responsibility_checks(
            session, host=host, as_of=day, actor=resolve_actor(session), today=day
        )
    engine.dispose()
    assert again.cached and again.responsibilities == 1


def test_an_existing_or_reserved_role_name_is_refused(secured: Secured) -> None:
    from duban.errors import ValidationError

    engine = make_engine(secured.url)
    with session_factory(engine)() as session:
        for role in (secured.logins["s_mz"], "pg_monitor", "duban_coordinator", "postgres"):
            with pytest.raises(ValidationError, match="不能创建登录角色|已对应另一位用户"):
                add_user(
                    session, actor=SYSTEM, name=f"x{role}", role="viewer", db_role=role, create_login=True
                )
            session.rollback()
    engine.dispose()
