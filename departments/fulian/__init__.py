"""妇联插件（fulian）：部门名称、常规任务、报送指标和报告检查，数据见 plugin.toml。"""

from __future__ import annotations

from core.plugin_api import AgencySpec, FindingSpec, IndicatorSpec, ReportContext, TaskTemplateSpec, hookimpl
from departments._plugin import generic_report_findings, load_department, owns

DATA = load_department(__name__)
VISIT_TEMPLATES = frozenset(t.key for t in DATA.templates if t.key.startswith("fulian.visit_"))


@hookimpl
def duban_register_agencies() -> list[AgencySpec]:
    return [DATA.agency]


@hookimpl
def duban_register_task_templates() -> list[TaskTemplateSpec]:
    return list(DATA.templates)


@hookimpl
def duban_register_indicators() -> list[IndicatorSpec]:
    return list(DATA.indicators)


@hookimpl
def duban_check_report(report: ReportContext) -> list[FindingSpec]:
    findings = generic_report_findings(DATA, report)
    if owns(DATA, report) and report.template in VISIT_TEMPLATES and report.indicators.get("fulian.visited") == 0:
        findings.append(FindingSpec(
            "fulian.no_visits", "warning",
            "本节日未走访慰问农村留守妇女（人数为0），请说明原因或补充走访情况。", "fulian.visited",
        ))
    return findings
