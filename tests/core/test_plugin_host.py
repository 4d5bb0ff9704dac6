"""The plugin host isolates faults: a plugin that fails to import or raises in a hook is named, the
others carry on."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from duban.cli.main import cli
from duban.errors import PluginError
from duban.hookspecs import AgencySpec, hookimpl
from duban.plugin_host import PluginHost


def _install_fake_distribution(
    root: Path, name: str, entry_points: dict[str, str], modules: dict[str, str]
) -> None:
    """A real (unpacked) distribution on sys.path: dist-info with entry_points.txt, and its modules."""
    info = root / f"{name}-1.2.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n", encoding="utf-8")
    lines = "\n".join(f"{k} = {v}" for k, v in entry_points.items())
    (info / "entry_points.txt").write_text(f"[duban]\n{lines}\n", encoding="utf-8")
    for module, source in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    _install_fake_distribution(
        root,
        "duban_thirdparty_demo",
        {
            "jiaoyu": "duban_jiaoyu",
            "broken_import": "duban_broken_import",
            "broken_hook": "duban_broken_hook",
            "broken_check": "duban_broken_check",
        },
        {
            "duban_jiaoyu": """
                from duban.hookspecs import AgencySpec, hookimpl

                @hookimpl
                def duban_register_agencies():
                    return [AgencySpec(key="jiaoyu", name="教育", names={"province": "省教育厅"})]
            """,
            "duban_broken_import": "raise RuntimeError('插件导入失败')\n",
            "duban_broken_check": """
                from duban.hookspecs import hookimpl

                @hookimpl
                def duban_check_report(report):
                    raise KeyError('indicator')
            """,
            "duban_broken_hook": """
                from duban.hookspecs import hookimpl

                @hookimpl
                def duban_register_agencies():
                    raise ValueError('boom')
            """,
        },
    )
    monkeypatch.syspath_prepend(str(root))
    yield root
    for mod in ("duban_jiaoyu", "duban_broken_import", "duban_broken_hook", "duban_broken_check"):
        sys.modules.pop(mod, None)


@pytest.mark.departments
def test_broken_plugins_are_named_and_others_still_answer(third_party: Path) -> None:
    host = PluginHost.load()
    keys = {a.key for a in host.agencies()}
    assert "jiaoyu" in keys
    assert "minzheng" in keys  # the built-in plugins are untouched by the broken ones
    rows = {r["name"]: r for r in host.describe()}
    assert rows["jiaoyu"]["builtin"] is False and rows["jiaoyu"]["version"] == "1.2.3"
    assert rows["jiaoyu"]["hooks"] == ["duban_register_agencies"]
    assert rows["broken_import"]["errors"][0]["stage"] == "load"
    assert "插件导入失败" in rows["broken_import"]["errors"][0]["error"]
    assert rows["broken_hook"]["errors"] == [
        {"stage": "duban_register_agencies", "error": "ValueError: boom"}
    ]
    assert rows["minzheng"]["builtin"] is True and rows["minzheng"]["errors"] == []


def test_disable_plugins_by_environment(third_party: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUBAN_DISABLE_PLUGINS", "broken_import, broken_hook")
    host = PluginHost.load()
    names = {r["name"] for r in host.describe()}
    assert "broken_import" not in names and "broken_hook" not in names
    host.agencies()
    assert host.faults == []


def test_wrong_return_type_is_a_fault_not_a_crash() -> None:
    class Bad:
        @hookimpl
        def duban_register_agencies(self):
            return ["not an AgencySpec"]

    class Good:
        @hookimpl
        def duban_register_agencies(self):
            return [AgencySpec(key="x", name="某部门")]

    host = PluginHost.load(entry_points=False)
    host.register(Bad(), "bad")
    host.register(Good(), "good")
    assert [a.key for a in host.agencies()] == ["x"]
    assert [f.plugin for f in host.faults] == ["bad"]


def test_every_builtin_entry_point_loads_cleanly() -> None:
    host = PluginHost.load()
    host.agencies()
    host.document_readers()
    assert host.faults == [], [f"{f.plugin}: {f.error}" for f in host.faults]


@pytest.mark.departments
def test_duban_plugins_names_a_plugin_whose_check_raises(third_party: Path) -> None:
    result = CliRunner().invoke(cli, ["plugins", "--json"], catch_exceptions=False)
    assert result.exit_code == PluginError.exit_code == 5
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["broken_check"]["errors"] == [
        {"stage": "duban_check_report", "error": "KeyError: 'indicator'"}
    ]
    assert rows["minzheng"]["errors"] == []
    assert "错误：插件 broken_check（duban_check_report）：KeyError: 'indicator'" in result.stderr
    result = CliRunner().invoke(cli, ["plugins"])
    assert result.exit_code == 5
    assert "broken_check" in result.stdout and "出错" in result.stdout
    assert "broken_check" in result.stderr and "其余插件照常工作" in result.stderr


@pytest.mark.departments
def test_duban_plugins_exits_zero_when_every_plugin_is_healthy() -> None:
    result = CliRunner().invoke(cli, ["plugins"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "" and "minzheng" in result.stdout and "出错" not in result.stdout


# --------------------------------------------------------------------------- hooks as a contract


def test_a_misspelt_hook_refuses_the_plugin_with_a_suggestion() -> None:
    class Typo:
        @hookimpl
        def duban_register_agencies(self):
            return [AgencySpec(key="jiaoyu", name="教育")]

        @hookimpl
        def duban_check_reprot(self, report):
            return []

    host = PluginHost.load(entry_points=False)
    host.register(Typo(), "jiaoyu")
    assert host.agencies() == []  # a refused plugin contributes nothing
    assert [(f.plugin, f.stage, f.error) for f in host.faults] == [
        ("jiaoyu", "load", "插件 jiaoyu 实现了未知的钩子 duban_check_reprot（是否想写 duban_check_report？）")
    ]
    assert host.describe()[0]["hooks"] == []
    assert host.pm.get_plugin("jiaoyu") is None


def test_every_unknown_hook_is_named_and_far_ones_get_no_suggestion() -> None:
    plugin = SimpleNamespace(
        duban_register_agencise=hookimpl(lambda: []),
        duban_on_report_stored=hookimpl(lambda report: None),
    )
    host = PluginHost.load(entry_points=False)
    host.register(plugin, "unknown")
    assert sorted(f.error for f in host.faults) == [
        "插件 unknown 实现了未知的钩子 duban_on_report_stored",
        "插件 unknown 实现了未知的钩子 duban_register_agencise（是否想写 duban_register_agencies？）",
    ]


def test_an_optional_hook_is_allowed_as_pluggy_allows_it() -> None:
    plugin = SimpleNamespace(duban_on_something_later=hookimpl(optionalhook=True)(lambda: None))
    host = PluginHost.load(entry_points=False)
    host.register(plugin, "later")
    assert host.faults == [] and host.describe()[0]["hooks"] == ["duban_on_something_later"]


def test_a_hook_without_the_hookimpl_mark_refuses_the_plugin() -> None:
    class Unmarked:
        @hookimpl
        def duban_register_agencies(self):
            return [AgencySpec(key="jiaoyu", name="教育")]

        def duban_check_report(self, report):  # forgot @hookimpl: pluggy would never call it
            return []

        def duban_registr_indicators(self):
            return []

        def own_helper(self) -> None:  # other names are the plugin's own business
            pass

    host = PluginHost.load(entry_points=False)
    host.register(Unmarked(), "unmarked")
    assert host.agencies() == []
    errors = [f.error for f in host.faults]
    assert errors == [
        "插件 unmarked 的 duban_check_report 没有用 @hookimpl 标记，不会被调用"
        "（from duban.plugin import hookimpl，写在函数定义上一行）",
        "插件 unmarked 的 duban_registr_indicators 不是已知的钩子，也没有用 @hookimpl 标记，不会被调用"
        "（是否想写 duban_register_indicators？）；以 duban_ 开头的名称留给钩子",
    ]


def test_a_subclass_that_overrides_a_hook_without_the_mark_is_refused() -> None:
    class Base:
        @hookimpl
        def duban_register_agencies(self):
            return [AgencySpec(key="a", name="甲")]

    class Child(Base):
        def duban_register_agencies(self):  # the override hides the marked method
            return [AgencySpec(key="b", name="乙")]

    host = PluginHost.load(entry_points=False)
    host.register(Child(), "child")
    assert [f.plugin for f in host.faults] == ["child"] and "没有用 @hookimpl 标记" in host.faults[0].error


@pytest.mark.departments
def test_a_refused_plugin_leaves_the_others_working(third_party: Path) -> None:
    class Typo:
        @hookimpl
        def duban_check_reprot(self, report):
            return []

    host = PluginHost.load()
    host.register(Typo(), "typo")
    assert {"jiaoyu", "minzheng"} <= {a.key for a in host.agencies()}
    assert [f.plugin for f in host.faults if f.stage == "load"] == ["broken_import", "typo"]


def test_duban_plugins_exits_5_naming_a_misspelt_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "site"
    _install_fake_distribution(
        root,
        "duban_plugin_typo",
        {"typo": "duban_typo"},
        {
            "duban_typo": """
                from duban.plugin import AgencySpec, hookimpl

                @hookimpl
                def duban_register_agencies():
                    return [AgencySpec(key="typo", name="教育")]

                @hookimpl
                def duban_check_reprot(report):
                    return []
            """
        },
    )
    monkeypatch.syspath_prepend(str(root))
    try:
        result = CliRunner().invoke(cli, ["plugins", "--json"], catch_exceptions=False)
    finally:
        sys.modules.pop("duban_typo", None)
    assert result.exit_code == 5
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["typo"]["errors"] == [
        {
            "stage": "load",
            "error": "插件 typo 实现了未知的钩子 duban_check_reprot（是否想写 duban_check_report？）",
        }
    ]
    assert rows["typo"]["hooks"] == [] and rows["typo"]["builtin"] is False
    assert all(row["errors"] == [] for name, row in rows.items() if name != "typo")
    assert "插件 typo" in result.stderr and "duban_check_reprot" in result.stderr
