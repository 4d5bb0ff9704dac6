"""民政部门插件（minzheng）：部门名称、常规任务、报送指标和报告检查，数据见 plugin.toml。

民政牵头农村留守妇女摸底排查和信息台账（行动方案 03（一）、民发〔2019〕86号 任务分工二十三），
所以“台账超过六个月未更新”的检查在这里对所有责任只运行一次（duban_check_responsibility）。
"""

from __future__ import annotations

from duban.plugin import (
    DepartmentPlugin,
    FindingSpec,
    ReportContext,
    ResponsibilityContext,
    check_flag,
    check_ledger_stale,
    hookimpl,
)

LEDGER_TEMPLATES = frozenset({"minzheng.ledger"})


class MinzhengPlugin(DepartmentPlugin):
    def own_report_findings(self, report: ReportContext) -> list[FindingSpec]:
        if report.template not in LEDGER_TEMPLATES:
            return []
        return check_flag(
            report,
            "minzheng.ledger_in_system",
            code="ledger.not_in_system",
            message="本次台账更新尚未录入全国儿童福利信息系统，请录入后在系统中确认。",
        )

    @hookimpl
    def duban_check_responsibility(self, responsibility: ResponsibilityContext) -> list[FindingSpec]:
        """Stale 台账 (more than six months without an update), for every agency's responsibility, once."""
        return check_ledger_stale(responsibility, ledger_templates=LEDGER_TEMPLATES)


plugin = MinzhengPlugin(__name__)
