"""The value conversions of the prepared statements (``prepared.Query``), made once per statement.

SQLAlchemy's bind and result processors say how a value is stored and read back. On the hot
paths two of them cost more than the statement itself on SQLite: a UTC datetime (our
``UTCDateTime`` over SQLite's ``DATETIME``: a ``%``-format of seven fields on the way in, a regex
on the way out) and JSON. ``fast_bind`` and ``fast_result`` give the same result by a shorter
road for the common value (an aware ``datetime``, a 26-character stored time, a dict or list)
and hand anything else to SQLAlchemy's own processor, so what is stored is byte for byte what a
Core ``execute`` stores (tests/test_prepared_binds.py compares the two on awkward values).

``params_function`` and ``row_function`` build, once per statement, the function that turns the
caller's named values into the driver's parameters and a driver row into a ``Row``: generated
source (as ``dataclasses`` and ``attrs`` generate ``__init__``), so a call is one tuple or dict
display instead of a loop over the statement's columns.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

from sqlalchemy.types import JSON

from yishi.plugins.sqlstore.tables import UTCDateTime

UTC = timezone.utc
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# JSONEncoder.encode builds its C encoder afresh on every call; this one is built once (no
# circular-reference check: the values are form data and the engine's own dicts)
_C_ENCODE = (c_make_encoder(None, _ENCODER.default, encode_basestring, None, ":", ",", False, False, True)
             if c_make_encoder is not None else None)


def compact_json(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, the text of every JSON
    column (the store's ``json_serializer``)."""
    if _C_ENCODE is None or type(value) is str:
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


def fast_bind(type_: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """The bind processor of ``type_`` on ``dialect`` (None: the value goes as it is)."""
    slow = type_.dialect_impl(dialect).bind_processor(dialect)
    if slow is None or dialect.name != "sqlite":
        return slow
    if isinstance(type_, UTCDateTime):
        return _utc_bind(slow)
    if isinstance(type_, JSON) and dialect._json_serializer is not None:
        return _json_bind(slow, dialect._json_serializer)
    return slow


def fast_result(type_: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """The result processor of ``type_`` on ``dialect`` (None: the value is used as read)."""
    slow = type_.dialect_impl(dialect).result_processor(dialect, None)
    if slow is not None and dialect.name == "sqlite" and isinstance(type_, UTCDateTime):
        return _utc_result(slow)
    return slow


_LAST_TIME: list[tuple[Any, str]] = [(None, "")]  # (time, its text): replaced whole, so threads never mix two


def _utc_bind(slow: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def bind(value: Any) -> Any:
        # SQLAlchemy stores "%04d-%02d-%02d %02d:%02d:%02d.%06d" of the naive UTC time: isoformat's
        # spelling exactly. Naive values, subclasses (freezegun's) and anything else: the slow road.
        last = _LAST_TIME[0]
        if value is last[0] and value is not None:  # a step writes one "now" into several columns
            return last[1]
        if type(value) is datetime and value.tzinfo is not None:
            text = (value if value.tzinfo is UTC else value.astimezone(UTC)).replace(tzinfo=None) \
                .isoformat(" ", "microseconds")
            _LAST_TIME[0] = (value, text)
            return text
        return slow(value)
    return bind


def _utc_result(slow: Callable[[Any], Any]) -> Callable[[Any], Any]:
    parse = datetime.fromisoformat

    def result(value: Any) -> Any:
        if type(value) is str and len(value) == 26:  # what _utc_bind writes
            return parse(value).replace(tzinfo=UTC)
        return slow(value)
    return result


def _json_bind(slow: Callable[[Any], Any], dumps: Callable[[Any], str]) -> Callable[[Any], Any]:
    def bind(value: Any) -> Any:
        if type(value) is dict or type(value) is list:
            return dumps(value)
        return slow(value)  # None, JSON.NULL, null(), scalars: SQLAlchemy's rules
    return bind


def params_function(order: list[str] | None, names: list[str], defaults: dict[str, Any],
                    procs: dict[str, Callable[[Any], Any]]) -> Callable[[dict[str, Any]], Any]:
    """``f(values)``: the driver's parameters (a tuple in ``order`` for a positional dialect,
    else a dict of ``names``), each converted, a missing optional one taking its default.
    A required name missing raises ``KeyError`` naming it."""
    env: dict[str, Any] = {}

    def one(name: str) -> str:
        key = f"v[{name!r}]"
        if name in defaults:
            env[f"d_{len(env)}"] = defaults[name]
            key = f"v.get({name!r}, d_{len(env) - 1})"
        if name in procs:
            env[f"p_{len(env)}"] = procs[name]
            return f"p_{len(env) - 1}({key})"
        return key

    if order is not None:
        body = "(" + "".join(f"{one(n)}, " for n in order) + ")"
    else:
        body = "{" + ", ".join(f"{n!r}: {one(n)}" for n in names) + "}"
    return _compile(f"def params(v):\n    return {body}\n", "params", env)


def row_function(names: list[str], procs: list[Callable[[Any], Any] | None],
                 row_type: type) -> Callable[[Any], Any]:
    """``f(raw)``: a ``row_type`` (a dict) of the driver row ``raw``, each column converted."""
    env: dict[str, Any] = {"Row": row_type}
    items = []
    for i, (name, proc) in enumerate(zip(names, procs)):
        if proc is None:
            items.append(f"{name!r}: r[{i}]")
        else:
            env[f"p_{i}"] = proc
            items.append(f"{name!r}: p_{i}(r[{i}])")
    return _compile(f"def row(r):\n    return Row({{{', '.join(items)}}})\n", "row", env)


def _compile(source: str, name: str, env: dict[str, Any]) -> Callable[..., Any]:
    exec(compile(source, f"<yishi prepared {name}>", "exec"), env)  # noqa: S102 - our own source
    return env[name]  # type: ignore[no-any-return]
