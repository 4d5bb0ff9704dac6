"""Reference data: agencies from the plugins, jurisdictions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session

from duban.domain.divisions import load, source_note
from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import JurisdictionLevel
from duban.plugin_host import PluginHost
from duban.services import audit
from duban.services.paging import Page, check_window, count_rows, page_of
from duban.storage.models import Agency, Jurisdiction


@dataclass(frozen=True, slots=True)
class AgencyRow(JsonResult):
    """``duban agencies``: an agency, its names per level (national, province …) and its successor."""

    key: str
    name: str
    names: Mapping[str, str]
    aliases: tuple[str, ...]
    successor: str | None
    successor_since: dt.date | None
    plugin: str | None


@dataclass(frozen=True, slots=True)
class JurisdictionRow(JsonResult):
    """``duban jurisdictions``: a division of GB/T 2260."""

    code: str
    name: str
    level: JurisdictionLevel
    parent: str | None


@dataclass(frozen=True, slots=True)
class DivisionLoad(JsonResult):
    """What loading the shipped division list changed."""

    added: int
    updated: int
    total: int


def sync_agencies(session: Session, *, host: PluginHost, actor: str = audit.SYSTEM_ACTOR) -> list[str]:
    """Upsert the agencies the plugins register; return the keys that changed.

    Agencies are never deleted: a plugin that disappears leaves its history readable.
    """
    rows = {a.key: a for a in session.execute(select(Agency)).scalars()}
    specs = host.agencies_by_plugin()
    changed: set[str] = set()
    for plugin, spec in specs:
        values = {
            "name": spec.name,
            "names": dict(spec.names),
            "aliases": list(spec.aliases),
            "plugin": plugin,
        }
        row = rows.get(spec.key)
        if row is None:
            row = rows[spec.key] = Agency(key=spec.key)
            session.add(row)
        for field_name, value in values.items():
            if getattr(row, field_name) != value:
                setattr(row, field_name, value)
                changed.add(spec.key)
    session.flush()
    # a successor is linked once both rows exist, whatever order the plugins registered in
    for _plugin, spec in specs:
        final = next((s for s in reversed(spec.successions) if s.key and s.key in rows), None)
        successor = (final.key, final.since) if final else (None, None)
        row = rows[spec.key]
        if (row.successor_key, row.successor_since) != successor:
            row.successor_key, row.successor_since = successor
            changed.add(spec.key)
    if changed:
        keys = sorted(changed)
        audit.record(
            session,
            actor=actor,
            action="agencies.sync",
            entity_type="agency",
            entity_id="*",
            after={"keys": keys},
        )
    return sorted(changed)


def load_divisions(session: Session, *, actor: str = audit.SYSTEM_ACTOR) -> DivisionLoad:
    """Upsert the shipped GB/T 2260 list into the jurisdiction table (idempotent; never deletes)."""
    tree = load()
    have = {j.code: j for j in session.scalars(select(Jurisdiction))}
    new_rows = [row for row in tree.rows() if row["code"] not in have]
    changed = 0
    for row in tree.rows():
        current = have.get(row["code"])
        if current is not None and (current.name, current.level, current.parent_code) != (
            row["name"],
            row["level"],
            row["parent_code"],
        ):
            current.name, current.level, current.parent_code = row["name"], row["level"], row["parent_code"]
            changed += 1
    for start in range(0, len(new_rows), 5000):
        session.execute(insert(Jurisdiction), new_rows[start : start + 5000])
    session.flush()
    if new_rows or changed:
        audit.record(
            session,
            actor=actor,
            action="jurisdictions.load",
            entity_type="jurisdiction",
            entity_id="*",
            after={"added": len(new_rows), "updated": changed, "source": source_note().splitlines()[1]},
        )
    return DivisionLoad(added=len(new_rows), updated=changed, total=len(tree))


def list_agencies(session: Session, *, limit: int | None = None, offset: int = 0) -> list[AgencyRow]:
    """Every agency ever registered, by key."""
    rows = session.execute(select(Agency).order_by(Agency.key).limit(limit).offset(offset)).scalars()
    return [
        AgencyRow(
            key=a.key,
            name=a.name,
            names=dict(a.names or {}),
            aliases=tuple(a.aliases or ()),
            successor=a.successor_key,
            successor_since=a.successor_since,
            plugin=a.plugin,
        )
        for a in rows
    ]


def jurisdictions_query(*, level: str | None = None, parent: str | None = None) -> Select:
    """The divisions of :func:`list_jurisdictions`, by code (one statement for the rows and their count)."""
    stmt = select(Jurisdiction).order_by(Jurisdiction.code)
    if level:
        stmt = stmt.where(Jurisdiction.level == level)
    if parent:
        stmt = stmt.where(Jurisdiction.parent_code == parent)
    return stmt


def list_jurisdictions(
    session: Session,
    *,
    level: str | None = None,
    parent: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[JurisdictionRow]:
    """Divisions by code (of one level, or below one parent, when given)."""
    stmt = jurisdictions_query(level=level, parent=parent).limit(limit).offset(offset)
    return [
        JurisdictionRow(j.code, j.name, JurisdictionLevel(j.level), j.parent_code)
        for j in session.execute(stmt).scalars()
    ]


def list_agencies_page(session: Session, *, limit: int = 200, offset: int = 0) -> Page[AgencyRow]:
    """A page of :func:`list_agencies` with the number of agencies (SQL COUNT)."""
    check_window(limit, offset)
    rows = list_agencies(session, limit=limit, offset=offset)
    return page_of(rows, total=count_rows(session, select(Agency.key)), limit=limit, offset=offset)


def list_jurisdictions_page(
    session: Session,
    *,
    level: str | None = None,
    parent: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Page[JurisdictionRow]:
    """A page of :func:`list_jurisdictions` with the number of matching divisions (SQL COUNT)."""
    check_window(limit, offset)
    rows = list_jurisdictions(session, level=level, parent=parent, limit=limit, offset=offset)
    total = count_rows(session, jurisdictions_query(level=level, parent=parent))
    return page_of(rows, total=total, limit=limit, offset=offset)
