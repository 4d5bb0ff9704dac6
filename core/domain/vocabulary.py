"""duban's vocabulary: every role, state, light and severity as an enum, with its Chinese label defined here once.

The enums are :class:`~enum.StrEnum`, so a member equals (and is stored as) its English value, e.g.
``Role.LEAD == "lead"``; ``member.label`` is what a person reads (牵头). The database carries a CHECK
constraint per column built from these values (migration 0003), so ``role = 'boss'`` is refused there too.
The CLI, the dashboard and the notification texts take their labels from here and nowhere else.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

__all__ = [
    "AlertLevel",
    "BindingSource",
    "BindingState",
    "ExtensionState",
    "ImportOutcomeKind",
    "InboxKind",
    "JurisdictionLevel",
    "Light",
    "MessageKind",
    "OutboxState",
    "PartyKind",
    "ParseDoubt",
    "PolicyStatus",
    "ResponsibilityState",
    "ReviewState",
    "Role",
    "ScheduleSource",
    "Severity",
    "TaskKind",
    "Trend",
    "UserRole",
    "coerce",
    "values",
]


class Role(StrEnum):
    """An agency's part in a task: 牵头, 配合 or 共同负责 (each for its own part, no lead)."""

    LEAD = "lead"
    SUPPORT = "support"
    JOINT = "joint"

    @property
    def label(self) -> str:
        return _ROLE[self]


class ResponsibilityState(StrEnum):
    """交办 → 签收 → 办理 → 申请办结 → 办结, or 退办 after a returned report."""

    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    COMPLETION_REQUESTED = "completion_requested"
    CLOSED = "closed"
    RETURNED = "returned"

    @property
    def label(self) -> str:
        return _RESPONSIBILITY_STATE[self]


class ReviewState(StrEnum):
    """The 复核 state of one report."""

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"

    @property
    def label(self) -> str:
        return _REVIEW_STATE[self]


