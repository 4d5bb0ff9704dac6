"""Services return frozen dataclasses with one to_json, never dicts of preformatted text.

- no public function of ``duban.services.*`` is annotated to return ``Any``, an untyped dict or a list of
  dicts, so the pattern cannot come back;
- every dataclass a service module defines is a frozen :class:`JsonResult` with the shared ``to_json``
  (a few inputs and unit-of-work holders are named below, with the reason);
- every result class, filled with sample values, survives ``json.dumps`` and ``from_json`` with its dates as
  ISO text and its enums as their values (one test per class, grouped by service in the test ids).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import importlib
import inspect
import json
import pkgutil
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pytest

import duban.services
from duban.domain.jsonable import JsonResult
from duban.importing.model import ImportDocument

MODULES = [
    importlib.import_module(f"duban.services.{m.name}") for m in pkgutil.iter_modules(duban.services.__path__)
]

#: public functions allowed to return dicts, and why
DICT_RETURNS = {
    "duban.services.cascade.cascade_rows": "rows for a bulk INSERT, not a result",
    "duban.services.paging.sort_key": "a comparable key of column values for keyset paging, not a result",
}
#: dataclasses of the service modules that are not results, and why
NOT_RESULTS = {
    "duban.services.status.Scope": "the scope of a question: an input",
    "duban.services.assessment.AssessScope": "the scope of an assessment: an input",
    "duban.services.identity.Actor": "who acts: an input",
    "duban.services.reports.SubmitResult": "the ORM rows of the caller's unit of work; .receipt is the result",
    "duban.services.escalation.LadderConfig": "the ladder's settings from the configuration: an input",
    "duban.services.escalation.LadderMessage": "a message the run queues in the outbox (the outbox row is the record)",
    "duban.services.escalation.LadderStep": "one rung the run is about to take: internal to plan_messages",
    "duban.services.escalation.LadderPlan": "the run's working plan, filled as it goes: internal to plan_messages",
    "duban.services.names.NameBook": "a lookup of names loaded once per command or screen, not a result",
    "duban.services.silences.ActiveSilences": "a lookup of the silences in force during one run, not a result",
    "duban.services.status.IndexedTask": "one row of the 任务 list's in-memory keyset index: internal",
    "duban.services.status.TaskWindow": "the 任务 list's in-memory keyset index: internal",
}


def _public_functions() -> list[tuple[str, Any]]:
    out = []
    for module in MODULES:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("_") and fn.__module__ == module.__name__:
                out.append((f"{module.__name__}.{name}", fn))
    return out


def _untyped(tp: Any) -> str | None:
    """Why ``tp`` is an untyped return (Any, a dict of Any, a sequence of dicts), or None."""
    if tp is Any or tp is object:
        return "Any"
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp in (dict, list) or (origin in (dict, Mapping) and (not args or args[1] in (Any, object))):
        return "a dict of untyped values"
    if origin in (list, tuple, Sequence, Iterable) and any(
        a is dict or typing.get_origin(a) in (dict, Mapping) for a in args
    ):
        return "a sequence of dicts"
    if origin in (typing.Union, types.UnionType, tuple, list):
        return next((why for a in args if a is not Ellipsis and (why := _untyped(a))), None)
    return None


@pytest.mark.parametrize(("name", "fn"), _public_functions(), ids=[n for n, _f in _public_functions()])
def test_no_service_returns_an_untyped_dict(name: str, fn: Any) -> None:
    annotation = inspect.get_annotations(fn).get("return")
    assert annotation is not None, f"{name} has no return annotation"
    if isinstance(annotation, str):  # only the return: parameters may name TYPE_CHECKING-only types
        annotation = eval(annotation, fn.__globals__)  # noqa: S307 - the module's own annotation
    why = _untyped(annotation)

    assert why is None or name in DICT_RETURNS, f"{name} returns {why}: return a frozen JsonResult dataclass"


def _service_dataclasses() -> list[type]:
    return [
        cls
        for module in MODULES
        for _n, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module.__name__
        and dataclasses.is_dataclass(cls)
        and not cls.__name__.startswith("_")
    ]


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_every_service_dataclass_is_a_frozen_result_with_the_one_to_json() -> None:
    results = [cls for cls in _service_dataclasses() if _name(cls) not in NOT_RESULTS]
    assert len(results) > 40
    for cls in results:
        assert issubclass(cls, JsonResult), f"{_name(cls)} does not mix in JsonResult"
        assert cls.__dataclass_params__.frozen, f"{_name(cls)} is not frozen"  # type: ignore[attr-defined]
        assert cls.to_json is JsonResult.to_json, f"{_name(cls)} writes its own to_json"
        assert not hasattr(cls, "as_json") and not hasattr(cls, "as_dict"), f"{_name(cls)} has another"
    assert {_name(c) for c in _service_dataclasses()} >= set(NOT_RESULTS)


# ------------------------------------------------------------------------------------------ round trips

DAY = dt.date(2026, 2, 2)
MOMENT = dt.datetime(2026, 2, 2, 1, 30, tzinfo=dt.UTC)
TEXT = "开展“巾帼家政”培训——省人力资源和社会保障厅…"


def sample(tp: Any) -> Any:
    """A value of the type ``tp`` (a dataclass is filled field by field)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any or isinstance(tp, typing.TypeVar):  # a Page[T]'s items: any JSON value
        return {"键": [1, "二"]}
    if origin in (typing.Union, types.UnionType):
        return sample(next(a for a in args if a is not type(None)))
    if origin is typing.Literal:
        return args[0]
    if origin is tuple:
        return (
            (sample(args[0]),) if len(args) == 2 and args[1] is Ellipsis else tuple(sample(a) for a in args)
        )
    if origin in (list, Sequence):
        return [sample(args[0])]
    if origin in (set, frozenset):
        return origin({sample(args[0])})
    if origin in (dict, Mapping):
        return {"minzheng.ledger_total": sample(args[1])}
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return tp(**{f.name: sample(hints[f.name]) for f in dataclasses.fields(tp) if f.init})
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return list(tp)[-1]
    return {int: 7, float: 0.75, bool: True, str: TEXT, dt.date: DAY, dt.datetime: MOMENT}[tp]


