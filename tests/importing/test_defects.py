"""The defect classes of issue 14 (clause grammar and text form), one test or more per class, each named
after its class. Documents are small and written for the purpose, in the shapes seen on unseen documents
(State Council notices, provincial plans, county work lists); the real ones are in tests/fixtures/corpus."""

from __future__ import annotations

import pytest

from duban.domain.agencies import AgencyRegistry
from duban.domain.vocabulary import ParseDoubt, PartyKind
from duban.importing import ParsedPolicy, ParsedTask, parse_policy
from duban.importing.clauses import read_party_list

HEAD = """民发〔2030〕1号

民政部 财政部 全国妇联
关于测试农村留守妇女关爱服务工作的意见

"""
TAIL = "\n民政部 财政部 全国妇联\n2030年1月2日\n"


def parse(body: str, registry: AgencyRegistry, head: str = HEAD, tail: str = TAIL) -> ParsedPolicy:
    return parse_policy(head + body + tail, registry, source="test.txt")


def parties(task: ParsedTask) -> list[tuple[str, str | None, str, str]]:
    return [(r.name, r.agency, r.role.value, r.party.value) for r in task.responsibilities]


def doubts(task: ParsedTask) -> set[ParseDoubt]:
    return {d.kind for d in task.doubts}


def only(policy: ParsedPolicy) -> ParsedTask:
    assert len(policy.tasks) == 1, [(t.number, t.text) for t in policy.tasks]
    return policy.tasks[0]


# --------------------------------------------------------------------------- a clause holding 。


def test_clause_with_full_stop_is_read_with_its_convention(registry: AgencyRegistry) -> None:
    body = "一、甲。（民政部、财政部负责。列第一位者为牵头单位，下同）\n二、乙。（全国妇联、民政部负责）\n"
    one, two = parse(body, registry).tasks
    assert parties(one) == [
        ("民政部", "minzheng", "lead", "agency"),
        ("财政部", "caizheng", "support", "agency"),
    ]
    assert parties(two)[0][:3] == ("全国妇联", "fulian", "lead")
    assert ParseDoubt.GUESSED_ROLE in doubts(two)


def test_clause_with_full_stop_and_a_remark_names_nobody_in_the_remark(registry: AgencyRegistry) -> None:
    body = "（一）甲。〔责任单位：民政部、财政部按职责分工负责。具体任务均涉及相关市(州)人民政府，不再做分工，下同。〕\n"
    task = only(parse(body, registry))
    assert [r.agency for r in task.responsibilities] == ["minzheng", "caizheng"]
    assert {r.role for r in task.responsibilities} == {"joint"}


def test_every_numbered_item_is_a_task_or_a_warning(registry: AgencyRegistry) -> None:
    body = (
        "一、总体要求\n"
        "（一）甲。（民政部负责）\n"
        "（二）乙，只有正文没有条款。\n"
        "（三）丙。（财政部负责）\n"
        "二、工作要求\n"
        "（一）加强领导。各地要加强领导。\n"
    )
    policy = parse(body, registry)
    assert [t.number for t in policy.tasks] == ["一", "三"]
    dropped = [w for w in policy.warnings if "未作为任务导入" in w.message]
    assert [(w.line, "乙" in w.message) for w in dropped] == [(8, True)]
    # the heading 一、总体要求 holds tasks and the 工作要求 item is in another section: no warning for them


# --------------------------------------------------------------------------- 等 joined to a group


def test_deng_list_joined_to_a_group(registry: AgencyRegistry) -> None:
    task = only(parse("一、甲。（商务部、民政部等和各有关省级人民政府负责）\n", registry))
    assert parties(task) == [
        ("商务部", None, "joint", "unregistered"),
        ("民政部", "minzheng", "joint", "agency"),
        ("各有关省级人民政府", None, "joint", "government"),
    ]
    assert {ParseDoubt.OPEN_LIST, ParseDoubt.VAGUE_GROUP, ParseDoubt.UNRESOLVED_NAME} <= doubts(task)


