"""Markers for guard and action arguments that refer to form fields or params.

A guard's argument model annotates each argument with one of these, so the validator can
check the names and the engine can resolve the values:

- ``Operand``: a number, a ``$param`` or the name of a form field (``attended``,
  ``representatives_meeting.attended`` to name another state's field);
- ``FieldName``: the name of a form field;
- ``FractionArg``: a fraction (``2/3``, ``0.5``) or a ``$param`` of type fraction;
- ``DurationArg``: a duration (``7d``, ``P7D``; ``1mo``, ``3wd``, ``1wh`` in calendar months,
  working days and working hours) or a ``$param`` of type duration.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any


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

Operand = Annotated[int | float | str, OPERAND]
FieldName = Annotated[str, FIELD]
FractionArg = Annotated[int | float | str, FRACTION]
DurationArg = Annotated[int | str, DURATION]
TableArg = Annotated[str, TABLE]


def marker_of(metadata: list[object]) -> _Marker | None:
    """Return the marker among a pydantic field's metadata, if any."""
    for item in metadata:
        if isinstance(item, _Marker):
            return item
    return None


def marker_of_field(info: Any) -> _Marker | None:
    """Return the marker of a pydantic ``FieldInfo``, also when it hides in ``Marked | None``.

    Pydantic keeps ``Annotated`` metadata on the field only when the annotation is the
    ``Annotated`` itself; inside a union (an optional argument) it stays in the annotation.
    """
    found = marker_of(list(getattr(info, "metadata", ())))
    return found if found is not None else _marker_in(getattr(info, "annotation", None))


def _marker_in(annotation: Any) -> _Marker | None:
    if typing.get_origin(annotation) is Annotated:
        return marker_of(list(annotation.__metadata__))
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _marker_in(arg)
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

FieldNames = Annotated[list[str], FIELD]
