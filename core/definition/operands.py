"""Markers for guard and action arguments that refer to form fields or params.

A guard's argument model annotates each argument with one of these, so the validator can
check the names and the engine can resolve the values:

- ``Operand``: a number, a ``$param`` or the name of a form field (``attended``,
  ``representatives_meeting.attended`` to name another state's field);
- ``FieldName``: the name of a form field; ``FieldName[int]`` (``FieldName[date | datetime]``,
  …) the name of a field of that type, checked by the validator (``FIELD_TYPES``);
- ``FieldNames``: a list of field names; ``FieldNames[int]`` of fields of that type;
- ``FractionArg``: a fraction (``2/3``, ``0.5``) or a ``$param`` of type fraction;
- ``DurationArg``: a duration (``7d``, ``P7D``; ``1mo``, ``3wd``, ``1wh`` in calendar months,
  working days and working hours) or a ``$param`` of type duration.
"""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema
from typing_extensions import TypeVar


class _Marker:
    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"<{self.kind}>"


OPERAND = _Marker("operand")
FIELD = _Marker("field")
FRACTION = _Marker("fraction")
DURATION = _Marker("duration")
TABLE = _Marker("table")

T = TypeVar("T", default=Any)


class FieldName(str, Generic[T]):
    """The name of a form field, as a guard's or action's argument: ``field: attended`` in YAML
    (``meeting.attended`` names one state's field). Annotate an argument ``FieldName`` for a
    field of any type, or ``FieldName[int]`` for a field whose values are of that type: the
    validator then reports, with file:line:col, a workflow that passes a name no form has or a
    field of another type. The types and the form fields they take (``FIELD_TYPES``):

    ``int`` integer · ``float`` integer, number · ``bool`` boolean · ``str`` text, longtext,
    choice, person · ``date`` date · ``datetime`` datetime · ``list[str]`` multichoice ·
    ``list[dict[str, Any]]`` list (repeated items) · ``list`` either · ``Any`` every type ·
    ``Literal["choice", …]`` the form types named · a union (``date | datetime``) any of its
    members'. The value is the name as a ``str``; read the field's value with
    ``ctx.field(args.field)``. Registering a model with ``FieldName[X]`` of any other ``X``
    raises ``PluginError``.
    """

    __slots__ = ()

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls, core_schema.str_schema(), serialization=core_schema.to_string_ser_schema())


FieldNames = list[FieldName[T]]
"""A list of field names (``names: [minutes, attended]``); ``FieldNames[int]``: of integer fields."""

Operand = Annotated[int | float | str, OPERAND]
FractionArg = Annotated[int | float | str, FRACTION]
DurationArg = Annotated[int | str, DURATION]
TableArg = Annotated[str, TABLE]

#: the form field types (``type:`` in YAML) a ``FieldName[X]`` takes, by ``X``
FIELD_TYPES: dict[Any, frozenset[str]] = {
    int: frozenset({"integer"}),
    float: frozenset({"integer", "number"}),
    bool: frozenset({"boolean"}),
    str: frozenset({"text", "longtext", "choice", "person"}),
    date: frozenset({"date"}),
    datetime: frozenset({"datetime"}),
    list: frozenset({"list", "multichoice"}),
}
ALL_TYPES = frozenset({"text", "longtext", "integer", "number", "boolean", "date", "datetime",
                       "choice", "multichoice", "person", "list"})


