"""What :mod:`duban.services.responsibility_checks` returns: one run of the checks, and the plugins that failed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from duban.domain.jsonable import JsonResult


@dataclass(frozen=True, slots=True)
class CheckFault(JsonResult):
    """A plugin whose check raised during a run, with the first error and on how many responsibilities."""

    plugin: str
    error: str
    count: int = 1


@dataclass(frozen=True, slots=True)
class CheckRunResult(JsonResult):
    """What one run of the responsibility checks did (or, ``cached``, what the same run did earlier)."""

    as_of: dt.date
    scope: str  #: ``*`` for everything, else ``agency=…;jurisdiction=…`` (see ``scope_key``)
    responsibilities: int  #: responsibilities checked
    open: int  #: findings open in the scope after the run
    created: int  #: new findings
    reopened: int  #: findings that had been resolved and came back
    resolved: int  #: findings no longer found
    faults: tuple[CheckFault, ...] = ()
    cached: bool = False

    @property
    def failed_plugins(self) -> tuple[str, ...]:
        return tuple(f.plugin for f in self.faults)
