"""database roles, row-level security and an append-only audit journal (PostgreSQL)

Revision ID: 0007
Revises: 0006

Every backend:

- ``app_user.db_role``: the PostgreSQL login role a person connects as (``duban user add`` creates it); on
  PostgreSQL duban's acting user is the row whose ``db_role`` is ``current_user``.
- ``audit_event.actor`` widened to 200 characters, for "X 代 Y" (X, proven by the database, acting as Y).

PostgreSQL only (see docs/deployment.md):

- the group roles ``duban_coordinator``, ``duban_department`` and ``duban_viewer`` (NOLOGIN, created if
  missing: roles are cluster-wide, so one set serves every duban database of the cluster; the policies below
  admit a login only through *this* database's ``app_user``, so a coordinator of one database is nobody in
  another);
- table privileges: viewers SELECT; department users SELECT plus exactly the columns their work writes;
  coordinators write everything except the journal; nobody but the owner touches ``alembic_version``;
- row-level security on ``responsibility``, ``milestone``, ``report``, ``extension`` and ``finding``: a
  department user sees and writes only the rows of their agency (and jurisdiction, when they have one);
- ``audit_event``: INSERT and SELECT only, a statement trigger refusing UPDATE, DELETE and TRUNCATE to
  everyone (the owner included), and a row trigger refusing an event whose actor is not the login's user;
- ``duban_create_login`` / ``duban_set_login_group`` / ``duban_drop_login``: SECURITY DEFINER functions
  through which a coordinator manages login roles without holding CREATEROLE.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

GROUPS = ("duban_coordinator", "duban_department", "duban_viewer")
#: tables whose rows belong to one agency in one jurisdiction (directly or through a join)
SCOPED = ("responsibility", "milestone", "report", "extension", "finding")
FUNCTIONS = (
    "duban_current_role()",
    "duban_current_name()",
    "duban_in_scope(text, text)",
    "duban_responsibility_in_scope(integer)",
    "duban_milestone_in_scope(integer)",
    "duban_report_in_scope(integer)",
    "duban_is_owner()",
    "duban_guard()",
    "duban_audit_refuse()",
    "duban_audit_check_actor()",
    "duban_create_login(text, text, text, text)",
    "duban_set_login_group(text, text)",
    "duban_drop_login(text)",
)


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("db_role", sa.String(length=63), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_app_user_db_role"), ["db_role"])
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column(
            "actor", existing_type=sa.String(length=80), type_=sa.String(length=200), existing_nullable=False
        )
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgres_downgrade()
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column(
            "actor", existing_type=sa.String(length=200), type_=sa.String(length=80), existing_nullable=False
        )
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_app_user_db_role"), type_="unique")
        batch_op.drop_column("db_role")


def _schema() -> str:
    return str(op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one())


def _postgres_upgrade() -> None:
    s = _schema()
    q = f'"{s}"'
    for group in GROUPS:  # cluster-wide: another database's migration may create it at the same moment
        op.execute(
            f"""DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{group}') THEN
                    CREATE ROLE {group} NOLOGIN;
                END IF;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END $$"""
        )
    groups = ", ".join(GROUPS)
    tables = [
        r[0]
        for r in op.get_bind().exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
    ]
    # --- privileges
    op.execute(f"GRANT USAGE ON SCHEMA {q} TO {groups}")
    for table in tables:
        op.execute(f"REVOKE ALL ON {q}.{table} FROM PUBLIC")
        if table == "alembic_version":
            op.execute(f"GRANT SELECT ON {q}.{table} TO {groups}")
            continue
        if table in ("outbox_message", "notification_attempt"):
            op.execute(f"GRANT SELECT ON {q}.{table} TO duban_coordinator, duban_viewer")
        else:
            op.execute(f"GRANT SELECT ON {q}.{table} TO {groups}")
        if table == "audit_event":
            op.execute(f"GRANT INSERT ON {q}.{table} TO {groups}")
        else:
            op.execute(f"GRANT INSERT, UPDATE, DELETE ON {q}.{table} TO duban_coordinator")
    department = {
        "report": "INSERT, UPDATE (is_current)",
        "extension": "INSERT",
        "responsibility": "UPDATE (state, acknowledged_at, version)",
        "milestone": "UPDATE (first_report_on)",
        "finding": "INSERT, UPDATE, DELETE",
        "check_run": "INSERT, DELETE",
        "calendar_day": "INSERT",
        "calendar_year": "INSERT",
    }
    for table, privileges in department.items():
        op.execute(f"GRANT {privileges} ON {q}.{table} TO duban_department")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q} TO duban_coordinator, duban_department")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {q} GRANT SELECT ON TABLES TO {groups}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {q} GRANT INSERT, UPDATE, DELETE ON TABLES TO duban_coordinator"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {q} GRANT USAGE, SELECT ON SEQUENCES "
        "TO duban_coordinator, duban_department"
    )
    # --- who is connected: plain (invoker's) functions with a fixed search path, so that a temporary
    # table named app_user cannot stand in for the real one
    path = f"SET search_path = pg_catalog, {q}, pg_temp"
    op.execute(
        f"""CREATE FUNCTION {q}.duban_current_role() RETURNS text LANGUAGE sql STABLE {path} AS $$
            SELECT role::text FROM app_user WHERE db_role = current_user $$"""
    )
    op.execute(
        f"""CREATE FUNCTION {q}.duban_current_name() RETURNS text LANGUAGE sql STABLE {path} AS $$
            SELECT name::text FROM app_user WHERE db_role = current_user $$"""
    )
    op.execute(
        f"""CREATE FUNCTION {q}.duban_in_scope(agency text, jurisdiction text) RETURNS boolean
            LANGUAGE sql STABLE {path} AS $$
            SELECT EXISTS (SELECT 1 FROM app_user u WHERE u.db_role = current_user AND u.role = 'department'
                AND u.agency_key = agency
                AND (u.jurisdiction_code IS NULL OR u.jurisdiction_code = jurisdiction)) $$"""
    )
    op.execute(
        f"""CREATE FUNCTION {q}.duban_responsibility_in_scope(rid integer) RETURNS boolean
            LANGUAGE sql STABLE {path} AS $$
            SELECT EXISTS (SELECT 1 FROM responsibility r
                WHERE r.id = rid AND duban_in_scope(r.agency_key, r.jurisdiction_code)) $$"""
    )
    op.execute(
        f"""CREATE FUNCTION {q}.duban_milestone_in_scope(mid integer) RETURNS boolean
            LANGUAGE sql STABLE {path} AS $$
            SELECT EXISTS (SELECT 1 FROM milestone m
                WHERE m.id = mid AND duban_responsibility_in_scope(m.responsibility_id)) $$"""
    )
    op.execute(
        f"""CREATE FUNCTION {q}.duban_report_in_scope(rid integer) RETURNS boolean
            LANGUAGE sql STABLE {path} AS $$
            SELECT EXISTS (SELECT 1 FROM report p
                WHERE p.id = rid AND duban_responsibility_in_scope(p.responsibility_id)) $$"""
    )
    op.execute(
        f"""CREATE FUNCTION {q}.duban_is_owner() RETURNS boolean LANGUAGE sql STABLE {path} AS $$
            SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
                OR pg_has_role(current_user, (SELECT relowner FROM pg_class
                    WHERE oid = '{q}.audit_event'::regclass), 'MEMBER') $$"""
    )
    # --- row-level security: read all (coordinators, viewers), write all (coordinators), own rows
    # (department users). Not FORCEd: the owner is the maintenance role (migrations, the notify timer,
    # recovering a coordinator) and could switch RLS off with ALTER TABLE anyway.
    sees_all = "(SELECT duban_current_role()) IN ('coordinator', 'viewer')"
    is_coordinator = "(SELECT duban_current_role()) = 'coordinator'"
    mine = {
        "responsibility": "duban_in_scope(agency_key, jurisdiction_code)",
        "milestone": "duban_responsibility_in_scope(responsibility_id)",
        "report": "duban_responsibility_in_scope(responsibility_id)",
        "extension": "duban_milestone_in_scope(milestone_id)",
        "finding": "(duban_responsibility_in_scope(responsibility_id) OR duban_report_in_scope(report_id))",
    }
    for table in SCOPED:
        t = f"{q}.{table}"
        op.execute(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY duban_read_all ON {t} FOR SELECT TO duban_coordinator, duban_viewer USING ({sees_all})"
        )
        op.execute(
            f"CREATE POLICY duban_coordinator_all ON {t} FOR ALL TO duban_coordinator "
            f"USING ({is_coordinator}) WITH CHECK ({is_coordinator})"
        )
        op.execute(f"CREATE POLICY duban_department_read ON {t} FOR SELECT TO duban_department USING ({mine[table]})")
        op.execute(
            f"CREATE POLICY duban_department_update ON {t} FOR UPDATE TO duban_department "
            f"USING ({mine[table]}) WITH CHECK ({mine[table]})"
        )
    me = "(SELECT duban_current_name())"
    department_inserts = {
        # a report of one's own responsibility, under one's own name, not yet reviewed
        "report": f"{mine['report']} AND submitted_by = {me} AND review_state = 'submitted' "
        "AND reviewed_by IS NULL AND reviewed_at IS NULL",
        # an extension request of one's own milestone, undecided
        "extension": f"{mine['extension']} AND requested_by = {me} AND state = 'pending' AND decided_by IS NULL",
        "finding": mine["finding"],
    }
    for table, check in department_inserts.items():
        op.execute(
            f"CREATE POLICY duban_department_insert ON {q}.{table} FOR INSERT TO duban_department WITH CHECK ({check})"
        )
    op.execute(
        f"CREATE POLICY duban_department_delete ON {q}.finding FOR DELETE TO duban_department USING ({mine['finding']})"
    )
    # --- every other table: a statement trigger admits writers by this database's app_user, so that a
    # member of duban_coordinator whom this database does not know (group roles are cluster-wide) writes
    # nothing, and nobody writes app_user into a coordinator but a coordinator (or the owner)
    op.execute(
        f"""CREATE FUNCTION {q}.duban_guard() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            BEGIN
                IF duban_is_owner()
                        OR coalesce(duban_current_role(), '') = ANY (string_to_array(TG_ARGV[0], ',')) THEN
                    RETURN NULL;
                END IF;
                RAISE EXCEPTION '% 不能修改 %：只有本数据库的 % 可以（%）', current_user, TG_TABLE_NAME,
                    TG_ARGV[0], TG_OP USING ERRCODE = 'insufficient_privilege';
            END $$"""
    )
    derived = {"check_run", "calendar_day", "calendar_year"}  # caches any writer's status run fills
    for table in tables:
        if table in (*SCOPED, "audit_event", "alembic_version"):
            continue
        writers = "coordinator,department" if table in derived else "coordinator"
        op.execute(
            f"CREATE TRIGGER duban_guard BEFORE INSERT OR UPDATE OR DELETE ON {q}.{table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION duban_guard('{writers}')"
        )
    # a duban database admits its own logins only (duban_create_login grants CONNECT to each)
    op.execute("DO $$ BEGIN EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', "
               "current_database()); END $$")
    # --- the audit journal: append-only in the engine
    op.execute(
        f"""CREATE FUNCTION {q}.duban_audit_refuse() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            BEGIN
                RAISE EXCEPTION '审计日志只能追加：拒绝 % （audit_event is append-only）', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$"""
    )
    op.execute(
        f"CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {q}.audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION duban_audit_refuse()"
    )
    op.execute(
        f"""CREATE FUNCTION {q}.duban_audit_check_actor() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            DECLARE who text;
            BEGIN
                IF duban_is_owner() THEN
                    RETURN NEW;
                END IF;
                who := duban_current_name();
                IF who IS NULL OR NOT (NEW.actor = who OR starts_with(NEW.actor, who || ' 代 ')) THEN
                    RAISE EXCEPTION '审计事件的操作人 % 不是当前登录的用户 %', NEW.actor, coalesce(who, current_user)
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            END $$"""
    )
    op.execute(
        f"CREATE TRIGGER audit_event_actor BEFORE INSERT ON {q}.audit_event "
        "FOR EACH ROW EXECUTE FUNCTION duban_audit_check_actor()"
    )
    # --- login roles, managed by coordinators through the owner's rights (SECURITY DEFINER)
    caller_ok = (
        "(EXISTS (SELECT 1 FROM app_user WHERE db_role = session_user AND role = 'coordinator') "
        f"OR pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = '{q}.app_user'::regclass), "
        "'MEMBER'))"
    )
    checks = f"""
                IF NOT {caller_ok} THEN
                    RAISE EXCEPTION '只有本数据库的协调人可以管理登录角色' USING ERRCODE = 'insufficient_privilege';
                END IF;
                IF grp IS NOT NULL AND grp NOT IN ('duban_coordinator', 'duban_department', 'duban_viewer') THEN
                    RAISE EXCEPTION '未知的用户组 %', grp USING ERRCODE = 'invalid_parameter_value';
                END IF;"""
    managed = f"""
                IF NOT EXISTS (SELECT 1 FROM pg_roles r JOIN pg_shdescription d ON d.objoid = r.oid
                        AND d.classoid = 'pg_authid'::regclass
                        WHERE r.rolname = login AND NOT r.rolsuper
                        AND d.description = 'duban user of database ' || current_database()) THEN
                    RAISE EXCEPTION '角色 % 不是 duban 为本数据库创建的登录角色', login
                        USING ERRCODE = 'insufficient_privilege';
                END IF;"""
    op.execute(
        f"""CREATE FUNCTION {q}.duban_create_login(login text, grp text, verifier text, person text)
            RETURNS void LANGUAGE plpgsql SECURITY DEFINER {path} AS $$
            BEGIN {checks}
                IF login LIKE 'pg\\_%' OR login IN ('duban_coordinator', 'duban_department', 'duban_viewer') THEN
                    RAISE EXCEPTION '不能用 % 作登录角色名', login USING ERRCODE = 'invalid_parameter_value';
                END IF;
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = login) THEN
                    RAISE EXCEPTION '登录角色 % 已存在', login USING ERRCODE = 'duplicate_object';
                END IF;
                EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT IN ROLE %I',
                               login, grp);
                IF verifier IS NOT NULL THEN
                    EXECUTE format('ALTER ROLE %I PASSWORD %L', login, verifier);
                END IF;
                EXECUTE format('COMMENT ON ROLE %I IS %L', login, 'duban user of database ' || current_database());
                EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
                EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), login);
            END $$"""
    )
    op.execute(
        f"""CREATE FUNCTION {q}.duban_set_login_group(login text, grp text)
            RETURNS void LANGUAGE plpgsql SECURITY DEFINER {path} AS $$
            BEGIN {checks} {managed}
                EXECUTE format('REVOKE duban_coordinator, duban_department, duban_viewer FROM %I', login);
                EXECUTE format('GRANT %I TO %I', grp, login);
            END $$"""
    )
    op.execute(
        f"""CREATE FUNCTION {q}.duban_drop_login(login text)
            RETURNS void LANGUAGE plpgsql SECURITY DEFINER {path} AS $$
            DECLARE grp text := NULL;
            BEGIN {checks} {managed}
                EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM %I', current_database(), login);
                EXECUTE format('DROP ROLE %I', login);
            END $$"""
    )
    for fn in ("duban_create_login(text, text, text, text)", "duban_set_login_group(text, text)", "duban_drop_login(text)"):
        op.execute(f"REVOKE ALL ON FUNCTION {q}.{fn} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {q}.{fn} TO duban_coordinator")


def _postgres_downgrade() -> None:
    """Undo everything but the group roles: they are cluster-wide and may serve other databases."""
    q = f'"{_schema()}"'
    groups = ", ".join(GROUPS)
    op.execute(f"DROP TRIGGER IF EXISTS audit_event_append_only ON {q}.audit_event")
    op.execute(f"DROP TRIGGER IF EXISTS audit_event_actor ON {q}.audit_event")
    for (table,) in op.get_bind().exec_driver_sql(
        "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE t.tgname = 'duban_guard' AND c.relnamespace = current_schema()::regnamespace"
    ):
        op.execute(f"DROP TRIGGER IF EXISTS duban_guard ON {q}.{table}")
    op.execute("DO $$ BEGIN EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO PUBLIC', "
               "current_database()); END $$")
    for table in SCOPED:
        for policy in (
            "duban_read_all",
            "duban_coordinator_all",
            "duban_department_read",
            "duban_department_update",
            "duban_department_insert",
            "duban_department_delete",
        ):
            op.execute(f"DROP POLICY IF EXISTS {policy} ON {q}.{table}")
        op.execute(f"ALTER TABLE {q}.{table} DISABLE ROW LEVEL SECURITY")
    for fn in reversed(FUNCTIONS):
        op.execute(f"DROP FUNCTION IF EXISTS {q}.{fn}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {q} REVOKE ALL ON TABLES FROM {groups}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {q} REVOKE ALL ON SEQUENCES FROM {groups}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {q} FROM {groups}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {q} FROM {groups}")
    op.execute(f"REVOKE USAGE ON SCHEMA {q} FROM {groups}")
