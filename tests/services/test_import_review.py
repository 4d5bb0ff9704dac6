"""The review service on its own: corrections to an answers document, strict answers, learned aliases."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from duban.domain.agencies import AgencyRegistry
from duban.domain.vocabulary import ParseDoubt, PartyKind, Role
from duban.errors import ParseError, ValidationError
from duban.importing.model import DocumentSource, Doubt, ImportDocument
from duban.plugin_host import PluginHost
from duban.services import import_review as review
from duban.services.importing import parse_file, registry_from

SEEDS = Path(__file__).parents[1] / "fixtures" / "seeds"
YUNNAN = SEEDS / "000_ec88c21d93956c79.txt"


@pytest.fixture
def parsed_yunnan(host: PluginHost):  # noqa: ANN201
    return parse_file(YUNNAN, host=host)


@pytest.fixture
def registry(host: PluginHost) -> AgencyRegistry:
    return registry_from(host)


@pytest.fixture
def doc(parsed_yunnan) -> ImportDocument:  # noqa: ANN001
    parsed, digest = parsed_yunnan
    return ImportDocument.of(parsed, source=DocumentSource(YUNNAN.name, digest))


def names(doc: ImportDocument, index: int) -> list[tuple[str, str | None, str]]:
    return [(p.name, p.agency, p.role.value) for p in doc.tasks[index].responsibilities]


def test_set_role_and_remove_party(doc: ImportDocument) -> None:
    changed = review.set_role(doc, 0, 2, Role.SUPPORT)
    assert names(changed, 0)[2] == ("省妇联", "fulian", "support")
    assert names(doc, 0)[2][2] == "joint"  # the input is not changed
    fewer = review.remove_party(changed, 0, 0)
    assert [n[0] for n in names(fewer, 0)] == ["省妇儿工委办公室", "省妇联"]
    with pytest.raises(ValidationError, match="只剩这一个单位"):
        review.remove_party(review.remove_party(fewer, 0, 0), 0, 0)
    with pytest.raises(ValidationError, match="没有第 9 个单位"):
        review.set_role(doc, 0, 8, Role.LEAD)


def test_resolve_group_names_agencies_at_the_document_level(
    doc: ImportDocument, registry: AgencyRegistry
) -> None:
    with_group = dataclasses.replace(
        doc,
        tasks=(
            dataclasses.replace(
                doc.tasks[0],
                responsibilities=(
                    *doc.tasks[0].responsibilities,
                    review.ParsedResponsibility("省有关部门", None, Role.SUPPORT, PartyKind.GROUP),
                ),
                doubts=(Doubt(ParseDoubt.VAGUE_GROUP, "泛指", "省有关部门"),),
            ),
            *doc.tasks[1:],
        ),
    )
    resolved = review.resolve_group(with_group, 0, 3, ["weijian", "minzheng", "sifa"], registry)
    # minzheng is already a party of the task: not added twice; names as at the province level
    assert names(resolved, 0)[3:] == [
        (registry.name_at("weijian", "province"), "weijian", "support"),
        ("省司法厅", "sifa", "support"),
    ]
    assert resolved.tasks[0].doubts == ()  # the group's doubt is resolved
    with pytest.raises(ValidationError, match="未登记的部门代码：fagai"):
        review.resolve_group(with_group, 0, 3, ["fagai"], registry)


def test_merge_split_edit(doc: ImportDocument) -> None:
    merged = review.merge_into_previous(doc, 3)
    assert len(merged.tasks) == len(doc.tasks) - 1
    assert merged.tasks[2].text == doc.tasks[2].text + doc.tasks[3].text
    assert {p.agency for p in merged.tasks[2].responsibilities} == {
        p.agency for t in doc.tasks[2:4] for p in t.responsibilities
    }
    with pytest.raises(ValidationError, match="第一项任务"):
        review.merge_into_previous(doc, 0)

    split = review.split_task(doc, 4)
    assert [t.number for t in split.tasks[4:6]] == ["五", "五-2"]
    again = review.split_task(split, 4)
    assert [t.number for t in again.tasks[4:7]] == ["五", "五-3", "五-2"]
    edited = review.edit_task(split, 5, number="五之二", text="后一半。")
    assert (edited.tasks[5].number, edited.tasks[5].text) == ("五之二", "后一半。")
    with pytest.raises(ValidationError, match="编号 五 已有任务使用"):
        review.edit_task(split, 5, number="五")


def test_doubtful_first(doc: ImportDocument) -> None:
    tasks = list(doc.tasks)
    tasks[5] = dataclasses.replace(tasks[5], doubts=(Doubt(ParseDoubt.GUESSED_ROLE, "角色系推断"),))
    marked = dataclasses.replace(doc, tasks=tuple(tasks))
    doubtful = [i for i, t in enumerate(marked.tasks) if t.doubts]
    assert 5 in doubtful and len(doubtful) < len(marked.tasks)
    sure = [i for i in range(len(marked.tasks)) if i not in doubtful]
    assert review.doubtful_first(marked) == doubtful + sure
    assert review.doubt_labels(marked.tasks[5]) == "角色系推断"


def test_apply_answers_is_strict(parsed_yunnan, doc: ImportDocument, registry: AgencyRegistry) -> None:  # noqa: ANN001
    parsed, digest = parsed_yunnan
    corrected = review.apply_answers(
        parsed,
        review.set_role(doc, 0, 2, Role.SUPPORT),
        registry=registry,
        sha256=digest,
        answers_name="a.json",
    )
    assert corrected.tasks[0].responsibilities[2].role == Role.SUPPORT and corrected.title == parsed.title
    with pytest.raises(ParseError, match="另一个文件"):
        review.apply_answers(parsed, doc, registry=registry, sha256="0" * 64, answers_name="a.json")
    duplicate = dataclasses.replace(doc, tasks=(doc.tasks[0], doc.tasks[0]))
    with pytest.raises(ParseError, match="a.json: 任务 一 出现了两次"):
        review.apply_answers(parsed, duplicate, registry=registry, sha256=digest, answers_name="a.json")


def test_answers_from_json_names_the_task_and_what_was_expected(doc: ImportDocument) -> None:
    data = json.loads(json.dumps(doc.to_json()))
    data["tasks"][2]["responsibilities"][0]["role"] = "leader"
    with pytest.raises(ParseError) as err:
        review.answers_from_json(data, "answers.json")
    assert str(err.value).startswith("answers.json: 任务 三的“省人力资源和社会保障厅”角色 'leader' 不对")
    assert "应为：lead（牵头）、support（配合）或 joint（共同负责）" in str(err.value)
    data["tasks"][2] = "三"
    with pytest.raises(ParseError, match="第 3 项任务不是对象"):
        review.answers_from_json(data, "answers.json")
    # the document as printed reads back as it was (tasks and source)
    back = review.answers_from_json(json.loads(json.dumps(doc.to_json())), "answers.json")
    assert back.source == doc.source
    assert [(t.number, t.responsibilities) for t in back.tasks] == [
        (t.number, t.responsibilities) for t in doc.tasks
    ]


def test_learned_aliases_skip_groups_and_known_names(parsed_yunnan, registry: AgencyRegistry) -> None:  # noqa: ANN001
    parsed, _ = parsed_yunnan
    first = parsed.tasks[0]
    extra = (
        review.ParsedResponsibility("县教体局", "tiyu", Role.SUPPORT, PartyKind.AGENCY),
        review.ParsedResponsibility("县有关单位", "weijian", Role.SUPPORT, PartyKind.AGENCY),
        review.ParsedResponsibility("省妇联", "fulian", Role.SUPPORT, PartyKind.AGENCY),
    )
    corrected = dataclasses.replace(
        parsed, tasks=(dataclasses.replace(first, responsibilities=first.responsibilities + extra),)
    )
    assert review.learned_aliases(parsed, corrected, registry) == (review.LearnedAlias("县教体局", "tiyu"),)


def test_registry_resolves_learned_aliases(host: PluginHost) -> None:
    plain = AgencyRegistry(host.agencies())
    taught = AgencyRegistry(host.agencies(), {"县教体局": "tiyu", "县融媒体中心": "unknown-key"})
    assert plain.resolve("县教体局") is None
    assert taught.resolve("县教体局") == "tiyu"
    assert taught.resolve("市教体局") == "tiyu"  # without its jurisdiction prefix too
    assert taught.resolve("县融媒体中心") is None  # an alias of an unregistered key is ignored
    assert taught.resolve("省民政厅") == plain.resolve("省民政厅") == "minzheng"
