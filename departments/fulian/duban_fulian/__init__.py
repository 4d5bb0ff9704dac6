"""妇联插件（fulian）：部门名称、常规任务、报送指标和报告检查，数据见 plugin.toml。"""

from __future__ import annotations

from duban.plugin import DepartmentPlugin, FindingSpec, ReportContext, Severity


class FulianPlugin(DepartmentPlugin):
    """妇联: a festival visit (走访慰问) reported with nobody visited gets a warning."""

    def own_report_findings(self, report: ReportContext) -> list[FindingSpec]:
        visit_templates = {t.key for t in self.data.templates if t.key.startswith("fulian.visit_")}
        if report.template in visit_templates and report.indicators.get("fulian.visited") == 0:
            return [
                FindingSpec(
                    "fulian.no_visits",
                    Severity.WARNING,
                    "本节日未走访慰问农村留守妇女（人数为0），请说明原因或补充走访情况。",
                    "fulian.visited",
                )
            ]
        return []


plugin = FulianPlugin(__name__)
