"""The plugin host isolates faults: a plugin that fails to import or raises in a hook is named, the
others carry on."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

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
    import json

    from click.testing import CliRunner

    from duban.cli.main import cli

    result = CliRunner().invoke(cli, ["plugins", "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["broken_check"]["errors"] == [
        {"stage": "duban_check_report", "error": "KeyError: 'indicator'"}
    ]
    assert rows["minzheng"]["errors"] == []
    text = CliRunner().invoke(cli, ["plugins"]).stdout
    assert "broken_check" in text and "其余插件照常工作" in text
