"""pyproject.toml declares what duban imports, with lower bounds CI installs (docs/dependencies.md)."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]


def _lowest_constraints():  # noqa: ANN202 - the module .ci/lowest_constraints.py
    spec = importlib.util.spec_from_file_location(
        "lowest_constraints", ROOT / ".ci" / "lowest_constraints.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LC = _lowest_constraints()


def _names(requirements: list[str]) -> set[str]:
    return {LC.lower_bound(r)[0] for r in requirements}


def _imported_top_level_modules() -> set[str]:
    """Top-level modules imported anywhere in duban (core/ and plugins/), stdlib and duban left out."""
    found: set[str] = set()
    for folder in ("core", "plugins"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts or path.is_symlink():
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m != "duban"}


def test_every_imported_library_is_declared() -> None:
    """rich was imported but not declared once; a library that arrives only through another's
    dependencies can disappear with that library's next release."""
    declared = _names(PROJECT["dependencies"]) | {
        name
        for extra, reqs in PROJECT["optional-dependencies"].items()
        if extra != "dev"
        for name in _names(reqs)
    }
    owners = packages_distributions()
    missing = {}
    for module in sorted(_imported_top_level_modules()):
        dists = {LC.normalize(d) for d in owners.get(module, [])}
        if not dists & declared:
            missing[module] = sorted(dists) or "not installed"
    assert not missing, f"imported but not in [project] dependencies or an extra: {missing}"


def test_textual_serve_is_the_web_extra_only() -> None:
    assert "textual-serve" not in _names(PROJECT["dependencies"])
    assert _names(PROJECT["optional-dependencies"]["web"]) == {"textual-serve", "aiohttp"}
    assert {"rich", "platformdirs"} <= _names(PROJECT["dependencies"])


def test_every_requirement_has_a_lower_bound_ci_can_pin() -> None:
    pins = LC.pins(PYPROJECT, ["postgres", "web"], ["pytest", "click", "sqlalchemy"])
    every = PROJECT["dependencies"] + [r for reqs in PROJECT["optional-dependencies"].values() for r in reqs]
    for requirement in every:
        LC.lower_bound(requirement)  # exits naming the requirement when there is none
    assert pins["textual"] == "8.0" and pins["click"] == "8.2" and pins["sqlalchemy"] == "2.1"
    assert set(pins) == _names(PROJECT["dependencies"]) | {"psycopg", "textual-serve", "aiohttp", "pytest"}


def test_lowest_constraints_refuses_a_requirement_without_lower_bound() -> None:
    with pytest.raises(SystemExit, match="has no lower bound"):
        LC.lower_bound("rich<15")
    assert LC.lower_bound("psycopg[binary]>=3.1.4,<4; python_version >= '3.11'") == ("psycopg", "3.1.4")
    assert LC.lower_bound("tomli_w>=1.0") == ("tomli-w", "1.0")


def test_docs_explain_every_lower_bound() -> None:
    """docs/dependencies.md has a row for every direct dependency, with the bound pyproject.toml declares."""
    text = (ROOT / "docs" / "dependencies.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([A-Za-z0-9_.\[\]-]+)>=([^`]+)` \|", text, flags=re.M))
    documented = {LC.normalize(name.split("[")[0]): bound for name, bound in rows.items()}
    declared = LC.pins(PYPROJECT, ["postgres", "web"], [])
    assert documented == declared


def test_metadata_is_complete_and_names_no_package_index() -> None:
    for key in (
        "authors",
        "keywords",
        "classifiers",
        "license",
        "license-files",
        "readme",
        "requires-python",
    ):
        assert PROJECT.get(key), key
    classifiers = PROJECT["classifiers"]
    assert "Natural Language :: Chinese (Simplified)" in classifiers
    assert any(c.startswith("Programming Language :: Python :: 3.") for c in classifiers)
    trove = pytest.importorskip("trove_classifiers")
    assert not set(classifiers) - trove.classifiers, "unknown trove classifiers"
    assert not [c for c in classifiers if c.startswith("License ::")], "the SPDX license field replaces them"
    assert "://" not in (ROOT / "pyproject.toml").read_text(encoding="utf-8"), (
        "no index or download addresses"
    )


def _readme_command(ending: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [
        line for line in readme.splitlines() if line.startswith("python3 -m venv .venv") and ending in line
    ]
    assert len(commands) == 1, ending
    return commands[0]


def test_readme_commands_install_the_extras_and_ci_follows_them() -> None:
    demo = _readme_command("duban demo")
    tests = _readme_command(".venv/bin/pytest")
    assert "-e '.[postgres,web]' -r departments/requirements.txt" in demo
    install = re.search(r"pip install (-e '\.\[[a-z,]+\]' -r departments/requirements\.txt)", tests)
    assert install is not None and "web" in install.group(1) and "dev" in install.group(1)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f".venv/bin/pip install --quiet {install.group(1)}\n" in ci
    assert "bash .ci/lowest" in ci
