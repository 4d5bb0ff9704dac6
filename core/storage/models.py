"""Typed SQLAlchemy 2 models of duban's domain.

Times are stored in UTC (:class:`UTCDateTime` returns aware datetimes on SQLite and PostgreSQL alike);
calendar dates (due dates, issue dates) are plain dates in the configured time zone.

Roles, states, levels and severities are the enums of :mod:`duban.domain.vocabulary`: stored as their
string values in a VARCHAR with a named CHECK constraint (``ck_<table>_<column>``, migration 0003), read
back as enum members (see :func:`vocabulary_type`).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from duban.domain.vocabulary import (
    AlertLevel,
    BindingSource,
    BindingState,
    ExtensionState,
    JurisdictionLevel,
    MessageKind,
    OutboxState,
    PolicyStatus,
    ResponsibilityState,
    ReviewState,
    Role,
    ScheduleSource,
    Severity,
    SilenceScope,
    TaskKind,
    UserRole,
    values,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def vocabulary_type(enum: type[StrEnum], length: int, name: str) -> Enum:
    """A column type for one enum of the vocabulary: VARCHAR(``length``) with a CHECK constraint named
    ``ck_<table>_<name>`` (``name`` is the column's name) that admits exactly ``values(enum)``.

    Python gets enum members back; writing a string that is not a value raises LookupError before the
    database is reached, and raw SQL is refused by the CHECK.
    """
    return Enum(
        enum,
        name=name,
        length=length,
        native_enum=False,
        create_constraint=True,
        values_callable=values,
        validate_strings=True,
    )


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    #: every model here is mapped to a Table (DeclarativeBase types it as any FromClause), so Core
    #: statements (insert, update) take ``Model.__table__`` as it is
    __table__: ClassVar[Table]


class Jurisdiction(Base):
    """An administrative division, identified by its GB/T 2260 code (000000 = 全国)."""

    __tablename__ = "jurisdiction"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[JurisdictionLevel] = mapped_column(vocabulary_type(JurisdictionLevel, 16, "level"))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("jurisdiction.code"), index=True)


class Agency(Base):
    """An agency (部门) contributed by a department plugin."""

    __tablename__ = "agency"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    successor_key: Mapped[str | None] = mapped_column(ForeignKey("agency.key"))
    successor_since: Mapped[dt.date | None] = mapped_column(Date)
    plugin: Mapped[str | None] = mapped_column(String(100))


class Policy(Base):
    """An imported policy document. A replaced version stays, with ``superseded_by_id`` set."""

    __tablename__ = "policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doc_number: Mapped[str | None] = mapped_column(String(100), index=True)
    title: Mapped[str] = mapped_column(String(300))
    issuers: Mapped[list[str]] = mapped_column(JSON, default=list)
    jurisdiction_code: Mapped[str | None] = mapped_column(ForeignKey("jurisdiction.code"))
    level: Mapped[JurisdictionLevel | None] = mapped_column(vocabulary_type(JurisdictionLevel, 16, "level"))
    issued: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[PolicyStatus] = mapped_column(
        vocabulary_type(PolicyStatus, 16, "status"), default=PolicyStatus.IN_FORCE
    )
    comment_deadline: Mapped[dt.date | None] = mapped_column(Date)
    #: the first day duban supervises this policy: no milestone falls before it (see docs/schedules.md).
    #: Set on import (``--from``, default the import day); None only for rows written outside the import.
    supervision_start: Mapped[dt.date | None] = mapped_column(Date)
    implements_id: Mapped[int | None] = mapped_column(ForeignKey("policy.id"))
    implements_doc_number: Mapped[str | None] = mapped_column(String(100))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("policy.id"))
    source_name: Mapped[str | None] = mapped_column(String(300))
    source_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    tasks: Mapped[list[Task]] = relationship(
        back_populates="policy", order_by="Task.position", cascade="all, delete-orphan"
    )


class Task(Base):
    """A numbered task of a policy's 任务分工, identified by section and number.

    ``kind`` is ``task`` for the document's own tasks and ``comment`` for the one duty duban adds to a draft
    (征求意见稿) with a comment deadline: the coordinator's reply, due on that deadline.
    """

    __tablename__ = "task"
    __table_args__ = (UniqueConstraint("policy_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policy.id", ondelete="CASCADE"), index=True)
    section: Mapped[str | None] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    schedule_hints: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    template_key: Mapped[str | None] = mapped_column(String(80))
    kind: Mapped[TaskKind] = mapped_column(
        vocabulary_type(TaskKind, 16, "kind"), default=TaskKind.TASK, server_default=TaskKind.TASK.value
    )

    policy: Mapped[Policy] = relationship(back_populates="tasks")
    responsibilities: Mapped[list[Responsibility]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="Responsibility.id"
    )


class TaskLink(Base):
    """A task implementing a task of the parent policy, proposed by duban or confirmed by a coordinator."""

    __tablename__ = "task_link"
    __table_args__ = (UniqueConstraint("child_task_id", "parent_task_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    parent_task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    confidence: Mapped[float] = mapped_column(default=0.0)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)


class Responsibility(Base):
    """An agency's part in a task, in one jurisdiction, with its role and lifecycle state.

    ``name_as_written`` keeps the department name from the document; ``agency_key`` is None when no
    registered agency claims it.
    """

    __tablename__ = "responsibility"
    __table_args__ = (
        Index("ix_responsibility_agency_state", "agency_key", "jurisdiction_code", "state"),
        Index("ix_responsibility_jurisdiction", "jurisdiction_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    agency_key: Mapped[str | None] = mapped_column(ForeignKey("agency.key"))
    name_as_written: Mapped[str] = mapped_column(String(200))
    jurisdiction_code: Mapped[str | None] = mapped_column(ForeignKey("jurisdiction.code"))
    role: Mapped[Role] = mapped_column(vocabulary_type(Role, 8, "role"))
    state: Mapped[ResponsibilityState] = mapped_column(
        vocabulary_type(ResponsibilityState, 24, "state"), default=ResponsibilityState.ASSIGNED
    )
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)

    task: Mapped[Task] = relationship(back_populates="responsibilities")

    __mapper_args__ = {"version_id_col": version}


class AgencyAlias(Base):
    """A name as written in a document that a coordinator mapped to an agency when correcting an import
    (``duban import --answers`` / ``--review``); the next import's registry resolves it (``duban alias``)."""

    __tablename__ = "agency_alias"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)  #: normalised (no whitespace, NFKC)
    agency_key: Mapped[str] = mapped_column(ForeignKey("agency.key"), index=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    source_name: Mapped[str | None] = mapped_column(String(255))  #: the file whose import taught it


class Schedule(Base):
    """A schedule rule for a task or one of its responsibilities (see duban.domain.schedule)."""

    __tablename__ = "schedule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    responsibility_id: Mapped[int | None] = mapped_column(
        ForeignKey("responsibility.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(String(200))
    start: Mapped[dt.date | None] = mapped_column(Date)
    end: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[ScheduleSource] = mapped_column(
        vocabulary_type(ScheduleSource, 16, "source"), default=ScheduleSource.MANUAL
    )
    confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    #: a proposed (hint) schedule the coordinator removed: kept so that it is not proposed again
    rejected: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)


class Milestone(Base):
    """One due date of a responsibility. ``key`` (task, responsibility, period) makes generation idempotent."""

    __tablename__ = "milestone"
    __table_args__ = (Index("ix_milestone_open_due", "responsibility_id", "effective_due_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    responsibility_id: Mapped[int] = mapped_column(
        ForeignKey("responsibility.id", ondelete="CASCADE"), index=True
    )
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedule.id", ondelete="SET NULL"))
    period: Mapped[str] = mapped_column(String(40))
    due_date: Mapped[dt.date] = mapped_column(Date, index=True)
    effective_due_date: Mapped[dt.date] = mapped_column(Date, index=True)
    #: the day of the first report on this milestone. Reports are never deleted and corrections come later,
    #: so "reported by day D" is exactly ``first_report_on <= D`` — the status queries need no scan of reports.
    first_report_on: Mapped[dt.date | None] = mapped_column(Date)
    #: a milestone the coordinator withdrew (撤回) is kept, with who, when and why, and counts nowhere
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[str | None] = mapped_column(String(80))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)


class Report(Base):
    """A progress report of a responsibility for a milestone. Corrections are new versions."""

    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("responsibility_id", "milestone_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    responsibility_id: Mapped[int] = mapped_column(
        ForeignKey("responsibility.id", ondelete="CASCADE"), index=True
    )
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("milestone.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text, default="")
    indicators: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    submitted_by: Mapped[str] = mapped_column(String(80))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_on: Mapped[dt.date] = mapped_column(Date, index=True)
    review_state: Mapped[ReviewState] = mapped_column(
        vocabulary_type(ReviewState, 16, "review_state"), default=ReviewState.SUBMITTED
    )
    review_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(80))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reviewed_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)


