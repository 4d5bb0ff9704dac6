"""Who is acting, and what they may do.

Roles: ``coordinator`` (everything), ``department`` (only the responsibilities of their agency in their
jurisdiction), ``viewer`` (read only). Until the first user is registered, whoever runs duban acts as a
coordinator, so a fresh single-user installation works without set-up.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import UserRole, values
from duban.errors import NotFoundError, PermissionDenied, ValidationError
from duban.services import audit
from duban.storage.models import Agency, Jurisdiction, User

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


def resolve_actor(
    session: Session,
    *,
    login: str | None = None,
    as_user: str | None = None,
    login_map: dict[str, str] | None = None,
) -> Actor:
    """The acting user: the OS login mapped through config (``users.map``) or ``os_login``; ``--as`` only
    for coordinators."""
    login = login or os_login()
    if session.scalar(select(func.count()).select_from(User)) == 0:
        me = Actor(login, UserRole.COORDINATOR)
    else:
        name = (login_map or {}).get(login)
        user = session.get(User, name) if name else None
        user = user or session.scalar(select(User).where(User.os_login == login)) or session.get(User, login)
        if user is None:
            raise PermissionDenied(f"操作系统用户 {login} 未登记为 duban 用户：请协调人运行 duban user add")
        me = _actor(user)
    if as_user and as_user != me.name:
        if not me.is_coordinator:
            raise PermissionDenied(f"只有协调人可以使用 --as；{me.label()} 不能代表 {as_user} 操作")
        other = session.get(User, as_user)
        if other is None:
            raise NotFoundError(f"没有名为 {as_user} 的用户")
        return _actor(other)
    return me


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
) -> User:
    """Register a user (coordinator only)."""
    require_coordinator(actor, "登记用户")
    if role not in ROLES:
        raise ValidationError(f"角色应为 {'/'.join(ROLES)} 之一，而不是 {role}")
    if role == UserRole.DEPARTMENT and not agency:
        raise ValidationError("部门用户必须指定部门（--agency）")
    if agency and session.get(Agency, agency) is None:
        raise NotFoundError(f"没有代码为 {agency} 的部门")
    if jurisdiction and session.get(Jurisdiction, jurisdiction) is None:
        raise NotFoundError(f"没有代码为 {jurisdiction} 的行政区划")
    if session.get(User, name) is not None:
        raise ValidationError(f"用户 {name} 已存在")
    user = User(
        name=name,
        role=role,
        agency_key=agency,
        jurisdiction_code=jurisdiction,
        os_login=os_login_name,
        display_name=display_name,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="user.add",
        entity_type="user",
        entity_id=name,
        after={"role": role, "agency": agency, "jurisdiction": jurisdiction, "os_login": os_login_name},
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


def list_users(session: Session) -> list[UserRow]:
    """The registered users by name."""
    return [
        UserRow(u.name, UserRole(u.role), u.agency_key, u.jurisdiction_code, u.os_login)
        for u in session.execute(select(User).order_by(User.name)).scalars()
    ]
