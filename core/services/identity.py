"""Who is acting, and what they may do.

Roles: ``coordinator`` (everything), ``department`` (only the responsibilities of their agency in their
jurisdiction), ``viewer`` (read only).

Who is acting is decided here and nowhere else (:func:`os_login`, :func:`find_user`, :func:`resolve_actor`,
:func:`database_owner`).

- **PostgreSQL** (the multi-user deployment, docs/deployment.md): every person is a login role (``duban user
  add`` creates it, :func:`add_user`), and the acting user is the ``app_user`` row whose ``db_role`` is
  ``current_user`` — what the database proved at login, never ``$LOGNAME`` or ``users.map``. Only the
  database's owner (or a superuser) may use ``--as``, and the journal then says "owner 代 user"
  (:func:`duban.services.audit.record`). Row-level security and the privileges of migration 0007 enforce
  the same rules as the ``require_*`` functions below, in the engine.
- **SQLite** is the single-user embedded mode: the OS login (through ``users.map``) is a *hint*, not an
  identity (``getpass`` reads ``$LOGNAME``/``$USER``, which anyone can set); the file's permissions are the
  only protection.

Bootstrap: ``duban init`` on a database without users registers the person running it as the first coordinator
(:func:`duban.services.users.bootstrap_coordinator`). Until a user is registered, whoever runs duban acts
as a coordinator (a fresh single-user installation works without set-up), but ``duban user add`` refuses to
register the first user before ``init`` has registered that coordinator, and no user change may leave the
database without a coordinator (:func:`require_coordinator_left`).
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import UserRole, values
from duban.errors import NotFoundError, PermissionDenied, ValidationError
from duban.services import audit
from duban.services.paging import Page, check_window, count_rows, page_of
from duban.storage.models import Agency, Jurisdiction, User

#: SQLSTATEs duban_create_login raises for a role name that exists or may not be used
DUPLICATE_OBJECT, INVALID_PARAMETER_VALUE = "42710", "22023"
#: transaction-scoped PostgreSQL advisory lock serialising changes of who is coordinator
USERS_LOCK_KEY = 0x6475_7365  # "duse"

ROLES = values(UserRole)


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    agency_key: str | None = None
    jurisdiction_code: str | None = None

    @property
    def is_coordinator(self) -> bool:
        return self.role == UserRole.COORDINATOR

    def label(self) -> str:
        return f"{self.name}（{UserRole(self.role).label}）"


SYSTEM = Actor(audit.SYSTEM_ACTOR, UserRole.COORDINATOR)


def os_login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _actor(user: User) -> Actor:
    return Actor(user.name, user.role, user.agency_key, user.jurisdiction_code)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def login_group(role: str) -> str:
    """The PostgreSQL group role of a duban role (created by migration 0007; fixed, cluster-wide names)."""
    return f"duban_{UserRole(role).value}"


def database_login(session: Session) -> str:
    """PostgreSQL: the role the database authenticated (``current_user``)."""
    return str(session.execute(text("SELECT current_user")).scalar_one())


def find_user(session: Session, login: str, login_map: dict[str, str] | None = None) -> User | None:
    """The user an OS login stands for: through ``users.map``, then ``--os-login``, then the same name."""
    name = (login_map or {}).get(login)
    user = session.get(User, name) if name else None
    return user or session.scalar(select(User).where(User.os_login == login)) or session.get(User, login)


def user_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


def coordinator_names(session: Session) -> list[str]:
    return list(
        session.scalars(select(User.name).where(User.role == UserRole.COORDINATOR).order_by(User.name))
    )


def resolve_actor(
    session: Session,
    *,
    login: str | None = None,
    as_user: str | None = None,
    login_map: dict[str, str] | None = None,
) -> Actor:
    """The acting user.

    PostgreSQL: the user whose ``db_role`` is ``current_user``; a login no user is mapped to is refused,
    except the database's owner, who acts as the user its OS login names (``users.map``) or as a
    coordinator named after its role. ``--as`` only for the owner.
    SQLite: the OS login mapped through config (``users.map``) or ``os_login``; ``--as`` for coordinators.
    """
    if is_postgres(session):
        return _resolve_postgres(session, login=login, as_user=as_user, login_map=login_map)
    login = login or os_login()
    if user_count(session) == 0:
        me = Actor(login, UserRole.COORDINATOR)
    else:
        user = find_user(session, login, login_map)
        if user is None:
            hint = (
                "请协调人运行 duban user add"
                if coordinator_names(session)
                else "数据库中已没有协调人：请数据库的所有者运行 duban user recover（见 docs/workflow.md）"
            )
            raise PermissionDenied(f"操作系统用户 {login} 未登记为 duban 用户：{hint}")
        me = _actor(user)
    if as_user and as_user != me.name:
        if not me.is_coordinator:
            raise PermissionDenied(f"只有协调人可以使用 --as；{me.label()} 不能代表 {as_user} 操作")
        other = session.get(User, as_user)
        if other is None:
            raise NotFoundError(f"没有名为 {as_user} 的用户")
        return _actor(other)
    return me


def _resolve_postgres(
    session: Session, *, login: str | None, as_user: str | None, login_map: dict[str, str] | None
) -> Actor:
    role = database_login(session)
    mapped = session.scalar(select(User).where(User.db_role == role))
    owner = database_owner(session)
    if mapped is not None:
        me = _actor(mapped)
    elif owner.is_owner:
        # the owner can change any row with psql anyway: it may name itself (its OS login, users.map);
        # before init registered anyone, it acts as the coordinator it is about to become
        found = find_user(session, login or os_login(), login_map) if user_count(session) else None
        me = _actor(found) if found is not None else Actor(login or role, UserRole.COORDINATOR)
    else:
        raise PermissionDenied(
            f"数据库角色 {role} 未登记为 duban 用户：请协调人运行 duban user add（见 docs/deployment.md）"
        )
    if as_user and as_user != me.name:
        if not owner.is_owner:
            raise PermissionDenied(
                f"在 PostgreSQL 上只有数据库的所有者可以使用 --as；{me.label()}（数据库角色 {role}）"
                f"不能代表 {as_user} 操作"
            )
        other = session.get(User, as_user)
        if other is None:
            raise NotFoundError(f"没有名为 {as_user} 的用户")
        return _actor(other)
    return me


def new_password() -> str:
    """A generated password for a new login role (printed once by ``duban user add``)."""
    return secrets.token_urlsafe(18)


def scram_verifier(password: str, *, salt: bytes | None = None, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for ``password`` (RFC 5802/7677), computed here so
    that the password itself never reaches the server or its logs."""
    salt = salt or secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def managed_login(session: Session, db_role: str | None) -> bool:
    """Whether ``db_role`` is a login role ``duban user add`` created for this database."""
    if not db_role or not is_postgres(session):
        return False
    return bool(
        session.scalar(
            text(
                "SELECT EXISTS (SELECT 1 FROM pg_roles r JOIN pg_shdescription d ON d.objoid = r.oid "
                "AND d.classoid = 'pg_authid'::regclass WHERE r.rolname = :role "
                "AND d.description = 'duban user of database ' || current_database())"
            ),
            {"role": db_role},
        )
    )


