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
from duban.importing.model import DocumentSource, ImportDocument, ParsedPolicy, ParseWarning
from duban.importing.parser import parse_policy
from duban.importing.readers import read_document
from duban.plugin_host import PluginHost
from duban.services import audit
from duban.services.aliases import alias_map, remember_aliases
from duban.services.clock import local_today
from duban.services.identity import Actor, require_coordinator
from duban.services.import_review import apply_answers, learned_aliases
from duban.services.reference import sync_agencies
from duban.services.supervision import DEFAULT_COORDINATOR_AGENCY, ensure_comment_duty
from duban.storage.models import Agency, Jurisdiction, Policy, Responsibility, Task
from duban.testing_points import pause


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


#: the warning of a dry run made without a database (``duban import --dry-run`` before ``duban init``)
NO_DATABASE_WARNING = "没有数据库：只解析了文件，未与已导入的版本比较，也未使用学到的部门别名"


def registry_from(host: PluginHost, session: Session | None = None) -> AgencyRegistry:
    """The agencies the plugins register, plus the aliases coordinators taught (``duban alias``)."""
    return AgencyRegistry(host.agencies(), alias_map(session) if session is not None else None)


def parse_file(
    path: Path, *, host: PluginHost, strict: bool = False, registry: AgencyRegistry | None = None
) -> tuple[ParsedPolicy, str]:
    """Read and parse a document; returns the parse and the sha256 of the file's bytes.

    ``strict`` refuses a department name no registered agency claims (local governments are parties too).
    """
    document = read_document(path, host.document_readers())  # the size guard runs before anything is read
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    parsed = parse_policy(
        document.text,
        registry or registry_from(host),
        source=str(path),
        strict=strict,
        tables=document.tables,
    )
    return parsed, digest


def preview_document(
    path: Path, *, host: PluginHost, session: Session | None = None, strict: bool = False
) -> ImportDocument:
    """The parse of ``path`` as an answers document (with ``source``), for ``--review`` and ``--json``."""
    parsed, digest = parse_file(path, host=host, strict=strict, registry=registry_from(host, session))
    return ImportDocument.of(parsed, source=DocumentSource(path.name, digest))


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


def _jurisdiction_code(session: Session | None, parsed: ParsedPolicy, override: str | None) -> str | None:
    if override:
        if session is not None and session.get(Jurisdiction, override) is None:
            raise NotFoundError(f"没有代码为 {override} 的行政区划（见 duban jurisdictions）")
        return override
    return code_for_name(parsed.jurisdiction) if parsed.jurisdiction else None


def import_policy(
    session: Session | None,
    *,
    actor: Actor | None,
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
    answers: ImportDocument | None = None,
    answers_name: str = "复核结果",
) -> ImportResult:
    """Import ``path``. Same file twice: unchanged. A changed version of a stored document needs ``replace``.

    Supervision starts on ``supervision_start`` (``--from``), by default ``today`` (the import day); a new
    version (``replace``) keeps the start of the version it replaces. A draft with a comment deadline on or
    after the start gets the coordinator's comment duty (see duban.services.supervision).

    ``answers`` (``--answers``, or the dashboard's preview): the coordinator's corrected task list, used
    instead of the parse (checked by :func:`duban.services.import_review.apply_answers`; ``answers_name``
    names it in errors); the names it maps to agencies are remembered as aliases (``duban alias``).

    ``session`` None: a dry run without a database (parse only, no comparison with stored versions).
    """
    if session is None and not dry_run:
        raise ValueError("import_policy without a session is a dry run only")
    if session is not None:
        if actor is None:
            raise ValueError("import_policy on a database needs the acting user")
        require_coordinator(actor, "导入政策文件")
    today = today or local_today()
    registry = registry_from(host, session)
    raw, digest = parse_file(path, host=host, strict=strict, registry=registry)
    parsed = raw
    if answers is not None:
        parsed = apply_answers(raw, answers, registry=registry, sha256=digest, answers_name=answers_name)
    source = DocumentSource(path.name, digest)
    warnings: list[ParseWarning] = []
    if session is None:
        warnings.append(ParseWarning(None, NO_DATABASE_WARNING))
        if _jurisdiction_code(None, parsed, jurisdiction) is None:
            warnings.append(ParseWarning(None, "未能确定发文辖区，请用 --jurisdiction 指定"))
        return ImportResult("dry_run", ImportDocument.of(parsed, warnings, source))
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
    diff = diff_tasks(_facts_of_policy(previous), _facts_of_parse(parsed)) if previous else None
    if (
        previous is not None
        and previous.source_sha256 == digest
        and (answers is None or (diff is not None and diff.empty))
    ):
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
            ImportDocument.of(parsed, warnings, source),
            previous.id,
            supervision_start=previous.supervision_start,
        )
    if previous is not None and not replace and not dry_run:
        changes = "；".join(diff.lines()) if diff and not diff.empty else "任务未变，元数据或文字有变化"
        raise ConflictError(
            f"{path}: 已导入过同一文件的另一版本（政策 #{previous.id} {previous.doc_number or previous.title}）。"
            f"差异：{changes}。确认要替换请加 --replace（旧版本保留在历史中）"
        )
    if dry_run:
        return ImportResult(
            "dry_run",
            ImportDocument.of(parsed, warnings, source),
            previous.id if previous else None,
            diff=diff,
        )
    assert actor is not None

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
    learned = learned_aliases(raw, parsed, registry) if answers is not None else ()
    remember_aliases(session, ((a.name, a.agency) for a in learned), actor=actor.name, source_name=path.name)
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
            "answers": answers_name if answers is not None else None,
            "aliases": [f"{a.name}→{a.agency}" for a in learned],
        },
    )
    session.flush()
    pause("import.before_commit")
    return ImportResult(
        "replaced" if previous else "created",
        ImportDocument.of(parsed, warnings, source),
        policy.id,
        replaced_id=previous.id if previous else None,
        diff=diff,
        supervision_start=start,
    )