@pytest.mark.parametrize("joiner", ["和", "及", "以及", "与"])
def test_deng_list_then_an_open_group(registry: AgencyRegistry, joiner: str) -> None:
    task = only(parse(f"一、甲。（民政部牵头，财政部、全国妇联等有关部门{joiner}单位配合）\n", registry))
    assert parties(task) == [
        ("民政部", "minzheng", "lead", "agency"),
        ("财政部", "caizheng", "support", "agency"),
        ("全国妇联", "fulian", "support", "agency"),
        (f"有关部门{joiner}单位", None, "support", "group"),
    ]


def test_deng_before_a_plain_noun_closes_the_list(registry: AgencyRegistry) -> None:
    task = only(parse("一、甲。（民政部牵头，财政部等部门单位参与）\n", registry))
    assert [r.name for r in task.responsibilities] == ["民政部", "财政部"]
    assert ParseDoubt.OPEN_LIST in doubts(task)


# --------------------------------------------------------------------------- vague groups


@pytest.mark.parametrize(
    ("group", "kind"),
    [
        ("有关部门", "group"),
        ("相关部门", "group"),
        ("各有关部门和单位", "group"),
        ("其他成员单位", "group"),
        ("县各有关单位", "group"),
        ("国务院相关部门", "group"),
        ("各省级人民政府", "government"),
        ("各乡镇人民政府", "government"),
        ("各县（市、区）人民政府", "government"),
        ("各县、市、区政府", "government"),
    ],
)
def test_vague_group_is_kept_as_written_and_never_expanded(
    registry: AgencyRegistry, group: str, kind: str
) -> None:
    task = only(parse(f"一、发展产业。（民政部牵头，{group}配合）\n", registry))
    assert parties(task) == [("民政部", "minzheng", "lead", "agency"), (group, None, "support", kind)]
    assert ParseDoubt.VAGUE_GROUP in doubts(task)
    assert any(d.name == group for d in task.doubts)


def test_lone_vague_group_shares_the_work(registry: AgencyRegistry) -> None:
    task = only(parse("（一）甲。（国务院各部门分别负责，年内持续推进）\n", registry))
    assert parties(task) == [("国务院各部门", None, "joint", "group")]
    assert [h["rule"] for h in task.schedule_hints] == []  # 年内持续推进 names nobody


def test_every_department_is_expanded_with_a_doubt(registry: AgencyRegistry) -> None:
    task = only(parse("一、甲。（各部门按照职责分工负责）\n", registry))
    assert {r.agency for r in task.responsibilities} == {"minzheng", "caizheng", "fulian"}
    assert ParseDoubt.EXPANDED_GROUP in doubts(task)


def test_convention_never_makes_a_group_lead(registry: AgencyRegistry) -> None:
    body = (
        "以下任务分工中，排在第一位的部门为牵头部门。\n"
        "一、甲。（有关部门、民政部、财政部负责）\n"
        "二、乙。（各有关部门负责）\n"
    )
    one, two = parse(body, registry).tasks
    assert parties(one) == [
        ("有关部门", None, "support", "group"),
        ("民政部", "minzheng", "lead", "agency"),
        ("财政部", "caizheng", "support", "agency"),
    ]
    assert parties(two) == [("各有关部门", None, "joint", "group")]


# --------------------------------------------------------------------------- several clauses


def test_several_clauses_all_count(registry: AgencyRegistry) -> None:
    body = "一、甲，做好摸排。（民政部负责）建立台账。（财政部牵头，民政部、全国妇联配合）\n"
    task = only(parse(body, registry))
    assert {(r.agency, r.role) for r in task.responsibilities} == {
        ("minzheng", "lead"),  # lead in the first clause, support in the second: the stronger role
        ("caizheng", "lead"),
        ("fulian", "support"),
    }
    assert ParseDoubt.SPLIT_CLAUSE in doubts(task)
    assert task.text == "甲，做好摸排。建立台账。"


def test_parentheses_inside_a_sentence_are_not_clauses(registry: AgencyRegistry) -> None:
    task = only(parse("一、由民政部门（民政部负责）统筹，开展工作。（财政部负责）\n", registry))
    assert [r.agency for r in task.responsibilities] == ["caizheng"]
    assert ParseDoubt.SPLIT_CLAUSE not in doubts(task)


