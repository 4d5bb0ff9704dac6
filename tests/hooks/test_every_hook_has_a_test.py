"""Every hook specification has a test of its own, ``test_hook_<name without duban_>`` in tests/hooks/
(as datasette's tests/test_docs.py requires of its hooks): adding a hook without a test fails here."""

from __future__ import annotations

import ast
from pathlib import Path

from duban.plugin_host import hook_names

HERE = Path(__file__).parent


def hook_tests() -> set[str]:
    names = set()
    for path in HERE.glob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names |= {
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_hook_")
        }
    return names


def test_every_hook_has_a_test_of_its_own() -> None:
    expected = {f"test_hook_{name.removeprefix('duban_')}" for name in hook_names()}
    missing = sorted(expected - hook_tests())
    assert missing == [], f"tests/hooks/ lacks a test for each of these hooks: {missing}"


def test_no_hook_test_is_left_for_a_hook_that_is_gone() -> None:
    expected = {f"test_hook_{name.removeprefix('duban_')}" for name in hook_names()}
    assert sorted(hook_tests() - expected) == []
