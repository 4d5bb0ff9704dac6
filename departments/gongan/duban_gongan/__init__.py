"""公安部门插件（gongan）：部门名称、常规任务、报送指标和报告检查，数据见 plugin.toml。"""

from __future__ import annotations

from duban.plugin import DepartmentPlugin

plugin = DepartmentPlugin(__name__)
