"""Hooks as a contract, checked against docs/plugins.md (as datasette's tests/test_docs.py does).

Every hook specification has a ``### name`` section that shows its full signature — parameters with their
annotations and the return annotation, as ``inspect.signature`` gives them — and the version that added it;
every hook's docstring names each parameter and that version; and no section documents a hook that is gone.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from duban.hookspecs import DubanHookSpecs
from duban.plugin_host import hook_names

DOCS = Path(__file__).parents[2] / "docs" / "plugins.md"


def section(name: str) -> str:
    """The text of the ``### name`` section, up to the next heading."""
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(rf"^### {re.escape(name)}\s*$(.*?)(?=^#{{1,3}} |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"docs/plugins.md lacks a '### {name}' section"
    return match.group(1)


def signature_of(name: str) -> str:
    """``duban_check_report(report: ReportContext) -> list[FindingSpec]`` from the hookspec itself.

    The hook module uses ``from __future__ import annotations``, so annotations are the source text.
    """
    sig = inspect.signature(getattr(DubanHookSpecs, name))
    params = []
    for p in sig.parameters.values():
        if p.name == "self":
            continue
        params.append(p.name if p.annotation is p.empty else f"{p.name}: {p.annotation}")
    returns = "" if sig.return_annotation is sig.empty else f" -> {sig.return_annotation}"
    return f"{name}({', '.join(params)}){returns}"


def added_in(name: str) -> str:
    doc = inspect.getdoc(getattr(DubanHookSpecs, name)) or ""
    match = re.search(r"Added in (\d+\.\d+)", doc)
    assert match, f"the docstring of {name} does not say 'Added in X.Y'"
    return match.group(1)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("( ", "(").replace(" )", ")").strip()


def test_there_are_hooks() -> None:
    assert "duban_register_agencies" in hook_names()
    assert len(hook_names()) >= 8


@pytest.mark.parametrize("name", hook_names())
def test_hook_is_documented_with_its_full_signature(name: str) -> None:
    body = section(name)
    shown = re.findall(rf"`({re.escape(name)}\(.*?\)[^`]*)`", body)
    assert shown, f"the section of {name} shows no signature such as `{signature_of(name)}`"
    assert squash(shown[0]) == squash(signature_of(name)), (
        f"docs/plugins.md shows `{shown[0]}` but the hook specification is `{signature_of(name)}`"
    )


@pytest.mark.parametrize("name", hook_names())
def test_hook_docs_and_docstring_agree_on_the_version(name: str) -> None:
    assert f"（{added_in(name)} 起）" in section(name), (
        f"the section of {name} should say （{added_in(name)} 起）"
    )


@pytest.mark.parametrize("name", hook_names())
def test_hook_docstring_names_every_parameter(name: str) -> None:
    doc = inspect.getdoc(getattr(DubanHookSpecs, name)) or ""
    params = [p for p in inspect.signature(getattr(DubanHookSpecs, name)).parameters if p != "self"]
    for param in params:
        assert f":param {param}:" in doc, f"the docstring of {name} does not describe :param {param}:"


def test_no_section_documents_a_hook_that_does_not_exist() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = re.findall(r"^### (duban_\w+)\s*$", text, re.MULTILINE)
    assert sorted(set(documented) - set(hook_names())) == []
    assert len(documented) == len(set(documented)), "a hook is documented twice"


def test_the_signature_check_sees_a_difference() -> None:
    """The comparison is not vacuous: a wrong parameter or return annotation differs."""
    right = signature_of("duban_check_report")
    assert right == "duban_check_report(report: ReportContext) -> list[FindingSpec]"
    for wrong in (
        "duban_check_report(report) -> list[FindingSpec]",
        "duban_check_report(report: ReportContext) -> list[Finding]",
        "duban_check_report(context: ReportContext) -> list[FindingSpec]",
    ):
        assert squash(wrong) != squash(right)
