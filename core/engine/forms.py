"""Check and coerce submitted form data against a step's form fields."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date, datetime, timezone
from typing import Any

from yishi.definition.models import FormField

Resolve = Callable[[Any], Any]


class _Bad(Exception):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


def coerce_form(form: list[FormField], submitted: Mapping[str, Any],
                resolve: Resolve) -> tuple[dict[str, Any], dict[str, tuple[str, str]]]:
    """Return (clean values, errors by field as (zh, en)) for ``submitted`` against ``form``.

    Values arriving as text (from the CLI) are converted to the field's type; unknown
    names are errors. Required-ness is checked separately by ``missing_required``.
    """
    fields = {f.name: f for f in form}
    clean: dict[str, Any] = {}
    errors: dict[str, tuple[str, str]] = {}
    for name, raw in submitted.items():
        spec = fields.get(name)
        if spec is None:
            known = ", ".join(fields) or "none"
            errors[name] = (f"此步骤没有该字段（可填：{known}）",
                            f"this step has no such field (its fields: {known})")
            continue
        if spec.readonly:
            errors[name] = ("此项由流程自动记录，不能填写", "recorded by the procedure itself; it cannot be filled in")
            continue
        if raw is None or raw == "":
            clean[name] = None
            continue
        try:
            clean[name] = _coerce(spec, raw, resolve)
        except _Bad as bad:
            errors[name] = (bad.zh, bad.en)
    return clean, errors


def labels_of(form: list[FormField]) -> dict[str, tuple[str, str]]:
    """Each field's label as (zh, en), for error messages in the user's words."""
    return {f.name: (f.label.zh, f.label.en) for f in form}


def missing_required(form: list[FormField], values: Mapping[str, Any]) -> list[FormField]:
    """The required fields of ``form`` that have no value in ``values``."""
    return [f for f in form if f.required and values.get(f.name) in (None, "", [])]


def _coerce(spec: FormField, raw: Any, resolve: Resolve) -> Any:
    kind = spec.type
    if kind in ("text", "longtext", "person"):
        if isinstance(raw, (dict, list)):
            raise _Bad("应为文字", "should be text")
        text = str(raw)
        if "\x00" in text:  # PostgreSQL cannot store it; refused here with the field's name
            raise _Bad("含有空字符（NUL，\\0），请删去后再提交",
                       "contains a NUL character (\\0), which cannot be stored; remove it and submit again")
        return text
    if kind in ("integer", "number"):
        value = _number(raw, integer=kind == "integer")
        _bounds(spec, value, resolve)
        return value
    if kind == "boolean":
        return _boolean(raw)
    if kind == "date":
        return _date(raw)
    if kind == "datetime":
        return _datetime(raw)
    if kind == "choice":
        allowed = [c.value for c in spec.choices or []]
        if str(raw) not in allowed:
            raise _Bad(f"须为以下之一：{'、'.join(allowed)}", f"must be one of {', '.join(allowed)}")
        return str(raw)
    if kind == "multichoice":
        items = _list(raw)
        allowed = [c.value for c in spec.choices or []]
        bad = [str(i) for i in items if str(i) not in allowed]
        if bad:
            raise _Bad(f"不在可选项中：{'、'.join(bad)}", f"not among the choices: {', '.join(bad)}")
        return [str(i) for i in items]
    if kind == "list":
        items = _list(raw)
        out = []
        for i, item in enumerate(items, 1):
            if not isinstance(item, Mapping):
                raise _Bad(f"第 {i} 项应为键值表", f"item {i} should be a mapping of fields")
            clean, errors = coerce_form(spec.fields or [], item, resolve)
            missing = missing_required(spec.fields or [], clean)
            for f in missing:
                errors[f.name] = ("必填", "required")
            if errors:
                zh = "；".join(f"{k}：{v[0]}" for k, v in errors.items())
                en = "; ".join(f"{k}: {v[1]}" for k, v in errors.items())
                raise _Bad(f"第 {i} 项：{zh}", f"item {i}: {en}")
            out.append(clean)
        _bounds(spec, len(out), resolve, count=True)
        return out
    raise _Bad("未知字段类型", f"unknown field type {kind!r}")  # pragma: no cover - schema forbids


def _number(raw: Any, *, integer: bool) -> int | float:
    if isinstance(raw, bool):
        raise _Bad("应为数字", "should be a number")
    try:
        value = float(raw) if not isinstance(raw, (int, float)) else raw
    except (TypeError, ValueError):
        raise _Bad("应为数字", "should be a number") from None
    if not math.isfinite(value):
        raise _Bad("应为有限的数字", "should be a finite number")
    if integer:
        if float(value) != int(value):
            raise _Bad("应为整数", "should be a whole number")
        return int(value)
    return value


def _bounds(spec: FormField, value: float, resolve: Resolve, *, count: bool = False) -> None:
    low, high = resolve(spec.min), resolve(spec.max)
    # a bound naming another field is checked with the whole form (yishi.engine.constraints)
    low = None if isinstance(low, str) else _number_text(low)
    high = None if isinstance(high, str) else _number_text(high)
    unit_zh, unit_en = ("项", " items") if count else ("", "")
    if low is not None and value < float(low):  # a bound reads 0, not 0.0
        raise _Bad(f"不能少于 {low}{unit_zh}", f"must be at least {low}{unit_en}")
    if high is not None and value > float(high):
        raise _Bad(f"不能多于 {high}{unit_zh}", f"must be at most {high}{unit_en}")


def _number_text(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "yes", "y", "1", "是", "on"):
        return True
    if text in ("false", "no", "n", "0", "否", "off"):
        return False
    raise _Bad("应为 是/否", "should be yes or no")


def _date(raw: Any) -> str:
    if isinstance(raw, datetime):
        return raw.date().isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    try:
        return date.fromisoformat(str(raw).strip()).isoformat()
    except ValueError:
        raise _Bad("日期格式应为 YYYY-MM-DD", "should be a date as YYYY-MM-DD") from None


def _datetime(raw: Any) -> str:
    try:
        value = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw).strip())
    except ValueError:
        raise _Bad("时间格式应为 YYYY-MM-DDTHH:MM", "should be a date and time as YYYY-MM-DDTHH:MM") from None
    try:
        if value.tzinfo is None:
            value = value.astimezone()  # a typed local time; stored as UTC
        return value.astimezone(timezone.utc).isoformat()
    except (OverflowError, ValueError):  # the year 1 or 9999 moved past the calendar's end
        raise _Bad("时间超出可用范围", "is out of the range of dates that can be stored") from None


def _list(raw: Any) -> list[Any]:
    if isinstance(raw, str):
        import json

        try:
            raw = json.loads(raw)
        except ValueError:
            raise _Bad("应为 JSON 列表", "should be a JSON list") from None
    if not isinstance(raw, list):
        raise _Bad("应为列表", "should be a list")
    return raw