# --------------------------------------------------------------------------- cut clauses


def test_file_cut_inside_the_last_clause_keeps_the_task(registry: AgencyRegistry) -> None:
    text = HEAD + "一、甲。（民政部负责）\n二、乙。（民政部牵头，财政部、"
    policy = parse_policy(text, registry, source="cut.txt")
    assert [t.number for t in policy.tasks] == ["一", "二"]
    two = policy.tasks[1]
    assert parties(two) == [
        ("民政部", "minzheng", "lead", "agency"),
        ("财政部", "caizheng", "support", "agency"),
    ]
    assert ParseDoubt.CUT_CLAUSE in doubts(two)
    assert any(w.line == 7 and "中间结束" in w.message for w in policy.warnings)


def test_file_cut_after_a_labelled_clause_is_flagged_as_cut(registry: AgencyRegistry) -> None:
    text = HEAD + "1.甲。\n部门分工：民政部牵头，各部门配合。\n2.乙。\n部门分工：财政部牵头，"
    policy = parse_policy(text, registry, source="cut.txt")
    assert [t.number for t in policy.tasks] == ["1", "2"]
    two = policy.tasks[1]
    assert parties(two)[0] == ("财政部", "caizheng", "lead", "agency")
    assert ParseDoubt.CUT_CLAUSE in doubts(two)
    assert ParseDoubt.CUT_CLAUSE not in doubts(policy.tasks[0])
    assert any("中间结束" in w.message for w in policy.warnings)


def test_file_cut_inside_a_name_is_a_warning_not_a_task(registry: AgencyRegistry) -> None:
    text = HEAD + "一、甲。（民政部负责）\n二、乙。（牵头单位：民政部；责任单位：财政"
    policy = parse_policy(text, registry, source="cut.txt")
    assert [t.number for t in policy.tasks] == ["一"]
    assert any(w.line == 7 and "截断" in w.message for w in policy.warnings)


# --------------------------------------------------------------------------- line wraps


def test_pdf_line_wrap_marker_is_text(registry: AgencyRegistry) -> None:
    filler = "为农村留守妇女提供关爱服务，健全工作机制，提升服务能力，开展走访慰问，为其提供一对"
    lines = [
        "一、发挥社会组织作用。（全国妇联负责）",
        "二、加强家庭教育。" + filler[9:],
        "一、面对面的家庭教育指导服务，组织开展形式多样、贴近农村生活的家庭教育亲子实践活",
        "动，倡导父母对子女成长的关爱陪伴理念，引导农村留守妇女加强与子女的亲情沟通。（全",
        "国妇联、民政部按照职责分工负责）",
        "三、建立县、乡",
        "二、三级服务网络，推进村（居）法律顾问、人民调解委员会和基层普法阵地建设。（司法部负责）",
    ]
    body = "\n".join(lines + [filler] * 10) + "\n"
    policy = parse(body, registry)
    assert [t.number for t in policy.tasks] == ["一", "二", "三"]
    assert "一、面对面" in policy.tasks[1].text and "二、三级" in policy.tasks[2].text


# --------------------------------------------------------------------------- titles and central issuers


def test_title_wrapped_over_lines_is_joined(registry: AgencyRegistry) -> None:
    head = "民发〔2030〕1号\n民政部 财政部\n关于加强农村留守妇女\n关爱服务工作的意见\n\n"
    policy = parse("一、甲。（民政部负责）\n", registry, head=head)
    assert policy.title == "关于加强农村留守妇女关爱服务工作的意见"


@pytest.mark.parametrize(
    "issuer", ["国务院", "国务院办公厅", "中共中央办公厅 国务院办公厅", "国务院有关部委"]
)
def test_central_issuer_gives_national_jurisdiction(registry: AgencyRegistry, issuer: str) -> None:
    head = f"{issuer}\n关于测试的通知\n\n"
    policy = parse("一、甲。（民政部负责）\n", registry, head=head, tail=f"\n{issuer}\n2030年1月2日\n")
    assert (policy.jurisdiction, policy.level, policy.issuers) == ("全国", "national", ())


