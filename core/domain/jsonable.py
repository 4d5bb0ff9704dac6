"""One ``to_json`` for every result a service returns.

Services return frozen dataclasses holding typed values — ``dt.date``, ``dt.datetime``, ints, the enums of
:mod:`duban.domain.vocabulary`, tuples — never text formatted for a reader: the CLI and the dashboard format.
Each result class mixes in :class:`JsonResult`, whose ``to_json()`` turns it into plain JSON data with
:func:`to_jsonable` (dates and times ISO 8601, enums their value, nested dataclasses recursively, tuples and
sets lists); ``duban … --json`` prints exactly that. ``from_json`` reads it back (a frozen assessment is
stored as that JSON and shown again from it).

A class may name read-only properties in ``json_extra`` to emit next to its fields — a ``*_label`` key
carrying the Chinese label of an enum field, where scripts relied on one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any, ClassVar, Self

__all__ = ["JsonResult", "from_jsonable", "to_jsonable"]


class JsonResult:
    """Mixin of the frozen dataclasses that services return: one shared ``to_json`` / ``from_json``."""

    __slots__ = ()

    #: names of read-only properties emitted next to the fields (e.g. ``("light_label",)``)
    json_extra: ClassVar[tuple[str, ...]] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data: ``json.dumps(result.to_json())`` always works."""
        data = to_jsonable(self)
        assert isinstance(data, dict)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """The result back from :meth:`to_json` (keys it does not know, such as labels, are ignored)."""
        result = from_jsonable(cls, data)
        assert isinstance(result, cls)
        return result


def to_jsonable(value: Any) -> Any:
    """``value`` as JSON data: dataclasses → objects, dates → ISO text, enums → values, tuples → lists."""
    if isinstance(value, enum.Enum):  # before str: a StrEnum is a str
        return to_jsonable(value.value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dt.date):  # dt.datetime too
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in getattr(value, "json_extra", ()):
            out[name] = to_jsonable(getattr(value, name))
        return out
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):  # sorted, so the same set always gives the same text
        return sorted((to_jsonable(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON-able: {value!r}")


def from_jsonable(tp: Any, data: Any) -> Any:
    """Read JSON data back as the type ``tp`` (a dataclass, enum, date, container or plain value)."""
    if tp is Any or tp is object:
        return data
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union or origin is types.UnionType:
        if data is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return from_jsonable(arg, data)
            except (TypeError, ValueError, KeyError) as exc:
                errors.append(exc)
        raise TypeError(f"{data!r} is none of {tp}: {errors}")
    if origin is typing.Literal:
        if data not in args:
            raise ValueError(f"{data!r} is not one of {args}")
        return data
    if origin is tuple:
        _sequence(data, tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_jsonable(args[0], item) for item in data)
        return tuple(from_jsonable(a, item) for a, item in zip(args, data, strict=True))
    if origin in (list, Sequence):
        _sequence(data, tp)
        return [from_jsonable(args[0] if args else Any, item) for item in data]
    if origin in (set, frozenset):
        _sequence(data, tp)
        return origin(from_jsonable(args[0] if args else Any, item) for item in data)
    if origin in (dict, Mapping):
        if not isinstance(data, Mapping):
            raise TypeError(f"{data!r} is not an object ({tp})")
        value_type = args[1] if args else Any
        return {k: from_jsonable(value_type, v) for k, v in data.items()}
    if isinstance(tp, type):
        return _from_class(tp, data)
    return data


def _sequence(data: Any, tp: Any) -> None:
    if not isinstance(data, list | tuple):
        raise TypeError(f"{data!r} is not a list ({tp})")


def _from_class(cls: type, data: Any) -> Any:
    if dataclasses.is_dataclass(cls):
        if not isinstance(data, Mapping):
            raise TypeError(f"{data!r} is not an object ({cls.__name__})")
        hints = typing.get_type_hints(cls)
        kwargs = {
            f.name: from_jsonable(hints[f.name], data[f.name])
            for f in dataclasses.fields(cls)
            if f.init and f.name in data
        }
        return cls(**kwargs)
    if issubclass(cls, enum.Enum):
        return cls(data)
    if cls is dt.datetime:
        return dt.datetime.fromisoformat(data)
    if cls is dt.date:
        if not isinstance(data, str):
            raise TypeError(f"{data!r} is not an ISO date")
        return dt.date.fromisoformat(data)
    if cls is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if cls in (str, int, bool, float):
        if not isinstance(data, cls) or (cls is int and isinstance(data, bool)):
            raise TypeError(f"{data!r} is not {cls.__name__}")
        return data
    return data
