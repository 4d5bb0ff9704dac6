"""Every rule of the parser on small documents written for the purpose, including conventions that the
seeds do not contain (列第一位者为牵头单位, 会同, 配合/参与/协助, two leads, local governments, 等)."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.domain.agencies import AgencyRegistry
from duban.errors import ParseError
from duban.importing import NO_TASKS_EXPECTED, ParsedPolicy, ParsedTask, parse_policy
from duban.importing.clauses import read_clause
from duban.importing.hints import schedule_hints
from duban.importing.numbering import cn_to_int, int_to_cn, match_marker

NATIONAL = """民发〔2030〕1号

民政部 财政部 全国妇联
关于测试农村留守妇女关爱服务工作的意见

"""
SIGNED = "\n民政部 财政部 全国妇联\n2030年1月2日\n"


def parse(
    body: str, registry: AgencyRegistry, head: str = NATIONAL, tail: str = SIGNED, **kwargs: object
) -> ParsedPolicy:
    return parse_policy(head + body + tail, registry, source="test.txt", **kwargs)  # type: ignore[arg-type]


def roles(task: ParsedTask) -> dict[str, set[str | None]]:
    return {
        role: {r.agency for r in task.responsibilities if r.role == role}
        for role in ("lead", "support", "joint")
    }


def only(policy: ParsedPolicy) -> ParsedTask:
    assert len(policy.tasks) == 1, [t.number for t in policy.tasks]
    return policy.tasks[0]


# --------------------------------------------------------------------------- roles


def test_lead_and_supports(registry: AgencyRegistry) -> None:
    task = only(
        parse(
            "一、加强就业培训。（人力资源社会保障部牵头，农业农村部、全国妇联按照职责分工负责）\n", registry
        )
    )
    assert roles(task) == {"lead": {"renshe"}, "support": {"nongye", "fulian"}, "joint": set()}
    assert [r.name for r in task.responsibilities] == ["人力资源社会保障部", "农业农村部", "全国妇联"]


@pytest.mark.parametrize("words", ["按照职责分工负责", "按照分工负责", "按职责分工负责", "分工负责"])
def test_joint(registry: AgencyRegistry, words: str) -> None:
    task = only(parse(f"一、开展活动。（民政部、财政部{words}）\n", registry))
    assert roles(task) == {"lead": set(), "support": set(), "joint": {"minzheng", "caizheng"}}


def test_single_responsible_leads(registry: AgencyRegistry) -> None:
    assert roles(only(parse("一、开展活动。（全国妇联负责）\n", registry)))["lead"] == {"fulian"}


def test_every_department_means_every_issuer(registry: AgencyRegistry) -> None:
    task = only(parse("一、明确专责部门。（各部门按照职责分工负责）\n", registry))
    assert roles(task)["joint"] == {"minzheng", "caizheng", "fulian"}
    assert {r.name for r in task.responsibilities} == {"各部门"}


def test_every_department_of_a_single_issuer_means_every_named_department(registry: AgencyRegistry) -> None:
    head = "吉林省民政厅\n\n加强农村留守妇女关爱服务工作的实施方案\n\n"
    body = (
        "（一）甲。（省民政厅牵头，省公安厅按照职责分工负责）\n"
        "（二）乙。（省妇联负责）\n"
        "（三）丙。（各部门按照职责分工负责）\n"
    )
    policy = parse(body, registry, head=head, tail="\n吉林省民政厅\n2020年4月15日\n")
    assert policy.issuers == ("minzheng",)
    assert roles(policy.tasks[2])["joint"] == {"minzheng", "gongan", "fulian"}


def test_two_leads(registry: AgencyRegistry) -> None:
    task = only(parse("一、打击违法犯罪。（公安部、司法部牵头，民政部按照职责分工负责）\n", registry))
    assert roles(task) == {"lead": {"gongan", "sifa"}, "support": {"minzheng"}, "joint": set()}


@pytest.mark.parametrize("verb", ["配合", "参与", "协助"])
def test_supporting_verbs(registry: AgencyRegistry, verb: str) -> None:
    task = only(parse(f"一、开展活动。（民政部牵头，财政部、全国妇联{verb}）\n", registry))
    assert roles(task) == {"lead": {"minzheng"}, "support": {"caizheng", "fulian"}, "joint": set()}


def test_names_before_a_comma_then_a_supporting_verb_lead(registry: AgencyRegistry) -> None:
    task = only(parse("一、开展活动。（民政部，财政部、全国妇联参与）\n", registry))
    assert roles(task) == {"lead": {"minzheng"}, "support": {"caizheng", "fulian"}, "joint": set()}


def test_huitong(registry: AgencyRegistry) -> None:
    task = only(parse("一、完善救助政策。（民政部会同财政部、国家卫生健康委负责）\n", registry))
    assert roles(task) == {"lead": {"minzheng"}, "support": {"caizheng", "weijian"}, "joint": set()}


def test_local_governments_are_parties(registry: AgencyRegistry) -> None:
    policy = parse("一、落实属地责任。（各省级人民政府负责，民政部配合）\n", registry)
    task = only(policy)
    assert [(r.name, r.agency, r.role) for r in task.responsibilities] == [
        ("各省级人民政府", None, "joint"),
        ("民政部", "minzheng", "support"),
    ]
    assert not any("各省级人民政府" in w.message for w in policy.warnings)


def test_list_ending_in_deng(registry: AgencyRegistry) -> None:
    policy = parse("一、开展活动。（民政部、财政部等按照职责分工负责）\n", registry)
    assert roles(only(policy))["joint"] == {"minzheng", "caizheng"}
    assert any("等" in w.message and w.line == 6 for w in policy.warnings)


def test_first_listed_leads_once_declared(registry: AgencyRegistry) -> None:
    body = (
        "一、在约定之前。（民政部、财政部按照职责分工负责）\n"
        "以下任务分工中，列第一位者为牵头单位，下同。\n"
        "二、在约定之后。（全国妇联、民政部、财政部按照职责分工负责）\n"
        "三、只列名称。（财政部、民政部）\n"
        "四、明写牵头的照旧。（民政部、财政部牵头，全国妇联负责）\n"
    )
    policy = parse(body, registry)
    one, two, three, four = policy.tasks
    assert roles(one)["joint"] == {"minzheng", "caizheng"}
    assert roles(two) == {"lead": {"fulian"}, "support": {"minzheng", "caizheng"}, "joint": set()}
    assert roles(three) == {"lead": {"caizheng"}, "support": {"minzheng"}, "joint": set()}
    assert roles(four) == {"lead": {"minzheng", "caizheng"}, "support": {"fulian"}, "joint": set()}
    assert any("列第一位" in w.message and w.line == 7 for w in policy.warnings)


def test_first_listed_leads_inside_the_first_clause(registry: AgencyRegistry) -> None:
    body = (
        "一、甲。（民政部、财政部按照职责分工负责，列第一位者为牵头单位，下同）\n"
        "二、乙。（全国妇联、民政部按照职责分工负责）\n"
    )
    one, two = parse(body, registry).tasks
    assert roles(one) == {"lead": {"minzheng"}, "support": {"caizheng"}, "joint": set()}
    assert roles(two) == {"lead": {"fulian"}, "support": {"minzheng"}, "joint": set()}


def test_first_listed_leads_as_a_footnote(registry: AgencyRegistry) -> None:
    body = "一、甲。（民政部、财政部）\n二、乙。（全国妇联、民政部负责）\n注：列第一位者为牵头单位。\n"
    one, two = parse(body, registry).tasks
    assert roles(one)["lead"] == {"minzheng"} and roles(two)["lead"] == {"fulian"}


def test_stray_comma_is_joint_with_a_warning(registry: AgencyRegistry) -> None:
    policy = parse("一、甲。(省人力资源和社会保障厅,省民政厅、省妇联按照职责分工负责)\n", registry)
    assert roles(only(policy))["joint"] == {"renshe", "minzheng", "fulian"}
    assert any("逗号" in w.message for w in policy.warnings)


def test_unknown_department_is_kept_with_suggestions(registry: AgencyRegistry) -> None:
    policy = parse("一、甲。（民政部牵头，国家民委、全国妇联按照职责分工负责）\n", registry)
    task = only(policy)
    assert ("国家民委", None, "support") in [(r.name, r.agency, r.role) for r in task.responsibilities]
    warning = next(w for w in policy.warnings if "国家民委" in w.message)
    assert warning.line == 6 and "相近的名称" in warning.message


def test_unknown_department_stops_a_strict_import(registry: AgencyRegistry) -> None:
    with pytest.raises(ParseError) as info:
        parse("一、甲。（民政部牵头，国家民委按照职责分工负责）\n", registry, strict=True)
    assert info.value.file == "test.txt" and info.value.line == 6


def test_misspelt_agency_resolves(registry: AgencyRegistry) -> None:
    task = only(parse("一、甲。（民政部、国务院妇工委办公室按照职责分工负责）\n", registry))
    assert roles(task)["joint"] == {"minzheng", "fuergongwei"}


# --------------------------------------------------------------------------- finding clauses


def test_brackets_and_commas_of_both_widths(registry: AgencyRegistry) -> None:
    task = only(parse("一、甲。(民政部牵头,财政部、全国妇联按照职责分工负责）\n", registry))
    assert roles(task) == {"lead": {"minzheng"}, "support": {"caizheng", "fulian"}, "joint": set()}


def test_clause_and_name_broken_by_line_and_page_breaks(registry: AgencyRegistry) -> None:
    body = "一、甲乙丙丁。（人力资源\n\n社会保障部牵头，农业农\n\n\x0c村部按照职责分工\n负责）\n"
    task = only(parse(body, registry))
    assert task.text == "甲乙丙丁。"
    assert roles(task) == {"lead": {"renshe"}, "support": {"nongye"}, "joint": set()}
    assert task.responsibilities[1].name == "农业农村部"


def test_parenthesis_in_the_text_is_not_a_clause(registry: AgencyRegistry) -> None:
    task = only(parse("（一）纳入妇女发展规划(2021-2030年)内容,定期调度。(民政部负责)\n", registry))
    assert task.text == "纳入妇女发展规划(2021-2030年)内容,定期调度。"
    assert roles(task)["lead"] == {"minzheng"}


def test_a_parenthesis_at_the_end_of_a_line_without_a_clause_is_no_task(registry: AgencyRegistry) -> None:
    body = "一、纳入规划\n(2021-2030年)\n二、开展活动。（民政部负责）\n"
    assert [t.number for t in parse(body, registry).tasks] == ["二"]


def test_lead_inside_the_body_is_not_the_clause(registry: AgencyRegistry) -> None:
    body = "（一）开展摸排。县级民政部门牵头，乡镇具体组织。（公安部、民政部按照职责分工负责）\n"
    task = only(parse(body, registry))
    assert "县级民政部门牵头" in task.text
    assert roles(task)["joint"] == {"gongan", "minzheng"}


def test_missing_closing_bracket_is_read_and_reported(registry: AgencyRegistry) -> None:
    policy = parse("一、甲。（民政部牵头，财政部按照职责分工负责\n", registry)
    assert roles(only(policy))["lead"] == {"minzheng"}
    assert any("右括号" in w.message for w in policy.warnings)


def test_text_after_the_clause_is_not_part_of_the_task(registry: AgencyRegistry) -> None:
    task = only(parse("一、甲。（民政部负责）\n主动公开\n民政部办公厅\n", registry, tail=""))
    assert task.text == "甲。"


# --------------------------------------------------------------------------- numbering and sections


def test_yi_dui_yi_at_a_line_start_is_not_a_number(registry: AgencyRegistry) -> None:
    body = "十七、发挥社会组织作用，为其提供\n一对一、面对面的服务。（全国妇联负责）\n"
    task = only(parse(body, registry))
    assert task.number == "十七" and "一对一、面对面" in task.text


def test_a_number_out_of_sequence_is_text(registry: AgencyRegistry) -> None:
    body = "一、甲。（民政部负责）\n二、乙，包括\n二、三级机构。（财政部负责）\n三、丙。（全国妇联负责）\n"
    assert [t.number for t in parse(body, registry).tasks] == ["一", "二", "三"]


def test_numbers_up_to_twenty_three(registry: AgencyRegistry) -> None:
    body = "".join(f"{int_to_cn(n)}、任务{n}。（民政部负责）\n" for n in range(1, 24))
    assert [t.number for t in parse(body, registry).tasks][-3:] == ["二十一", "二十二", "二十三"]


def test_numbering_restarts_per_section(registry: AgencyRegistry) -> None:
    body = (
        "一、组织保障\n（一）甲。(民政部负责)\n（二）乙。(财政部负责)\n二、政策措施\n(一)丙。(全国妇联负责)\n"
    )
    policy = parse(body, registry)
    assert [(t.section, t.number) for t in policy.tasks] == [("一", "一"), ("一", "二"), ("二", "一")]
    assert not any("重复" in w.message for w in policy.warnings)


def test_two_digit_headings_are_sections_and_requirements_are_not_tasks(registry: AgencyRegistry) -> None:
    body = (
        "01总体要求\n以习近平新时代中国特色社会主义思想为指导。\n03重点任务\n"
        "（一）开展摸排。（民政部负责）\n（二）强化保障。（民政部、财政部按照职责分工负责）\n"
        "04工作要求\n（一）加强组织领导。各地要加强领导。\n（二）营造良好氛围。要加强宣传引导。\n"
    )
    policy = parse(body, registry)
    assert [(t.section, t.number) for t in policy.tasks] == [("03", "一"), ("03", "二")]


def test_annex_is_the_task_list(registry: AgencyRegistry) -> None:
    body = (
        "一、主要任务\n（一）甲。正文里的重述。\n（二）乙。（民政部负责）\n"
        "附件\n《关于测试的意见》任务分工\n一、甲。（财政部负责）\n二、乙。（民政部负责）\n"
    )
    policy = parse(body, registry)
    assert [(t.section, t.number, t.text) for t in policy.tasks] == [
        (None, "一", "甲。"),
        (None, "二", "乙。"),
    ]
    assert any("附件" in w.message for w in policy.warnings)


def test_numbering_helpers() -> None:
    assert [cn_to_int(s) for s in ("一", "十", "十一", "二十三", "一百零五")] == [1, 10, 11, 23, 105]
    assert cn_to_int("一对一") is None
    assert match_marker("一对一、面对面") is None
    assert match_marker("(二十三) 以县为单位").label == "二十三"  # type: ignore[union-attr]
    assert match_marker("03重点任务").label == "03"  # type: ignore[union-attr]
    assert match_marker("3.8妇女节") is None


def test_no_task_raises(registry: AgencyRegistry) -> None:
    with pytest.raises(ParseError) as info:
        parse_policy("一、总体要求\n加强领导。\n", registry, source="x.txt")
    assert (info.value.file, info.value.line, info.value.expected) == ("x.txt", 1, NO_TASKS_EXPECTED)


# --------------------------------------------------------------------------- metadata


def test_national_metadata(registry: AgencyRegistry) -> None:
    policy = parse("一、甲。（民政部负责）\n", registry)
    assert policy.doc_number == "民发〔2030〕1号"
    assert policy.title == "关于测试农村留守妇女关爱服务工作的意见"
    assert policy.issuers == ("minzheng", "caizheng", "fulian")
    assert (policy.jurisdiction, policy.level) == ("全国", "national")
    assert policy.issued == dt.date(2030, 1, 2)
    assert (policy.status, policy.comment_deadline, policy.implements) == ("in_force", None, None)
    assert policy.warnings == ()


def test_provincial_metadata_and_implements(registry: AgencyRegistry) -> None:
    head = (
        "关于印发《云南省测试\n\n实施方案》的通知\n云民发［2031］ 9 号\n"
        "云南省民政厅 云南省妇女联合会\n"
        "根据民政部等 13 部门《关于加强农村留守妇女关爱服务工作的意见》（民\n发〔2019〕86 号）要求，制定本方案。\n"
    )
    policy = parse("一、甲。（省民政厅负责）\n", registry, head=head, tail="\n二〇三一年三月五日\n")
    assert policy.title == "云南省测试实施方案"
    assert policy.doc_number == "云民发〔2031〕9号"
    assert policy.issuers == ("minzheng", "fulian")
    assert (policy.jurisdiction, policy.level) == ("云南省", "province")
    assert policy.implements == "民发〔2019〕86号"
    assert policy.issued == dt.date(2031, 3, 5)


def test_draft_with_comment_deadline(registry: AgencyRegistry) -> None:
    head = (
        "吉林省民政厅\n《测试实施方案》(征求意见稿)\n时间:2020-04-15 14:42:00\n"
        "意见反馈截止时间：2020年5月10日。\n"
    )
    policy = parse("（一）甲。(省民政厅负责)\n", registry, head=head, tail="")
    assert (policy.status, policy.comment_deadline) == ("draft", dt.date(2020, 5, 10))
    assert policy.title == "测试实施方案"
    assert policy.issued == dt.date(2020, 4, 15)


def test_missing_metadata_is_none_and_reported(registry: AgencyRegistry) -> None:
    policy = parse_policy("一、甲。（民政部负责）\n", registry)
    assert (policy.doc_number, policy.title, policy.issuers, policy.issued, policy.jurisdiction) == (
        None,
        None,
        (),
        None,
        None,
    )
    messages = " ".join(w.message for w in policy.warnings)
    for word in ("文号", "标题", "发文单位", "地区", "日期"):
        assert word in messages


# --------------------------------------------------------------------------- schedule hints


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        (
            "至少每半年更新一次。",
            {"kind": "recurrence", "rule": "every 6 months", "why": "至少每半年更新一次"},
        ),
        ("每季度报送进展。", {"kind": "recurrence", "rule": "quarterly", "why": "每季度报送进展"}),
        ("每两个月调度一次。", {"kind": "recurrence", "rule": "every 2 months", "why": "每两个月调度一次"}),
        # an annual plan is due early in the year it plans (as the agencies' annual-plan templates)
        ("制定年度工作计划。", {"kind": "recurrence", "rule": "yearly 01-31", "why": "年度工作计划"}),
        ("印发年度工作要点。", {"kind": "recurrence", "rule": "yearly 01-31", "why": "年度工作要点"}),
        ("报送年度工作总结。", {"kind": "recurrence", "rule": "every 12 months", "why": "年度工作总结"}),
        ("2020年年底前完成。", {"kind": "date", "rule": "once 2020-12-31", "why": "2020年年底前"}),
        ("2020 年年底，实现脱贫。", {"kind": "date", "rule": "once 2020-12-31", "why": "2020年年底"}),
        ("2021年6月底前建立台账。", {"kind": "date", "rule": "once 2021-06-30", "why": "2021年6月底前"}),
        ("2024年2月底前。", {"kind": "date", "rule": "once 2024-02-29", "why": "2024年2月底前"}),
        ("2022年3月15日前报送。", {"kind": "date", "rule": "once 2022-03-15", "why": "2022年3月15日前"}),
        ("在春节期间走访。", {"kind": "holiday", "rule": "holiday 春节", "why": "春节"}),
        (
            "利用“3.8”妇女节开展宣传。",
            {"kind": "holiday", "rule": "holiday 三八妇女节", "why": "“3.8”妇女节"},
        ),
    ],
)
def test_schedule_hints(text: str, hint: dict[str, str]) -> None:
    assert schedule_hints(text) == [hint]


def test_holiday_list_in_order() -> None:
    rules = [h["rule"] for h in schedule_hints("特别是在元旦、春节、三八妇女节、母亲节等重要节点")]
    assert rules == ["holiday 元旦", "holiday 春节", "holiday 三八妇女节", "holiday 母亲节"]


def test_range_in_parentheses_is_not_a_deadline() -> None:
    assert schedule_hints("纳入妇女发展规划(2021-2030年)内容") == []


def test_clause_grammar_directly() -> None:
    grammar = read_clause("民政部、财政部等按照职责分工负责")
    assert [(p.name, p.kind) for p in grammar.parties] == [("民政部", "generic"), ("财政部", "generic")]
    assert grammar.etc
    assert read_clause("各部门按职责分工负责").parties[0].group  # 各部门: every department (the seeds' rule)
    vague = read_clause("各有关部门按职责分工负责").parties[0]
    assert vague.vague and not vague.group  # 各有关部门: a vague group, kept as written


def test_text_without_line_breaks_is_split_before_numbers(registry: AgencyRegistry) -> None:
    text = "附件 任务分工 一、甲，提供一对一、面对面服务。（民政部负责）二、乙。（财政部、全国妇联按照职责分工负责）"
    policy = parse_policy(text, registry)
    assert [(t.number, t.text) for t in policy.tasks] == [
        ("一", "甲，提供一对一、面对面服务。"),
        ("二", "乙。"),
    ]
    assert "没有分行" in policy.warnings[0].message