# --------------------------------------------------------------------------- doubts and party kinds


def test_doubts_and_party_kinds(registry: AgencyRegistry) -> None:
    body = (
        "一、甲。（中央宣传部、民政部按职责分工负责）\n"
        "二、乙。（民政部，财政部、全国妇联按照职责分工负责）\n"
        "三、丙。（民政部、财政部）\n"
        "四、丁。（民政部负责）\n"
    )
    one, two, three, four = parse(body, registry).tasks
    assert parties(one)[0] == ("中央宣传部", None, "joint", "unregistered")
    assert [d.name for d in one.doubts if d.kind == ParseDoubt.UNRESOLVED_NAME] == ["中央宣传部"]
    assert ParseDoubt.GUESSED_ROLE in doubts(two)  # a stray comma
    assert ParseDoubt.GUESSED_ROLE in doubts(three)  # names only
    assert four.doubts == () and parties(four) == [("民政部", "minzheng", "lead", "agency")]
    assert all(d.message for t in (one, two, three) for d in t.doubts)


# --------------------------------------------------------------------------- wider clause grammar


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("（由民政部负责）", {"lead": {"minzheng"}}),
        ("（民政部会同财政部等部门负责落实）", {"lead": {"minzheng"}, "support": {"caizheng"}}),
        ("（民政部牵头，财政部等按职责分工负责）", {"lead": {"minzheng"}, "support": {"caizheng"}}),
        ("（民政部、财政部分别负责）", {"joint": {"minzheng", "caizheng"}}),
        (
            "（民政部、财政部牵头，全国妇联、国家卫生健康委等参与）",
            {"lead": {"minzheng", "caizheng"}, "support": {"fulian", "weijian"}},
        ),
        ("（民政部牵头负责）", {"lead": {"minzheng"}}),
        ("（责任单位：民政部、财政部）", {"joint": {"minzheng", "caizheng"}}),
        ("（责任单位：民政部）", {"lead": {"minzheng"}}),
        (
            "（牵头单位：民政部；配合单位：财政部、全国妇联）",
            {"lead": {"minzheng"}, "support": {"caizheng", "fulian"}},
        ),
        ("〔牵头单位：民政部，责任单位：财政部〕", {"lead": {"minzheng"}, "support": {"caizheng"}}),
        (
            "[牵头单位：县发改局(粮食局);责任单位：县财政局]",
            {"lead": {"县发改局(粮食局)"}, "support": {"caizheng"}},
        ),
        ("（民政部牵头，各有关部门配合）", {"lead": {"minzheng"}, "support": {"各有关部门"}}),
        ("（县（市、区）民政局牵头，市（州）财政局配合）", {"lead": {"minzheng"}, "support": {"caizheng"}}),
        ("（省委宣传部、省民政厅按职责分工负责）", {"joint": {"省委宣传部", "minzheng"}}),
        ("（民政部负责，财政部配合）", {"lead": {"minzheng"}, "support": {"caizheng"}}),
        ("（民政部负责，2031年底前完成）", {"lead": {"minzheng"}}),
        (
            "（责任单位：县财政局、县民政局（牵头）、县妇联）",
            {"lead": {"minzheng"}, "support": {"caizheng", "fulian"}},
        ),
        (
            "（牵头单位（部门）：民政部；配合单位（部门）：财政部）",
            {"lead": {"minzheng"}, "support": {"caizheng"}},
        ),
    ],
)
def test_wider_clause_grammar(registry: AgencyRegistry, clause: str, expected: dict[str, set[str]]) -> None:
    task = only(parse(f"一、开展工作。{clause}\n", registry))
    got: dict[str, set[str]] = {}
    for r in task.responsibilities:
        got.setdefault(r.role.value, set()).add(r.agency or r.name)
    assert got == expected
    assert task.text == "开展工作。"


