"""The duban plugin SDK: everything a plugin imports, from one module.

A department (or any other) plugin writes ``from duban.plugin import ...`` and nothing else of duban:

- :data:`hookimpl` marks a hook implementation; :class:`DubanHookSpecs` lists every hook with its
  signature (documented in docs/plugins.md);
- the data types hooks take and return (:class:`AgencySpec`, :class:`TaskTemplateSpec`, :class:`FindingSpec` …)
  and the vocabulary they use: :class:`Severity` (``Severity.WARNING``), :class:`Role`, :class:`Level`
  (enums of duban.domain.vocabulary, each member with its Chinese ``label``);
- :class:`DepartmentPlugin`, the base class of every agency plugin: it reads the package's ``plugin.toml``
  and runs the generic report checks; subclasses add the agency's own checks;
- the check kit (:func:`check_indicators`, :func:`check_flag`, :func:`check_ledger_stale` …);
- the ``plugin.toml`` loader (:func:`load_plugin_toml`, :func:`parse_plugin_toml`, :class:`PluginData`);
- what the other hooks' callables take, return and raise: :class:`ParseError` for a document reader that
  cannot read a file, the 考核 facts and scores of a scoring scheme (:class:`DepartmentFacts`,
  :class:`TaskFacts`, :class:`DepartmentScore`, :class:`Term`, :class:`Ref`, :func:`grade`, :func:`points`).

:mod:`duban.plugin.testing` helps a plugin's own tests load it beside the installed plugins.

Anything not exported here is internal to duban and may change without notice.
"""

from __future__ import annotations

from duban import __version__ as duban_version
from duban.domain.checks import (
    check_flag,
    check_indicators,
    check_ledger_stale,
    check_no_personal_data,
    check_silent_supporter,
    is_empty,
)
from duban.domain.plugin_toml import PluginData, load_plugin_toml, parse_plugin_toml
from duban.domain.scoring import DepartmentFacts, DepartmentScore, Ref, TaskFacts, Term, grade, points
from duban.errors import ParseError
from duban.hookspecs import (
    ENTRY_POINT_GROUP,
    PROJECT_NAME,
    AgencySpec,
    DocumentReaderSpec,
    DubanHookSpecs,
    ExporterSpec,
    FindingSpec,
    IndicatorSpec,
    IndicatorType,
    Level,
    MilestoneState,
    ReadDocument,
    ReportContext,
    ResponsibilityContext,
    Role,
    ScoringSchemeSpec,
    Severity,
    Succession,
    TableBlock,
    TaskTemplateSpec,
    TemplateServes,
    hookimpl,
    hookspec,
)
from duban.plugin.department import DepartmentPlugin, generic_report_findings, load_department, owns

__all__ = [
    "ENTRY_POINT_GROUP",
    "PROJECT_NAME",
    "AgencySpec",
    "DepartmentFacts",
    "DepartmentPlugin",
    "DepartmentScore",
    "DocumentReaderSpec",
    "DubanHookSpecs",
    "ExporterSpec",
    "FindingSpec",
    "IndicatorSpec",
    "IndicatorType",
    "Level",
    "MilestoneState",
    "ParseError",
    "PluginData",
    "ReadDocument",
    "Ref",
    "ReportContext",
    "ResponsibilityContext",
    "Role",
    "ScoringSchemeSpec",
    "Severity",
    "Succession",
    "TableBlock",
    "TaskFacts",
    "TaskTemplateSpec",
    "TemplateServes",
    "Term",
    "check_flag",
    "check_indicators",
    "check_ledger_stale",
    "check_no_personal_data",
    "check_silent_supporter",
    "duban_version",
    "generic_report_findings",
    "grade",
    "hookimpl",
    "hookspec",
    "is_empty",
    "load_department",
    "load_plugin_toml",
    "owns",
    "parse_plugin_toml",
    "points",
]
