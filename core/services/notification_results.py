"""What :mod:`duban.services.notifications` returns: a run (planned and sent), delivery outcomes, the log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from duban.domain.jsonable import JsonResult
from duban.domain.vocabulary import AlertLevel, OutboxState
from duban.services.check_results import CheckRunResult


@dataclass(frozen=True, slots=True)
class PlannedMessage(JsonResult):
    """An outbox row a run wrote: to whom, at which level, and when it may go out (``send_at``, UTC)."""

    key: str  #: the idempotency key kind|receiver|period|level
    receiver: str
    level: AlertLevel
    subject: str
    body: str
    send_at: dt.datetime


@dataclass(frozen=True, slots=True)
class DeliveryAttempt(JsonResult):
    """One part sent to one route (the URL with its secrets hidden)."""

    url: str
    ok: bool
    permanent: bool  #: a failure that retrying will not fix
    detail: str | None


@dataclass(frozen=True, slots=True)
class DeliveryOutcome(JsonResult):
    """A message after one sending attempt: its state, and what each route said. ``possible_duplicates``
    counts the parts sent again because a run that crashed had claimed them without recording whether they
    arrived: each may have reached its receiver twice (可能重复发送)."""

    id: int
    receiver: str
    level: AlertLevel
    state: OutboxState
    attempts: tuple[DeliveryAttempt, ...]
    possible_duplicates: int = 0


@dataclass(frozen=True, slots=True)
class SkippedDigest(JsonResult):
    """A digest a run did not write: ``reason`` is ``silenced`` (a silence of the department or of a task
    of it), ``interval`` (``min_interval_days``) or ``unchanged`` (``changes_only``); ``detail`` says why."""

    receiver: str
    name: str  #: the receiver's Chinese name (云南省民政厅)
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class RunReport(JsonResult):
    """``duban notify``: what a run planned and sent (for ``--json``, the CLI and the dashboard).

    ``unrouted`` names the receivers a message was due for but that have no route; ``held`` counts the
    messages waiting (quiet hours, a non-working day, or a retry's backoff). ``checks`` is the run of the
    responsibility checks before planning (None when no plugin host was given).
    """

    as_of: dt.date
    dry_run: bool = False
    working_day: bool = True
    planned: tuple[PlannedMessage, ...] = ()
    unrouted: tuple[str, ...] = ()
    sent: tuple[DeliveryOutcome, ...] = ()
    held: int = 0
    checks: CheckRunResult | None = None
    #: a drill (``--as-of`` another day): its messages, if sent (``--send``), never count as a real run's
    drill: bool = False
    #: the Chinese names of ``unrouted``, in the same order
    unrouted_names: tuple[str, ...] = ()
    skipped: tuple[SkippedDigest, ...] = ()
    #: seconds the run waited to keep within the robots' rate limits
    paced_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class RetryReport(JsonResult):
    """``duban notify retry``: the messages put back to send, and what sending them gave."""

    requested: tuple[int, ...]
    sent: tuple[DeliveryOutcome, ...]


@dataclass(frozen=True, slots=True)
class DeliveryRecord(JsonResult):
    """A recorded attempt of the delivery log. ``part``/``parts``: which part of a split message (None:
    not a part, e.g. a note that no route matched). ``at`` is UTC."""

    url: str
    part: int | None
    parts: int | None
    ok: bool
    permanent: bool
    detail: str | None
    at: dt.datetime
    silenced: bool = False  #: the route was skipped: a silence muted it


@dataclass(frozen=True, slots=True)
class OutboxEntry(JsonResult):
    """``duban notify log``: an outbox message with every attempt to deliver it. Times are UTC.
    ``possible_duplicate``: a part of it was sent again after a crash left its first sending unconfirmed."""

    id: int
    key: str
    receiver: str
    level: AlertLevel
    subject: str
    state: OutboxState
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    deliveries: tuple[DeliveryRecord, ...]
    possible_duplicate: bool = False
    receiver_name: str = ""  #: the receiver's Chinese name (云南省民政厅)
