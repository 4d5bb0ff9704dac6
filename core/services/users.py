"""The users' lifecycle: the first coordinator, role changes, removal, and recovering a lost coordinator.

One rule holds throughout: a database that has users always has a coordinator. ``duban init`` on a database
without users registers the person running it as the first coordinator (:func:`bootstrap_coordinator`);
``duban user remove`` and ``duban user role`` refuse to remove or demote the last one; and a database that
lost its coordinator before this rule existed is repaired by its owner with ``duban user recover``
(:func:`recover_coordinator`). Who is who is decided in :mod:`duban.services.identity`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import UserRole
from duban.errors import NotFoundError, PermissionDenied, ValidationError
from duban.services import audit, identity
from duban.services.identity import (
    Actor,
    check_user_fields,
    coordinator_names,
    find_user,
    lock_users,
    require_coordinator,
    require_coordinator_left,
    user_count,
)
from duban.storage.models import User


@dataclass(frozen=True, slots=True)
class UserInfo(JsonResult):
    """A registered user as a service hands it back."""

    name: str
    role: UserRole
    agency: str | None
    jurisdiction: str | None
    os_login: str | None
    display_name: str | None

    @classmethod
    def of(cls, user: User) -> UserInfo:
        return cls(
            user.name,
            UserRole(user.role),
            user.agency_key,
            user.jurisdiction_code,
            user.os_login,
            user.display_name,
        )


@dataclass(frozen=True, slots=True)
class UserChange(JsonResult):
    """What a user operation did: ``before`` is None for a new user, ``after`` None for a removed one."""

    action: str  #: bootstrap | recover | role | remove
    name: str
    before: UserInfo | None
    after: UserInfo | None
    detail: str | None = None  #: recover: how the caller was found to own the database


def _record(session: Session, actor: str, action: str, change: UserChange) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type="user",
        entity_id=change.name,
        before=change.before.to_json() if change.before else None,
        after={**(change.after.to_json() if change.after else {}), "detail": change.detail},
    )


def bootstrap_coordinator(
    session: Session,
    *,
    login: str,
    name: str | None = None,
    login_map: dict[str, str] | None = None,
    display_name: str | None = None,
) -> UserChange | None:
    """On a database without users, register ``login`` as its first coordinator (``duban init``).

    The user is named ``name``, else what ``users.map`` maps the login to, else the login itself, and is
    found again by its ``os_login``. A database that has users is left alone (returns None): ``init`` can be
    run again safely.
    """
    lock_users(session)
    if user_count(session):
        return None
    name = name or (login_map or {}).get(login) or login
    # PostgreSQL: the first coordinator is whoever the database proved runs init (its current_user)
    db_role = identity.database_login(session) if identity.is_postgres(session) else None
    user = User(
        name=name, role=UserRole.COORDINATOR, os_login=login, display_name=display_name, db_role=db_role
    )
    session.add(user)
    session.flush()
    change = UserChange("bootstrap", name, None, UserInfo.of(user))
    _record(session, name if db_role else login, "user.bootstrap", change)
    return change


def change_role(
    session: Session,
    *,
    actor: Actor,
    name: str,
    role: str,
    agency: str | None = None,
    jurisdiction: str | None = None,
) -> UserChange:
    """Give a user another role, agency or jurisdiction (what is not given stays, except that only a
    department user keeps an agency); never demotes the last coordinator."""
    require_coordinator(actor, "变更用户角色")
    lock_users(session)
    user = _load(session, name)
    agency = agency or (user.agency_key if role == UserRole.DEPARTMENT else None)
    jurisdiction = jurisdiction or user.jurisdiction_code
    check_user_fields(session, role=role, agency=agency, jurisdiction=jurisdiction)
    require_coordinator_left(session, user, role, f"改为{UserRole(role).label}")
    before = UserInfo.of(user)
    user.role, user.agency_key, user.jurisdiction_code = UserRole(role), agency, jurisdiction
    session.flush()
    if identity.managed_login(session, user.db_role):  # PostgreSQL: the login changes group too
        session.execute(
            text("SELECT duban_set_login_group(:login, :grp)"),
            {"login": user.db_role, "grp": identity.login_group(role)},
        )
    change = UserChange("role", name, before, UserInfo.of(user))
    _record(session, actor.name, "user.role", change)
    return change


def remove_user(session: Session, *, actor: Actor, name: str) -> UserChange:
    """Remove a user (their reports and audit events keep their name); never the last coordinator."""
    require_coordinator(actor, "注销用户")
    lock_users(session)
    user = _load(session, name)
    require_coordinator_left(session, user, None, "注销")
    before = UserInfo.of(user)
    login = user.db_role if identity.managed_login(session, user.db_role) else None
    session.delete(user)
    session.flush()
    if login is not None:  # PostgreSQL: the person can no longer log in
        session.execute(text("SELECT duban_drop_login(:login)"), {"login": login})
    change = UserChange("remove", name, before, None)
    _record(session, actor.name, "user.remove", change)
    return change


def recover_coordinator(
    session: Session, *, login: str, name: str | None = None, login_map: dict[str, str] | None = None
) -> UserChange:
    """Give a database that has lost its coordinator one again — only for the database's owner.

    Allowed only when no coordinator exists and the person running it owns the database
    (:func:`duban.services.identity.database_owner`: the SQLite file's OS owner, or PostgreSQL's database
    owner or a superuser — who could change any row by hand anyway). ``name`` (default: the user the login
    stands for, else the login itself) becomes coordinator: promoted if registered, registered if not.
    """
    lock_users(session)
    if coordinator_names(session):
        raise ValidationError(
            f"数据库已有协调人 {'、'.join(coordinator_names(session))}：无需恢复，请由协调人用 duban user 办理"
        )
    owner = identity.database_owner(session)
    if not owner.is_owner:
        raise PermissionDenied(
            f"只有数据库的所有者可以恢复协调人（{owner.detail}）：请在拥有数据库的账户下运行 duban user recover"
        )
    user = session.get(User, name) if name else find_user(session, login, login_map)
    before = UserInfo.of(user) if user is not None else None
    if user is None:
        name = name or login
        login_free = find_user(session, login) is None
        user = User(name=name, role=UserRole.COORDINATOR, os_login=login if login_free else None)
        session.add(user)
    else:
        user.role, user.agency_key = UserRole.COORDINATOR, None
    session.flush()
    change = UserChange("recover", user.name, before, UserInfo.of(user), owner.detail)
    _record(session, login, "user.recover", change)
    return change


def _load(session: Session, name: str) -> User:
    user = session.get(User, name, populate_existing=True)
    if user is None:
        raise NotFoundError(f"没有名为 {name} 的用户（见 duban user list）")
    return user
