"""Pages of a listing: the rows shown, and how many there are in all (a SQL COUNT, never a len()).

Every listing a person reads (``duban overdue``, ``report list``, ``audit log`` …) is a :class:`Page`: the CLI
prints the total and the range shown, ``--json`` carries ``total``, ``limit``, ``offset`` and ``items``, and
nothing is cut off without saying so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

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


def count_rows(session: Session, stmt: Select[*tuple[Any, ...]]) -> int:
    """``SELECT count(*)`` over ``stmt`` without its ORDER BY, LIMIT and OFFSET."""
    inner = stmt.order_by(None).limit(None).offset(None).subquery("counted")
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)


def page_of(items: Iterable[T], *, total: int, limit: int, offset: int) -> Page[T]:
    return Page(items=tuple(items), total=int(total), limit=limit, offset=offset)


# ---------------------------------------------------------------------------------------------- keyset pages


@dataclass(frozen=True, slots=True)
class Cursor(JsonResult):
    """Where a keyset page starts or ends: the sort values of a row (never a row count, so a page does not
    shift when rows before it come or go).

    ``values`` are the row's sort columns in sort order, ending with its unique tie-breakers.
    """

    values: tuple[Any, ...]


class _Desc:
    """One descending sort column: compares the other way round."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Desc) -> bool:
        return bool(other.v < self.v)

    def __gt__(self, other: _Desc) -> bool:
        return bool(other.v > self.v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and bool(self.v == other.v)

    def __hash__(self) -> int:
        return hash(self.v)


def sort_key(values: tuple[Any, ...], descending: tuple[bool, ...]) -> tuple[Any, ...]:
    """A comparable key for ``values`` sorted column by column, each ascending or descending.

    NULL (None) sorts before every value ascending and after every value descending, as SQLite orders it;
    the order is the same whichever engine the rows came from.
    """
    parts: list[Any] = []
    for value, desc in zip(values, descending, strict=True):
        part = (0,) if value is None else (1, value)
        parts.append(_Desc(part) if desc else part)
    return tuple(parts)


def keyset_window(
    keys: list[tuple[Any, ...]],
    *,
    limit: int,
    after: tuple[Any, ...] | None = None,
    before: tuple[Any, ...] | None = None,
) -> tuple[int, int]:
    """``[start, end)`` of the page in the sorted ``keys``: the ``limit`` rows after ``after``, or the
    ``limit`` rows before ``before``, or the first ``limit`` rows. Found by binary search on the key."""
    from bisect import bisect_left, bisect_right

    if before is not None:
        end = bisect_left(keys, before)
        return max(end - limit, 0), end
    start = bisect_right(keys, after) if after is not None else 0
    return start, min(start + limit, len(keys))