def test_a_support_label_wins_over_main(registry: AgencyRegistry) -> None:
    """主要协作单位 / 协作单位 / 协调单位 support; 主要责任单位 leads (corpus 32 found the class)."""
    body = (
        "一、重点任务\n"
        "1.完善农村留守妇女关爱服务体系。\n"
        "牵头责任单位：县卫健委、县民政局\n"
        "主要协作单位：县妇联，县政府有关部门\n"
        "2.开展走访慰问。\n"
        "主要责任单位：县民政局\n"
        "协作单位：县残联\n"
    )
    one, two = parse(body, registry).tasks
    assert parties(one) == [
        ("县卫健委", "weijian", "lead", "agency"),
        ("县民政局", "minzheng", "lead", "agency"),
        ("县妇联", "fulian", "support", "agency"),
        ("县政府有关部门", None, "support", "group"),
    ]
    assert parties(two) == [
        ("县民政局", "minzheng", "lead", "agency"),
        ("县残联", "canlian", "support", "agency"),
    ]


def test_labelled_lines_after_the_item(registry: AgencyRegistry) -> None:
    body = (
        "一、主要目标\n"
        "1.地区生产总值增长6%。\n"
        "牵头负责领导：张三。\n"
        "牵头单位：区民政局\n"
        "责任单位：各街道、区直各部门\n"
        "2.财政收入增长8%。\n"
        "牵头责任单位：市财政局。\n"
        "协同责任单位：市税务局、高新区管委会等，各县、市、区政府。\n"
    )
    one, two = parse(body, registry).tasks
    assert parties(one) == [
        ("区民政局", "minzheng", "lead", "agency"),
        ("各街道", None, "support", "government"),
        ("区直各部门", None, "support", "group"),
    ]
    assert one.text == "地区生产总值增长6%。"
    assert [r.name for r in two.responsibilities] == [
        "市财政局",
        "市税务局",
        "高新区管委会",
        "各县、市、区政府",
    ]


def test_bracketless_huitong_sentence(registry: AgencyRegistry) -> None:
    body = "（一）关于“严守耕地保护红线”的问题，由民政部会同财政部、国家卫生健康委等部门研究提出落实意见。\n"
    task = only(parse("一、工作分工\n" + body, registry))
    assert (task.section, task.number) == ("一", "一")
    assert {(r.agency, r.role.value) for r in task.responsibilities} == {
        ("minzheng", "lead"),
        ("caizheng", "support"),
        ("weijian", "support"),
    }


def test_three_digit_item_numbers(registry: AgencyRegistry) -> None:
    body = "123.甲。（牵头单位：民政部；责任单位：财政部）\n124.乙。（责任单位：全国妇联）\n"
    assert [t.number for t in parse(body, registry).tasks] == ["123", "124"]


def test_table_cells_read_groups_and_deng(registry: AgencyRegistry) -> None:
    grammar = read_party_list("省民政厅、省财政厅等有关部门\n各市（州）人民政府", "support")
    assert [(p.name, p.vague, p.government) for p in grammar.parties] == [
        ("省民政厅", False, False),
        ("省财政厅", False, False),
        ("有关部门", True, False),
        ("各市（州）人民政府", True, True),
    ]
    assert grammar.etc
    assert PartyKind.GROUP.value == "group"


def test_deadline_inside_a_clause_is_a_schedule_hint_not_a_party(registry: AgencyRegistry) -> None:
    task = only(parse("一、开展工作。（民政部负责，2031年底前完成）\n", registry))
    assert [r.name for r in task.responsibilities] == ["民政部"]
    assert {"kind": "date", "rule": "once 2031-12-31", "why": "2031年底前"} in task.schedule_hints


def test_a_text_on_one_line_with_arabic_items_is_broken_before_each_number(registry: AgencyRegistry) -> None:
    """A web page copied as one line: 一、 (一) and 1. follow each other after spaces (corpus 27 found it)."""
    text = (
        "某省人民政府关于明确重点工作责任单位的通知 一、加快提振市场信心 (一)全面促进消费增长。 "
        "1.把恢复和扩大消费摆在优先位置。(省民政厅、财政厅等相关部门按职责分工负责) "
        "2.落实好提振市场信心措施。(省人力资源社会保障厅牵头,省财政厅等相关部门按职责分工负责) "
        "3.于2023年3月25日、6月25日前报告。(省妇联负责)"
    )
    policy = parse_policy(text, registry, source="oneline.txt")
    assert [t.number for t in policy.tasks] == ["1", "2", "3"]
    assert {r.agency for r in policy.tasks[1].responsibilities if r.role == "lead"} == {"renshe"}
    assert any("没有分行" in w.message for w in policy.warnings)


