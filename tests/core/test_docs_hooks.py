"""Every hook specification has a section in docs/plugins.md (as datasette's test_docs does)."""

from __future__ import annotations

import inspect
from pathlib import Path

from duban.hookspecs import DubanHookSpecs

DOCS = Path(__file__).parents[2] / "docs" / "plugins.md"


def hook_names() -> list[str]:
    return [n for n, _ in inspect.getmembers(DubanHookSpecs, inspect.isfunction) if n.startswith("duban_")]


def test_there_are_hooks() -> None:
    assert "duban_register_agencies" in hook_names()
    assert len(hook_names()) >= 8


def test_every_hook_has_a_docs_section() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [name for name in hook_names() if f"### {name}" not in text]
    assert missing == [], f"docs/plugins.md lacks a '### name' section for: {missing}"


def test_every_hook_has_a_docstring_with_version() -> None:
    for name in hook_names():
        doc = getattr(DubanHookSpecs, name).__doc__ or ""
        assert "Added in" in doc, name
