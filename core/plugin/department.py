"""Shared plumbing for the department plugins: load ``plugin.toml``, run the generic report checks.

Each ``departments/<key>/__init__.py`` holds ``plugin = DepartmentPlugin(__name__)`` (or a subclass with the
agency's own checks), and its entry point names that object (``departments.<key>:plugin``). The TOML is
read once at import, so a broken plugin.toml makes that one plugin fail to load (the plugin host names it)
and never the others.
"""

from __future__ import annotations

from importlib.resources import files

from duban.domain.checks import check_flag, check_indicators, check_no_personal_data
from duban.domain.plugin_toml import PluginData, load_plugin_toml
from duban.hookspecs import (
    AgencySpec,
    FindingSpec,
    IndicatorSpec,
    ReportContext,
    TaskTemplateSpec,
    hookimpl,
)

__all__ = ["DepartmentPlugin", "load_department", "generic_report_findings", "owns"]


def load_department(package: str) -> PluginData:
    """Read ``plugin.toml`` shipped inside ``package`` (works from a wheel as well as a checkout)."""
    return load_plugin_toml(files(package).joinpath("plugin.toml"))


def owns(data: PluginData, report: ReportContext) -> bool:
    """True when the report is this agency's to check."""
    return report.agency == data.agency.key


def generic_report_findings(data: PluginData, report: ReportContext) -> list[FindingSpec]:
    """Indicator checks (required, type, negative, part ≤ whole) and the no-personal-data check.

    Uses the indicator specs the host passes with the report; when it passes none and the report is
    on one of this plugin's templates, the template's indicators as declared in plugin.toml.
    """
    if not owns(data, report):
        return []
    specs = dict(report.indicator_specs)
    expected = None
    if report.template is not None:
        try:
            template = data.template(report.template)
        except KeyError:
            template = None
        if template is not None:
            expected = template.indicators
            if not specs:
                specs = {key: data.indicator(key) for key in template.indicators}
    findings = check_indicators(report, specs, expected=expected)
    findings += check_no_personal_data(report)
    # Every agency's standing duty from 吉民发〔2020〕28号（二十二）: an annual plan and a focal person.
    key = data.agency.key
    findings += check_flag(
        report,
        f"{key}.annual_plan_made",
        code="plan.not_made",
        message="尚未制定本部门农村留守妇女关爱服务年度工作计划，请尽快制定并报送。",
    )
    findings += check_flag(
        report,
        f"{key}.focal_person_set",
        code="plan.no_focal_person",
        message="尚未明确专责部门和具体负责人，请尽快明确。",
    )
    return findings


class DepartmentPlugin:
    """One agency's plugin: the data of its plugin.toml and the generic report checks.

    Subclasses add the agency's own report checks (:meth:`own_report_findings`) or other hooks.
    """

    def __init__(self, package: str) -> None:
        self.__name__ = package  # what ``duban plugins`` shows as the plugin's module
        self.data = load_department(package)

    @hookimpl
    def duban_register_agencies(self) -> list[AgencySpec]:
        return [self.data.agency]

    @hookimpl
    def duban_register_task_templates(self) -> list[TaskTemplateSpec]:
        return list(self.data.templates)

    @hookimpl
    def duban_register_indicators(self) -> list[IndicatorSpec]:
        return list(self.data.indicators)

    @hookimpl
    def duban_check_report(self, report: ReportContext) -> list[FindingSpec]:
        findings = generic_report_findings(self.data, report)
        if owns(self.data, report):
            findings += self.own_report_findings(report)
        return findings

    def own_report_findings(self, report: ReportContext) -> list[FindingSpec]:
        """The agency's own checks of its reports (none by default)."""
        return []
