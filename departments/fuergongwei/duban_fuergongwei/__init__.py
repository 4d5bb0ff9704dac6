"""妇儿工委办公室插件（fuergongwei）：部门名称、常规任务、报送指标和报告检查，数据见 plugin.toml。

妇儿工委办公室是协调机构，所以“配合单位连续两个节点未报送”的检查在这里对所有责任只运行一次
（duban_check_responsibility）；台账更新检查在民政插件中。
"""

from __future__ import annotations

from duban.plugin import (
    DepartmentPlugin,
    FindingSpec,
    ResponsibilityContext,
    check_silent_supporter,
    hookimpl,
)


class FuergongweiPlugin(DepartmentPlugin):
    @hookimpl
    def duban_check_responsibility(self, responsibility: ResponsibilityContext) -> list[FindingSpec]:
        """A supporting agency silent at its last two milestones, for every agency's responsibility, once."""
        return check_silent_supporter(responsibility, runs=2)


plugin = FuergongweiPlugin(__name__)
