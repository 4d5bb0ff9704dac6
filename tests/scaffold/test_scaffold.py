"""duban.scaffold: the files of a new agency plugin, what they declare, and what is refused."""

from __future__ import annotations

import ast
import importlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from duban.domain.agencies import AgencyRegistry
from duban.domain.plugin_toml import load_plugin_toml, parse_plugin_toml
from duban.errors import ValidationError
from duban.hookspecs import AgencySpec, ReportContext
from duban.plugin_host import PluginHost
from duban.scaffold import compatible_range, default_names, render_plugin, scaffold_plugin

FILES = {
    "pyproject.toml",
    "README.md",
    "duban_jiaoyu/__init__.py",
    "duban_jiaoyu/plugin.toml",
    "tests/test_plugin.py",
}


def tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The scaffolded duban_jiaoyu, imported from its directory (not installed)."""
    target = scaffold_plugin("jiaoyu", "教育", parent=tmp_path)
    monkeypatch.syspath_prepend(str(target))
    module = importlib.import_module("duban_jiaoyu")
    yield module
    for name in [n for n in sys.modules if n == "duban_jiaoyu" or n.startswith("duban_jiaoyu.")]:
        del sys.modules[name]


def test_default_names_follow_the_usual_pattern() -> None:
    assert default_names("教育") == {
        "national": "教育部",
        "province": "省教育厅",
        "prefecture": "市教育局",
        "county": "县教育局",
    }


def test_rendered_files_and_plugin_toml() -> None:
    files = render_plugin("jiaoyu", "教育", {"prefecture": "市（州）教育局", "county": None})
    assert set(files) == FILES
    data = parse_plugin_toml(files["duban_jiaoyu/plugin.toml"], file="plugin.toml")
    assert data.agency.key == "jiaoyu" and data.agency.name == "教育"
    assert dict(data.agency.names) == {
        "national": "教育部",
        "province": "省教育厅",
        "prefecture": "市（州）教育局",
        "county": "县教育局",
    }
    [template] = data.templates
    assert template.schedule == "every 6 months" and template.agency == "jiaoyu"
    assert template.indicators == ("jiaoyu.activities", "jiaoyu.women_served")
    assert all(i.required and i.type == "int" for i in data.indicators)
    pyproject = files["pyproject.toml"]
    assert 'name = "duban-plugin-jiaoyu"' in pyproject
    assert '[project.entry-points.duban]\njiaoyu = "duban_jiaoyu:plugin"' in pyproject
    assert 'dependencies = ["duban>=0.2,<0.3"]' in pyproject
    for path, text in files.items():
        if path.endswith(".py"):
            compile(text, path, "exec")


def test_the_generated_code_is_a_few_lines_on_the_sdk() -> None:
    files = render_plugin("jiaoyu", "教育")
    init = files["duban_jiaoyu/__init__.py"]
    code = [line for line in init.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert "class JiaoyuPlugin(DepartmentPlugin):" in init and "plugin = JiaoyuPlugin(__name__)" in init
    assert "def own_report_findings(self, report: ReportContext)" in init
    assert "@hookimpl" not in init  # the hooks come from DepartmentPlugin
    assert len(code) < 60
    for path, text in files.items():
        if not path.endswith(".py"):
            continue
        imported = {
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        duban_modules = {m for m in imported if m and (m == "duban" or m.startswith("duban."))}
        assert duban_modules <= {"duban.plugin", "duban.plugin.testing"}, (path, duban_modules)


def test_the_compatible_duban_versions() -> None:
    assert compatible_range("0.2.0") == ">=0.2,<0.3"
    assert compatible_range("0.10.1rc1") == ">=0.10,<0.11"
    assert compatible_range("1.4.2") == ">=1.4,<2"


def test_the_readme_installs_duban_from_what_the_coordinator_hands_out() -> None:
    readme = render_plugin("jiaoyu", "教育")["README.md"]
    assert "pip install --no-index --find-links ./wheels duban duban-plugin-jiaoyu" in readme
    assert (
        "pip wheel --no-deps -w dist ." in readme and "duban_plugin_jiaoyu-0.1.0-py3-none-any.whl" in readme
    )
    assert "不在公共软件源" in readme
    assert not re.search(r"^pip install (-U )?duban\s*$", readme, re.MULTILINE)


def test_scaffold_writes_the_package(tmp_path: Path) -> None:
    target = scaffold_plugin("jiaoyu", "教育", parent=tmp_path / "new" / "dir")
    assert target == tmp_path / "new" / "dir" / "duban-plugin-jiaoyu"
    assert tree(target) == FILES
    assert [p.name for p in target.parent.iterdir()] == ["duban-plugin-jiaoyu"]  # no staging left behind
    assert load_plugin_toml(target / "duban_jiaoyu" / "plugin.toml").agency.names["county"] == "县教育局"


def test_the_plugin_loads_next_to_the_builtin_agencies(plugin: ModuleType, host: PluginHost) -> None:
    host.register(plugin.plugin, "jiaoyu")
    assert host.faults == []
    registry = AgencyRegistry(host.agencies())
    assert registry.resolve("云南省教育厅") == "jiaoyu"
    assert registry.resolve("县（市、区）教育局") == "jiaoyu"
    assert registry.resolve("省民政厅") == "minzheng"
    assert {t.key for t in host.task_templates()} >= {"jiaoyu.care_services"}


def test_the_plugin_gets_the_generic_checks_and_its_own(plugin: ModuleType, host: PluginHost) -> None:
    host.register(plugin.plugin, "jiaoyu")

    def codes(indicators: dict, agency: str = "jiaoyu", text: str = "走访慰问“两癌”患病妇女。") -> list[str]:
        report = ReportContext(
            agency=agency, template="jiaoyu.care_services", indicators=indicators, text=text
        )
        return [f.code for _plugin, f in host.check_report(report)]

    assert codes({"jiaoyu.activities": 2, "jiaoyu.women_served": 40}) == []
    assert codes({"jiaoyu.activities": 2, "jiaoyu.women_served": 0}) == ["jiaoyu.activities_without_women"]
    assert codes({"jiaoyu.activities": -1, "jiaoyu.women_served": 0}) == ["indicator.negative"]
    assert codes({"jiaoyu.activities": True, "jiaoyu.women_served": 0}) == ["indicator.type"]
    assert codes({"jiaoyu.women_served": 3}) == ["indicator.missing"]
    assert codes({"jiaoyu.activities": 1, "jiaoyu.women_served": 3}, text="身份证220102198001011234") == [
        "report.personal_data"
    ]
    # a check every built-in department has through DepartmentPlugin, which the old template lacked
    assert codes({"jiaoyu.activities": 1, "jiaoyu.women_served": 3, "jiaoyu.annual_plan_made": False}) == [
        "indicator.unknown",
        "plan.not_made",
    ]
    others = ReportContext(agency="minzheng", template=None, indicators={"jiaoyu.women_served": -1})
    assert [p for p, _f in host.check_report(others) if p == "jiaoyu"] == []  # not its report
    assert host.faults == []


@pytest.mark.parametrize("key", ["JiaoYu", "jiao-yu", "1jiaoyu", "_jiaoyu", "", "教育", "jiao yu", "a" * 41])
def test_a_key_that_is_not_a_lowercase_identifier_is_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValidationError, match="部门代码.*无效"):
        scaffold_plugin(key, "教育", parent=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["", "教 育", '教"育', "教\\育", "教育\n"])
def test_a_name_that_cannot_be_written_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValidationError, match="(?s)部门简称.*无效"):
        scaffold_plugin("jiaoyu", name, parent=tmp_path)
    with pytest.raises(ValidationError, match="(?s)省级名称.*无效"):
        scaffold_plugin("jiaoyu", "教育", parent=tmp_path, names={"province": name})


def test_an_existing_directory_is_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "duban-plugin-jiaoyu"
    target.mkdir()
    (target / "笔记.txt").write_text("草稿", encoding="utf-8")
    with pytest.raises(ValidationError, match="已存在，未做任何改动"):
        scaffold_plugin("jiaoyu", "教育", parent=tmp_path)
    assert tree(target) == {"笔记.txt"}
    assert [p.name for p in tmp_path.iterdir()] == ["duban-plugin-jiaoyu"]


@pytest.mark.parametrize("key", ["fulian", "minzheng"])
def test_the_key_of_a_shipped_department_is_refused_even_when_not_installed(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValidationError, match=f"duban 自带的部门插件 duban-{key}"):
        scaffold_plugin(key, "某部门", parent=tmp_path, existing=[])
    assert list(tmp_path.iterdir()) == []


def test_a_key_or_name_of_an_installed_agency_is_refused(tmp_path: Path, host: PluginHost) -> None:
    with pytest.raises(ValidationError, match="部门代码 minzheng 已被已安装的部门“民政”使用"):
        scaffold_plugin("minzheng", "民政事务", parent=tmp_path, existing=host.agencies())
    with pytest.raises(ValidationError, match="部门代码 jiaoyu 已被已安装的部门“教育”使用"):
        scaffold_plugin("jiaoyu", "教育事务", parent=tmp_path, existing=[AgencySpec("jiaoyu", "教育")])
    with pytest.raises(ValidationError, match="部门名称与已安装的部门冲突"):
        scaffold_plugin("minzheng2", "民政", parent=tmp_path, existing=host.agencies())
    assert list(tmp_path.iterdir()) == []


def test_a_parent_that_is_a_file_is_refused(tmp_path: Path) -> None:
    parent = tmp_path / "文件.txt"
    parent.write_text("", encoding="utf-8")
    with pytest.raises(ValidationError, match="无法在 .* 创建插件目录"):
        scaffold_plugin("jiaoyu", "教育", parent=parent)
