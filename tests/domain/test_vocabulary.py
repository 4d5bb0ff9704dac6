"""The vocabulary: every value has one Chinese label, defined once; plugins may still pass plain strings."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from pathlib import Path

import pytest

from duban.domain import vocabulary
from duban.domain.vocabulary import AlertLevel, Light, Role, Severity, coerce, values
from duban.hookspecs import FindingSpec, ReportContext, ResponsibilityContext, hookimpl
from duban.plugin_host import PluginHost

ROOT = Path(__file__).parents[2]
ENUMS = [
    getattr(vocabulary, name) for name in vocabulary.__all__ if isinstance(getattr(vocabulary, name), type)
]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_every_member_has_a_chinese_label(enum: type[StrEnum]) -> None:
    assert issubclass(enum, StrEnum)
    for member in enum:
        label = member.label  # type: ignore[attr-defined]
        assert label.strip() and CJK.search(label), f"{enum.__name__}.{member.name}: {label!r}"
        assert member == member.value and f"{member}" == member.value  # stored and printed as its value


def test_labels_are_distinct_within_an_enum() -> None:
    for enum in ENUMS:
        labels = [m.label for m in enum]  # type: ignore[attr-defined]
        assert len(set(labels)) == len(labels), enum.__name__


def test_role_labels_are_the_ones_of_the_documents() -> None:
    assert [r.label for r in Role] == ["牵头", "配合", "共同负责"]


def test_lights_rank_worse_higher_and_round_trip() -> None:
    assert sorted(Light, key=lambda light: light.rank) == [Light.DONE, Light.GREEN, Light.YELLOW, Light.RED]
    assert all(Light.from_rank(light.rank) is light for light in Light)
    assert all(len(light.mark) == 1 for light in Light)
    assert all(len(level.mark) == 1 for level in AlertLevel)


def test_values_are_in_declaration_order() -> None:
    assert values(Role) == ("lead", "support", "joint")


def test_coerce_accepts_members_and_values_and_names_what_is_wrong() -> None:
    assert coerce(Severity, "warning") is Severity.WARNING
    assert coerce(Severity, Severity.ERROR) is Severity.ERROR
    with pytest.raises(ValueError, match="未知的 severity 'warn'：应为 error、warning、info 之一"):
        coerce(Severity, "warn", "severity")
    with pytest.raises(ValueError, match="Role"):
        coerce(Role, None)


def test_finding_spec_turns_a_string_severity_into_the_member() -> None:
    finding = FindingSpec("fulian.no_visits", "warning", "本节日未走访慰问农村留守妇女。")  # type: ignore[arg-type]
    assert finding.severity is Severity.WARNING and finding.severity.label == "警告"
    assert FindingSpec("x", Severity.ERROR, "……") == FindingSpec("x", "error", "……")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="FindingSpec.severity 'fatal'"):
        FindingSpec("x", "fatal", "……")  # type: ignore[arg-type]


def test_responsibility_context_turns_a_string_role_into_the_member() -> None:
    ctx = ResponsibilityContext(
        agency="minzheng", role="support", task_text="……", template=None, as_of=dt.date(2026, 3, 1)
    )  # type: ignore[arg-type]
    assert ctx.role is Role.SUPPORT
    with pytest.raises(ValueError, match="ResponsibilityContext.role 'boss'"):
        ResponsibilityContext(
            agency="minzheng", role="boss", task_text="", template=None, as_of=dt.date.today()
        )  # type: ignore[arg-type]


def test_a_plugin_with_an_unknown_severity_is_that_plugins_fault() -> None:
    class Typo:
        @hookimpl
        def duban_check_report(self, report: ReportContext) -> list[FindingSpec]:
            return [FindingSpec("typo.warn", "warn", "拼错了级别")]  # type: ignore[arg-type]

    class Fine:
        @hookimpl
        def duban_check_report(self, report: ReportContext) -> list[FindingSpec]:
            return [FindingSpec("fine.note", "info", "一切正常")]  # type: ignore[arg-type]

    host = PluginHost.load(entry_points=False)
    host.register(Typo(), "typo")
    host.register(Fine(), "fine")
    found = host.check_report(ReportContext(agency="minzheng", template=None, indicators={}))
    assert [(plugin, f.severity) for plugin, f in found] == [("fine", Severity.INFO)]
    assert [(f.plugin, f.stage) for f in host.faults] == [("typo", "duban_check_report")]
    assert "ValueError" in host.faults[0].error and "'warn'" in host.faults[0].error


# ------------------------------------------------------------------- the labels live in one place only

OLD_TABLES = re.compile(
    r"\b(ROLE_LABELS?|ROLE_NAMES|STATE_NAMES|STATUS_NAMES|LIGHT_NAMES|LIGHT_MARK|LIGHT_LABEL|LIGHT_RANK|"
    r"RANK_LIGHT|REVIEW_NAMES|EXTENSION_NAMES|LEVEL_NAMES|LEVEL_MARK|SOURCE_NAMES)\b"
)
#: a mapping from a role (its value or its member) to Chinese text: a role-label table
ROLE_TABLE = re.compile(
    r"""(["'](lead|support|joint)["']|Role\.(LEAD|SUPPORT|JOINT))\s*:\s*["'][^"'\n]*[\u4e00-\u9fff]"""
)


def _python_files() -> list[Path]:
    files = [p for p in (ROOT / "core").rglob("*.py") if "plugins" not in p.relative_to(ROOT / "core").parts]
    files += list((ROOT / "plugins").rglob("*.py")) + list((ROOT / "departments").rglob("*.py"))
    return sorted(files)


def test_there_is_exactly_one_role_label_table() -> None:
    files = _python_files()
    assert len(files) > 50
    tables = [
        p.relative_to(ROOT).as_posix() for p in files if ROLE_TABLE.search(p.read_text(encoding="utf-8"))
    ]
    assert tables == ["core/domain/vocabulary.py"]


def test_the_old_label_tables_and_the_short_role_label_do_not_come_back() -> None:
    offenders = []
    for path in _python_files():
        if path.name == "vocabulary.py" and path.parent.name == "domain":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if OLD_TABLES.search(line) or re.search(r"""["']共同["']""", line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "labels belong in duban.domain.vocabulary:\n" + "\n".join(offenders)