def require_coordinator(actor: Actor, what: str) -> None:
    if not actor.is_coordinator:
        raise PermissionDenied(f"{actor.label()} 无权{what}：只有协调人可以")


def require_writer(actor: Actor, what: str) -> None:
    if actor.role == UserRole.VIEWER:
        raise PermissionDenied(f"{actor.label()} 是只读用户，不能{what}")


def require_department_scope(
    actor: Actor, agency_key: str | None, jurisdiction_code: str | None, what: str
) -> None:
    """A department user may act only for their own agency in their own jurisdiction."""
    require_writer(actor, what)
    if actor.is_coordinator:
        return
    if agency_key != actor.agency_key or (
        actor.jurisdiction_code and jurisdiction_code != actor.jurisdiction_code
    ):
        raise PermissionDenied(
            f"{actor.label()} 属于 {actor.agency_key}@{actor.jurisdiction_code}，"
            f"不能为 {agency_key or '未识别部门'}@{jurisdiction_code} {what}"
        )


def add_user(
    session: Session,
    *,
    actor: Actor,
    name: str,
    role: str,
    agency: str | None = None,
    jurisdiction: str | None = None,
    os_login_name: str | None = None,
    display_name: str | None = None,
    db_role: str | None = None,
    create_login: bool = False,
    password_verifier: str | None = None,
) -> User:
    """Register a user (coordinator only).

    The first user of a database is the coordinator ``duban init`` registers; before that only duban itself
    (``SYSTEM``: the demo, tests) may register one, and it must be a coordinator.

    PostgreSQL: ``db_role`` (default: ``name``) is the login role the person connects as. With
    ``create_login`` it is created in the same transaction, member of the role's group
    (:func:`login_group`), with ``password_verifier`` (:func:`scram_verifier`) or no password at all
    (certificate or peer authentication mapped in pg_hba.conf / pg_ident.conf).
    """
    require_coordinator(actor, "登记用户")
    check_user_fields(session, role=role, agency=agency, jurisdiction=jurisdiction)
    lock_users(session)
    if user_count(session) == 0:
        if actor != SYSTEM:
            raise ValidationError(
                "数据库还没有登记协调人：请先运行 duban init，它把运行它的操作系统用户"
                f"（{actor.name}）登记为第一位协调人；然后再登记其他用户"
            )
        if role != UserRole.COORDINATOR:
            raise ValidationError(f"第一位用户必须是协调人，而 {name} 的角色是 {UserRole(role).label}")
    if session.get(User, name) is not None:
        raise ValidationError(f"用户 {name} 已存在")
    if create_login:
        if not is_postgres(session):
            raise ValidationError("只有 PostgreSQL 有登录角色：SQLite 是单用户模式，由数据库文件的权限保护")
        db_role = db_role or name
    if db_role is not None:
        if len(db_role.encode("utf-8")) > 63:
            raise ValidationError(f"数据库角色名 {db_role} 超过 63 字节")
        if session.scalar(select(User.name).where(User.db_role == db_role)) is not None:
            raise ValidationError(f"数据库角色 {db_role} 已对应另一位用户")
    user = User(
        name=name,
        role=role,
        agency_key=agency,
        jurisdiction_code=jurisdiction,
        os_login=os_login_name,
        display_name=display_name,
        db_role=db_role,
    )
    session.add(user)
    session.flush()
    if create_login:
        try:
            with session.begin_nested():
                session.execute(
                    text("SELECT duban_create_login(:login, :grp, :verifier, :person)"),
                    {
                        "login": db_role,
                        "grp": login_group(role),
                        "verifier": password_verifier,
                        "person": name,
                    },
                )
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) not in (DUPLICATE_OBJECT, INVALID_PARAMETER_VALUE):
                raise
            detail = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
            raise ValidationError(
                f"不能创建登录角色 {db_role}：{detail}（可用 --db-role 另取角色名）"
            ) from exc
    audit.record(
        session,
        actor=actor.name,
        action="user.add",
        entity_type="user",
        entity_id=name,
        after={
            "role": role,
            "agency": agency,
            "jurisdiction": jurisdiction,
            "os_login": os_login_name,
            **({"db_role": db_role, "password": password_verifier is not None} if db_role else {}),
        },
    )
    return user


