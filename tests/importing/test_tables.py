"""任务分工 tables → tasks (duban.importing.tables through parse_policy): headers, merged cells, group rows,
numbering, deadlines, continuation tables, empty cells, and the no-tasks error that names the table."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from duban.domain.agencies import AgencyRegistry
from duban.domain.vocabulary import ParseDoubt
from duban.errors import ParseError
from duban.hookspecs import TableBlock
from duban.importing import parse_policy
from duban.importing.model import ParsedPolicy, ParseWarning
from duban.importing.tables import table_tasks

HEAD = "民发〔2030〕1号\n民政部 财政部\n关于印发重点任务分工方案的通知"


def document(*tables: Sequence[Sequence[str]], before: str = HEAD) -> tuple[str, list[TableBlock]]:
    """The text a reader renders (one row per line, cells separated by a space) and the TableBlocks."""
    lines = before.split("\n")
    blocks = []
    for n, rows in enumerate(tables, 1):
        width = max(len(r) for r in rows)
        full = tuple(tuple(r) + ("",) * (width - len(r)) for r in rows)
        row_lines = []
        for row in full:
            lines.append(" ".join(dict.fromkeys(c for c in row if c)))
            row_lines.append(len(lines))
        blocks.append(TableBlock(full, tuple(row_lines), f"第 {n} 张表"))
        lines.append("")
    return "\n".join(lines), blocks


def parse(*tables: Sequence[Sequence[str]], registry: AgencyRegistry, before: str = HEAD) -> ParsedPolicy:
    text, blocks = document(*tables, before=before)
    return parse_policy(text, registry, tables=blocks)


def roles(policy: ParsedPolicy) -> list[tuple[str | None, str, list[tuple[str | None, str]]]]:
    return [
        (t.section, t.number, [(r.agency, r.role.value) for r in t.responsibilities]) for t in policy.tasks
    ]


def test_a_plain_table(registry: AgencyRegistry) -> None:
    policy = parse(
        [
            ["民政部重点任务分工表"] * 5,  # a title row spanning the table, above the header
            ["序号", "重点任务", "牵头单位", "配合单位", "完成时限"],
            ["1", "建立农村留守妇女关爱服务台账", "民政部", "公安部、财政部", "2030年6月底前"],
            ["2", "开展技能培训", "人力资源社会保障部", "", "长期坚持"],
        ],
        registry=registry,
    )
    assert roles(policy) == [
        (None, "1", [("minzheng", "lead"), ("gongan", "support"), ("caizheng", "support")]),
        (None, "2", [("renshe", "lead")]),
    ]
    first = policy.tasks[0]
    assert first.text == "建立农村留守妇女关爱服务台账" and first.source == "table" and first.doubts == ()
    assert first.line == 6  # the row's line in the rendered text
    assert [h["rule"] for h in first.schedule_hints] == ["once 2030-06-30"]
    assert policy.doc_number == "民发〔2030〕1号"


def test_a_lead_cell_merged_over_rows_is_spread_by_the_reader(registry: AgencyRegistry) -> None:
    # What a reader hands over for a 牵头单位 cell spanning rows 1-3: the text in every row.
    policy = parse(
        [
            ["序号", "工作任务", "牵头部门", "参与单位", "时间进度"],
            ["1", "任务甲", "民政部", "公安部", "2030年底前"],
            ["2", "任务乙", "民政部", "", "2030年底前"],
            ["3", "任务丙", "民政部", "司法部", "2030年底前"],
        ],
        registry=registry,
    )
    assert [t.number for t in policy.tasks] == ["1", "2", "3"]
    assert all(t.responsibilities[0].agency == "minzheng" for t in policy.tasks)
    assert all(t.responsibilities[0].role == "lead" for t in policy.tasks)
    assert policy.tasks[2].responsibilities[1].agency == "sifa"


def test_group_rows_and_multi_level_numbering_give_sections(registry: AgencyRegistry) -> None:
    policy = parse(
        [
            ["序号", "主要任务", "牵头单位", "配合单位", "完成时间"],
            ["一、加强关爱服务"] * 5,  # a group row merged across the table
            ["1", "任务甲", "民政部", "公安部", "2030年"],
            ["2", "任务乙", "公安部", "", "2030年"],
            ["二", "完善保障", "", "", ""],  # a numbered heading row: the next rows are numbered deeper
            ["（一）", "任务丙", "财政部", "民政部", "2031年"],
            ["（二）", "任务丁", "民政部", "", "2031年"],
        ],
        registry=registry,
    )
    assert [(t.section, t.number, t.text) for t in policy.tasks] == [
        ("一", "1", "任务甲"),
        ("一", "2", "任务乙"),
        ("二", "一", "任务丙"),
        ("二", "二", "任务丁"),
    ]


def test_unnumbered_group_rows_name_the_section(registry: AgencyRegistry) -> None:
    policy = parse(
        [
            ["序号", "重点任务", "牵头单位", "配合单位"],
            ["优化营商环境", "优化营商环境", "优化营商环境", "优化营商环境"],
            ["1", "任务甲", "民政部", ""],
            ["注：列第一位者为牵头单位"] * 4,  # a note row is no group
        ],
        registry=registry,
    )
    assert [(t.section, t.number) for t in policy.tasks] == [("优化营商环境", "1")]


def test_a_lone_responsibility_column_is_generic(registry: AgencyRegistry) -> None:
    policy = parse(
        [
            ["序号", "工作内容", "责任单位", "完成时限"],
            ["1", "任务甲", "民政部", "2030年"],
            ["2", "任务乙", "民政部、公安部", "2030年"],
            ["3", "任务丙", "财政部（牵头）、民政部", "2030年"],
            ["4", "任务丁", "公安部牵头，司法部配合", "2030年"],
        ],
        registry=registry,
    )
    assert roles(policy) == [
        (None, "1", [("minzheng", "lead")]),
        (None, "2", [("minzheng", "joint"), ("gongan", "joint")]),
        (None, "3", [("caizheng", "lead"), ("minzheng", "support")]),
        (None, "4", [("gongan", "lead"), ("sifa", "support")]),
    ]


def test_a_declared_convention_makes_the_first_of_a_responsibility_cell_lead(
    registry: AgencyRegistry,
) -> None:
    policy = parse(
        [
            ["序号", "重点任务", "责任单位"],
            ["1", "任务甲", "民政部、公安部、财政部"],
            ["注：列第一位者为牵头单位"] * 3,
        ],
        registry=registry,
    )
    assert roles(policy) == [
        (None, "1", [("minzheng", "lead"), ("gongan", "support"), ("caizheng", "support")])
    ]


def test_two_header_rows_and_a_guiding_column(registry: AgencyRegistry) -> None:
    policy = parse(
        [
            ["序号", "重点任务", "责任单位", "责任单位", "责任单位", "完成时限"],
            ["序号", "重点任务", "牵头单位", "配合单位", "指导部门", "完成时限"],
            ["1", "任务甲", "民政部", "公安部", "财政部", "2030年"],
        ],
        registry=registry,
    )
    assert roles(policy) == [
        (None, "1", [("minzheng", "lead"), ("gongan", "support"), ("caizheng", "support")])
    ]


def test_two_text_columns_the_specific_one_is_the_task(registry: AgencyRegistry) -> None:
    policy = parse(
        [
            ["序号", "重点任务", "具体措施", "牵头单位", "完成时限"],
            ["1", "一、强化关爱", "建立台账", "民政部", "2030年"],
            ["2", "一、强化关爱", "开展走访", "民政部", "2030年"],
            ["3", "二、完善保障", "落实补贴", "财政部", "2030年"],
        ],
        registry=registry,
    )
    assert [(t.section, t.number, t.text) for t in policy.tasks] == [
        ("一", "1", "建立台账"),
        ("一", "2", "开展走访"),
        ("二", "3", "落实补贴"),
    ]


def test_rows_without_a_number_are_numbered_by_position_with_a_doubt(registry: AgencyRegistry) -> None:
    policy = parse(
        [["重点任务", "牵头单位", "配合单位"], ["任务甲", "民政部", ""], ["任务乙", "公安部", "民政部"]],
        registry=registry,
    )
    assert [t.number for t in policy.tasks] == ["1", "2"]
    assert all(d.kind == ParseDoubt.TABLE_CELL for t in policy.tasks for d in t.doubts)
    assert all(t.doubts for t in policy.tasks)


def test_a_number_merged_over_rows_is_one_task(registry: AgencyRegistry) -> None:
    """The document numbers the rows as one item: one task, texts and units joined, with a doubt."""
    policy = parse(
        [
            ["序号", "重点任务", "牵头单位"],
            ["1", "任务甲", "民政部"],
            ["1", "任务乙", "公安部"],
            ["2", "任务丙", "财政部"],
        ],
        registry=registry,
    )
    assert [t.number for t in policy.tasks] == ["1", "2"]
    one = policy.tasks[0]
    assert "任务甲" in one.text and "任务乙" in one.text
    assert {(r.agency, r.role) for r in one.responsibilities} == {("minzheng", "lead"), ("gongan", "lead")}
    assert any(d.kind == ParseDoubt.TABLE_CELL for d in one.doubts) and not policy.tasks[1].doubts


def test_an_empty_responsibility_keeps_the_task_with_a_doubt_and_a_warning(registry: AgencyRegistry) -> None:
    policy = parse(
        [
            ["序号", "重点任务", "牵头单位", "配合单位"],
            ["1", "任务甲", "", ""],
            ["2", "任务乙", "民政部", ""],
        ],
        registry=registry,
    )
    assert [t.number for t in policy.tasks] == ["1", "2"]
    assert policy.tasks[0].responsibilities == ()
    assert [d.kind for d in policy.tasks[0].doubts] == [ParseDoubt.TABLE_CELL]
    assert any("任务甲" in w.message and "牵头单位为空" in w.message for w in policy.warnings)


def test_a_table_continued_over_pages_neither_duplicates_nor_drops(registry: AgencyRegistry) -> None:
    header = ["序号", "重点任务", "牵头单位", "配合单位", "完成时限"]
    policy = parse(
        [header, ["1", "任务甲", "民政部", "", "2030年"], ["2", "任务乙的前半", "公安部", "", "2030年"]],
        [header, ["", "句，后半在下一页", "", "", ""], ["3", "任务丙", "财政部", "", "2030年"]],
        [["4", "任务丁", "司法部", "", "2030年"]],  # the next page, header not repeated
        registry=registry,
    )
    assert [(t.number, t.text) for t in policy.tasks] == [
        ("1", "任务甲"),
        ("2", "任务乙的前半句，后半在下一页"),
        ("3", "任务丙"),
        ("4", "任务丁"),
    ]


def test_table_rows_win_over_text_items(registry: AgencyRegistry) -> None:
    before = HEAD + "\n一、正文里的条目。（民政部负责）"
    policy = parse(
        [["序号", "重点任务", "牵头单位"], ["1", "任务甲", "公安部"]], registry=registry, before=before
    )
    assert roles(policy) == [(None, "1", [("gongan", "lead")])]
    assert any("以任务分工表为准" in w.message for w in policy.warnings)


def test_a_table_without_a_responsibility_column_is_no_task_table(registry: AgencyRegistry) -> None:
    rows = [["序号", "重点任务", "完成时限"], ["1", "任务甲", "2030年"]]
    warnings: list[ParseWarning] = []
    _text, blocks = document(rows)
    assert table_tasks(blocks, warnings) == []
    assert any("没有“牵头单位”" in w.message for w in warnings)
    with pytest.raises(ParseError) as info:
        parse(rows, registry=registry)
    message = str(info.value)
    assert "第 1 张表" in message and "序号、重点任务、完成时限" in message and "牵头单位" in message


def test_a_contact_table_is_not_a_task_table(registry: AgencyRegistry) -> None:
    before = HEAD + "\n一、建立台账。（民政部负责）"
    policy = parse(
        [["单位", "联系人", "电话"], ["民政部", "张三", "12345"]], registry=registry, before=before
    )
    assert roles(policy) == [(None, "一", [("minzheng", "lead")])]
    assert not any("表" in w.message for w in policy.warnings)


def test_no_table_keeps_the_plain_no_tasks_message(registry: AgencyRegistry) -> None:
    with pytest.raises(ParseError) as info:
        parse_policy("一段没有任务的文字。", registry)
    assert "表格" not in str(info.value)


def test_open_lists_and_groups_in_cells_go_through_the_clause_grammar(registry: AgencyRegistry) -> None:
    policy = parse(
        [["序号", "重点任务", "牵头单位", "配合单位"], ["1", "任务甲", "民政部", "公安部、财政部等"]],
        registry=registry,
    )
    assert [r.agency for r in policy.tasks[0].responsibilities] == ["minzheng", "gongan", "caizheng"]
    assert any("以“等”列举" in w.message for w in policy.warnings)


def test_labelled_parties_in_one_cell(registry: AgencyRegistry) -> None:
    policy = parse(
        [["序号", "重点任务", "责任单位"], ["1", "任务甲", "牵头单位：民政部\n配合单位：公安部、财政部"]],
        registry=registry,
    )
    assert roles(policy) == [
        (None, "1", [("minzheng", "lead"), ("gongan", "support"), ("caizheng", "support")])
    ]


def test_a_number_column_without_a_header_and_level_prefixed_headers(registry: AgencyRegistry) -> None:
    policy = parse(
        [
            ["", "重点任务", "县级牵头单位", "县级配合单位"],
            ["1", "任务甲", "民政部", "公安部"],
            ["2", "任务乙", "财政部", ""],
        ],
        registry=registry,
    )
    assert roles(policy) == [
        (None, "1", [("minzheng", "lead"), ("gongan", "support")]),
        (None, "2", [("caizheng", "lead")]),
    ]
    assert all(not t.doubts for t in policy.tasks)


def test_a_task_cell_merged_over_rows_is_one_task_with_the_rows_units_united(
    registry: AgencyRegistry,
) -> None:
    # 主要目标 spans two columns in the header; the goal's cell spans three rows, each row with its own units
    goal = "2.提高孕产妇医疗保健水平。"
    policy = parse(
        [
            ["领域", "主要目标", "主要目标", "主要责任单位", "责任单位"],
            ["", "1.妇女享有基本卫生服务。", "——建立健康档案。", "民政部", "财政部\n全国妇联"],
            ["", goal, "——死亡率降低。", "民政部", "公安部"],
            ["", goal, "——管理率提高。", "财政部", "民政部"],
            ["", goal, "——贫血患病率降低。", "民政部", ""],
            ["", "3.艾滋病感染率得到控制。", "3.艾滋病感染率得到控制。", "公安部", "民政部"],
        ],
        registry=registry,
    )
    assert roles(policy) == [
        (None, "1", [("minzheng", "lead"), ("caizheng", "support"), ("fulian", "support")]),
        (None, "2", [("minzheng", "lead"), ("caizheng", "lead"), ("gongan", "support")]),
        (None, "3", [("gongan", "lead"), ("minzheng", "support")]),
    ]
    assert policy.tasks[0].text == "妇女享有基本卫生服务。——建立健康档案。"
    assert policy.tasks[1].text.startswith("提高孕产妇医疗保健水平。——死亡率降低。")
    assert "——贫血患病率降低。" in policy.tasks[1].text
    assert any("任务跨 3 行" in d.message for d in policy.tasks[1].doubts)
    assert policy.tasks[2].text == "艾滋病感染率得到控制。"


def test_several_text_columns_are_read_left_to_right(registry: AgencyRegistry) -> None:
    policy = parse(
        [
            ["考核项目", "序号", "考核指标", "考核内容", "单位", "年度目标", "责任部门", "评分部门"],
            ["农业高质高效", "1", "确保有效供给", "增加值增幅", "%", "≥2%", "公安部\n民政部", "财政部"],
            ["农业高质高效", "2", "确保有效供给", "粮食安全责任制", "-", "良好", "司法部", "财政部"],
        ],
        registry=registry,
    )
    assert [(t.section, t.number, t.text) for t in policy.tasks] == [
        (None, "1", "确保有效供给：增加值增幅"),
        (None, "2", "确保有效供给：粮食安全责任制"),
    ]
    assert roles(policy) == [
        (None, "1", [("gongan", "joint"), ("minzheng", "joint")]),  # 评分部门 is no party
        (None, "2", [("sifa", "lead")]),
    ]


def test_header_variants(registry: AgencyRegistry) -> None:
    policy = parse(
        [
            [
                "序号",
                "工 作 任 务",
                "牵头负责部门",
                "实施部门",
                "完成时限",
            ],  # 实施部门: the unit's own office
            ["1", "任务甲", "民政部", "办公室", "2030年6月"],
        ],
        registry=registry,
    )
    assert roles(policy) == [(None, "1", [("minzheng", "lead")])]
    assert [h["rule"] for h in policy.tasks[0].schedule_hints] == ["once 2030-06-30"]


def test_a_headerless_table_of_another_width_after_a_task_table_is_warned(registry: AgencyRegistry) -> None:
    policy = parse(
        [["序号", "重点任务", "牵头单位"], ["1", "任务甲", "民政部"]],
        [["2", "任务乙", "公安部", "2030年"]],  # a PDF page whose table the extractor cut differently
        registry=registry,
    )
    assert [t.number for t in policy.tasks] == ["1"]
    assert any("第 2 张表" in w.message and "请核对是否漏了任务" in w.message for w in policy.warnings)


def test_a_merged_group_cell_beside_distinct_measures_does_not_join_the_rows(
    registry: AgencyRegistry,
) -> None:
    policy = parse(
        [
            ["重点任务", "具体措施", "牵头单位"],
            ["强化关爱", "建立台账", "民政部"],
            ["强化关爱", "开展走访", "公安部"],
        ],
        registry=registry,
    )
    assert [(t.number, t.text) for t in policy.tasks] == [
        ("1", "强化关爱：建立台账"),
        ("2", "强化关爱：开展走访"),
    ]
    assert roles(policy)[1][2] == [("gongan", "lead")]


def test_a_table_in_traditional_characters(registry: AgencyRegistry) -> None:
    policy = parse(
        [["序號", "重點任務", "牽頭單位", "配合單位"], ["1", "建立關愛台賬", "民政部", "農業農村部、財政部"]],
        registry=registry,
    )
    assert roles(policy) == [
        (None, "1", [("minzheng", "lead"), ("nongye", "support"), ("caizheng", "support")])
    ]
    assert policy.tasks[0].text == "建立关爱台账"


def test_a_header_without_a_known_task_column_takes_the_longest_text_column(registry: AgencyRegistry) -> None:
    """民生实事 is no task header duban knows: the longest unnamed column is the task, loudly (corpus 29)."""
    policy = parse(
        [
            ["序号", "民生实事", "责任单位", "完成时限"],
            ["1", "新建农村留守妇女之家30个", "县妇联", "2016年12月"],
            ["2", "为农村留守妇女免费开展两癌筛查", "县卫计局、县妇联", "2016年10月"],
        ],
        registry=registry,
    )
    assert [t.number for t in policy.tasks] == ["1", "2"]
    assert policy.tasks[0].text.startswith("新建农村留守妇女之家")
    assert {r.agency for r in policy.tasks[1].responsibilities if r.role == "joint"} == {"weijian", "fulian"}
    assert all(any("民生实事" in d.message for d in t.doubts) for t in policy.tasks)
    assert any("民生实事" in w.message and "请核对" in w.message for w in policy.warnings)


def test_a_name_column_opens_the_task_text(registry: AgencyRegistry) -> None:
    """目标名称 / 工作标准: the name column is part of the task's text, read first (corpus 39 found it)."""
    policy = parse(
        [
            ["序号", "目标名称", "工作标准", "牵头单位"],
            ["1", "留守妇女关爱服务", "建立信息台账，每季度更新", "区民政局"],
        ],
        registry=registry,
    )
    assert policy.tasks[0].text.startswith("留守妇女关爱服务")
    assert "每季度更新" in policy.tasks[0].text


def test_a_header_over_two_rows_is_not_a_task(registry: AgencyRegistry) -> None:
    """进展情况 over 一季度 … 四季度: the second header row repeats the spread cells, no task (corpus 41)."""
    policy = parse(
        [
            ["实事内容", "工作任务", "责任单位", "进展情况", "进展情况"],
            ["实事内容", "工作任务", "责任单位", "一季度", "二季度"],
            ["养老助残", "创建20个无障碍社区。", "区残联,相关镇街", "已申报", "已改造"],
            ["养老助残", "新增30家居家养老服务照料中心。", "区民政局,相关镇街", "5家", "11家"],
        ],
        registry=registry,
    )
    assert [t.number for t in policy.tasks] == ["1", "2"]
    assert policy.tasks[0].text.startswith("养老助残：创建20个")
    assert {r.name for r in policy.tasks[1].responsibilities} == {"区民政局", "相关镇街"}
