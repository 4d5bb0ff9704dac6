"""Traditional-character documents (a gov.cn big5 gateway page) are read as simplified, with a warning."""

from __future__ import annotations

from duban.domain.agencies import AgencyRegistry
from duban.importing import parse_policy
from duban.importing.script import to_simplified

TRADITIONAL = """國務院辦公廳關於加強農村留守婦女關愛服務工作的通知
一、加強就業培訓。（人力資源社會保障部牽頭，農業農村部、全國婦聯按照職責分工負責）
二、加強關愛服務。（民政部負責）
"""


def test_a_simplified_text_is_left_alone() -> None:
    text = "关于加强农村留守妇女关爱服务工作的意见。乾坤"
    assert to_simplified(text) == (text, False)


def test_a_traditional_text_is_converted_line_for_line() -> None:
    converted, changed = to_simplified(TRADITIONAL)
    assert changed
    assert converted.splitlines()[0] == "国务院办公厅关于加强农村留守妇女关爱服务工作的通知"
    assert len(converted.splitlines()) == len(TRADITIONAL.splitlines())


def test_a_traditional_document_parses_to_registered_agencies(registry: AgencyRegistry) -> None:
    parsed = parse_policy(TRADITIONAL, registry, source="big5.txt")
    first = parsed.tasks[0]
    assert {r.agency for r in first.responsibilities if r.role == "lead"} == {"renshe"}
    assert {r.agency for r in first.responsibilities if r.role == "support"} == {"nongye", "fulian"}
    assert any("繁体" in w.message for w in parsed.warnings)
