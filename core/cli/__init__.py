"""The ``duban`` command line. Commands live in their own modules and are imported only when run,
so ``duban --help`` stays fast (no Textual, no apprise, no SQLAlchemy models at start-up)."""

from __future__ import annotations

from duban.cli.main import main

__all__ = ["main"]
