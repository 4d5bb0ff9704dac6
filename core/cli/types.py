"""click parameter types with the declared limits of :mod:`duban.domain.limits` and Chinese messages.

A value outside its limits is a usage error (exit code 2) naming the option and what was expected.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from duban.domain import limits
from duban.errors import ValidationError


class IdType(click.ParamType):
    """A record id: an integer 1 … 2^63-1."""

    name = "ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = int(str(value).strip())
            except ValueError:
                self.fail(f"{value!r} 不是编号：应为 {limits.ID_MIN}–{limits.ID_MAX} 的整数", param, ctx)
        if not limits.ID_MIN <= number <= limits.ID_MAX:
            self.fail(f"{number} 超出范围：编号应为 {limits.ID_MIN}–{limits.ID_MAX} 的整数", param, ctx)
        return number


class DayType(click.DateTime):
    """A date YYYY-MM-DD within DATE_MIN … DATE_MAX (returned as a datetime at midnight, like click.DateTime)."""

    name = "YYYY-MM-DD"

    def __init__(self) -> None:
        super().__init__(["%Y-%m-%d"])

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.datetime):
            moment = value
        else:
            try:
                moment = dt.datetime.strptime(str(value).strip(), "%Y-%m-%d")
            except ValueError:
                self.fail(f"{value!r} 不是日期：应写成 YYYY-MM-DD（如 2026-03-31）", param, ctx)
        try:
            limits.check_date(moment.date(), "日期")
        except ValidationError as exc:
            self.fail(exc.message, param, ctx)
        return moment


class CountType(click.ParamType):
    """A whole number within ``minimum`` … ``maximum`` (COUNT_MAX unless told)."""

    name = "N"

    def __init__(self, minimum: int = 0, maximum: int = limits.COUNT_MAX) -> None:
        self.minimum, self.maximum = minimum, maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = int(str(value).strip())
            except ValueError:
                self.fail(f"{value!r} 不是整数：应为 {self.minimum}–{self.maximum} 的整数", param, ctx)
        if not self.minimum <= number <= self.maximum:
            self.fail(f"{number} 超出范围：应为 {self.minimum}–{self.maximum} 的整数", param, ctx)
        return number


class TextType(click.ParamType):
    """Text of at most ``maximum`` characters, valid UTF-8, without terminal control characters."""

    name = "TEXT"

    def __init__(
        self, maximum: int = limits.LINE_MAX, *, multiline: bool = False, name: bool = False
    ) -> None:
        self.maximum, self.multiline, self.is_name = maximum, multiline, name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        what = "文字"
        try:
            if self.is_name:
                return limits.check_name(text, what)
            return limits.check_text(text, what, maximum=self.maximum, multiline=self.multiline)
        except ValidationError as exc:
            self.fail(exc.message, param, ctx)


ID = IdType()
DAY = DayType()
#: one line: reasons, progress notes
LINE = TextType(limits.LINE_MAX)
#: a report's text (several lines)
TEXT = TextType(limits.TEXT_MAX, multiline=True)
#: a user name, agency key, template key
NAME = TextType(limits.NAME_MAX, name=True)
