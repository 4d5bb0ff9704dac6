"""A plugin made by ``duban plugin new`` is built as a wheel, installed into a fresh virtual environment
beside duban and listed healthy there; its own generated tests pass there; and the same plugin with a
misspelt hook makes ``duban plugins`` exit 5 naming the plugin and the hook.

The new environment is a real ``python -m venv``. duban and its dependencies reach it as an already
installed distribution: a .pth file adds the running environment's site-packages (duban's editable install
from this checkout, its dependencies, the shipped department plugins, pytest). The plugin is built with
``pip wheel --no-deps`` and installed by pip from a folder of wheels with ``--no-index`` — the way a
coordinator hands plugins out — so pip itself checks that the installed duban satisfies the plugin's
declared range (``duban>=0.2,<0.3``) and never looks for duban on a public index. The build runs without
isolation when this environment can build wheels by itself (setuptools ≥ 70.1 or the ``wheel`` package),
and otherwise lets pip fetch setuptools from the configured index.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from duban.scaffold import scaffold_plugin

REPO = Path(__file__).resolve().parents[2]


def _run(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None, code: int = 0
) -> subprocess.CompletedProcess[str]:
    """Run a command; it must exit with ``code``."""
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    base["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert result.returncode == code, (
        f"{args} exited {result.returncode}, expected {code}:\n{result.stdout}\n{result.stderr}"
    )
    return result


def _can_build_without_isolation() -> bool:
    if importlib.util.find_spec("wheel") is not None:
        return True
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return False
    major, minor = (int(part) for part in version.split(".")[:2])
    return (major, minor) >= (70, 1)  # setuptools ships its own bdist_wheel from 70.1 on


def _fresh_venv(path: Path) -> Path:
    has_pip = importlib.util.find_spec("pip") is not None  # then the venv borrows it through the .pth
    _run(sys.executable, "-m", "venv", *(["--without-pip"] if has_pip else []), path)
    python = path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site_packages = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    )
    parent = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    lines = [f"import site; site.addsitedir({p!r})" for p in parent]
    (site_packages / "_duban_parent_env.pth").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return python


def _wheel(source: Path, wheels: Path) -> None:
    """``pip wheel --no-deps -w wheels source``, as the plugin's README tells a department to."""
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-input", "--quiet", "-w", wheels]
    if _can_build_without_isolation():
        build.append("--no-build-isolation")
    _run(*build, source)


def _install(python: Path, wheels: Path, dist: str) -> None:
    _run(python, "-m", "pip", "install", "--no-index", "--find-links", wheels, "--no-input", "--quiet", dist)


def _duban(
    python: Path, *args: str, code: int = 0, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    script = "import sys; from duban.cli.main import main; main(sys.argv[1:])"
    return _run(python, "-c", script, *args, code=code, env=env)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A fresh venv with duban-plugin-jiaoyu installed from its wheel: (python, wheels, plugin source)."""
    root = tmp_path_factory.mktemp("install")
    target = scaffold_plugin("jiaoyu", "教育", parent=root / "src")
    wheels = root / "wheels"
    _wheel(target, wheels)
    assert [p.name for p in wheels.iterdir()] == ["duban_plugin_jiaoyu-0.1.0-py3-none-any.whl"]
    python = _fresh_venv(root / "venv")
    _install(python, wheels, "duban-plugin-jiaoyu")
    return python, wheels, target


@pytest.mark.departments
def test_the_scaffolded_plugin_installs_from_a_wheel_and_is_listed_healthy(
    venv: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    python, _wheels, _target = venv
    where = json.loads(
        _run(
            python,
            "-c",
            "import json, sys, duban, duban_jiaoyu; print(json.dumps("
            "[sys.prefix, duban.__file__, duban_jiaoyu.__file__]))",
        ).stdout
    )
    assert Path(where[0]) == python.parents[1]
    assert Path(where[1]).is_relative_to(REPO)  # this checkout's duban
    assert Path(where[2]).is_relative_to(python.parents[1])  # the plugin as installed from its wheel

    rows = {row["name"]: row for row in json.loads(_duban(python, "plugins", "--json").stdout)}
    new = rows["jiaoyu"]
    assert new["builtin"] is False and new["errors"] == []
    assert new["module"] == "duban_jiaoyu" and new["version"] == "0.1.0"
    assert {"duban_register_agencies", "duban_check_report"} <= set(new["hooks"])
    assert rows["minzheng"]["builtin"] is True
    assert all(row["errors"] == [] for row in rows.values())

    db = f"sqlite:///{tmp_path / 'duban.db'}"
    _duban(python, "--db", db, "db", "upgrade")
    agencies = {
        a["key"]: a for a in json.loads(_duban(python, "--db", db, "agencies", "--json").stdout)["items"]
    }
    assert agencies["jiaoyu"]["names"]["national"] == "教育部"
    assert agencies["jiaoyu"]["names"]["province"] == "省教育厅"
    assert "minzheng" in agencies


def test_the_generated_tests_pass_against_the_installed_plugin(venv: tuple[Path, Path, Path]) -> None:
    python, _wheels, target = venv
    # -P: the plugin's folder is not put on sys.path, so the tests import the installed wheel
    out = _run(python, "-P", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=target).stdout
    assert " passed" in out and "failed" not in out and "error" not in out


@pytest.mark.departments
def test_a_misspelt_hook_makes_duban_plugins_exit_5_naming_it(
    venv: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    python, wheels, _target = venv
    source = scaffold_plugin("kexie", "科协", parent=tmp_path / "src")
    init = source / "duban_kexie" / "__init__.py"
    text = init.read_text(encoding="utf-8")
    text = text.replace(
        "from duban.plugin import DepartmentPlugin, FindingSpec, ReportContext",
        "from duban.plugin import DepartmentPlugin, FindingSpec, ReportContext, hookimpl",
    )
    text = text.replace(
        "\n\n#: duban 通过",
        "\n\n    @hookimpl\n"
        "    def duban_check_reprot(self, report: ReportContext) -> list[FindingSpec]:\n"
        "        return []\n\n#: duban 通过",
    )
    init.write_text(text, encoding="utf-8")
    _wheel(source, wheels)
    _install(python, wheels, "duban-plugin-kexie")
    try:
        result = _duban(python, "plugins", "--json", code=5)
        rows = {row["name"]: row for row in json.loads(result.stdout)}
        message = "插件 kexie 实现了未知的钩子 duban_check_reprot（是否想写 duban_check_report？）"
        assert rows["kexie"]["errors"] == [{"stage": "load", "error": message}]
        assert rows["kexie"]["hooks"] == [] and rows["kexie"]["builtin"] is False
        assert rows["jiaoyu"]["errors"] == [] and rows["minzheng"]["errors"] == []
        assert f"错误：插件 kexie（load）：{message}" in result.stderr
        assert "其余插件照常工作" in result.stderr

        result = _duban(python, "plugins", code=5)
        assert "kexie" in result.stdout and "duban_check_reprot" in result.stderr

        result = _duban(python, "plugins", env={"DUBAN_DISABLE_PLUGINS": "kexie"})
        assert "kexie" not in result.stdout and "jiaoyu" in result.stdout and result.stderr == ""
    finally:
        _run(python, "-m", "pip", "uninstall", "--yes", "--quiet", "duban-plugin-kexie")
