"""Whatever text comes in, the parser returns a ParsedPolicy or raises ParseError — nothing else."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duban.domain.agencies import AgencyRegistry
from duban.errors import ParseError
from duban.importing import ParsedPolicy, decode_bytes, parse_policy, to_json_dict

from .conftest import SEEDS

SEED_TEXTS = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Characters that matter to the parser, plus some noise.
ALPHABET = st.sampled_from(
    list(
        "一二三四五六七八九十、（）()【】〔〕《》，,；;。：:\n\n \t\x0c负责牵头配合参与协助会同按照职责分工等各部门"
        "民政部财政部全国妇联省厅局委办会年月日底每半季度春节0123456789-.号发征求意见稿附件任务"
    )
)
seed_texts = st.sampled_from(SEED_TEXTS)


def check(text: str, registry: AgencyRegistry) -> None:
    try:
        result = parse_policy(text, registry, source="fuzz.txt")
    except ParseError as exc:
        assert exc.file == "fuzz.txt"
        return
    assert isinstance(result, ParsedPolicy)
    assert result.tasks
    json.dumps(to_json_dict(result), ensure_ascii=False)


@FUZZ
@given(st.text(ALPHABET, max_size=600))
def test_random_text(registry: AgencyRegistry, text: str) -> None:
    check(text, registry)


@FUZZ
@given(st.text(max_size=300))
def test_any_unicode(registry: AgencyRegistry, text: str) -> None:
    check(text, registry)


@FUZZ
@given(seed_texts, st.floats(0, 1))
def test_truncated_seed(registry: AgencyRegistry, text: str, where: float) -> None:
    check(text[: int(len(text) * where)], registry)


@FUZZ
@given(seed_texts, seed_texts, st.floats(0, 1), st.floats(0, 1))
def test_spliced_seeds(registry: AgencyRegistry, a: str, b: str, i: float, j: float) -> None:
    check(a[: int(len(a) * i)] + b[int(len(b) * j) :], registry)


@FUZZ
@given(
    seed_texts,
    st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(["（", "）", "(", ")", "", "\n", "、"])),
        min_size=1,
        max_size=30,
    ),
)
def test_unbalanced_brackets(registry: AgencyRegistry, text: str, edits: list[tuple[float, str]]) -> None:
    chars = list(text)
    for where, replacement in edits:
        index = min(int(len(chars) * where), len(chars) - 1)
        chars[index] = replacement  # "" deletes: a bracket or a character goes missing
    check("".join(chars), registry)


@FUZZ
@given(st.binary(max_size=400))
def test_decode_bytes(data: bytes) -> None:
    try:
        text = decode_bytes(data, file="fuzz.bin")
    except ParseError as exc:
        assert exc.file == "fuzz.bin" and exc.expected
    else:
        assert isinstance(text, str) and "\r" not in text
