"""duban.domain.jsonable: the one to_json (and from_json) every service result uses."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from duban.domain.jsonable import JsonResult, from_jsonable, to_jsonable
from duban.domain.vocabulary import Light, Role


@dataclass(frozen=True, slots=True)
class Milestone(JsonResult):
    period: str
    due: dt.date
    reported_at: dt.datetime | None
    light: Light


@dataclass(frozen=True, slots=True)
class Party(JsonResult):
    json_extra = ("role_label",)

    name: str
    role: Role
    milestones: tuple[Milestone, ...] = ()
    indicators: Mapping[str, int] = field(default_factory=dict)

    @property
    def role_label(self) -> str:
        return self.role.label


PARTY = Party(
    "省人力资源和社会保障厅",
    Role.JOINT,
    (
        Milestone("2026-Q1", dt.date(2026, 4, 8), dt.datetime(2026, 4, 7, 2, 30, tzinfo=dt.UTC), Light.GREEN),
        Milestone("2026-春节-7", dt.date(2026, 2, 10), None, Light.RED),
    ),
    {"minzheng.ledger_total": 12},
)


def test_dates_are_iso_enums_their_value_tuples_lists_and_labels_extra() -> None:
    data = PARTY.to_json()
    assert data == {
        "name": "省人力资源和社会保障厅",
        "role": "joint",
        "milestones": [
            {
                "period": "2026-Q1",
                "due": "2026-04-08",
                "reported_at": "2026-04-07T02:30:00+00:00",
                "light": "green",
            },
            {"period": "2026-春节-7", "due": "2026-02-10", "reported_at": None, "light": "red"},
        ],
        "indicators": {"minzheng.ledger_total": 12},
        "role_label": "共同负责",
    }
    assert type(data["role"]) is str  # a StrEnum's value, not the member
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


def test_from_json_reads_back_what_to_json_wrote_and_ignores_labels() -> None:
    again = Party.from_json(json.loads(json.dumps(PARTY.to_json())))
    assert again == PARTY
    assert isinstance(again.milestones[0].due, dt.date) and again.milestones[0].light is Light.GREEN
    assert again.milestones[0].reported_at == PARTY.milestones[0].reported_at


def test_sets_are_sorted_so_the_same_data_gives_the_same_text() -> None:
    assert to_jsonable(frozenset({("妇联", "support"), ("民政", "lead")})) == [
        ["妇联", "support"],
        ["民政", "lead"],
    ]


def test_what_is_not_json_is_refused_loudly() -> None:
    with pytest.raises(TypeError, match="not JSON-able"):
        to_jsonable(object())
    with pytest.raises(ValueError):
        from_jsonable(Light, "purple")
    with pytest.raises(TypeError):
        from_jsonable(dt.date, 20260202)
    with pytest.raises(TypeError):
        from_jsonable(int, True)
