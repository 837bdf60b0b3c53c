"""Params per organisation unit: a district's own time limits, a village's own notice period.

The value a case uses is, most specific first: its unit's override, then each unit above it,
then the deployment's config (``[params]``), then the workflow's default.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from yishi.org.model import Unit

if TYPE_CHECKING:
    from yishi.engine.engine import Engine
    from yishi.engine.machine import Compiled

CACHE_SECONDS = 5.0  # another process's change is seen within this long


@dataclass(frozen=True)
class Effective:
    """One param as a unit sees it: its value and where that value comes from."""

    name: str
    title_zh: str
    title_en: str
    value: Any
    source: str  # "default" | "config" | "unit"
    unit: str = ""  # the unit label, when source is "unit"

    def source_text(self, lang: str) -> str:
        zh = lang.startswith("zh")
        if self.source == "unit":
            return f"单位：{self.unit}" if zh else f"unit: {self.unit}"
        if self.source == "config":
            return "配置文件" if zh else "config file"
        return "流程默认值" if zh else "workflow default"


def _table(engine: Engine) -> dict[str, dict[int, dict[str, Any]]]:
    """workflow id → unit id → name → raw value, cached for ``CACHE_SECONDS``."""
    cached = engine.__dict__.get("_unit_params")
    if cached is not None and time.perf_counter() - cached[0] < CACHE_SECONDS:
        return cached[1]
    table: dict[str, dict[int, dict[str, Any]]] = {}
    with engine.store.read() as tx:
        for unit_id, wf_id, name, value in tx.org().unit_params():
            table.setdefault(wf_id, {}).setdefault(unit_id, {})[name] = value
        units = {u.id: u for u in tx.org().units()} if table else {}
    engine.__dict__["_unit_params"] = (time.perf_counter(), table)
    engine.__dict__["_unit_tree"] = units
    return table


def forget(engine: Engine) -> None:
    engine.__dict__.pop("_unit_params", None)


def for_unit(engine: Engine, compiled: Compiled, unit_id: int | None) -> Compiled:
    """``compiled`` with the params of ``unit_id`` (a shallow copy sharing its Machine), or
    ``compiled`` itself when no unit above the case overrides anything."""
    if unit_id is None:
        return compiled
    table = _table(engine).get(compiled.workflow.id)
    if not table:
        return compiled
    units: dict[int, Unit] = engine.__dict__.get("_unit_tree", {})
    unit = units.get(unit_id)
    chain = unit.ancestry if unit is not None else [unit_id]
    merged: dict[str, Any] = {}
    for uid in chain:  # from the top down: the most specific wins
        merged.update(table.get(uid, {}))
    if not merged:
        return compiled
    wf = compiled.workflow
    out = copy.copy(compiled)
    out.params = {**compiled.params, **{n: wf.param_value(n, merged) for n in merged if n in wf.params}}
    return out


def effective(engine: Engine, workflow_id: str, unit: Unit | None = None) -> list[Effective]:
    """Every param of the workflow as ``unit`` sees it, with where each value comes from."""
    wf = engine.workflow(workflow_id).workflow
    config = engine.library.params.get(wf.id, {})
    forget(engine)
    table = _table(engine).get(wf.id, {})
    units: dict[int, Unit] = engine.__dict__.get("_unit_tree", {})
    out = []
    for name, param in wf.params.items():
        value, source, where = wf.param_value(name), "default", ""
        if name in config:
            value, source = wf.param_value(name, config), "config"
        for uid in (unit.ancestry if unit else []):
            if name in table.get(uid, {}):
                value, source = wf.param_value(name, table[uid]), "unit"
                where = "/".join(units[i].name for i in units[uid].ancestry if i in units) if uid in units else str(uid)
        out.append(Effective(name, param.title.zh, param.title.en, value, source, where))
    return out
