"""A scaffolded plugin installs into a fresh virtual environment and duban finds it there.

The new environment is a real ``python -m venv``; duban and its dependencies reach it through a .pth
file: the repository root first (duban's code from this checkout), then the running environment's
site-packages (its dependencies and duban's distribution metadata, so the built-in plugins load too).
The plugin itself is built and installed by pip as a real (non-editable) wheel, which also proves that
plugin.toml ships as package data. ``--no-deps`` keeps pip off the network; the build runs without
isolation when this environment can build wheels by itself (setuptools ≥ 70.1 or the ``wheel``
package), and otherwise lets pip fetch setuptools from the configured index.
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


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert result.returncode == 0, f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result.stdout


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
        _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip()
    )
    parent = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    lines = [str(REPO), *(f"import site; site.addsitedir({p!r})" for p in parent)]
    (site_packages / "_duban_parent_env.pth").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return python


def _duban(python: Path, *args: str) -> str:
    return _run(python, "-c", "import sys; from duban.cli.main import main; main(sys.argv[1:])", *args)


@pytest.mark.departments
def test_scaffolded_plugin_installs_and_is_found(tmp_path: Path) -> None:
    target = scaffold_plugin("jiaoyu", "教育", parent=tmp_path / "src")
    python = _fresh_venv(tmp_path / "venv")

    pip = [python, "-m", "pip", "install", "--no-deps", "--no-input", "--quiet"]
    if _can_build_without_isolation():
        pip.append("--no-build-isolation")
    _run(*pip, target)

    where = json.loads(
        _run(
            python,
            "-c",
            "import json, sys, duban, duban_jiaoyu; print(json.dumps("
            "[sys.prefix, duban.__file__, duban_jiaoyu.__file__]))",
        )
    )
    assert Path(where[0]) == tmp_path / "venv"
    assert Path(where[1]).is_relative_to(REPO)
    assert Path(where[2]).is_relative_to(tmp_path / "venv")  # installed, not imported from src/

    rows = {row["name"]: row for row in json.loads(_duban(python, "plugins", "--json"))}
    new = rows["jiaoyu"]
    assert new["builtin"] is False and new["errors"] == []
    assert new["module"] == "duban_jiaoyu" and new["version"] == "0.1.0"
    assert {"duban_register_agencies", "duban_check_report"} <= set(new["hooks"])
    assert rows["minzheng"]["builtin"] is True

    db = f"sqlite:///{tmp_path / 'duban.db'}"
    _duban(python, "--db", db, "db", "upgrade")
    agencies = {a["key"]: a for a in json.loads(_duban(python, "--db", db, "agencies", "--json"))}
    assert agencies["jiaoyu"]["names"]["national"] == "教育部"
    assert agencies["jiaoyu"]["names"]["province"] == "省教育厅"
    assert "minzheng" in agencies

    out = _run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=target)
    assert " passed" in out and "failed" not in out
