"""The Chinese texts of duban's messages: department digests, escalations, completion and failure notices."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from duban.domain.vocabulary import AlertLevel, Role
from duban.importing.numbering import CN_NUMERAL, cn_to_int
from duban.notify.rules import LEVEL_RANK

WEEKDAYS = "一二三四五六日"
CHINESE_NUMBERS = "一二三四五六七八九十"
FOOTER = "—— duban 督办系统自动发送，请勿直接回复。"


@dataclass(frozen=True)
class DigestItem:
    """One milestone a department owes."""

    milestone_id: int
    responsibility_id: int
    policy: str  # doc number or title
    policy_title: str
    task: str  # "三" or "2.三"
    task_text: str
    role: Role
    period: str
    due: dt.date  # effective due date
    original_due: dt.date
    level: AlertLevel  # blue | yellow | red
    days_overdue: int  # working days after the due date
    days_left: int = 0  # working days until the due date
    returned: bool = False
    department: str = ""  # display name, for the coordinator's digest
    receiver: str = ""
    notice: str = ""  # the 督办单 of an escalated item (督〔2026〕第3号); "" if none was issued
    task_id: int = 0


_NUMBER_PART = re.compile(rf"\d+|[{CN_NUMERAL}]+|[^\d{CN_NUMERAL}]+")


def numeral_value(text: str) -> int | None:
    """The value of a task number: 一 → 1, 十七 → 17, 二十一 → 21, 一百零五 → 105, 12 → 12; None otherwise
    (the importer's :func:`~duban.importing.numbering.cn_to_int` for the Chinese numerals)."""
    text = text.strip()
    return int(text) if text.isdigit() else cn_to_int(text)


def document_order(number: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key that puts task numbers in the document's order: "2.三" after "1.十七", 二十一 after 十七
    (by the numerals' values, not their characters)."""
    key: list[tuple[int, int, str]] = []
    for piece in _NUMBER_PART.findall(number):
        value = numeral_value(piece)
        key.append((0, value, "") if value is not None else (1, 0, piece))
    return tuple(key)


def format_local(at: dt.datetime, tz: str) -> str:
    """An aware time as the reader's local time: ``2026-02-02 09:30（Asia/Shanghai）``."""
    return f"{at.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M}"


def cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日（星期{WEEKDAYS[day.weekday()]}）"


def _ordinal(n: int) -> str:
    return CHINESE_NUMBERS[n - 1] if 1 <= n <= 10 else str(n)


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "……"


def worst(levels: Iterable[AlertLevel]) -> AlertLevel:
    return max(levels, key=LEVEL_RANK.__getitem__)


def _item_lines(item: DigestItem, rules_escalate: int, *, for_department: bool) -> list[str]:
    mark = f"[{AlertLevel(item.level).label}]"
    if item.level == AlertLevel.BLUE:
        left = "今天到期" if item.days_left == 0 else f"还有 {item.days_left} 个工作日"
        when = f"应于 {item.due.isoformat()} 前报送，{left}"
    else:
        when = f"应于 {item.due.isoformat()} 报送，已逾期 {item.days_overdue} 个工作日"
        if item.level == AlertLevel.RED:  # "已升级督办" only where a 督办单 was really issued
            escalated = f"，已升级督办，督办单 {item.notice}" if item.notice else ""
            when += f"（满 {rules_escalate} 个工作日{escalated}）"
    if item.due != item.original_due:
        when += f"（已批准延期，原到期日 {item.original_due.isoformat()}）"
    if item.returned:
        when += "（报送被退回，请重新报送）"
    lines = [f"    {mark} {item.period}期 {when}"]
    submit = f"duban report submit {item.responsibility_id} --milestone {item.milestone_id}"
    if for_department:
        lines.append(f"         办理：{submit}")
        if item.level == AlertLevel.BLUE:
            lines.append(
                f"         如需延期：duban extend request {item.milestone_id} --to 日期 --reason 理由 --progress 进展"
            )
    else:
        lines.append(
            f"         部门办理：{submit}；查看：duban status --agency {item.receiver.split('@')[0]}"
        )
    return lines


def _grouped(items: Sequence[DigestItem], *, escalate_after: int, for_department: bool) -> list[str]:
    lines: list[str] = []
    by_policy: dict[str, list[DigestItem]] = {}
    for item in items:
        by_policy.setdefault(item.policy, []).append(item)
    for n, (policy, group) in enumerate(by_policy.items(), start=1):
        title = group[0].policy_title
        lines.append(f"{_ordinal(n)}、{policy}" + (f"《{title}》" if title and title != policy else ""))
        by_task: dict[tuple[str, str], list[DigestItem]] = {}
        for item in group:
            by_task.setdefault((item.task, item.role), []).append(item)
        for (task, role), task_items in sorted(by_task.items(), key=lambda kv: document_order(kv[0][0])):
            lines.append(f"  任务{task}（{Role(role).label}）：{_short(task_items[0].task_text)}")
            for item in sorted(task_items, key=lambda i: (i.due, i.milestone_id)):
                lines.extend(_item_lines(item, escalate_after, for_department=for_department))
    return lines


def _order(items: Iterable[DigestItem]) -> list[DigestItem]:
    """Worst level first among policies; inside a policy the tasks keep the document's order."""
    items = list(items)
    worst_of: dict[str, int] = {}
    for i in items:
        worst_of[i.policy] = max(worst_of.get(i.policy, 0), LEVEL_RANK[i.level])
    return sorted(
        items,
        key=lambda i: (-worst_of[i.policy], i.policy, document_order(i.task), i.due, i.milestone_id),
    )


def department_digest(
    department: str, receiver: str, day: dt.date, items: Sequence[DigestItem], *, escalate_after: int
) -> tuple[str, str]:
    """Subject and body of one department's digest: everything it owes, by policy and task."""
    overdue = sum(1 for i in items if i.level != AlertLevel.BLUE)
    soon = len(items) - overdue
    counts = "，".join(
        p for p in (f"逾期 {overdue} 项" if overdue else "", f"即将到期 {soon} 项" if soon else "") if p
    )
    level = worst(i.level for i in items)
    subject = f"【督办·{AlertLevel(level).label}】{department}：{counts}（{day.isoformat()}）"
    agency, _, jur = receiver.partition("@")
    lines = [f"{department}：", f"截至{cn_date(day)}，贵单位有以下督办事项，请及时报送进度。", ""]
    lines += _grouped(_order(items), escalate_after=escalate_after, for_department=True)
    lines += [
        "",
        f"说明：蓝＝即将到期，黄＝已逾期，红＝逾期满 {escalate_after} 个工作日（已升级督办的注明督办单编号）。",
        f"查看全部：duban overdue --agency {agency} --jurisdiction {jur.split('#')[0]}（或在仪表盘“部门”页，按 3）",
        FOOTER,
    ]
    return subject, "\n".join(lines)


def escalation_digest(
    day: dt.date, items: Sequence[DigestItem], *, escalate_after: int, leadership_of: str | None = None
) -> tuple[str, str]:
    """The coordinator's (or a department leadership's) notice of milestones escalated today."""
    departments: dict[str, list[DigestItem]] = {}
    for item in _order(items):
        departments.setdefault(item.department, []).append(item)
    if leadership_of:
        subject = f"【督办·{AlertLevel.RED.label}】{leadership_of}有 {len(items)} 项逾期满 {escalate_after} 个工作日（{day.isoformat()}）"
        intro = f"截至{cn_date(day)}，{leadership_of}以下事项逾期已满 {escalate_after} 个工作日，已升级督办，请督促办理。"
    else:
        subject = (
            f"【督办·{AlertLevel.RED.label}】升级督办：{len(departments)} 个部门 {len(items)} 项逾期满 {escalate_after} 个工作日"
            f"（{day.isoformat()}）"
        )
        intro = f"截至{cn_date(day)}，以下事项逾期已满 {escalate_after} 个工作日，按规则升级督办。"
    lines = [intro, ""]
    for department, group in departments.items():
        if not leadership_of:
            lines.append(f"【{department}】")
        lines += _grouped(group, escalate_after=escalate_after, for_department=False)
        lines.append("")
    lines += ["查看：duban overdue（或在仪表盘“总览”页的“逾期最久”，按 1）", FOOTER]
    return subject, "\n".join(lines)


def completion_notice(
    *,
    department: str,
    policy: str,
    task: str,
    task_text: str,
    responsibility_id: int,
    kind: str,
    day: dt.date,
    report_id: int | None,
) -> tuple[str, str]:
    """A responsibility asked for 办结 (``requested``) or was closed (``closed``)."""
    if kind == "requested":
        subject = f"【督办·办结申请】{department}申请办结：{policy} 任务{task}"
        action = (
            f"请复核：duban review accept {report_id}（通过并办结）或 "
            f"duban review return {report_id} --reason 理由（退回）"
            if report_id
            else "请在仪表盘复核。"
        )
        what = f"{department}于 {day.isoformat()} 报送并申请办结责任 #{responsibility_id}。"
    else:
        subject = f"【督办·已办结】{department}：{policy} 任务{task}"
        action = f"查看：duban status --policy {policy}"
        what = f"责任 #{responsibility_id}（{department}）已于 {day.isoformat()} 复核通过，办结销号。"
    body = "\n".join([what, f"任务{task}：{_short(task_text, 60)}", action, FOOTER])
    return subject, body


def failure_notice(
    *, message_id: int, receiver: str, subject: str, failures: Sequence[tuple[str, str]]
) -> tuple[str, str]:
    """The coordinator's notice that a message could not be delivered and will not be retried."""
    lines = [f"消息 #{message_id}（发给 {receiver}）无法送达，不再重试：", f"  标题：{subject}"]
    lines += [f"  渠道 {label}：{detail}" for label, detail in failures]
    lines += [
        "请检查通知渠道的配置（机器人密钥、签名、关键词、IP 白名单等），修改后重新发送："
        f"duban notify retry {message_id}",
        "查看：duban notify log --failed",
        FOOTER,
    ]
    return f"【督办·{AlertLevel.FAILURE.label}】消息 #{message_id} 无法送达 {receiver}", "\n".join(lines)


@dataclass(frozen=True)
class FailedMessage:
    """A message that failed for good in a run, for :func:`failure_summary`."""

    message_id: int
    receiver_name: str  #: 云南省民政厅
    receiver: str  #: minzheng@530000
    subject: str
    failures: tuple[tuple[str, str], ...]  #: (channel, what it said)


def failure_summary(failed: Sequence[FailedMessage], *, local_time: str) -> tuple[str, str]:
    """One notice to the coordinator for every message a run could not deliver (grouped, not one each)."""
    if len(failed) == 1:
        f = failed[0]
        return failure_notice(
            message_id=f.message_id,
            receiver=f"{f.receiver_name}（{f.receiver}）" if f.receiver_name != f.receiver else f.receiver,
            subject=f.subject,
            failures=f.failures,
        )
    lines = [f"本次运行（{local_time}）有 {len(failed)} 条消息无法送达，不再重试：", ""]
    for f in failed:
        lines.append(f"  #{f.message_id} 发给 {f.receiver_name}（{f.receiver}）：{f.subject}")
        lines += [f"      渠道 {label}：{detail}" for label, detail in f.failures]
    lines += [
        "",
        "请检查通知渠道的配置（机器人密钥、签名、关键词、IP 白名单等），修改后重新发送：",
        "duban notify retry --failed（或 duban notify retry 编号）",
        "查看：duban notify log --failed",
        FOOTER,
    ]
    names = "、".join(dict.fromkeys(f.receiver_name for f in failed))
    if len(names) > 60:
        names = names[:60] + "……"
    subject = f"【督办·{AlertLevel.FAILURE.label}】{len(failed)} 条消息无法送达：{names}"
    return subject, "\n".join(lines)