def test_a_file_cut_inside_the_name_of_a_labelled_clause_is_a_warning(registry: AgencyRegistry) -> None:
    """责任单位：区 and then the file ends: 区 is no unit, the item is cut (corpus 40 found the class)."""
    body = "一、主要目标\n(一)地区生产总值增长7%\n责任单位:区发展和改革局\n(二)工业投资增长12%\n责任单位:区"
    policy = parse(body, registry, tail="")
    assert [t.number for t in policy.tasks] == ["一"]
    assert any("截断" in w.message for w in policy.warnings)


def test_a_whole_last_name_of_a_labelled_clause_is_a_task(registry: AgencyRegistry) -> None:
    body = (
        "一、主要目标\n(一)地区生产总值增长7%\n责任单位:区发展和改革局\n(二)工业投资增长12%\n责任单位:各街道"
    )
    policy = parse(body, registry, tail="")
    assert [t.number for t in policy.tasks] == ["一", "二"]


def test_a_clause_on_its_own_line_after_sub_items_belongs_to_their_parent(registry: AgencyRegistry) -> None:
    """1.完善预案 / (1)… (2)… / (责任单位：…): item 1 is the task, its sub-items its text (corpus 36)."""
    body = (
        "一、重点任务\n"
        "1.完善关爱服务体系\n"
        "(1)建立农村留守妇女信息台账。\n"
        "(2)开展走访慰问。\n"
        "(责任单位:民政部、全国妇联)\n"
        "2.加强法律援助。(司法部负责)\n"
    )
    policy = parse(body, registry)
    assert [(t.section, t.number) for t in policy.tasks] == [("一", "1"), ("一", "2")]
    one = policy.tasks[0]
    assert one.text.startswith("完善关爱服务体系") and "开展走访慰问" in one.text
    assert {r.agency for r in one.responsibilities} == {"minzheng", "fulian"}
    assert any("单独成行" in w.message for w in policy.warnings)


def test_a_sub_item_with_its_own_clause_line_stays_a_task_when_a_sibling_has_one(
    registry: AgencyRegistry,
) -> None:
    body = (
        "一、重点任务\n"
        "1.完善关爱服务体系\n"
        "(1)建立农村留守妇女信息台账。(民政部负责)\n"
        "(2)开展走访慰问。\n"
        "(责任单位:全国妇联)\n"
    )
    policy = parse(body, registry)
    assert [t.number for t in policy.tasks] == ["1", "2"]


def test_unnumbered_paragraphs_under_a_heading_are_tasks_numbered_by_position(
    registry: AgencyRegistry,
) -> None:
    """一、heading / paragraph（A牵头） / paragraph（B负责）: the 分工 form of work-report documents (corpus 42)."""
    para = "加大对农村留守妇女的关爱服务力度，完善信息台账，健全探访制度，提升服务能力和水平。"
    body = (
        "一、加强关爱服务\n"
        f"{para}（民政部牵头，全国妇联配合）\n"
        f"{para}开展法律援助。（司法部负责）\n"
        "二、强化保障\n"
        f"{para}（财政部负责）\n"
    )
    policy = parse(body, registry)
    assert [(t.section, t.number) for t in policy.tasks] == [("一", "1"), ("一", "2"), (None, "二")]
    first = policy.tasks[0]
    assert first.text.startswith("加大对农村留守妇女") and ParseDoubt.UNNUMBERED in doubts(first)
    assert {(r.agency, r.role.value) for r in policy.tasks[1].responsibilities} == {("sifa", "lead")}
    assert policy.tasks[2].text.startswith("强化保障")  # one paragraph under a title: one task, as before
