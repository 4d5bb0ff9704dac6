"""Importing a policy document: read, parse, compare with what is stored, write in one transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from duban.domain.agencies import AgencyRegistry
from duban.domain.jsonable import JsonResult
from duban.domain.jurisdictions import code_for_name
from duban.domain.policy_diff import PolicyDiff, TaskFacts, diff_tasks
from duban.domain.vocabulary import PolicyStatus, TaskKind
from duban.errors import ConflictError, NotFoundError
from duban.importing.model import ImportDocument, ParsedPolicy, ParseWarning
from duban.importing.parser import parse_policy
from duban.importing.readers import read_document
from duban.plugin_host import PluginHost
from duban.services import audit
from duban.services.clock import local_today
from duban.services.identity import Actor, require_coordinator
from duban.services.reference import sync_agencies
from duban.services.supervision import DEFAULT_COORDINATOR_AGENCY, ensure_comment_duty
from duban.storage.models import Agency, Jurisdiction, Policy, Responsibility, Task


@dataclass(frozen=True, slots=True)
class ImportResult(JsonResult):
    """What an import did (``status``) and the document as parsed.

    ``duban import --json`` prints ``document.to_json()`` — the parse with the parser's and the import's
    warnings — which is the documented shape; ``to_json()`` of the whole result adds the outcome.
    """

    status: Literal["created", "unchanged", "replaced", "dry_run"]
    document: ImportDocument
    policy_id: int | None = None
    replaced_id: int | None = None
    diff: PolicyDiff | None = None  #: against the stored version of the same document, if any
    #: the day supervision of the stored policy starts (None on a dry run)
    supervision_start: dt.date | None = None


def registry_from(host: PluginHost) -> AgencyRegistry:
    return AgencyRegistry(host.agencies())


def parse_file(path: Path, *, host: PluginHost, strict: bool = False) -> tuple[ParsedPolicy, str]:
    """Read and parse a document; returns the parse and the sha256 of the file's bytes.

    ``strict`` refuses a department name no registered agency claims (local governments are parties too).
    """
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    document = read_document(path, host.document_readers())
    parsed = parse_policy(
        document.text, registry_from(host), source=str(path), strict=strict, tables=document.tables
    )
    return parsed, digest


def _facts_of_parse(parsed: ParsedPolicy) -> list[TaskFacts]:
    return [
        TaskFacts(
            t.section, t.number, t.text, frozenset((r.agency or r.name, r.role) for r in t.responsibilities)
        )
        for t in parsed.tasks
    ]


def _facts_of_policy(policy: Policy) -> list[TaskFacts]:
    """The stored version's tasks with the parties the document named (not rows a cascade added below)."""

    def own(r: Responsibility) -> bool:
        return policy.jurisdiction_code is None or r.jurisdiction_code == policy.jurisdiction_code

    return [
        TaskFacts(
            t.section,
            t.number,
            t.text,
            frozenset((r.agency_key or r.name_as_written, r.role) for r in t.responsibilities if own(r)),
        )
        for t in policy.tasks
        if t.kind == TaskKind.TASK  # not the comment duty duban adds to a draft
    ]


def _find_previous(session: Session, parsed: ParsedPolicy) -> Policy | None:
    """The current (not superseded) version of the same document: same doc number, or same title and issuers."""
    stmt = (
        select(Policy)
        .where(Policy.superseded_by_id.is_(None))
        .options(selectinload(Policy.tasks).selectinload(Task.responsibilities))
    )
    if parsed.doc_number:
        stmt = stmt.where(Policy.doc_number == parsed.doc_number)
    elif parsed.title:
        stmt = stmt.where(Policy.title == parsed.title)
    else:
        return None
    for policy in session.execute(stmt).scalars():
        if parsed.doc_number or sorted(policy.issuers) == sorted(parsed.issuers):
            return policy
    return None


def _jurisdiction_code(session: Session, parsed: ParsedPolicy, override: str | None) -> str | None:
    if override:
        if session.get(Jurisdiction, override) is None:
            raise NotFoundError(f"没有代码为 {override} 的行政区划（见 duban jurisdictions）")
        return override
    return code_for_name(parsed.jurisdiction) if parsed.jurisdiction else None


