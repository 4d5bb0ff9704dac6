"""``--limit`` / ``--offset`` for every listing, and the line that says how much of it is shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from duban.cli.types import CountType

if TYPE_CHECKING:
    from duban.services.paging import Page

F = TypeVar("F", bound=Callable[..., Any])
#: any 64-bit number: the service says which page is allowed (exit code 9)
WINDOW = CountType(-(2**63), 2**63 - 1)


def paging_options(default_limit: int) -> Callable[[F], F]:
    """Add ``--limit N`` (default ``default_limit``) and ``--offset N`` (default 0) to a listing command."""

    def decorate(fn: F) -> F:
        fn = click.option(
            "--offset",
            default=0,
            show_default=True,
            type=WINDOW,
            metavar="N",
            help="跳过前 N 条（翻页：用上一页末尾提示的数）",
        )(fn)
        return click.option(
            "--limit",
            default=default_limit,
            show_default=True,
            type=WINDOW,
            metavar="N",
            help="每页最多列出的条数",
        )(fn)

    return decorate


def range_line(page: Page[Any], unit: str = "项", what: str = "") -> str:
    """共 4120 项，显示第 1–500 项；用 --offset 500 查看后续 (``what`` names the rows: 责任共 …)."""
    if page.total == 0:
        return f"{what}共 0 {unit}"
    if not page.items:
        return f"{what}共 {page.total} {unit}；--offset {page.offset} 已超过末尾"
    line = f"{what}共 {page.total} {unit}，显示第 {page.first}–{page.last} {unit}"
    if page.next_offset is not None:
        line += f"；用 --offset {page.next_offset} 查看后续"
    return line


def echo_range(page: Page[Any], unit: str = "项", what: str = "") -> None:
    click.echo(range_line(page, unit, what))
