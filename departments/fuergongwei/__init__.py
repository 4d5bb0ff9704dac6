"""妇儿工委办公室插件（fuergongwei）：部门名称、常规任务、报送指标和报告检查，数据见 plugin.toml。

妇儿工委办公室是协调机构，所以“配合单位连续两个节点未报送”的检查在这里对所有责任只运行一次
（duban_check_responsibility）；台账更新检查在民政插件中。
"""

from __future__ import annotations

from core.domain.checks import check_silent_supporter
from core.plugin_api import (
    AgencySpec,
    FindingSpec,
    IndicatorSpec,
    ReportContext,
    ResponsibilityContext,
    TaskTemplateSpec,
    hookimpl,
)
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


@hookimpl
def duban_check_responsibility(responsibility: ResponsibilityContext) -> list[FindingSpec]:
    """A supporting agency silent at its last two milestones, for every agency's responsibility, once."""
    return check_silent_supporter(responsibility, runs=2)
