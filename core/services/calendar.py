"""The working calendar as data in the database: seeded from the holidays library, overridden by
imported official schedules (``duban calendar import``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from duban.domain.cn_calendar_source import library_calendar_data, parse_calendar_file
from duban.domain.jsonable import JsonResult
from duban.domain.workcal import DayInfo, WorkingCalendar
from duban.services import audit
from duban.services.identity import Actor, require_coordinator
from duban.storage.db import INSUFFICIENT_PRIVILEGE
from duban.storage.models import CalendarDay, CalendarYear


@dataclass(frozen=True, slots=True)
class CalendarImport(JsonResult):
    """``duban calendar import``: the year replaced and what the official schedule holds."""

    year: int
    source: str
    holidays: int  #: days off that would be working days
    workdays: int  #: 调休 make-up working days
    outside_year: tuple[dt.date, ...]  #: entries of the file in the neighbouring years


@dataclass(frozen=True, slots=True)
class MonthView(JsonResult):
    """``duban calendar YYYY-MM``: each day of the month and the calendar's warnings for the year."""

    year: int
    month: int
    days: tuple[DayInfo, ...]
    covered: bool  #: whether the year's 调休 arrangement is known
    warnings: tuple[str, ...]


def _library_source() -> str:
    try:
        return f"holidays {metadata.version('holidays')}"
    except metadata.PackageNotFoundError:  # pragma: no cover - holidays is a dependency
        return "holidays"


def ensure_years(session: Session, first: int, last: int) -> None:
    """Seed every year of ``first..last`` the table does not have yet from the holidays library (a login
    that may not write, a viewer on PostgreSQL, leaves the table as it is)."""
    _seed_years(session, first, last)


def _seed_years(
    session: Session, first: int, last: int, *, store: bool = True
) -> tuple[dict[dt.date, tuple[bool, str]], dict[int, bool]] | None:
    """:func:`ensure_years`, returning the library's data for the years that could not be stored because
    this login may not write, or ``store`` is False (a read-only caller: nothing is written, no write lock is
    taken); the caller uses it as it is. None when the table has them."""
    known = set(session.scalars(select(CalendarYear.year).where(CalendarYear.year.between(first, last))))
    missing = [y for y in range(first, last + 1) if y not in known]
    if not missing:
        return None
    exceptions, covered = library_calendar_data(min(missing), max(missing))
    if not store:
        return (
            {d: v for d, v in exceptions.items() if d.year in missing},
            {y: covered.get(y, False) for y in missing},
        )
    source = _library_source()
    try:
        with session.begin_nested():
            for year in missing:
                session.add(CalendarYear(year=year, source=source, has_makeup_days=covered.get(year, False)))
            session.add_all(
                CalendarDay(day=day, working=working, name=name, source=source)
                for day, (working, name) in exceptions.items()
                if day.year in missing
            )
    except IntegrityError:  # another process seeded the same years first
        pass
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
            raise
        return (
            {d: v for d, v in exceptions.items() if d.year in missing},
            {y: covered.get(y, False) for y in missing},
        )
    return None


def working_calendar(session: Session, first: int, last: int, *, store: bool = True) -> WorkingCalendar:
    """The calendar for ``first..last`` (a year on each side is loaded too, for arithmetic across years).
    ``store=False``: years not in the table yet are taken from the library without being stored."""
    first, last = first - 1, last + 1
    unstored = _seed_years(session, first, last, store=store)
    rows = session.execute(
        select(CalendarDay).where(CalendarDay.day.between(dt.date(first, 1, 1), dt.date(last, 12, 31)))
    ).scalars()
    exceptions = {r.day: (r.working, r.name) for r in rows}
    covered = {
        y.year: y.has_makeup_days
        for y in session.scalars(select(CalendarYear).where(CalendarYear.year.between(first, last)))
    }
    if unstored is not None:
        exceptions.update(unstored[0])
        covered.update(unstored[1])
    return WorkingCalendar(exceptions, covered)


def calendar_around(session: Session, day: dt.date, years_after: int = 1) -> WorkingCalendar:
    return working_calendar(session, day.year - 1, day.year + years_after)


def import_calendar_file(session: Session, *, actor: Actor, path: Path) -> CalendarImport:
    """Replace everything known for the file's year by the official schedule in ``path``.

    Entries of the file outside its year (a make-up day in the previous December, a holiday running
    into January) replace those single days of the neighbouring year, which is seeded first so that
    seeding it later cannot collide with them.
    """
    require_coordinator(actor, "导入放假安排")
    schedule = parse_calendar_file(path)  # a bad file raises here, before anything is written
    year = schedule.year
    ensure_years(session, year - 1, year + 1)
    before = session.get(CalendarYear, year)
    before_source = before.source if before else None
    exceptions = schedule.exceptions()
    outside = sorted(d for d in exceptions if d.year != year)
    session.execute(
        delete(CalendarDay).where(CalendarDay.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
    )
    if outside:
        session.execute(delete(CalendarDay).where(CalendarDay.day.in_(outside)))
    source = schedule.source or path.name
    session.add_all(CalendarDay(day=d, working=w, name=n, source=source) for d, (w, n) in exceptions.items())
    if before is None:
        session.add(CalendarYear(year=year, source=source, has_makeup_days=True))
    else:
        before.source, before.has_makeup_days = source, True
    session.flush()
    result = CalendarImport(
        year=year,
        source=source,
        holidays=sum(1 for w, _n in exceptions.values() if not w),
        workdays=sum(1 for w, _n in exceptions.values() if w),
        outside_year=tuple(outside),
    )
    audit.record(
        session,
        actor=actor.name,
        action="calendar.import",
        entity_type="calendar_year",
        entity_id=year,
        before={"source": before_source},
        after=result.to_json(),
    )
    return result


def month_view(session: Session, year: int, month: int) -> MonthView:
    """A month's days (working, weekend, holiday, make-up) with the calendar's warnings."""
    cal = working_calendar(session, year, year)
    return MonthView(
        year=year,
        month=month,
        days=tuple(cal.month(year, month)),
        covered=cal.is_covered(year),
        warnings=tuple(cal.warnings_for(year)),
    )
