"""The importer on documents it has never seen: real public documents with hand-checked answers.

tests/fixtures/corpus/ holds official documents of different issuers and levels (national, provincial,
prefecture, county), in clause and table form, as stored public pages gave them (cut where the stored text
is cut; tables rebuilt as HTML, one also converted to .docx and .xlsx — see SOURCES.md). Each
expected/<name>.json was written by reading the document, never by running the parser; it lists every task
that is complete in the stored text.

Each document is read and parsed the way ``duban import --dry-run --json`` does (``parse_file`` with the
installed reader plugins). A task is exactly right when its section, number, text start (whitespace removed)
and its lead, support and joint sets (agency key, else the name as written) all match. Expected tasks are
aligned to parsed ones by (section, number), then by number alone, in order; a parsed task left over is an
extra and counts against its document: rate = right / max(expected, parsed). A document the readers cannot
read scores 0 with the error.

The stored texts are cut where the stored page ends, and the answers list only the tasks that are complete.
A parsed task the parser itself flags as cut (a ``cut_clause`` doubt: the file ends inside its clause) is
what the importer must do with such an item — keep it, loudly — so it is reported but not counted as an
extra. Any other extra counts.

The floors: at least 95 % of all expected tasks exactly right, and no document below 85 %.
``pytest -s`` prints the per-document table; the assertion messages carry it too.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from duban.domain.vocabulary import ParseDoubt
from duban.importing.model import ParsedTask
from duban.plugin_host import PluginHost
from duban.services.importing import parse_file

CORPUS = Path(__file__).parent.parent / "fixtures" / "corpus"
EXPECTED = sorted((CORPUS / "expected").glob("*.json"))
OVERALL_FLOOR = 0.95
DOCUMENT_FLOOR = 0.85
ROLES = ("lead", "support", "joint")


def _plain(text: str | None) -> str:
    return re.sub(r"\s+", "", text or "")


def _load(expected: Path) -> dict:
    return json.loads(expected.read_text(encoding="utf-8"))


@dataclass
class Score:
    name: str
    expected: int
    parsed: int = 0
    right: int = 0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)  #: parsed tasks flagged as cut by the parser (not counted)
    error: str | None = None

    @property
    def rate(self) -> float:
        return self.right / max(self.expected, self.parsed - len(self.cut), 1)


def _roles(task: ParsedTask) -> dict[str, set[str]]:
    roles: dict[str, set[str]] = {role: set() for role in ROLES}
    for r in task.responsibilities:
        roles.setdefault(r.role, set()).add(_plain(r.agency or r.name))
    return roles


def _problems(want: dict, task: ParsedTask) -> list[str]:
    problems = []
    if (want["section"] or None) != (task.section or None):
        problems.append(f"section {task.section!r}, expected {want['section']!r}")
    if not _plain(task.text).startswith(_plain(want["text_start"])):
        problems.append(f"text starts {_plain(task.text)[:14]!r}, expected {want['text_start']!r}")
    got = _roles(task)
    for role in ROLES:
        expected, actual = {_plain(x) for x in want[role]}, got.get(role, set())
        if expected != actual:
            missing = ", ".join(sorted(expected - actual)) or "-"
            extra = ", ".join(sorted(actual - expected)) or "-"
            problems.append(f"{role}: missing [{missing}] extra [{extra}]")
    unknown = sorted(set(got) - set(ROLES))
    if unknown:
        problems.append(f"unknown roles {unknown}")
    return problems


def score_document(expected_path: Path, host: PluginHost) -> Score:
    want = _load(expected_path)
    score = Score(expected_path.stem, len(want["tasks"]))
    try:
        parsed, _sha = parse_file(CORPUS / want["file"], host=host)
    except Exception as exc:  # a document the readers or the parser cannot handle scores 0, with the reason
        score.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        score.misses = [f"{t['section'] or '-'}/{t['number']}: not parsed" for t in want["tasks"]]
        return score
    got = list(parsed.tasks)
    score.parsed = len(got)
    used: set[int] = set()

    def find(want_task: dict, by_section: bool) -> int | None:
        for i, task in enumerate(got):
            if i in used or _plain(task.number) != _plain(want_task["number"]):
                continue
            if not by_section or (task.section or None) == (want_task["section"] or None):
                return i
        return None

    for want_task in want["tasks"]:
        label = f"{want_task['section'] or '-'}/{want_task['number']}"
        i = find(want_task, by_section=True)
        if i is None:
            i = find(want_task, by_section=False)
        if i is None:
            score.misses.append(f"{label}: not parsed")
            continue
        used.add(i)
        problems = _problems(want_task, got[i])
        if problems:
            score.misses.append(f"{label}: " + "; ".join(problems))
        else:
            score.right += 1
    for i, task in enumerate(got):
        if i in used:
            continue
        label = f"{task.section or '-'}/{task.number} {_plain(task.text)[:12]!r}"
        flagged = any(d.kind == ParseDoubt.CUT_CLAUSE for d in task.doubts)
        (score.cut if flagged else score.extras).append(label)
    # every parsed task is either aligned to an expected one or reported as an extra or as cut
    assert len(used) + len(score.extras) + len(score.cut) == score.parsed
    return score


def report(scores: list[Score]) -> str:
    width = max(len(s.name) for s in scores)
    lines = [f"{'document':<{width}}  expected  parsed  right   rate", "-" * (width + 34)]
    for s in scores:
        lines.append(f"{s.name:<{width}}  {s.expected:>8}  {s.parsed:>6}  {s.right:>5}  {s.rate:>5.0%}")
    expected, right = sum(s.expected for s in scores), sum(s.right for s in scores)
    lines.append("-" * (width + 34))
    lines.append(
        f"{'all':<{width}}  {expected:>8}  {sum(s.parsed for s in scores):>6}  {right:>5}  "
        f"{right / max(expected, 1):>5.0%}"
    )
    for s in scores:
        if s.error or s.misses or s.extras or s.cut:
            lines.append(f"\n{s.name}:" + (f" ERROR {s.error}" if s.error else ""))
            lines += [f"  miss  {m}" for m in s.misses if not s.error]
            lines += [f"  extra {e}" for e in s.extras]
            lines += [f"  cut   {c} (flagged by the parser, not counted)" for c in s.cut]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def cache() -> dict[str, Score]:
    return {}


def scores_of(host: PluginHost, cache: dict[str, Score]) -> list[Score]:
    """Every document's score, parsed once per module run (the host is the real plugin host)."""
    if not cache:
        for path in EXPECTED:
            cache[path.stem] = score_document(path, host)
        print("\n" + report(list(cache.values())))
    return [cache[p.stem] for p in EXPECTED]


