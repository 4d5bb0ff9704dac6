"""duban plugin new through click's CliRunner: files, options, refusals and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from duban.cli.main import cli
from duban.domain.plugin_toml import load_plugin_toml
from duban.errors import ValidationError


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_plugin_new_creates_the_package(tmp_path: Path) -> None:
    code, out, err = run("plugin", "new", "jiaoyu", "--name", "教育", "--dir", str(tmp_path))
    assert code == 0, err
    target = tmp_path / "duban-plugin-jiaoyu"
    assert f"已创建部门插件：{target}" in out and "duban plugins" in out and "pip install -e ." in out
    for name in (
        "pyproject.toml",
        "README.md",
        "duban_jiaoyu/__init__.py",
        "duban_jiaoyu/plugin.toml",
        "tests/test_plugin.py",
    ):
        assert (target / name).is_file(), name
        assert name in out
    names = load_plugin_toml(target / "duban_jiaoyu" / "plugin.toml").agency.names
    assert dict(names) == {
        "national": "教育部",
        "province": "省教育厅",
        "prefecture": "市教育局",
        "county": "县教育局",
    }


def test_level_names_can_be_given(tmp_path: Path) -> None:
    code, out, _ = run(
        "plugin",
        "new",
        "jiaoyu",
        "--name",
        "教育",
        "--dir",
        str(tmp_path),
        "--json",
        "--prefecture",
        "市（州）教育局",
        "--county",
        "县（市、区）教育局",
    )
    assert code == 0
    result = json.loads(out)
    assert result["key"] == "jiaoyu" and "duban_jiaoyu/plugin.toml" in result["files"]
    names = load_plugin_toml(Path(result["path"]) / "duban_jiaoyu" / "plugin.toml").agency.names
    assert names["prefecture"] == "市（州）教育局" and names["county"] == "县（市、区）教育局"
    assert names["national"] == "教育部"


def test_bad_key_gives_a_chinese_error_and_exit_code(tmp_path: Path) -> None:
    code, out, err = run("plugin", "new", "Jiao-Yu", "--name", "教育", "--dir", str(tmp_path))
    assert code == ValidationError.exit_code
    assert err.startswith("错误：部门代码“Jiao-Yu”无效") and out == ""
    assert list(tmp_path.iterdir()) == []


def test_existing_directory_is_refused(tmp_path: Path) -> None:
    assert run("plugin", "new", "jiaoyu", "--name", "教育", "--dir", str(tmp_path))[0] == 0
    readme = tmp_path / "duban-plugin-jiaoyu" / "README.md"
    readme.write_text("本地修改", encoding="utf-8")
    code, _out, err = run("plugin", "new", "jiaoyu", "--name", "教育", "--dir", str(tmp_path))
    assert code == ValidationError.exit_code and "已存在，未做任何改动" in err
    assert readme.read_text(encoding="utf-8") == "本地修改"


@pytest.mark.departments
def test_key_of_an_installed_agency_is_refused(tmp_path: Path) -> None:
    code, _out, err = run("plugin", "new", "fulian", "--name", "妇女", "--dir", str(tmp_path))
    assert code == ValidationError.exit_code and "已被已安装的部门“妇联”使用" in err


def test_help_lists_plugin_next_to_plugins() -> None:
    code, out, _ = run("--help")
    assert code == 0 and "plugin " in out and "plugins " in out
    code, out, _ = run("plugin", "--help")
    assert code == 0 and "new" in out