@dataclass(frozen=True, slots=True)
class UserRow(JsonResult):
    """``duban user list``: a registered user."""

    name: str
    role: UserRole
    agency: str | None
    jurisdiction: str | None
    os_login: str | None
    db_role: str | None = None  #: PostgreSQL: the login role


def list_users(session: Session, *, limit: int | None = None, offset: int = 0) -> list[UserRow]:
    """The registered users by name."""
    return [
        UserRow(u.name, UserRole(u.role), u.agency_key, u.jurisdiction_code, u.os_login, u.db_role)
        for u in session.execute(select(User).order_by(User.name).limit(limit).offset(offset)).scalars()
    ]


def list_users_page(session: Session, *, limit: int = 200, offset: int = 0) -> Page[UserRow]:
    """A page of :func:`list_users` with the number of users (SQL COUNT)."""
    check_window(limit, offset)
    rows = list_users(session, limit=limit, offset=offset)
    return page_of(rows, total=count_rows(session, select(User.name)), limit=limit, offset=offset)


def check_user_fields(session: Session, *, role: str, agency: str | None, jurisdiction: str | None) -> None:
    """A role duban knows; a department user's agency; agency and jurisdiction that exist."""
    if role not in ROLES:
        raise ValidationError(f"角色应为 {'/'.join(ROLES)} 之一，而不是 {role}")
    if role == UserRole.DEPARTMENT and not agency:
        raise ValidationError("部门用户必须指定部门（--agency）")
    if agency and session.get(Agency, agency) is None:
        raise NotFoundError(f"没有代码为 {agency} 的部门")
    if jurisdiction and session.get(Jurisdiction, jurisdiction) is None:
        raise NotFoundError(f"没有代码为 {jurisdiction} 的行政区划")


