"""Pages of a listing: the rows shown, and how many there are in all (a SQL COUNT, never a len()).

Every listing a person reads (``duban overdue``, ``report list``, ``audit log`` …) is a :class:`Page`: the CLI
prints the total and the range shown, ``--json`` carries ``total``, ``limit``, ``offset`` and ``items``, and
nothing is cut off without saying so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from duban.domain.jsonable import JsonResult
from duban.errors import ValidationError

T = TypeVar("T")

#: the most rows one page may ask for (a guard against ``--limit 100000000`` loading a national database)
MAX_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Page(JsonResult, Generic[T]):
    """``items`` are rows ``offset + 1 … offset + len(items)`` of ``total`` (1-based, as a person counts).

    ``to_json()`` gives ``{"items": […], "total": …, "limit": …, "offset": …}``.
    """

    items: tuple[T, ...]
    total: int
    limit: int
    offset: int

    @property
    def first(self) -> int:
        """The 1-based number of the first row shown (0 when the page is empty)."""
        return self.offset + 1 if self.items else 0

    @property
    def last(self) -> int:
        """The 1-based number of the last row shown (0 when the page is empty)."""
        return self.offset + len(self.items) if self.items else 0

    @property
    def next_offset(self) -> int | None:
        """The ``--offset`` of the next page, or None when this page reaches the end."""
        end = self.offset + len(self.items)
        return end if end < self.total and self.items else None


def check_window(limit: int, offset: int) -> None:
    """Refuse a page that cannot be right: ``limit`` 1…MAX_LIMIT, ``offset`` ≥ 0."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"每页条数（--limit）应在 1 到 {MAX_LIMIT} 之间，而不是 {limit}")
    if offset < 0:
        raise ValidationError(f"起始位置（--offset）不能为负数：{offset}")


def count_rows(session: Session, stmt: Select) -> int:
    """``SELECT count(*)`` over ``stmt`` without its ORDER BY, LIMIT and OFFSET."""
    inner = stmt.order_by(None).limit(None).offset(None).subquery("counted")
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)


def page_of(items: Iterable[T], *, total: int, limit: int, offset: int) -> Page[T]:
    return Page(items=tuple(items), total=int(total), limit=limit, offset=offset)
