"""Reviewing an import before anything is written: the answers document and the coordinator's corrections.

The answers document is the ``duban import FILE --dry-run --json`` output (an :class:`ImportDocument` with
its ``source``), edited: ``duban import FILE --answers ANSWERS.json`` imports FILE with the answers' task
list instead of the raw parse, and ``duban import FILE --review`` builds the same document in memory from
the dashboard's preview. Both go through :func:`apply_answers`.

The corrections the preview offers are pure functions from one document to the next (one per use case):
:func:`set_role`, :func:`remove_party`, :func:`resolve_group`, :func:`merge_into_previous`,
:func:`split_task`, :func:`edit_task`. Task and party positions are 0-based indexes.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duban.domain.agencies import AgencyRegistry, normalize_name
from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import ParseDoubt, PartyKind, Role, values
from duban.errors import ParseError, ValidationError
from duban.importing.model import (
    DocumentHeader,
    DocumentSource,
    DocumentTask,
    ImportDocument,
    ParsedPolicy,
    ParsedResponsibility,
    ParsedTask,
)

__all__ = [
    "LearnedAlias",
    "add_party",
    "answers_from_json",
    "apply_answers",
    "doubt_labels",
    "doubtful_first",
    "edit_task",
    "is_vague",
    "looks_vague",
    "map_name",
    "learned_aliases",
    "merge_into_previous",
    "read_answers",
    "remove_party",
    "resolve_group",
    "set_role",
    "split_task",
    "task_label",
    "write_answers_xlsx",
]

_HINT_KINDS = ("date", "recurrence", "holiday")


@dataclass(frozen=True, slots=True)
class LearnedAlias(JsonResult):
    """A name as written that an answer maps to an agency no registered name resolves to."""

    name: str
    agency: str


def task_label(section: str | None, number: str) -> str:
    """``03.一`` for a task numbered within a section, else its number."""
    return f"{section}.{number}" if section else number


# ---------------------------------------------------------------------------------------------- reading


def read_answers(path: Path) -> ImportDocument:
    """The answers document in ``path`` (JSON, or .xlsx as written by :func:`write_answers_xlsx`), its shape
    checked strictly.

    Raises ParseError (exit code 4) naming the file, the task and what was expected. Only ``source`` and
    ``tasks`` are read; ``policy`` and ``warnings`` are informative (the metadata come from the file).
    """
    name = str(path)
    if path.suffix.lower() == ".xlsx":
        return answers_from_json(_xlsx_to_json(path), name)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(f"无法读取复核结果：{exc}", file=name, expected="UTF-8 编码的 JSON 文件") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"复核结果不是合法的 JSON：{exc.msg}",
            file=name,
            line=exc.lineno,
            column=exc.colno,
            expected="duban import 文件 --dry-run --json 输出的格式",
        ) from exc
    return answers_from_json(data, name)


def answers_from_json(data: Any, name: str) -> ImportDocument:
    """The answers document from JSON data (see :func:`read_answers`); ``name`` names it in errors."""
    if not isinstance(data, dict):
        raise ParseError("复核结果的顶层不是对象", file=name, expected="含 source 和 tasks 的 JSON 对象")
    source = data.get("source")
    if (
        not isinstance(source, dict)
        or not isinstance(source.get("sha256"), str)
        or not isinstance(source.get("name"), str)
    ):
        raise ParseError(
            "复核结果缺少 source（文件名和 sha256）",
            file=name,
            expected='"source": {"name": 文件名, "sha256": 文件的 sha256}，由 --dry-run --json 给出',
        )
    tasks = data.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise ParseError("复核结果没有任务列表", file=name, expected='"tasks": [至少一项任务]')
    header = DocumentHeader(None, None, (), None, None, None, "in_force", None)
    return ImportDocument(
        policy=header,
        tasks=tuple(_task_from_json(item, position, name) for position, item in enumerate(tasks, start=1)),
        warnings=(),
        source=DocumentSource(source["name"], source["sha256"]),
    )


def _task_from_json(item: Any, position: int, name: str) -> DocumentTask:
    where = f"第 {position} 项任务"
    if not isinstance(item, dict):
        raise ParseError(f"{where}不是对象", file=name, expected="含 number、text、responsibilities 的对象")
    number = item.get("number")
    section = item.get("section")
    if not isinstance(number, str) or not number.strip():
        raise ParseError(f"{where}缺少编号 number", file=name, expected="非空的文字，如“三”")
    if section is not None and (not isinstance(section, str) or not section.strip()):
        raise ParseError(f"{where}（{number}）的 section 不对", file=name, expected="null 或非空的文字")
    label = f"任务 {task_label(section, number)}"
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ParseError(f"{label}缺少正文 text", file=name, expected="非空的文字")
    parties = item.get("responsibilities")
    if not isinstance(parties, list) or not parties:
        raise ParseError(f"{label}没有责任单位", file=name, expected='"responsibilities": [至少一个单位]')
    hints = item.get("schedule_hints", [])
    if not isinstance(hints, list) or not all(
        isinstance(h, dict)
        and h.get("kind") in _HINT_KINDS
        and all(isinstance(k, str) and isinstance(v, str) for k, v in h.items())
        for h in hints
    ):
        raise ParseError(
            f"{label}的 schedule_hints 不对",
            file=name,
            expected='[{"kind": "date"|"recurrence"|"holiday", "rule": …, "why": …}]',
        )
    line = item.get("line")
    return DocumentTask(
        section=section.strip() if section else None,
        number=number.strip(),
        text=text.strip(),
        responsibilities=tuple(_party_from_json(p, label, name) for p in parties),
        schedule_hints=tuple(dict(h) for h in hints),
        line=line if isinstance(line, int) and not isinstance(line, bool) else None,
        doubts=(),
    )


def _party_from_json(item: Any, label: str, name: str) -> ParsedResponsibility:
    if not isinstance(item, dict):
        raise ParseError(
            f"{label}的责任单位不是对象", file=name, expected='{"name": …, "agency": …, "role": …}'
        )
    written = item.get("name")
    if not isinstance(written, str) or not written.strip():
        raise ParseError(f"{label}有一个责任单位缺少名称 name", file=name, expected="单位名称，如“县民政局”")
    role = item.get("role")
    if role not in values(Role):
        raise ParseError(
            f"{label}的“{written}”角色 {role!r} 不对",
            file=name,
            expected="lead（牵头）、support（配合）或 joint（共同负责）",
        )
    agency = item.get("agency")
    if agency is not None and (not isinstance(agency, str) or not agency):
        raise ParseError(f"{label}的“{written}”的 agency 不对", file=name, expected="部门代码或 null")
    kind = item.get("party")
    if kind is not None and kind not in values(PartyKind):
        raise ParseError(
            f"{label}的“{written}”的 party {kind!r} 不对",
            file=name,
            expected="、".join(values(PartyKind)) + " 之一，或省略",
        )
    party = PartyKind(kind) if kind is not None else PartyKind.UNREGISTERED
    if agency is not None:
        party = PartyKind.AGENCY
    elif party == PartyKind.AGENCY:
        party = PartyKind.UNREGISTERED
    return ParsedResponsibility(written.strip(), agency, Role(role), party)


# ---------------------------------------------------------------------------------------------- Excel

XLSX_COLUMNS = ("部分", "编号", "正文", "牵头", "配合", "共同负责", "存疑")
_ROLE_COLUMNS = {3: Role.LEAD, 4: Role.SUPPORT, 5: Role.JOINT}
_KEYED = re.compile(r"^(?P<name>.+?)[（(](?P<key>[a-z][a-z0-9_]*)[)）]$")


def _party_cell(parties: Iterable[ParsedResponsibility]) -> str:
    """One party a line: ``县民政局（minzheng）`` for an agency, the name alone otherwise."""
    return "\n".join(f"{p.name}（{p.agency}）" if p.agency else p.name for p in parties)


def write_answers_xlsx(doc: ImportDocument, path: Path) -> None:
    """The answers document as a workbook: sheet 任务 (one row per task: 部分, 编号, 正文, 牵头, 配合,
    共同负责, 存疑; one party a line), sheet 来源 (file name and sha256). ``--answers`` reads it back."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "任务"
    sheet.append(list(XLSX_COLUMNS))
    for task in doc.tasks:
        by_role = {role: _party_cell(p for p in task.responsibilities if p.role == role) for role in Role}
        doubts = "\n".join(f"{d.kind.label}：{d.message}" for d in task.doubts)
        sheet.append(
            [
                task.section or "",
                task.number,
                task.text,
                by_role[Role.LEAD],
                by_role[Role.SUPPORT],
                by_role[Role.JOINT],
                doubts,
            ]
        )
    for column, width in zip("ABCDEFG", (6, 8, 60, 24, 30, 30, 30), strict=True):
        sheet.column_dimensions[column].width = width
    source = book.create_sheet("来源")
    source.append(["文件", doc.source.name if doc.source else ""])
    source.append(["sha256", doc.source.sha256 if doc.source else ""])
    source.append(
        [
            "说明",
            "改“任务”表后用 duban import 文件 --answers 本表 导入；一个单位一行，已登记的部门写成 名称（代码）",
        ]
    )
    book.save(path)