def lock_users(session: Session) -> None:
    """Serialise changes of who may act until the transaction ends, so that two coordinators demoting each
    other at the same moment cannot both succeed. PostgreSQL: an advisory lock; SQLite: the write lock
    (an UPDATE that matches nothing still takes it; other writers wait for this transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": USERS_LOCK_KEY})
    else:
        session.execute(text("UPDATE app_user SET role = role WHERE 1 = 0"))


def require_coordinator_left(session: Session, user: User, new_role: str | None, what: str) -> None:
    """Refuse to remove (``new_role`` None) or demote the last coordinator (call after :func:`lock_users`)."""
    if user.role != UserRole.COORDINATOR or new_role == UserRole.COORDINATOR:
        return
    others = [n for n in coordinator_names(session) if n != user.name]
    if not others:
        raise ValidationError(
            f"{user.name} 是最后一位协调人，不能{what}：数据库不能没有协调人。"
            "请先登记或指定另一位协调人（duban user add 名称 --role coordinator，"
            "或 duban user role 名称 coordinator），再来办理"
        )


@dataclass(frozen=True, slots=True)
class OwnerCheck(JsonResult):
    """Whether the person at the keyboard owns the database (the SQLite file, or the PostgreSQL database)."""

    is_owner: bool
    detail: str


def database_owner(session: Session) -> OwnerCheck:
    """Does the OS user (SQLite) or the database role (PostgreSQL) running duban own the database?

    Such a person can change any row with ``sqlite3`` or ``psql`` anyway, so letting them restore a
    coordinator (``duban user recover``) gives nobody a power they did not have.
    """
    bind = session.get_bind()
    name = bind.dialect.name
    if name == "sqlite":
        path = bind.engine.url.database
        if not path or path == ":memory:":
            return OwnerCheck(True, "内存数据库")
        stat = os.stat(path)
        if hasattr(os, "getuid"):
            mine = stat.st_uid == os.getuid()
            return OwnerCheck(mine, f"SQLite 文件 {path} 的所有者 uid {stat.st_uid}，当前 uid {os.getuid()}")
        return OwnerCheck(os.access(path, os.W_OK), f"SQLite 文件 {path} 可写")  # pragma: no cover - Windows
    if name == "postgresql":
        row = session.execute(
            text(
                "SELECT current_user AS me, pg_get_userbyid(d.datdba) AS owner, "
                "(r.rolsuper OR pg_has_role(d.datdba, 'MEMBER')) AS ok "
                "FROM pg_database d JOIN pg_roles r ON r.rolname = current_user "
                "WHERE d.datname = current_database()"
            )
        ).one()
        return OwnerCheck(bool(row.ok), f"PostgreSQL 数据库的所有者 {row.owner}，当前角色 {row.me}")
    return OwnerCheck(False, f"不支持的数据库 {name}")
