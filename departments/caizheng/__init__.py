"""财政部门插件（caizheng）：部门名称、常规任务、报送指标和报告检查，数据见 plugin.toml。"""

from __future__ import annotations

from core.plugin_api import AgencySpec, FindingSpec, IndicatorSpec, ReportContext, TaskTemplateSpec, hookimpl
from departments._plugin import generic_report_findings, load_department

DATA = load_department(__name__)


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
    return generic_report_findings(DATA, report)
