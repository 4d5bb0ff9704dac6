"""Forced crash points for the crash tests: ``DUBAN_CRASH_AT=NAME`` kills the process at the point NAME.

Each unit of work that must survive a crash calls :func:`pause` at the places where a crash would hurt most
(after a claim and before the mark, between two parts of a message, after a migration step and before the
commit, …). Without the environment variable :func:`pause` is a comparison with ``None``; with it, the
process sends itself SIGKILL when the point's name matches — no ``finally`` block, no rollback, no flush of
buffers runs, exactly as when the machine loses power or an operator runs ``kill -9``.

``DUBAN_CRASH_AT`` takes ``NAME`` (the first time the point is reached) or ``NAME@N`` (the N-th time).
``DUBAN_CRASH_MODE=pause`` stops there instead (prints ``DUBAN_CRASH_POINT NAME`` on stderr and sleeps), for
a parent that wants to look at the database before it kills the process itself.

The points are listed in docs/workflow.md (“崩溃之后”). The variable is read once, when the module is imported.
"""

from __future__ import annotations

import os
import signal
import sys
import time

_SPEC = os.environ.get("DUBAN_CRASH_AT") or None
_NAME, _, _NTH = (_SPEC or "").partition("@")
_WANTED = int(_NTH) if _NTH.isdigit() and int(_NTH) > 0 else 1
_seen = 0


def pause(point: str) -> None:
    """Crash here when ``DUBAN_CRASH_AT`` names ``point`` (a no-op otherwise)."""
    if _SPEC is None or point != _NAME:
        return
    _crash(point)


def _crash(point: str) -> None:
    global _seen
    _seen += 1
    if _seen != _WANTED:
        return
    sys.stdout.flush()
    print(f"DUBAN_CRASH_POINT {point}", file=sys.stderr, flush=True)
    if os.environ.get("DUBAN_CRASH_MODE") == "pause":
        while True:  # the parent kills us
            time.sleep(60)
    os.kill(os.getpid(), signal.SIGKILL)
