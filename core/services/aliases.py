"""Agency aliases learned from import corrections (``duban alias``).

When a coordinator's answers map a name as written that no registered agency claims (县妇女联合会, 发改局)
to an agency, the import stores ``name → agency`` here (audited, in the import's transaction); the next
import's registry resolves the name (:func:`duban.services.importing.registry_from`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from duban.domain.agencies import normalize_name
from duban.domain.jsonable import JsonResult
from duban.errors import NotFoundError, ValidationError
from duban.services import audit
from duban.services.identity import Actor, require_coordinator
from duban.storage.models import Agency, AgencyAlias

__all__ = ["AliasRow", "add_alias", "alias_map", "list_aliases", "remember_aliases", "remove_alias"]


@dataclass(frozen=True, slots=True)
class AliasRow(JsonResult):
    """One learned alias: the name as written (normalised), its agency, who taught it and when."""

    name: str
    agency: str
    created_by: str
    created_at: dt.datetime
    source_name: str | None


def _row(a: AgencyAlias) -> AliasRow:
    return AliasRow(a.name, a.agency_key, a.created_by, a.created_at, a.source_name)


def alias_map(session: Session) -> dict[str, str]:
    """Every learned alias, name → agency key (empty on a database without the table)."""
    if not inspect(session.get_bind()).has_table(AgencyAlias.__tablename__):
        return {}
    return {a.name: a.agency_key for a in session.scalars(select(AgencyAlias))}


def list_aliases(session: Session) -> tuple[AliasRow, ...]:
    return tuple(_row(a) for a in session.scalars(select(AgencyAlias).order_by(AgencyAlias.name)))


def remember_aliases(
    session: Session, pairs: Iterable[tuple[str, str]], *, actor: str, source_name: str | None
) -> tuple[AliasRow, ...]:
    """Store ``(name, agency)`` pairs (a name already stored is re-pointed), each audited ``alias.learn``."""
    out: list[AliasRow] = []
    for written, key in pairs:
        name = normalize_name(written)
        if not name:
            continue
        row = session.scalar(select(AgencyAlias).where(AgencyAlias.name == name))
        before = {"agency": row.agency_key} if row is not None else None
        if row is None:
            row = AgencyAlias(name=name, agency_key=key, created_by=actor, source_name=source_name)
            session.add(row)
        elif row.agency_key == key:
            continue
        else:
            row.agency_key, row.created_by, row.source_name = key, actor, source_name
            row.created_at = dt.datetime.now(dt.UTC)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="alias.learn",
            entity_type="agency_alias",
            entity_id=name,
            before=before,
            after={"agency": key, "source": source_name},
        )
        out.append(_row(row))
    return tuple(out)


def add_alias(session: Session, *, actor: Actor, name: str, agency: str) -> AliasRow:
    """Teach duban a name by hand (``duban alias add``)."""
    require_coordinator(actor, "登记部门别名")
    if session.get(Agency, agency) is None:
        raise NotFoundError(f"没有代码为 {agency} 的部门（见 duban agencies）")
    if not normalize_name(name):
        raise ValidationError("别名不能为空")
    remember_aliases(session, [(name, agency)], actor=actor.name, source_name=None)
    row = session.scalar(select(AgencyAlias).where(AgencyAlias.name == normalize_name(name)))
    assert row is not None
    return _row(row)


def remove_alias(session: Session, *, actor: Actor, name: str) -> AliasRow:
    """Forget a learned alias (``duban alias remove``); audited ``alias.remove``."""
    require_coordinator(actor, "删除部门别名")
    row = session.scalar(select(AgencyAlias).where(AgencyAlias.name == normalize_name(name)))
    if row is None:
        raise NotFoundError(f"没有别名“{name}”（见 duban alias list）")
    result = _row(row)
    session.delete(row)
    session.flush()
    audit.record(
        session,
        actor=actor.name,
        action="alias.remove",
        entity_type="agency_alias",
        entity_id=result.name,
        before={"agency": result.agency},
        after=None,
    )
    return result
