"""The result of importing several documents in one run (``duban import DIR`` / ``duban import A B C``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import ImportOutcomeKind

if TYPE_CHECKING:
    from duban.services.importing import ImportResult


@dataclass(frozen=True, slots=True)
class ImportOutcome(JsonResult):
    """One document: what happened to it, the policy it became, or why it failed (and that error's exit code)."""

    file: str
    outcome: ImportOutcomeKind
    doc_number: str | None = None
    title: str | None = None
    tasks: int | None = None
    policy_id: int | None = None
    warnings: int = 0
    message: str | None = None
    exit_code: int = 0

    @classmethod
    def of(cls, path: Path, result: ImportResult) -> ImportOutcome:
        policy = result.document.policy
        return cls(
            file=path.name,
            outcome=ImportOutcomeKind(result.status),
            doc_number=policy.doc_number,
            title=policy.title,
            tasks=len(result.document.tasks),
            policy_id=result.policy_id,
            warnings=len(result.document.warnings),
        )

    @classmethod
    def failed(cls, path: Path, message: str, exit_code: int) -> ImportOutcome:
        return cls(file=path.name, outcome=ImportOutcomeKind.FAILED, message=message, exit_code=exit_code)


@dataclass(frozen=True, slots=True)
class ImportSummary(JsonResult):
    """Every document of the run, in the order imported."""

    outcomes: tuple[ImportOutcome, ...]

    def counts(self) -> dict[ImportOutcomeKind, int]:
        """How many documents ended each way (only the outcomes that occurred, in the enum's order)."""
        found = [o.outcome for o in self.outcomes]
        return {kind: found.count(kind) for kind in ImportOutcomeKind if kind in found}

    @property
    def exit_code(self) -> int:
        """0 when every document imported; else the exit code of the first document that failed."""
        return next((o.exit_code for o in self.outcomes if o.outcome is ImportOutcomeKind.FAILED), 0)
