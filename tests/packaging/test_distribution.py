"""What ``pip install .`` installs: one import package ``duban``; the department plugins are distributions of their own.

The wheel is built from this checkout with pip (no build isolation, so no network). The "core alone" test
installs that wheel into a fresh ``python -m venv`` whose only other contents are duban's dependencies, taken
from the running environment through a folder of links that leaves out every duban distribution (the
editable duban and the thirteen department plugins). It then runs duban from a directory outside the
checkout, so nothing of the source tree can leak in through the current directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from duban.plugin_host import SHIPPED_DEPARTMENTS

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "tests" / "fixtures" / "seeds" / "000_ec88c21d93956c79.txt"


def _run(*args: str | Path, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env |= {
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "XDG_CONFIG_HOME": str(cwd / "cfg"),
        "XDG_DATA_HOME": str(cwd / "data"),
    }
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )
    if check:
        assert result.returncode == 0, (
            f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def _declared_packages() -> list[str]:
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return list(data["tool"]["setuptools"]["packages"])


def test_every_folder_of_core_is_a_declared_package() -> None:
    found = sorted(
        ".".join(("duban", *init.parent.relative_to(REPO / "core").parts))
        for init in (REPO / "core").glob("**/__init__.py")
    )
    # glob does not follow the core/plugins link; plugins/ is duban.plugins
    found += sorted(
        ".".join(("duban", "plugins", *init.parent.relative_to(REPO / "plugins").parts))
        for init in (REPO / "plugins").glob("**/__init__.py")
    )
    assert (REPO / "core" / "plugins").resolve() == (REPO / "plugins").resolve()
    assert sorted(set(found)) == sorted(_declared_packages())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        out,
        REPO,
        cwd=out,
    )
    [built] = out.glob("duban-*.whl")
    return built


def test_the_wheel_installs_one_import_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        eps = zf.read(entry_points).decode()
        [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = zf.read(metadata).decode()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"duban"}
    for data in (
        "duban/defaults/duban.toml",
        "duban/storage/migrations/versions/0001_initial_schema.py",
        "duban/tui/dashboard.tcss",
        "duban/tui/web_templates/app_index.html",
        "duban/plugins/readers/text.py",
        "duban/__main__.py",
        "duban/plugin/__init__.py",
    ):
        assert data in names, data
    assert "duban = duban.cli:main" in eps
    for key in SHIPPED_DEPARTMENTS:  # the departments are not in duban's wheel
        assert f"{key} =" not in eps and not any(n.startswith(f"duban_{key}/") for n in names)
    assert "License-Expression: MIT" in meta


def _dependency_links(target: Path) -> Path:
    """A folder linking everything in this environment's site-packages except duban's own distributions."""
    target.mkdir()
    for site in dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]):
        for entry in Path(site).iterdir():
            lowered = entry.name.lower()
            if lowered.startswith(("duban", "__editable__", "_duban")) or lowered.endswith(".pth"):
                continue
            if not (target / entry.name).exists():
                (target / entry.name).symlink_to(entry)
    return target


@pytest.fixture(scope="module")
def core_alone(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Iterator[tuple[Path, Path]]:
    """A fresh venv with duban's wheel and its dependencies, and no department plugin; and a work folder."""
    root = tmp_path_factory.mktemp("core-alone")
    _run(sys.executable, "-m", "venv", "--without-pip", root / "venv", cwd=root)
    python = root / "venv" / "bin" / "python"
    purelib = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=root
        ).stdout.strip()
    )
    deps = _dependency_links(root / "deps")
    (purelib / "_duban_deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    _run(python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel, cwd=root)
    work = root / "work"
    work.mkdir()
    yield python, work


def test_core_alone_installs_and_runs_without_any_department(core_alone: tuple[Path, Path]) -> None:
    python, work = core_alone
    no_core = _run(python, "-c", "import core", cwd=work, check=False)
    assert no_core.returncode == 1 and "No module named 'core'" in no_core.stderr
    where = _run(python, "-c", "import duban; print(duban.__file__)", cwd=work).stdout.strip()
    assert Path(where).is_relative_to(python.parent.parent), where  # the installed wheel, not the checkout

    assert "用法: duban [OPTIONS] COMMAND" in _run(python, "-m", "duban", "--help", cwd=work).stdout

    plugins = json.loads(_run(python, "-m", "duban", "plugins", "--json", cwd=work).stdout)
    names = {row["name"] for row in plugins}
    assert {"reader_text", "reader_docx", "reader_pdf", "scoring_default"} <= names
    assert not names & set(SHIPPED_DEPARTMENTS)
    assert all(row["builtin"] and not row["errors"] for row in plugins)

    db = f"sqlite:///{work / 'core.db'}"
    _run(python, "-m", "duban", "--db", db, "init", cwd=work)
    imported = _run(python, "-m", "duban", "--db", db, "import", SEED, "--json", cwd=work)
    result = json.loads(imported.stdout)
    assert result["tasks"], "the seed's tasks are imported by the core alone"
    # with no department plugin nobody is resolved: each name is kept as written and said so
    assert any("不是已登记的部门" in w for w in json.dumps(result, ensure_ascii=False).split('"'))


def test_each_department_is_a_distribution_of_its_own() -> None:
    listed = (REPO / "departments" / "requirements.txt").read_text(encoding="utf-8").split()
    version = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    for key in SHIPPED_DEPARTMENTS:
        folder = REPO / "departments" / key
        project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        assert project["name"] == f"duban-{key}"
        assert project["entry-points"]["duban"] == {key: f"duban_{key}:plugin"}
        [dependency] = project["dependencies"]
        assert dependency.startswith("duban>=") and version.rsplit(".", 1)[0] in dependency
        assert (folder / f"duban_{key}" / "plugin.toml").is_file()
        assert f"./departments/{key}" in listed
        source = (folder / f"duban_{key}" / "__init__.py").read_text(encoding="utf-8")
        imports = [line for line in source.splitlines() if line.startswith(("from duban", "import duban"))]
        assert imports and all(line.startswith("from duban.plugin import ") for line in imports), imports