RESULTS = [c for c in _service_dataclasses() if _name(c) not in NOT_RESULTS] + [ImportDocument]


@pytest.mark.parametrize("cls", RESULTS, ids=[_name(c).removeprefix("duban.") for c in RESULTS])
def test_result_round_trips_through_json_with_typed_values(cls: type[JsonResult]) -> None:
    result = sample(cls)
    data = result.to_json()
    text = json.dumps(data, ensure_ascii=False)  # plain JSON: no date or enum object left
    assert json.loads(text) == data
    assert cls.from_json(json.loads(text)) == result
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        kind = sample(hints[f.name])
        if isinstance(kind, dt.datetime):
            assert data[f.name] == "2026-02-02T01:30:00+00:00", f.name
        elif isinstance(kind, dt.date):
            assert data[f.name] == "2026-02-02", f.name
        elif isinstance(kind, enum.Enum):
            assert data[f.name] == kind.value and type(data[f.name]) is not type(kind), f.name
    for extra in cls.json_extra:
        assert extra in data and data[extra] == json.loads(
            json.dumps(getattr(result, extra), ensure_ascii=False)
        )


def test_the_guard_itself_catches_the_old_shapes() -> None:
    assert _untyped(Any) == "Any"
    assert _untyped(dict[str, Any]) == _untyped(dict[str, Any] | None) == "a dict of untyped values"
    assert _untyped(list[dict[str, Any]]) == _untyped(tuple[int, dict[str, Any]]) is not None
    assert _untyped(dict[str, str]) is None and _untyped(list[JsonResult]) is None