def accepted_types(kind: Any) -> frozenset[str] | None:
    """The form field types ``FieldName[kind]`` takes; None for any. Raises ``TypeError`` for a
    ``kind`` no form field has."""
    if kind is Any or kind is object or isinstance(kind, typing.TypeVar):
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        out: set[str] = set()
        for arg in typing.get_args(kind):
            found = accepted_types(arg)
            if found is None:
                return None
            out |= found
        return frozenset(out)
    if origin is Literal:
        names = frozenset(str(a) for a in typing.get_args(kind))
        unknown = sorted(names - ALL_TYPES)
        if unknown:
            raise TypeError(f"FieldName[Literal[...]]: {', '.join(map(repr, unknown))} is no form field type; "
                            f"use {', '.join(map(repr, sorted(ALL_TYPES)))}")
        return names
    if origin is list:
        item = (typing.get_args(kind) or (Any,))[0]
        if item is str:
            return frozenset({"multichoice"})
        if item is dict or typing.get_origin(item) is dict:
            return frozenset({"list"})
        if item is Any or item is object:
            return FIELD_TYPES[list]
        raise TypeError(f"FieldName[{_name(kind)}]: no form field holds such a list; "
                        "use list[str] (multichoice), list[dict[str, Any]] (list) or list")
    if kind in FIELD_TYPES:
        return FIELD_TYPES[kind]
    raise TypeError(f"FieldName[{_name(kind)}]: no form field holds a {_name(kind)}; use int, float, bool, "
                    "str, date, datetime, list[str], list[dict[str, Any]], a union of these or "
                    "Literal['choice', …] (form field types)")


def _name(kind: Any) -> str:
    return getattr(kind, "__name__", None) or repr(kind).replace("typing.", "")


def marker_of(metadata: list[object]) -> _Marker | None:
    """Return the marker among a pydantic field's metadata, if any."""
    for item in metadata:
        if isinstance(item, _Marker):
            return item
    return None


def marker_of_field(info: Any) -> _Marker | None:
    """Return the marker of a pydantic ``FieldInfo``, also when it hides in ``Marked | None``,
    in a list (``list[FieldName]``) or is a ``FieldName[...]``.

    Pydantic keeps ``Annotated`` metadata on the field only when the annotation is the
    ``Annotated`` itself; inside a union (an optional argument) it stays in the annotation.
    """
    found = marker_of(list(getattr(info, "metadata", ())))
    return found if found is not None else _marker_in(getattr(info, "annotation", None))


def _marker_in(annotation: Any) -> _Marker | None:
    if _field_name_arg(annotation) is not None:
        return FIELD
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return marker_of(list(annotation.__metadata__)) or _marker_in(annotation.__origin__)
    if origin in (typing.Union, types.UnionType, list):
        for arg in typing.get_args(annotation):
            found = _marker_in(arg)
            if found is not None:
                return found
    return None



def _field_name_arg(annotation: Any) -> Any:
    """``X`` of ``FieldName[X]`` (``Any`` for a bare ``FieldName``); None for anything else."""
    if annotation is FieldName:
        return Any
    if typing.get_origin(annotation) is FieldName:
        return typing.get_args(annotation)[0]
    return None


def field_types_of(info: Any) -> frozenset[str] | None:
    """The form field types an argument (a pydantic ``FieldInfo``) takes when it is annotated
    ``FieldName[X]`` or ``FieldNames[X]`` (also optional); None for any type or another kind of
    argument. Raises ``TypeError`` for an ``X`` no form field holds."""
    return _types_in(getattr(info, "annotation", None))


def _types_in(annotation: Any) -> frozenset[str] | None:
    arg = _field_name_arg(annotation)
    if arg is not None:
        return accepted_types(arg)
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _types_in(annotation.__origin__)
    if origin in (typing.Union, types.UnionType, list):
        for item in typing.get_args(annotation):
            found = _types_in(item)
            if found is not None:
                return found
    return None


def field_names(value: object) -> list[str]:
    """The field names an argument value refers to (a list of names or a single name)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def check_arguments(model: Any, seen: frozenset[Any] = frozenset()) -> None:
    """Raise ``TypeError`` naming the argument of ``model`` (a guard's or action's pydantic
    argument model, or its item models) annotated ``FieldName[X]`` with an ``X`` no form
    field holds."""
    fields = getattr(model, "model_fields", None)
    if not isinstance(fields, dict) or model in seen:
        return
    for arg, info in fields.items():
        try:
            field_types_of(info)
        except TypeError as exc:
            raise TypeError(f"argument {arg!r}: {exc}") from None
        for inner in _models_in(getattr(info, "annotation", None)):
            check_arguments(inner, seen | {model})


def _models_in(annotation: Any) -> list[Any]:
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