def import_policy(
    session: Session,
    *,
    actor: Actor,
    host: PluginHost,
    path: Path,
    dry_run: bool = False,
    strict: bool = False,
    jurisdiction: str | None = None,
    implements: str | None = None,
    replace: bool = False,
    supervision_start: dt.date | None = None,
    today: dt.date | None = None,
    coordinator_agency: str | None = DEFAULT_COORDINATOR_AGENCY,
) -> ImportResult:
    """Import ``path``. Same file twice: unchanged. A changed version of a stored document needs ``replace``.

    Supervision starts on ``supervision_start`` (``--from``), by default ``today`` (the import day); a new
    version (``replace``) keeps the start of the version it replaces. A draft with a comment deadline on or
    after the start gets the coordinator's comment duty (see duban.services.supervision).
    """
    require_coordinator(actor, "导入政策文件")
    today = today or local_today()
    parsed, digest = parse_file(path, host=host, strict=strict)
    warnings: list[ParseWarning] = []
    code = _jurisdiction_code(session, parsed, jurisdiction)
    if code is None:
        warnings.append(ParseWarning(None, "未能确定发文辖区，请用 --jurisdiction 指定"))
    parent_number = implements or parsed.implements
    parent = None
    if parent_number:
        parent = session.scalar(
            select(Policy).where(Policy.doc_number == parent_number, Policy.superseded_by_id.is_(None))
        )
        if parent is None:
            warnings.append(ParseWarning(None, f"所依据的文件 {parent_number} 尚未导入，暂只记录文号"))

    previous = _find_previous(session, parsed)
    if previous is not None and previous.source_sha256 == digest:
        if supervision_start is not None and supervision_start != previous.supervision_start:
            warnings.append(
                ParseWarning(
                    None,
                    f"文件未变，督办起始日仍为 {previous.supervision_start}；"
                    "要改用 duban schedule start --policy 政策 日期",
                )
            )
        return ImportResult(
            "unchanged",
            ImportDocument.of(parsed, warnings),
            previous.id,
            supervision_start=previous.supervision_start,
        )
    diff = diff_tasks(_facts_of_policy(previous), _facts_of_parse(parsed)) if previous else None
    if previous is not None and not replace and not dry_run:
        changes = "；".join(diff.lines()) if diff and not diff.empty else "任务未变，元数据或文字有变化"
        raise ConflictError(
            f"{path}: 已导入过同一文件的另一版本（政策 #{previous.id} {previous.doc_number or previous.title}）。"
            f"差异：{changes}。确认要替换请加 --replace（旧版本保留在历史中）"
        )
    if dry_run:
        return ImportResult(
            "dry_run", ImportDocument.of(parsed, warnings), previous.id if previous else None, diff=diff
        )

    sync_agencies(session, host=host, actor=actor.name)
    known = set(session.scalars(select(Agency.key)))
    start = supervision_start or (previous.supervision_start if previous is not None else None) or today
    policy = Policy(
        doc_number=parsed.doc_number,
        title=parsed.title or path.stem,
        issuers=list(parsed.issuers),
        jurisdiction_code=code,
        level=parsed.level,
        issued=parsed.issued,
        status=parsed.status,
        comment_deadline=parsed.comment_deadline,
        supervision_start=start,
        implements_id=parent.id if parent else None,
        implements_doc_number=parent_number,
        source_name=path.name,
        source_sha256=digest,
    )
    for position, item in enumerate(parsed.tasks, start=1):
        task = Task(
            section=item.section,
            number=item.number,
            text=item.text,
            position=position,
            schedule_hints=[dict(h) for h in item.schedule_hints],
        )
        for party in item.responsibilities:
            task.responsibilities.append(
                Responsibility(
                    agency_key=party.agency if party.agency in known else None,
                    name_as_written=party.name,
                    jurisdiction_code=code,
                    role=party.role,
                )
            )
        policy.tasks.append(task)
    session.add(policy)
    session.flush()
    if previous is not None:
        previous.superseded_by_id = policy.id
        previous.status = PolicyStatus.SUPERSEDED
    comment, comment_warning = ensure_comment_duty(
        session, policy, agency_key=coordinator_agency, start=start
    )
    if comment_warning:
        warnings.append(ParseWarning(None, comment_warning))
    audit.record(
        session,
        actor=actor.name,
        action="policy.import" if previous is None else "policy.replace",
        entity_type="policy",
        entity_id=policy.id,
        before={"policy_id": previous.id} if previous else None,
        after={
            "doc_number": policy.doc_number,
            "title": policy.title,
            "sha256": digest,
            "tasks": len(parsed.tasks),
            "changes": diff.lines() if diff else [],
            "supervision_start": start,
            "comment_task": comment.id if comment else None,
        },
    )
    return ImportResult(
        "replaced" if previous else "created",
        ImportDocument.of(parsed, warnings),
        policy.id,
        replaced_id=previous.id if previous else None,
        diff=diff,
        supervision_start=start,
    )
