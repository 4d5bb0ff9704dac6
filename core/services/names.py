"""The names a person reads for agency keys and jurisdiction codes: 省民政厅 for ``minzheng`` at the province
level, 云南省民政厅 for ``minzheng`` in 530000, 云南省 for 530000. The CLI and the dashboard print these; JSON
output keeps the keys and codes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from duban.domain.divisions import department_name
from duban.storage.models import Agency, Jurisdiction, Responsibility

#: what an unrecognised agency (a name the document used that no plugin claims) is shown as
UNKNOWN_AGENCY = "未识别部门"


@dataclass(frozen=True, slots=True)
class NameBook:
    """Agency and jurisdiction names, loaded once per command or screen."""

    short: dict[str, str]  #: agency key → short name (民政)
    by_level: dict[str, dict[str, str]]  #: agency key → level → name (province → 省民政厅)
    jurisdictions: dict[str, tuple[str, str]]  #: code → (name, level)
    level: str | None = None  #: the level the reader works at (names without a jurisdiction use it)

    def jurisdiction(self, code: str | None, empty: str = "-") -> str:
        """云南省 for 530000; the code itself when it is unknown; ``empty`` for none."""
        if not code:
            return empty
        return self.jurisdictions.get(code, (code, ""))[0]

    def agency(self, key: str | None, jurisdiction: str | None = None) -> str:
        """The department a person knows: 云南省民政厅 (a key in a jurisdiction), 省民政厅 (a key at the reader's
        level), 民政 (no level known); the key itself for an agency no plugin registered."""
        if not key:
            return UNKNOWN_AGENCY
        short = self.short.get(key)
        if short is None:
            return key
        levels = self.by_level.get(key, {})
        if jurisdiction and jurisdiction in self.jurisdictions:
            name, level = self.jurisdictions[jurisdiction]
            if level in levels and level != "national":
                return department_name(levels[level], name)
            return levels.get(level, short)
        if self.level is not None:
            return levels.get(self.level, short)
        return short


def name_book(session: Session, *, jurisdiction: str | None = None) -> NameBook:
    """The names of every agency and jurisdiction. The reader's level is ``jurisdiction``'s, or — without one —
    the one level every responsibility is in (a province's database: 省民政厅), else none (民政)."""
    short: dict[str, str] = {}
    by_level: dict[str, dict[str, str]] = {}
    for key, name, names in session.execute(select(Agency.key, Agency.name, Agency.names)):
        short[key] = name
        by_level[key] = dict(names or {})
    jurisdictions = {
        code: (name, str(getattr(level, "value", level)))
        for code, name, level in session.execute(
            select(Jurisdiction.code, Jurisdiction.name, Jurisdiction.level)
        )
    }
    level: str | None = None
    if jurisdiction and jurisdiction in jurisdictions:
        level = jurisdictions[jurisdiction][1]
    else:
        levels = list(
            session.scalars(
                select(Jurisdiction.level)
                .join(Responsibility, Responsibility.jurisdiction_code == Jurisdiction.code)
                .group_by(Jurisdiction.level)
                .limit(2)
            )
        )
        if len(levels) == 1:
            level = str(getattr(levels[0], "value", levels[0]))
    return NameBook(short=short, by_level=by_level, jurisdictions=jurisdictions, level=level)