class Extension(Base):
    """A 延期申请 for a milestone and its decision."""

    __tablename__ = "extension"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestone.id", ondelete="CASCADE"), index=True)
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    progress: Mapped[str] = mapped_column(Text, default="")
    new_date: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[ExtensionState] = mapped_column(
        vocabulary_type(ExtensionState, 16, "state"), default=ExtensionState.PENDING
    )
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    decision_reason: Mapped[str | None] = mapped_column(Text)


def _first_seen_default(context: Any) -> dt.date:
    """A finding written without ``first_seen`` was first seen the day it was created."""
    created = context.get_current_parameters().get("created_at")
    return (created or utcnow()).date()


class Finding(Base):
    """What a plugin check found about a report or a responsibility.

    A report finding (``report_id`` set) is written once, with the report. A responsibility finding
    (``report_id`` NULL) comes from ``duban_check_responsibility`` whenever status is computed for a day: one
    row per responsibility, plugin and code (a partial unique index), seen from ``first_seen`` to
    ``last_seen`` (the check days), ``resolved_on`` the first check day on which the plugin no longer
    found it (NULL while open).
    """

    __tablename__ = "finding"
    __table_args__ = (
        Index(
            "uq_finding_responsibility_check",
            "responsibility_id",
            "plugin",
            "code",
            unique=True,
            sqlite_where=text("report_id IS NULL"),
            postgresql_where=text("report_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    responsibility_id: Mapped[int | None] = mapped_column(
        ForeignKey("responsibility.id", ondelete="CASCADE"), index=True
    )
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestone.id", ondelete="CASCADE"))
    plugin: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(80))
    severity: Mapped[Severity] = mapped_column(vocabulary_type(Severity, 8, "severity"))
    message: Mapped[str] = mapped_column(Text)
    indicator: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_seen: Mapped[dt.date] = mapped_column(Date, default=_first_seen_default)
    last_seen: Mapped[dt.date | None] = mapped_column(Date)
    resolved_on: Mapped[dt.date | None] = mapped_column(Date)


class TemplateBinding(Base):
    """An agency template bound to a task (the agency's reports on the task are checked against it).

    Proposed by ``duban template propose`` (from the template's ``serves``/``keywords``, or through the task
    mapping), confirmed or rejected by a coordinator; a rejected proposal is kept so that it is not proposed
    again. One task may carry templates of several agencies (and an agency several templates).
    """

    __tablename__ = "template_binding"
    __table_args__ = (UniqueConstraint("task_id", "agency_key", "template_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    agency_key: Mapped[str] = mapped_column(ForeignKey("agency.key"))
    template_key: Mapped[str] = mapped_column(String(80))
    source: Mapped[BindingSource] = mapped_column(vocabulary_type(BindingSource, 16, "source"))
    state: Mapped[BindingState] = mapped_column(
        vocabulary_type(BindingState, 16, "state"), default=BindingState.PROPOSED
    )
    score: Mapped[float] = mapped_column(default=0.0)
    reason: Mapped[str] = mapped_column(Text, default="")
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)


class CheckRun(Base):
    """One run of the responsibility checks for a day and a scope: what it saw and which plugins failed.

    ``fingerprint`` sums up the data the checks read (the audit journal's last entry, the newest milestone,
    report, extension, responsibility and binding, and the checking plugins); a run for the same day, a
    scope it covers and the same fingerprint is not repeated.
    """

    __tablename__ = "check_run"
    __table_args__ = (Index("ix_check_run_as_of_scope", "as_of", "scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(300))
    ran_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    responsibilities: Mapped[int] = mapped_column(Integer, default=0)
    found: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    faults: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class OutboxMessage(Base):
    """A notification duban intends to send, written before it is sent (idempotency key unique)."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_kind_receiver_period", "kind", "receiver", "period"),
        Index("ix_outbox_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[MessageKind] = mapped_column(vocabulary_type(MessageKind, 16, "kind"))
    period: Mapped[dt.date | None] = mapped_column(Date)  # the run day (as of) that planned it
    receiver: Mapped[str] = mapped_column(String(100), index=True)
    level: Mapped[AlertLevel] = mapped_column(vocabulary_type(AlertLevel, 16, "level"))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[OutboxState] = mapped_column(
        vocabulary_type(OutboxState, 24, "state"), default=OutboxState.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: the run that holds the lease (a random token): only it renews the lease and marks the message
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    #: ``duban notify retry``: permanent failures recorded before this time no longer count
    retried_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: a digest's items and levels (a hash): ``changes_only`` skips a digest equal to the last one sent
    fingerprint: Mapped[str | None] = mapped_column(String(64))


class NotificationSilence(Base):
    """A silence: no messages for a department, a task or a route until ``ends_at`` (author, reason)."""

    __tablename__ = "notification_silence"
    __table_args__ = (Index("ix_notification_silence_active", "scope", "target", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[SilenceScope] = mapped_column(vocabulary_type(SilenceScope, 16, "scope"))
    #: ``minzheng@530000`` (department), a task id (task), a route's name or key (route)
    target: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    removed_by: Mapped[str | None] = mapped_column(String(200))


class NotificationAttempt(Base):
    """One delivery attempt of an outbox message to one URL, with apprise's (or our own) verdict."""

    __tablename__ = "notification_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id", ondelete="CASCADE"), index=True)
    url_redacted: Mapped[str] = mapped_column(String(500))
    route_key: Mapped[str | None] = mapped_column(
        String(16)
    )  # which configured route (stable hash of its URL)
    part: Mapped[int | None] = mapped_column(Integer)  # which part of a digest split for the channel's limit
    parts: Mapped[int | None] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean)
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(Base):
    """Append-only journal; each event carries the hash of the previous one."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: who acted; "X 代 Y" when X (the login the database proved) acted as Y (see duban.services.audit.record)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    task_id: Mapped[int | None] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class User(Base):
    """A person acting in duban: coordinator, department user (one agency, one jurisdiction) or viewer."""

    __tablename__ = "app_user"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[UserRole] = mapped_column(vocabulary_type(UserRole, 16, "role"))
    agency_key: Mapped[str | None] = mapped_column(ForeignKey("agency.key"))
    jurisdiction_code: Mapped[str | None] = mapped_column(ForeignKey("jurisdiction.code"))
    os_login: Mapped[str | None] = mapped_column(String(80), unique=True)
    #: PostgreSQL: the login role this person connects as (``duban user add`` creates it); duban's acting user
    #: is the row whose ``db_role`` is ``current_user`` (docs/deployment.md)
    db_role: Mapped[str | None] = mapped_column(String(63), unique=True)


class CalendarDay(Base):
    """An exception to the Monday–Friday week: a holiday (休) or a make-up working day (调休上班)."""

    __tablename__ = "calendar_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(String(40))


class CalendarYear(Base):
    """Which years the calendar table covers, and from where (a year absent here falls back to Mon–Fri)."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(60))
    has_makeup_days: Mapped[bool] = mapped_column(Boolean, default=True)


class AppMeta(Base):
    """Facts about the database itself (e.g. ``demo = "1"`` for a database built by ``duban demo``)."""

    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Assessment(Base):
    """A frozen (published) 考核 result. ``result`` is canonical JSON; ``sha256`` is over its UTF-8 bytes."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(16), index=True)
    scheme: Mapped[str] = mapped_column(String(80))
    jurisdiction_code: Mapped[str | None] = mapped_column(ForeignKey("jurisdiction.code"))
    as_of: Mapped[dt.date] = mapped_column(Date)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    frozen_by: Mapped[str] = mapped_column(String(80))
    frozen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(Report, "after_insert")
def _keep_first_report_on(_mapper: Any, connection: Any, report: Report) -> None:
    """Maintain ``Milestone.first_report_on`` for every report written through the ORM (bulk Core inserts,
    as in the national demo generator, set it themselves)."""
    if report.milestone_id is None:
        return
    connection.execute(
        update(Milestone.__table__)
        .where(
            Milestone.__table__.c.id == report.milestone_id,
            or_(
                Milestone.__table__.c.first_report_on.is_(None),
                Milestone.__table__.c.first_report_on > report.submitted_on,
            ),
        )
        .values(first_report_on=report.submitted_on)
    )


@event.listens_for(Report, "after_delete")
def _recompute_first_report_on(_mapper: Any, connection: Any, report: Report) -> None:
    """Reports are never deleted by duban itself; should one be (by hand, by a test), keep the invariant."""
    if report.milestone_id is None:
        return
    report_table, milestone_table = Report.__table__, Milestone.__table__
    first = (
        select(func.min(report_table.c.submitted_on))
        .where(report_table.c.milestone_id == report.milestone_id)
        .scalar_subquery()
    )
    connection.execute(
        update(milestone_table)
        .where(milestone_table.c.id == report.milestone_id)
        .values(first_report_on=first)
    )
