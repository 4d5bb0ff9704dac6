"""The stable surface that duban plugins import.

A plugin is a module (or object) with functions decorated by :data:`hookimpl`, registered through an
entry point in the group ``duban``. ``duban_register_*`` hooks return data (the frozen dataclasses
below); ``duban_check_*`` hooks return findings. Every hook is optional.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pluggy

from duban.domain.vocabulary import JurisdictionLevel, coerce
from duban.domain.vocabulary import Role as Role  # re-exported: part of the plugin surface
from duban.domain.vocabulary import Severity as Severity  # re-exported: part of the plugin surface

PROJECT_NAME = "duban"
ENTRY_POINT_GROUP = "duban"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: The level of a jurisdiction and of an agency's name there (national … township).
Level = JurisdictionLevel
IndicatorType = Literal["int", "float", "bool", "text", "date"]


# --------------------------------------------------------------------------- data types


@dataclass(frozen=True)
class Succession:
    """A change of an agency's identity: renamed (``key`` is None) or dissolved into another agency."""

    name: str  #: the name in use from ``since`` on
    since: dt.date
    key: str | None = None  #: the successor agency's key, when the duties moved to another agency


@dataclass(frozen=True)
class AgencySpec:
    """An agency (部门) as a plugin declares it.

    ``names`` maps a level (national/province/prefecture/county) to the name used at that level
    (民政部 / 省民政厅 / 市（州）民政局 / 县民政局); ``aliases`` are other names and misspellings found
    in real documents. Province-level names are written with the bare prefix 省 (省民政厅); the
    resolver also accepts them with a real province name (云南省民政厅).
    """

    key: str
    name: str  #: short canonical name, e.g. 民政
    names: Mapping[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    successions: tuple[Succession, ...] = ()


@dataclass(frozen=True)
class IndicatorSpec:
    """A number (or fact) a report on a template carries."""

    key: str
    name: str  #: Chinese label, e.g. 台账人数
    type: IndicatorType = "int"
    unit: str = ""
    required: bool = False
    part_of: str | None = None  #: key of the whole this indicator is a part of (低收入 ⊂ 台账人数)
    minimum: float | None = 0
    description: str = ""
    #: the largest value a report may carry (never more than duban.domain.limits.INDICATOR_MAX = 10^12)
    maximum: float | None = None


@dataclass(frozen=True)
class TemplateServes:
    """One task of one document that a template serves: 民发〔2019〕86号 任务分工 二十三.

    ``doc`` is the document's number (民发〔2019〕86号; brackets 〔〕[]（） are read alike) or, for a document
    without one, its title; ``task`` the task's number as printed (二十三); ``section`` the section, for a
    document whose numbering restarts per section (03 for “03重点任务（一）”).
    """

    doc: str
    task: str
    section: str | None = None


@dataclass(frozen=True)
class TaskTemplateSpec:
    """A standing duty of an agency, with its default schedule and the indicators a report carries.

    ``schedule`` uses the schedule rule syntax of :mod:`duban.domain.schedule` (e.g.
    ``"every 6 months"``, ``"yearly 01-31"``, ``"holiday 春节 -5"``).

    ``serves`` and ``keywords`` say which imported tasks the template is for (``duban template propose``):
    the tasks named in ``serves``, the tasks whose text holds every keyword (``"甲|乙"``: either), and the
    tasks of implementing documents mapped to a task the template is bound to.
    """

    key: str
    agency: str
    title: str
    description: str = ""
    schedule: str | None = None
    indicators: tuple[str, ...] = ()  #: indicator keys, declared through duban_register_indicators
    source: str = ""  #: where the duty comes from, e.g. 民发〔2019〕86号 任务七
    serves: tuple[TemplateServes, ...] = ()  #: the document tasks this template is for (added in 0.3)
    keywords: tuple[str, ...] = ()  #: words every task it is for contains; "甲|乙" = either (added in 0.3)


@dataclass(frozen=True)
class FindingSpec:
    """What a check found. ``message`` is Chinese and addressed to a person.

    ``severity`` is a :class:`Severity`; its value as a string (``"warning"``) is accepted and turned into
    the member. Anything else raises ValueError, which the plugin host records as the plugin's fault.
    """

    code: str
    severity: Severity
    message: str
    indicator: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", coerce(Severity, self.severity, "FindingSpec.severity"))


@dataclass(frozen=True)
class ReportContext:
    """A report as a check sees it, before it is stored."""

    agency: str
    template: str | None
    indicators: Mapping[str, Any]
    text: str = ""
    due_date: dt.date | None = None
    submitted_on: dt.date | None = None
    indicator_specs: Mapping[str, IndicatorSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class MilestoneState:
    """One milestone of a responsibility as checks see it: its key, its due date as of the check day
    (an extension approved by then counts) and the day of its first report (if filed by then)."""

    key: str
    due_date: dt.date
    reported_on: dt.date | None


@dataclass(frozen=True)
class ResponsibilityContext:
    """A responsibility with its milestone history, for checks that look across reports.

    Built by duban whenever status is computed for a day (``as_of``): ``milestones`` are those due by that
    day, oldest first; ``template`` is the template bound to the task for this agency (one context per
    bound template when there are several); ``last_update`` is set for a template with an ``…updated_on``
    date indicator (the latest date reported in it, or the report day).

    ``role`` is a :class:`Role` (its string value is accepted and turned into the member).
    """

    agency: str
    role: Role
    task_text: str
    template: str | None
    as_of: dt.date
    milestones: tuple[MilestoneState, ...] = ()
    last_update: dt.date | None = None  #: the latest date a 台账-style update was reported

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", coerce(Role, self.role, "ResponsibilityContext.role"))


@dataclass(frozen=True)
class TableBlock:
    """A table a reader found in a document, with merged cells already spread over every cell they cover.

    ``rows`` are the cell texts row by row (every row as long as the widest); ``row_lines`` the 1-based line
    of the document's text where each row is rendered (so warnings can name a line); ``where`` says where the
    table is for a person (工作表“任务分工”, 第 3 页, 第 2 张表), or is empty.
    """

    rows: tuple[tuple[str, ...], ...]
    row_lines: tuple[int, ...]
    where: str = ""

    def __post_init__(self) -> None:
        if len(self.row_lines) != len(self.rows):
            raise ValueError("TableBlock.row_lines must give one line per row")


@dataclass(frozen=True)
class ReadDocument:
    """What a reader returns: the document as plain text (tables rendered one row per line, cells separated
    by a space) and, where the format has them, its tables as :class:`TableBlock` s."""

    text: str
    tables: tuple[TableBlock, ...] = ()


@dataclass(frozen=True)
class DocumentReaderSpec:
    """Turns a file into text (``str``) or text and tables (:class:`ReadDocument`).

    ``read`` raises duban.errors.ParseError when it cannot.
    """

    name: str
    suffixes: tuple[str, ...]
    read: Callable[[Path], str | ReadDocument]


@dataclass(frozen=True)
class ScoringSchemeSpec:
    """A 考核 scheme. ``compute`` receives the facts and the scheme's config and returns scores."""

    name: str
    title: str
    compute: Callable[..., Any]
    description: str = ""


@dataclass(frozen=True)
class ExporterSpec:
    """Writes a result (an assessment, a task list) to a file format."""

    name: str
    suffix: str
    write: Callable[..., None]
    description: str = ""


# --------------------------------------------------------------------------- hook specifications


class DubanHookSpecs:
    """Hook specifications. Each hook is documented in docs/plugins.md.

    pluggy reads only their signatures and options; the bodies never run (``raise NotImplementedError``
    keeps a method with a return type and no return well-typed).
    """

    @hookspec
    def duban_register_agencies(self) -> list[AgencySpec]:
        """Contribute agencies (部门): key, names per level, aliases, successions.

        Added in 0.1.
        """
        raise NotImplementedError

    @hookspec
    def duban_register_task_templates(self) -> list[TaskTemplateSpec]:
        """Contribute the standing duties of an agency, with schedules and indicator keys.

        Added in 0.1.
        """
        raise NotImplementedError

    @hookspec
    def duban_register_indicators(self) -> list[IndicatorSpec]:
        """Contribute the indicators that reports on this plugin's templates carry.

        Added in 0.1.
        """
        raise NotImplementedError

    @hookspec
    def duban_check_report(self, report: ReportContext) -> list[FindingSpec]:
        """Check a report before it is stored. Errors refuse the report; warnings become findings.

        :param report: the report as submitted, with the indicator specs of its template.
        Added in 0.1.
        """
        raise NotImplementedError

    @hookspec
    def duban_check_responsibility(self, responsibility: ResponsibilityContext) -> list[FindingSpec]:
        """Check a responsibility across its milestones (silence, stale 台账 …).

        :param responsibility: the responsibility with its milestone history as of a date.
        Added in 0.1.
        """
        raise NotImplementedError

    @hookspec
    def duban_register_document_readers(self) -> list[DocumentReaderSpec]:
        """Contribute readers that turn a document file (txt, docx, pdf …) into text.

        Added in 0.1.
        """
        raise NotImplementedError

    @hookspec
    def duban_register_scoring_schemes(self) -> list[ScoringSchemeSpec]:
        """Contribute 考核 scoring schemes, chosen with ``duban assess --scheme NAME``.

        Added in 0.1.
        """
        raise NotImplementedError

    @hookspec
    def duban_register_exporters(self) -> list[ExporterSpec]:
        """Contribute exporters (xlsx, md, csv …) for assessments and task lists.

        Added in 0.1.
        """
        raise NotImplementedError