class ExtensionState(StrEnum):
    """The decision on an extension (延期) request."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return _EXTENSION_STATE[self]


class PolicyStatus(StrEnum):
    """Where a policy document stands."""

    DRAFT = "draft"
    IN_FORCE = "in_force"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return _POLICY_STATUS[self]


class ImportOutcomeKind(StrEnum):
    """What importing one document of several did (``duban import DIR``'s summary)."""

    CREATED = "created"
    UNCHANGED = "unchanged"
    REPLACED = "replaced"
    DRY_RUN = "dry_run"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return _IMPORT_OUTCOME[self]


class Light(StrEnum):
    """The 红黄绿 light of a milestone, responsibility, task or department; ``DONE`` once 办结."""

    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"
    DONE = "done"

    @property
    def label(self) -> str:
        return _LIGHT[self]

    @property
    def mark(self) -> str:
        """One character for narrow columns: 红/黄/绿/结."""
        return _LIGHT_MARK[self]

    @property
    def rank(self) -> int:
        """Worse is higher: done 0 < green 1 < yellow 2 < red 3 (the SQL aggregates use the same ranks)."""
        return _LIGHT_RANK[self]

    @classmethod
    def from_rank(cls, rank: int) -> Light:
        return _RANK_LIGHT[rank]


class Trend(StrEnum):
    """How a department's severity (总览) moved since the previous period: worse, better, the same, or new."""

    UP = "up"
    DOWN = "down"
    SAME = "same"
    NEW = "new"

    @property
    def label(self) -> str:
        return _TREND[self]

    @property
    def arrow(self) -> str:
        """↑ worse, ↓ better, → unchanged, 新 new (documents; screens use :attr:`ascii`)."""
        return _TREND_ARROW[self]

    @property
    def ascii(self) -> str:
        """The arrow without ambiguous-width characters, for fixed-width cells: ^ v -> *."""
        return _TREND_ASCII[self]


class Severity(StrEnum):
    """How serious a finding of a check is: an error refuses a report, a warning is stored as a finding."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def label(self) -> str:
        return _SEVERITY[self]


class UserRole(StrEnum):
    """What a duban user may do."""

    COORDINATOR = "coordinator"
    DEPARTMENT = "department"
    VIEWER = "viewer"

    @property
    def label(self) -> str:
        return _USER_ROLE[self]


class OutboxState(StrEnum):
    """The delivery state of one outbox message."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return _OUTBOX_STATE[self]


class AlertLevel(StrEnum):
    """The level of an alert: 蓝 (due soon), 黄, 红 (overdue), and the non-escalation kinds."""

    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"
    DONE = "done"
    FAILURE = "failure"
    TEST = "test"

    @property
    def label(self) -> str:
        return _ALERT_LEVEL[self]

    @property
    def mark(self) -> str:
        """One character for narrow columns: 蓝/黄/红/结/败/试."""
        return _ALERT_MARK[self]


class MessageKind(StrEnum):
    """What an outbox message is: a department's digest, an escalation, a 办结 notice, a failure notice, a test."""

    DIGEST = "digest"
    ESCALATE = "escalate"
    COMPLETION = "completion"
    FAILURE = "failure"
    TEST = "test"

    @property
    def label(self) -> str:
        return _MESSAGE_KIND[self]


class SilenceScope(StrEnum):
    """What a notification silence mutes: a department (agency in a jurisdiction), a task, or a route."""

    DEPARTMENT = "department"
    TASK = "task"
    ROUTE = "route"

    @property
    def label(self) -> str:
        return {"department": "部门", "task": "任务", "route": "渠道"}[self.value]


class ScheduleSource(StrEnum):
    """Where a schedule rule came from."""

    HINT = "hint"
    CONFIG = "config"
    MANUAL = "manual"
    TEMPLATE = "template"

    @property
    def label(self) -> str:
        return _SCHEDULE_SOURCE[self]


class TaskKind(StrEnum):
    """A task of the document's 任务分工, or the coordinator's reply to a draft (征求意见反馈)."""

    TASK = "task"
    COMMENT = "comment"

    @property
    def label(self) -> str:
        return _TASK_KIND[self]


class JurisdictionLevel(StrEnum):
    """The level of a jurisdiction (GB/T 2260) and of the names an agency uses there."""

    NATIONAL = "national"
    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"
    TOWNSHIP = "township"

    @property
    def label(self) -> str:
        return _JURISDICTION_LEVEL[self]


class BindingState(StrEnum):
    """A template binding (task ↔ agency template): proposed by duban, confirmed or rejected by a coordinator."""

    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return _BINDING_STATE[self]


class BindingSource(StrEnum):
    """Why a template was proposed for a task."""

    SERVES = "serves"  #: the template names the document's task (plugin.toml ``serves``)
    MAPPING = "mapping"  #: the task implements a task the template is bound to (TaskLink)
    KEYWORDS = "keywords"  #: the task's text holds the template's keywords
    MANUAL = "manual"  #: bound by a coordinator

    @property
    def label(self) -> str:
        return _BINDING_SOURCE[self]


class InboxKind(StrEnum):
    """What waits on a user in ``duban inbox``: a decision of the coordinator, or work of a department."""

    REVIEW = "review"
    EXTENSION = "extension"
    UNSIGNED = "unsigned"
    RETURNED = "returned"
    OVERDUE = "overdue"
    DUE = "due"

    @property
    def label(self) -> str:
        return _INBOX_KIND[self]


class PartyKind(StrEnum):
    """What a party named in a 任务分工 is: a registered agency, a name none claims, a local government,
    or a vague group (有关部门, 各有关单位) that the document does not spell out."""

    AGENCY = "agency"
    UNREGISTERED = "unregistered"
    GOVERNMENT = "government"
    GROUP = "group"

    @property
    def label(self) -> str:
        return _PARTY_KIND[self]


class ParseDoubt(StrEnum):
    """What the importer was unsure of in one task; the review step (``import --review``) shows each."""

    UNRESOLVED_NAME = "unresolved_name"  #: a name no registered agency claims
    VAGUE_GROUP = "vague_group"  #: 有关部门 …: kept as written, assigned to nobody yet
    EXPANDED_GROUP = "expanded_group"  #: 各部门 read as every issuer / every department named
    GUESSED_ROLE = "guessed_role"  #: a role the clause does not state (stray comma, names only, convention)
    OPEN_LIST = "open_list"  #: a list closed by 等: more parties may be meant
    SPLIT_CLAUSE = "split_clause"  #: parties gathered from several clauses of one item
    CUT_CLAUSE = "cut_clause"  #: the clause has no closing bracket, or the file ends inside it
    TABLE_CELL = "table_cell"  #: a table row read with a guess (no header, a merged or empty cell)
    UNNUMBERED = "unnumbered"  #: a paragraph without a number under a heading, numbered by its position

    @property
    def label(self) -> str:
        return _PARSE_DOUBT[self]


E = TypeVar("E", bound=StrEnum)


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The stored values of an enum, in declaration order (for CHECK constraints and option lists)."""
    return tuple(member.value for member in enum)


def coerce(enum: type[E], value: object, what: str | None = None) -> E:
    """``value`` as a member of ``enum`` (a member or its stored string, e.g. ``"warning"``).

    Raises ValueError naming the field and the allowed values, e.g.
    ``未知的 severity 'warn'：应为 error、warning、info 之一``.
    """
    if isinstance(value, enum):
        return value
    if isinstance(value, str) and value in values(enum):
        return enum(value)
    raise ValueError(f"未知的 {what or enum.__name__} {value!r}：应为 {'、'.join(values(enum))} 之一")


_ROLE = {Role.LEAD: "牵头", Role.SUPPORT: "配合", Role.JOINT: "共同负责"}
_PARTY_KIND = {
    PartyKind.AGENCY: "部门",
    PartyKind.UNREGISTERED: "未登记的单位",
    PartyKind.GOVERNMENT: "地方政府",
    PartyKind.GROUP: "泛指的单位（待指定）",
}
_PARSE_DOUBT = {
    ParseDoubt.UNRESOLVED_NAME: "单位名称未识别",
    ParseDoubt.VAGUE_GROUP: "泛指的单位待指定",
    ParseDoubt.EXPANDED_GROUP: "“各部门”已展开",
    ParseDoubt.GUESSED_ROLE: "角色系推断",
    ParseDoubt.OPEN_LIST: "以“等”列举",
    ParseDoubt.SPLIT_CLAUSE: "多个责任条款合并",
    ParseDoubt.CUT_CLAUSE: "责任条款不完整",
    ParseDoubt.TABLE_CELL: "表格单元格有推断",
    ParseDoubt.UNNUMBERED: "无编号，按位置编号",
}
_RESPONSIBILITY_STATE = {
    ResponsibilityState.ASSIGNED: "已交办",
    ResponsibilityState.ACKNOWLEDGED: "已签收",
    ResponsibilityState.IN_PROGRESS: "办理中",
    ResponsibilityState.COMPLETION_REQUESTED: "申请办结",
    ResponsibilityState.CLOSED: "已办结",
    ResponsibilityState.RETURNED: "已退办",
}
_REVIEW_STATE = {
    ReviewState.SUBMITTED: "待复核",
    ReviewState.ACCEPTED: "已通过",
    ReviewState.RETURNED: "已退回",
}
_EXTENSION_STATE = {
    ExtensionState.PENDING: "待审批",
    ExtensionState.APPROVED: "已批准",
    ExtensionState.REFUSED: "已驳回",
}
_POLICY_STATUS = {
    PolicyStatus.DRAFT: "征求意见稿",
    PolicyStatus.IN_FORCE: "现行有效",
    PolicyStatus.SUPERSEDED: "已被替换",
    PolicyStatus.WITHDRAWN: "已废止",
}
_LIGHT = {Light.RED: "红", Light.YELLOW: "黄", Light.GREEN: "绿", Light.DONE: "已办结"}
_LIGHT_MARK = {Light.RED: "红", Light.YELLOW: "黄", Light.GREEN: "绿", Light.DONE: "结"}
_LIGHT_RANK = {Light.DONE: 0, Light.GREEN: 1, Light.YELLOW: 2, Light.RED: 3}
_RANK_LIGHT = {rank: light for light, rank in _LIGHT_RANK.items()}
_TREND = {Trend.UP: "变差", Trend.DOWN: "好转", Trend.SAME: "持平", Trend.NEW: "新增"}
_TREND_ARROW = {Trend.UP: "↑", Trend.DOWN: "↓", Trend.SAME: "→", Trend.NEW: "新"}
_TREND_ASCII = {Trend.UP: "^", Trend.DOWN: "v", Trend.SAME: "->", Trend.NEW: "新"}
_SEVERITY = {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.INFO: "提示"}
_USER_ROLE = {UserRole.COORDINATOR: "协调人", UserRole.DEPARTMENT: "部门用户", UserRole.VIEWER: "只读用户"}
_OUTBOX_STATE = {
    OutboxState.PENDING: "待发送",
    OutboxState.SENDING: "发送中",
    OutboxState.SENT: "已发送",
    OutboxState.FAILED: "发送失败",
}
_ALERT_LEVEL = {
    AlertLevel.BLUE: "蓝",
    AlertLevel.YELLOW: "黄",
    AlertLevel.RED: "红",
    AlertLevel.DONE: "办结",
    AlertLevel.FAILURE: "投递失败",
    AlertLevel.TEST: "测试",
}
_ALERT_MARK = {
    AlertLevel.BLUE: "蓝",
    AlertLevel.YELLOW: "黄",
    AlertLevel.RED: "红",
    AlertLevel.DONE: "结",
    AlertLevel.FAILURE: "败",
    AlertLevel.TEST: "试",
}
_MESSAGE_KIND = {
    MessageKind.DIGEST: "部门提醒",
    MessageKind.ESCALATE: "升级督办",
    MessageKind.COMPLETION: "办结通知",
    MessageKind.FAILURE: "投递失败",
    MessageKind.TEST: "测试消息",
}
_SCHEDULE_SOURCE = {
    ScheduleSource.HINT: "文件提示",
    ScheduleSource.CONFIG: "默认周期",
    ScheduleSource.MANUAL: "手工设定",
    ScheduleSource.TEMPLATE: "部门模板",
}
_IMPORT_OUTCOME = {
    ImportOutcomeKind.CREATED: "已导入",
    ImportOutcomeKind.UNCHANGED: "未变",
    ImportOutcomeKind.REPLACED: "已替换",
    ImportOutcomeKind.DRY_RUN: "试运行",
    ImportOutcomeKind.FAILED: "失败",
}
_TASK_KIND = {TaskKind.TASK: "任务", TaskKind.COMMENT: "征求意见反馈"}
_JURISDICTION_LEVEL = {
    JurisdictionLevel.NATIONAL: "国家",
    JurisdictionLevel.PROVINCE: "省级",
    JurisdictionLevel.PREFECTURE: "市（州）级",
    JurisdictionLevel.COUNTY: "县级",
    JurisdictionLevel.TOWNSHIP: "乡级",
}
_BINDING_STATE = {
    BindingState.PROPOSED: "待确认",
    BindingState.CONFIRMED: "已确认",
    BindingState.REJECTED: "已驳回",
}
_BINDING_SOURCE = {
    BindingSource.SERVES: "模板声明",
    BindingSource.MAPPING: "任务映射",
    BindingSource.KEYWORDS: "关键词",
    BindingSource.MANUAL: "手工绑定",
}
_INBOX_KIND = {
    InboxKind.REVIEW: "待复核",
    InboxKind.EXTENSION: "待审批延期",
    InboxKind.UNSIGNED: "待签收",
    InboxKind.RETURNED: "被退回重报",
    InboxKind.OVERDUE: "逾期未报",
    InboxKind.DUE: "即将到期",
}