def test_corpus_is_varied_and_complete() -> None:
    """At least 14 documents of distinct sources, all levels, both forms; every file and answer in place."""
    wanted = [_load(p) for p in EXPECTED]
    sources = {w["source"]: w for w in wanted}
    assert len(sources) >= 14, "at least 14 distinct documents"
    forms = Counter(w["form"] for w in sources.values())
    assert forms["table"] >= 4 and forms["clause"] >= 6, forms
    levels = {w["level"] for w in sources.values()}
    assert {"national", "province", "county"} <= levels, levels
    suffixes = {Path(w["file"]).suffix for w in wanted}
    assert {".txt", ".html", ".docx", ".xlsx"} <= suffixes, suffixes
    for path, w in zip(EXPECTED, wanted, strict=True):
        assert (CORPUS / w["file"]).is_file(), w["file"]
        assert Path(w["file"]).stem == path.stem
        assert w["tasks"], path.name
        for t in w["tasks"]:
            assert set(ROLES) <= set(t) and {"section", "number", "text_start"} <= set(t), (path.name, t)
            assert 0 < len(_plain(t["text_start"])) <= 12, (path.name, t)
            assert any(t[role] for role in ROLES), (path.name, t["number"])
            assert not re.search(r"[（()）、.]", t["number"]), (path.name, t["number"])
    assert (CORPUS / "SOURCES.md").is_file()


@pytest.mark.departments
@pytest.mark.parametrize("expected", EXPECTED, ids=lambda p: p.stem)
def test_document_floor(expected: Path, host: PluginHost, cache: dict[str, Score]) -> None:
    scores = scores_of(host, cache)
    score = cache[expected.stem]
    assert score.rate >= DOCUMENT_FLOOR, (
        f"{score.name}: {score.right}/{max(score.expected, score.parsed)} right ({score.rate:.0%}) "
        f"< {DOCUMENT_FLOOR:.0%}\n\n{report(scores)}"
    )


@pytest.mark.departments
def test_overall_rate(host: PluginHost, cache: dict[str, Score]) -> None:
    scores = scores_of(host, cache)
    table = report(scores)
    print("\n" + table)
    expected, right = sum(s.expected for s in scores), sum(s.right for s in scores)
    assert right / expected >= OVERALL_FLOOR, f"{right}/{expected} expected tasks exactly right\n\n{table}"
    low = [s.name for s in scores if s.rate < DOCUMENT_FLOOR]
    assert not low, f"documents below {DOCUMENT_FLOOR:.0%}: {low}\n\n{table}"