def _xlsx_to_json(path: Path) -> dict[str, Any]:
    """The answers workbook as the JSON form :func:`answers_from_json` checks."""
    from openpyxl import load_workbook

    name = str(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ParseError(
            f"无法作为 .xlsx 打开：{exc}", file=name, expected="--dry-run --xlsx 写出的工作簿"
        ) from exc
    if "任务" not in book.sheetnames or "来源" not in book.sheetnames:
        raise ParseError("工作簿缺少“任务”或“来源”表", file=name, expected="--dry-run --xlsx 写出的工作簿")
    meta = {str(r[0]): r[1] for r in book["来源"].iter_rows(values_only=True) if r and r[0] is not None}
    rows = list(book["任务"].iter_rows(values_only=True))
    if not rows or tuple(str(c or "") for c in rows[0][: len(XLSX_COLUMNS)]) != XLSX_COLUMNS:
        raise ParseError("“任务”表的表头不对", file=name, line=1, expected="、".join(XLSX_COLUMNS))
    tasks: list[dict[str, Any]] = []
    for row in rows[1:]:
        cells = ["" if c is None else str(c).strip() for c in (*row, *([None] * len(XLSX_COLUMNS)))]
        if not any(cells[: len(XLSX_COLUMNS)]):
            continue
        parties = []
        for column, role in _ROLE_COLUMNS.items():
            for line in cells[column].splitlines():
                written = line.strip()
                if not written:
                    continue
                keyed = _KEYED.match(written)
                if keyed:
                    parties.append({"name": keyed["name"], "agency": keyed["key"], "role": role.value})
                else:
                    kind = PartyKind.GROUP if looks_vague(written) else PartyKind.UNREGISTERED
                    parties.append({"name": written, "agency": None, "role": role.value, "party": kind.value})
        tasks.append(
            {"section": cells[0] or None, "number": cells[1], "text": cells[2], "responsibilities": parties}
        )
    source = {"name": str(meta.get("文件") or ""), "sha256": str(meta.get("sha256") or "")}
    return {"source": source if source["sha256"] else None, "tasks": tasks}


# ---------------------------------------------------------------------------------------------- applying


def apply_answers(
    parsed: ParsedPolicy,
    answers: ImportDocument,
    *,
    registry: AgencyRegistry,
    sha256: str,
    answers_name: str,
) -> ParsedPolicy:
    """``parsed`` with the answers' task list instead of its own; the answers are checked strictly.

    The answers must be for the same file (``source.sha256``), name only registered agency keys, and
    number every task uniquely (section + number). A party without an agency key that is not a vague group
    is resolved by its name (so a party can be added by name alone); a vague group without a key stays
    unresolved on purpose. Raises ParseError naming ``answers_name``, the task and what was expected.
    """
    if answers.source is None or answers.source.sha256 != sha256:
        written = answers.source.name if answers.source else "（未注明）"
        raise ParseError(
            f"复核结果是另一个文件的（{written}）：sha256 与要导入的文件不符",
            file=answers_name,
            expected=f"sha256 {sha256}（用 duban import 文件 --dry-run --json 重新生成复核结果）",
        )
    known = set(registry.keys())
    seen: set[tuple[str | None, str]] = set()
    tasks: list[ParsedTask] = []
    for task in answers.tasks:
        label = task_label(task.section, task.number)
        if (task.section, task.number) in seen:
            raise ParseError(
                f"任务 {label} 出现了两次", file=answers_name, expected="每项任务的编号（部分 + 编号）唯一"
            )
        seen.add((task.section, task.number))
        if not task.responsibilities:
            raise ParseError(f"任务 {label} 没有责任单位", file=answers_name, expected="至少一个责任单位")
        parties: list[ParsedResponsibility] = []
        for party in task.responsibilities:
            agency = party.agency
            kind = party.party
            if agency is not None and agency not in known:
                hints = registry.suggest(party.name)
                raise ParseError(
                    f"任务 {label} 的“{party.name}”：部门代码 {agency!r} 未登记",
                    file=answers_name,
                    expected="duban agencies 列出的部门代码之一"
                    + (f"（名称相近的：{'、'.join(hints)}）" if hints else ""),
                )
            if agency is None and kind not in (PartyKind.GROUP, PartyKind.GOVERNMENT):
                agency = registry.resolve(party.name)
                kind = PartyKind.AGENCY if agency else PartyKind.UNREGISTERED
            elif agency is not None:
                kind = PartyKind.AGENCY
            parties.append(ParsedResponsibility(party.name, agency, party.role, kind))
        tasks.append(
            ParsedTask(
                section=task.section,
                number=task.number,
                text=task.text,
                responsibilities=tuple(parties),
                schedule_hints=tuple(dict(h) for h in task.schedule_hints),
                line=task.line or 0,
                doubts=task.doubts,
            )
        )
    if not tasks:
        raise ParseError("复核结果没有任务", file=answers_name, expected="至少一项任务")
    return dataclasses.replace(parsed, tasks=tuple(tasks))


_VAGUE_MARKS = ("有关", "相关", "其他", "其它", "各级", "等")


def looks_vague(name: str) -> bool:
    """Whether a name is written like a vague group (有关部门, 各有关单位, 其他相关单位 …)."""
    norm = normalize_name(name)
    return norm.startswith("各") or any(mark in norm for mark in _VAGUE_MARKS)


def is_vague(party: ParsedResponsibility) -> bool:
    """A vague group not yet resolved: marked so by the parser, or an unregistered name written like one."""
    if party.party == PartyKind.GROUP:
        return True
    return party.agency is None and looks_vague(party.name)


def learned_aliases(
    original: ParsedPolicy, corrected: ParsedPolicy, registry: AgencyRegistry
) -> tuple[LearnedAlias, ...]:
    """The names as written that the corrections map to an agency the registry cannot resolve them to.

    Vague groups (有关部门 …, a group in the parse or in the answers) never become aliases: resolving a
    group names the agencies meant in this document, not what the group means in every document.
    """
    groups = {
        normalize_name(p.name)
        for t in (*original.tasks, *corrected.tasks)
        for p in t.responsibilities
        if p.party == PartyKind.GROUP or looks_vague(p.name)
    }
    out: dict[str, LearnedAlias] = {}
    for task in corrected.tasks:
        for party in task.responsibilities:
            norm = normalize_name(party.name)
            if party.agency is None or not norm or norm in groups or norm in out:
                continue
            if registry.resolve(party.name) is None:
                out[norm] = LearnedAlias(norm, party.agency)
    return tuple(out.values())


# ---------------------------------------------------------------------------------------------- corrections


def _task(doc: ImportDocument, index: int) -> DocumentTask:
    if not 0 <= index < len(doc.tasks):
        raise ValidationError(f"没有第 {index + 1} 项任务")
    return doc.tasks[index]


def _with_task(doc: ImportDocument, index: int, task: DocumentTask) -> ImportDocument:
    tasks = list(doc.tasks)
    tasks[index] = task
    return dataclasses.replace(doc, tasks=tuple(tasks))


def _without_doubts_on(task: DocumentTask, names: Iterable[str], kinds: Iterable[ParseDoubt]) -> DocumentTask:
    gone, kinds = set(names), set(kinds)
    doubts = tuple(d for d in task.doubts if not (d.kind in kinds and (d.name is None or d.name in gone)))
    return dataclasses.replace(task, doubts=doubts)


def set_role(doc: ImportDocument, task: int, party: int, role: Role) -> ImportDocument:
    """Give one party of a task another role (牵头 / 配合 / 共同负责)."""
    item = _task(doc, task)
    if not 0 <= party < len(item.responsibilities):
        raise ValidationError(f"任务 {task_label(item.section, item.number)} 没有第 {party + 1} 个单位")
    parties = list(item.responsibilities)
    parties[party] = dataclasses.replace(parties[party], role=Role(role))
    changed = dataclasses.replace(item, responsibilities=tuple(parties))
    return _with_task(
        doc, task, _without_doubts_on(changed, [parties[party].name], [ParseDoubt.GUESSED_ROLE])
    )


def remove_party(doc: ImportDocument, task: int, party: int) -> ImportDocument:
    """Remove one party from a task (a task keeps at least one)."""
    item = _task(doc, task)
    if not 0 <= party < len(item.responsibilities):
        raise ValidationError(f"任务 {task_label(item.section, item.number)} 没有第 {party + 1} 个单位")
    if len(item.responsibilities) == 1:
        raise ValidationError(f"任务 {task_label(item.section, item.number)} 只剩这一个单位，不能删除")
    gone = item.responsibilities[party]
    parties = item.responsibilities[:party] + item.responsibilities[party + 1 :]
    changed = dataclasses.replace(item, responsibilities=parties)
    return _with_task(doc, task, _without_doubts_on(changed, [gone.name], list(ParseDoubt)))


def resolve_group(
    doc: ImportDocument,
    task: int,
    party: int,
    agencies: Sequence[str],
    registry: AgencyRegistry,
    role: Role | None = None,
) -> ImportDocument:
    """Replace a party (a vague group such as 有关部门) by named agencies, each with the group's role (or
    ``role``), named as the agency is named at the document's level (县民政局 in a county document)."""
    item = _task(doc, task)
    if not 0 <= party < len(item.responsibilities):
        raise ValidationError(f"任务 {task_label(item.section, item.number)} 没有第 {party + 1} 个单位")
    if not agencies:
        raise ValidationError("请至少选择一个部门")
    known = set(registry.keys())
    unknown = [k for k in agencies if k not in known]
    if unknown:
        raise ValidationError(f"未登记的部门代码：{'、'.join(unknown)}")
    group = item.responsibilities[party]
    level = doc.policy.level
    present = {p.agency for p in item.responsibilities if p.agency}
    named = tuple(
        ParsedResponsibility(
            registry.name_at(key, level) if level else registry.spec(key).name,
            key,
            Role(role or group.role),
            PartyKind.AGENCY,
        )
        for key in dict.fromkeys(agencies)
        if key not in present
    )
    parties = item.responsibilities[:party] + named + item.responsibilities[party + 1 :]
    changed = dataclasses.replace(item, responsibilities=parties)
    doubt_kinds = [ParseDoubt.VAGUE_GROUP, ParseDoubt.UNRESOLVED_NAME, ParseDoubt.EXPANDED_GROUP]
    return _with_task(doc, task, _without_doubts_on(changed, [group.name], doubt_kinds))


def map_name(
    doc: ImportDocument, task: int, party: int, agency: str, registry: AgencyRegistry
) -> ImportDocument:
    """Say which agency a name as written is (县教体局 → tiyu), keeping the name: written, it becomes an
    alias for the next import. A vague group cannot be mapped to one agency this way (use resolve_group)."""
    item = _task(doc, task)
    if not 0 <= party < len(item.responsibilities):
        raise ValidationError(f"任务 {task_label(item.section, item.number)} 没有第 {party + 1} 个单位")
    if agency not in set(registry.keys()):
        raise ValidationError(f"未登记的部门代码：{agency}")
    target = item.responsibilities[party]
    if is_vague(target):
        raise ValidationError(f"“{target.name}”是泛指的单位：请指定为具体部门（可选多个），而不是作为别名")
    parties = list(item.responsibilities)
    parties[party] = dataclasses.replace(target, agency=agency, party=PartyKind.AGENCY)
    changed = dataclasses.replace(item, responsibilities=tuple(parties))
    return _with_task(doc, task, _without_doubts_on(changed, [target.name], [ParseDoubt.UNRESOLVED_NAME]))


def merge_into_previous(doc: ImportDocument, task: int) -> ImportDocument:
    """Merge a task into the one before it: texts joined, parties joined (first role wins), task removed."""
    if task <= 0:
        raise ValidationError("第一项任务前面没有任务，不能合并")
    item, previous = _task(doc, task), _task(doc, task - 1)
    seen = {(p.name, p.agency) for p in previous.responsibilities}
    extra = tuple(p for p in item.responsibilities if (p.name, p.agency) not in seen)
    merged = dataclasses.replace(
        previous,
        text=previous.text + item.text,
        responsibilities=previous.responsibilities + extra,
        schedule_hints=previous.schedule_hints + item.schedule_hints,
        doubts=previous.doubts + item.doubts,
    )
    tasks = list(doc.tasks)
    tasks[task - 1] = merged
    del tasks[task]
    return dataclasses.replace(doc, tasks=tuple(tasks))


def split_task(doc: ImportDocument, task: int) -> ImportDocument:
    """Duplicate a task right after itself with a free number (三 → 三-2); then edit both."""
    item = _task(doc, task)
    taken = {(t.section, t.number) for t in doc.tasks}
    suffix = 2
    while (item.section, f"{item.number}-{suffix}") in taken:
        suffix += 1
    copy = dataclasses.replace(item, number=f"{item.number}-{suffix}")
    tasks = list(doc.tasks)
    tasks.insert(task + 1, copy)
    return dataclasses.replace(doc, tasks=tuple(tasks))


def edit_task(
    doc: ImportDocument, task: int, *, number: str | None = None, text: str | None = None
) -> ImportDocument:
    """Change a task's number or text (numbers stay unique within their section)."""
    item = _task(doc, task)
    changes: dict[str, Any] = {}
    if number is not None:
        number = number.strip()
        if not number:
            raise ValidationError("编号不能为空")
        if any(
            i != task and t.section == item.section and t.number == number for i, t in enumerate(doc.tasks)
        ):
            raise ValidationError(f"编号 {task_label(item.section, number)} 已有任务使用")
        changes["number"] = number
    if text is not None:
        if not text.strip():
            raise ValidationError("正文不能为空")
        changes["text"] = text.strip()
    return _with_task(doc, task, dataclasses.replace(item, **changes))


def add_party(
    doc: ImportDocument, task: int, agency: str, role: Role, registry: AgencyRegistry
) -> ImportDocument:
    """Add a registered agency to a task with ``role`` (named as at the document's level)."""
    item = _task(doc, task)
    placeholder = ParsedResponsibility("", None, Role(role), PartyKind.GROUP)
    widened = _with_task(
        doc, task, dataclasses.replace(item, responsibilities=(*item.responsibilities, placeholder))
    )
    return resolve_group(widened, task, len(item.responsibilities), [agency], registry, role)


def doubtful_first(doc: ImportDocument) -> list[int]:
    """Task indexes, the tasks with doubts first (each group in document order)."""
    indexes = range(len(doc.tasks))
    return [i for i in indexes if doc.tasks[i].doubts] + [i for i in indexes if not doc.tasks[i].doubts]


def doubt_labels(task: DocumentTask) -> str:
    """The task's doubts in a few Chinese words (存疑 column); empty when read with confidence."""
    return "、".join(dict.fromkeys(d.kind.label for d in task.doubts))
