"""Turn a ``Source`` into a validated ``Workflow``, collecting every problem with its position."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from yishi.definition.schedule_checks import check_schedules
from yishi.definition.graph_checks import Ghosts, Graph, check_graph, check_initial
from yishi.definition.models import FormField, Workflow, parse_fraction
from yishi.definition.operands import (
    DURATION, FIELD, FRACTION, OPERAND, TABLE, field_names, field_types_of, marker_of_field,
)
from yishi.definition.source import Path, Source
from yishi.time.durations import parse_duration, parse_span  # noqa: F401
from yishi.errors import Problem


@dataclass
class Catalog:
    """The guards and actions the plugins registered: name → argument model (or None)."""

    guards: Mapping[str, type[BaseModel] | None] = field(default_factory=dict)
    actions: Mapping[str, type[BaseModel] | None] = field(default_factory=dict)
    documents: Mapping[str, Any] = field(default_factory=dict)  # name → DocumentKind
    check_names: bool = True


def validate(source: Source, catalog: Catalog | None = None) -> tuple[Workflow | None, list[Problem]]:
    """Return the workflow in ``source`` and every problem found in it.

    The workflow is ``None`` when the document does not fit the schema; graph and name checks
    run only on a document that does.
    """
    if not isinstance(source.data, dict):
        return None, [source.problem((), "a workflow file must be a mapping of keys, "
                                     f"not {_kind_of(source.data)}",
                                     "start with 'id:', 'version:' and 'title:' at column 1",
                                     code="not_mapping")]
    try:
        workflow = Workflow.model_validate(source.data)
    except ValidationError as exc:
        return None, _schema_and_the_rest(source, exc, catalog or Catalog(check_names=False))
    return workflow, _Checker(source, workflow, catalog or Catalog(check_names=False)).run()


def _schema_and_the_rest(source: Source, exc: ValidationError, catalog: Catalog) -> list[Problem]:
    """Every schema problem, and the graph and name problems of the parts that fit the schema
    (``partial.prune``), so one run reports all it can."""
    from yishi.definition.partial import prune, relevant, target

    problems = [_schema_problem(source, err) for err in exc.errors()]
    doomed = {target(_written(source.data, tuple(err["loc"])), err["type"]) for err in exc.errors()}
    pruned = prune(source, doomed)
    try:
        rest = Workflow.model_validate(pruned.data)
        found = _Checker(pruned, rest, catalog, Ghosts.of(source.data, doomed)).run()
    except Exception:  # noqa: BLE001 - the extra pass adds what it can and never costs the schema problems
        return problems  # (what is left still does not fit: those problems show once these are fixed)
    seen = {(p.line, p.col, p.message) for p in problems}
    return problems + [p for p in relevant(found, doomed, source) if (p.line, p.col, p.message) not in seen]


# ---------------------------------------------------------------- schema errors
NAME_HINT = "use lower-case letters, digits and '_', starting with a letter"


def _schema_problem(source: Source, err: Any) -> Problem:
    loc = tuple(err["loc"])
    kind = err["type"]
    path = _yaml_path(source, _written(source.data, loc))
    if loc and loc[-1] == "[key]":
        key = str(loc[-2]) if len(loc) > 1 else "?"
        return source.problem(path, f"{_describe(path[:-1])}: {key!r} is not a valid name",
                              f"{NAME_HINT}, e.g. {_suggest_name(key)!r}", key=True, code="name")
    where = _describe(path)
    if kind == "extra_forbidden":
        allowed = _allowed_keys(path[:-1])
        hint = f"allowed keys here: {', '.join(allowed)}" if allowed else "remove it"
        hint = _did_you_mean(str(path[-1]), allowed) + hint
        return source.problem(path, f"unknown key {path[-1]!r} in {_describe(path[:-1])}", hint,
                              key=True, code="unknown_key")
    if kind == "missing":
        return source.problem(path[:-1], f"{_describe(path[:-1])} is missing required key {path[-1]!r}",
                              f"add '{path[-1]}:'", code="missing")
    if kind in ("literal_error", "enum"):
        expected = err.get("ctx", {}).get("expected", "")
        return source.problem(path, f"{where}: {err['input']!r} is not allowed",
                              f"use one of {expected}", code="choice")
    if kind == "string_pattern_mismatch":
        return source.problem(path, f"{where}: {err['input']!r} is not a valid name",
                              f"{NAME_HINT}, e.g. {_suggest_name(str(err['input']))!r}", code="name")
    message, hint = _explain(err)
    return source.problem(path, f"{where}: {message}", hint, code=kind)


SCHEMA_HINT = "see 'yishi workflows schema' for what is allowed here"


def _explain(err: Any, fallback: str = SCHEMA_HINT) -> tuple[str, str]:
    """Our own words for a pydantic error: (what is wrong, how to fix it)."""
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    shown = _short(value)
    if kind == "value_error":
        what, _, how = str(ctx.get("error", err["msg"])).partition("; ")
        return what, how or fallback
    if value is None and kind in _EXPECTED:
        return "the value is empty", _EXPECTED[kind][1]
    if kind == "model_type":
        cls = ctx.get("class_name", "")
        if cls == "Text":
            return f"expected text, got {shown}", "write text, or both languages as {zh: …, en: …}"
        if cls == "Choice":
            return f"expected a choice, got {shown}", "write the value, or {value: …, label: …}"
        return f"expected a mapping, got {shown}", "write 'key: value' lines"
    if kind in _EXPECTED:
        noun, hint = _EXPECTED[kind]
        return f"{shown} is not {noun}", hint
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(ctx.values()), "?")
        hint = {"greater_than_equal": f"use {bound} or more", "greater_than": f"use more than {bound}",
                "less_than_equal": f"use {bound} or less", "less_than": f"use less than {bound}"}[kind]
        return f"{shown} is out of range", hint
    return err["msg"], fallback


_EXPECTED = {
    "int_parsing": ("a whole number", "write a whole number, e.g. 1"),
    "int_type": ("a whole number", "write a whole number, e.g. 1"),
    "int_from_float": ("a whole number", "write a whole number, e.g. 1"),
    "float_parsing": ("a number", "write a number, e.g. 0.5"),
    "float_type": ("a number", "write a number, e.g. 0.5"),
    "bool_parsing": ("true or false", "write true or false"),
    "bool_type": ("true or false", "write true or false"),
    "string_type": ("text", "write text; quote it if YAML would read it as something else"),
    "list_type": ("a list", "write a list ('- item' lines or [a, b])"),
    "dict_type": ("a mapping", "write 'key: value' lines"),
}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a single text"
    return f"a single value ({_short(value)})"


def _did_you_mean(name: str, options: Any) -> str:
    """``"did you mean 'done'? "`` when ``name`` looks like a typo of one of ``options``."""
    close = difflib.get_close_matches(name, [str(o) for o in options], n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def _either(names: Any) -> str:
    """``'integer' or 'number'``: the names sorted, quoted, the last joined with 'or'."""
    quoted = [repr(n) for n in sorted(names)]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _suggest_name(name: str) -> str:
    """``Bad-Name`` → ``bad_name``: a valid identifier close to what was written."""
    ident = re.sub(r"[^a-z0-9_]+", "_", name.strip().lower()).strip("_") or "name"
    return ident if not ident[0].isdigit() else f"_{ident}"


def _yaml_path(source: Source, path: Path) -> Path:
    """Map a model path back to the path written in YAML.

    A guard or action is written ``- quorum: {present: attended}`` but modelled as
    ``{name: quorum, args: {...}}``: ``args`` becomes ``quorum`` (and ``name`` too).
    """
    out: list[str | int] = []
    node: Any = source.data
    for step in path:
        if isinstance(node, dict) and step not in node and step in ("args", "name") \
                and len(node) == 1 and "name" not in node:
            step = next(iter(node))
        out.append(step)
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(out)


_UNION_TAGS = {"str", "int", "float", "list[str]", "function-before[_from_plain(), Text]"}


def _written(data: Any, loc: tuple[Any, ...]) -> Path:
    """The steps of a pydantic error location that name something written in ``data``.

    Pydantic puts the names of union members (``int``, ``list[str]``) and markers such as
    ``[key]`` into locations; they are dropped, but a key the author wrote (even ``a[b]`` or
    ``int``) is kept, because it is found in the data at that point.
    """
    out: list[str | int] = []
    node: Any = data
    for step in loc:
        if isinstance(node, dict) and step in node:
            out.append(step)
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            out.append(step)
            node = node[step]
        elif isinstance(step, str) and ("[" in step or step in _UNION_TAGS):
            continue
        else:
            out.append(step)  # a key the model expects but the data lacks ('missing'), or args
            node = None
    return tuple(out)


def _describe(path: Path) -> str:
    if not path:
        return "the workflow"
    parts: list[str] = []
    for item in path:
        parts.append(f"[{item}]" if isinstance(item, int) else (f".{item}" if parts else str(item)))
    return "".join(parts)


def _allowed_keys(path: Path) -> list[str]:
    model: Any = Workflow
    for item in path:
        model = _unwrap(model)
        if isinstance(model, type) and issubclass(model, BaseModel):
            info = model.model_fields.get(str(item))
            if info is None:
                return []
            model = info.annotation
        else:  # a dict value or a list item: step into the element type
            args = typing.get_args(model)
            model = args[-1] if args else None
    model = _unwrap(model)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else annotation
    return annotation


# ---------------------------------------------------------------- graph and name checks
class _Checker:
    def __init__(self, source: Source, workflow: Workflow, catalog: Catalog,
                 ghosts: Ghosts | None = None) -> None:
        self.s = source
        self.w = workflow
        self.catalog = catalog
        self.ghosts = ghosts or Ghosts()  # what a schema problem took out (partial.prune)
        self.problems: list[Problem] = []
        self.fields = self._all_fields()

    def run(self) -> list[Problem]:
        check_initial(self.w, self.ghosts, self._add, self._names, _did_you_mean)
        self._transitions()
        check_graph(self.w, self.ghosts, self._add)
        self._timers()
        self._forms()
        self._documents()
        check_schedules(self.w, self.w.initial_state() if self._has_initial() else None, self._add,
                        _did_you_mean)
        for j, role in enumerate(self.w.start_roles):
            if role not in self.w.roles:
                self._add(("start_roles", j), f"start_roles: unknown role {role!r}",
                          f"{_did_you_mean(role, self.w.roles)}declare it under 'roles:' "
                          f"or use one of {self._names(self.w.roles)}",
                          code="unknown_role")
        if self.w.subject is not None and self.w.subject not in self.fields:
            first = self.w.states.get(self.w.initial_state()) if self._has_initial() else None
            names = [f.name for f in first.form] if first else []
            self._add(("subject",), f"subject field {self.w.subject!r} is not in any form",
                      f"name a field of the first step's form: {self._names(names)}" if names
                      else "add the field to the first step's form", code="unknown_field")
        return self.problems

    def _add(self, path: Path, message: str, hint: str = "", *, key: bool = False,
             code: str = "invalid") -> None:
        self.problems.append(self.s.problem(path, message, hint, key=key, code=code))

    def _all_fields(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for state_name, state in self.w.states.items():
            for f in state.form:
                names.setdefault(f.name, state_name)
                names[f"{state_name}.{f.name}"] = state_name
        for t in self.w.transitions:
            for f in t.form:
                names.setdefault(f.name, t.trigger)
        return names

    def _has_initial(self) -> bool:
        return self.w.initial is not None or any(st.initial for st in self.w.states.values())

    def _names(self, items: Any) -> str:
        return ", ".join(repr(n) for n in items)

    def _transitions(self) -> None:
        for i, t in enumerate(self.w.transitions):
            base = ("transitions", i)
            for j, src in enumerate(t.source):
                if src not in self.w.states:
                    self._add(base + ("source", j),
                              f"transition {t.trigger!r}: unknown source state {src!r}",
                              f"{_did_you_mean(src, self.w.states)}use one of {self._names(self.w.states)}",
                              code="unknown_state")
                elif self.w.states[src].final:
                    self._add(base + ("source", j),
                              f"final state {src!r} has an outgoing transition {t.trigger!r}",
                              f"remove 'final: true' from {src!r} or remove the transition",
                              code="final_exit")
            if t.dest not in self.w.states:
                self._add(base + ("dest",), f"transition {t.trigger!r}: unknown destination state {t.dest!r}",
                          f"{_did_you_mean(t.dest, self.w.states)}use one of {self._names(self.w.states)}",
                          code="unknown_state")
            for j, role in enumerate(t.roles):
                if role not in self.w.roles:
                    self._add(base + ("roles", j), f"transition {t.trigger!r}: unknown role {role!r}",
                              f"{_did_you_mean(role, self.w.roles)}declare it under 'roles:' "
                              f"or use one of {self._names(self.w.roles)}",
                              code="unknown_role")
            self._readonly_redeclared(base, t)
            form_here = {f.name for src in t.source if src in self.w.states
                         for f in self.w.states[src].form} | {f.name for f in t.form}
            for j, call in enumerate(t.guards):
                self._call(base + ("guards", j), "guard", call.name, call.args,
                           self.catalog.guards, form_here)
            for j, call in enumerate(t.actions):
                self._call(base + ("actions", j), "action", call.name, call.args,
                           self.catalog.actions, form_here)

    def _readonly_redeclared(self, base: Path, t: Any) -> None:
        """A transition's form may not declare a field its source state keeps ``readonly``:
        the procedure records that field itself, so nobody may type it in on the way out."""
        for j, f in enumerate(t.form):
            for src in t.source:
                state = self.w.states.get(src)
                spec = next((g for g in state.form if g.name == f.name), None) if state else None
                if spec is not None and spec.readonly:
                    self._add(base + ("form", j, "name"),
                              f"transition {t.trigger!r}: field {f.name!r} is readonly in state {src!r}, "
                              "so its form may not declare it again",
                              f"rename the transition's field, or drop 'readonly: true' from {f.name!r} "
                              f"in {src!r} if people may type it in", code="readonly_redeclared")
                    break

    def _call(self, path: Path, kind: str, name: str, args: dict[str, Any],
              known: Mapping[str, type[BaseModel] | None], form_here: set[str]) -> None:
        if not self.catalog.check_names:
            return
        if name not in known:
            self._add(path, f"unknown {kind} {name!r}",
                      f"{_did_you_mean(name, known)}use one of {self._names(sorted(known))} "
                      "or install the plugin that provides it", code=f"unknown_{kind}")
            return
        model = known[name]
        if model is None:
            return
        args_path = _yaml_path(self.s, path + ("args",))
        wrong: set[str] = set()  # arguments already reported: their values are not checked again
        try:
            model.model_validate(args)
        except ValidationError as exc:
            for err in exc.errors():
                if err["loc"]:
                    wrong.add(str(err["loc"][0]))
                loc = _written(args, tuple(err["loc"]))
                if err["type"] == "extra_forbidden":
                    self._add(args_path + loc, f"{kind} {name!r} takes no argument {loc[-1]!r}",
                              f"{_did_you_mean(str(loc[-1]), model.model_fields)}"
                              f"its arguments are {self._names(model.model_fields)}",
                              key=True, code=f"{kind}_args")
                elif err["type"] == "missing":
                    self._add(path, f"{kind} {name!r} needs argument {loc[-1]!r}",
                              f"add '{loc[-1]}: ...' under {name!r}", code=f"{kind}_args")
                else:
                    message, hint = _explain(err, f"its arguments are {self._names(model.model_fields)}")
                    where = f"{kind} {name!r}, argument {'.'.join(map(str, loc))!r}" if loc \
                        else f"{kind} {name!r}"
                    self._add(args_path + loc, f"{where}: {message}", hint, code=f"{kind}_args")
        self._markers(args_path, kind, name, model, args, wrong)

    def _markers(self, path: Path, kind: str, name: str, model: type[BaseModel], args: Any,
                 wrong: set[str]) -> None:
        """Check every argument that names a field or a param, also inside lists of sub-models."""
        if not isinstance(args, dict):
            return
        for arg, info in model.model_fields.items():
            key = info.alias or arg
            if key not in args or arg in wrong:
                continue
            marker = marker_of_field(info)
            if marker is not None:
                try:
                    accepted = field_types_of(info) if marker is FIELD else None
                except TypeError:  # refused when registered (collect_registry); a hand-made Catalog
                    accepted = None
                self._operand(path + (key,), kind, name, key, args[key], marker.kind, accepted)
                continue
            inner = [a for a in typing.get_args(_unwrap(info.annotation)) if isinstance(a, type)
                     and issubclass(a, BaseModel)]
            if inner and isinstance(args[key], list):
                for j, item in enumerate(args[key]):
                    self._markers(path + (key, j), kind, name, inner[0], item, set())

    def _operand(self, path: Path, kind: str, name: str, arg: str, value: Any, marker: str,
                 accepted: frozenset[str] | None = None) -> None:
        where = f"{kind} {name!r}, argument {arg!r}"
        many = isinstance(value, list)
        for k, item in enumerate(value if many else [value]):
            here = path + (k,) if many else path
            if isinstance(item, str) and item.startswith("$"):
                self._param_ref(here, where, item[1:], marker)
                continue
            if marker == FIELD.kind or (marker == OPERAND.kind and isinstance(item, str)):
                for ref in field_names(item):
                    if ref not in self.fields and accepted is not None:
                        fits = self._fields_of_type(accepted)
                        self._add(here, f"{where}: unknown field {ref!r}",
                                  f"{_did_you_mean(ref, fits or self.fields)}this {kind} needs a field of type "
                                  f"{_either(accepted)}" + (f"; fields of that type here: {self._names(fits)}"
                                                            if fits else "; add one to a form"),
                                  code="unknown_field")
                    elif ref not in self.fields:
                        self._add(here, f"{where}: unknown field {ref!r}",
                                  f"{_did_you_mean(ref, self.fields)}"
                                  "name a field of a state's form (or 'state.field')",
                                  code="unknown_field")
                    elif accepted is not None:
                        self._field_type(here, where, kind, ref, accepted)
            elif marker == FRACTION.kind:
                try:
                    parse_fraction(item)
                except ValueError as exc:
                    what, _, how = str(exc).partition("; ")
                    self._add(here, f"{where}: {what}", how, code="fraction")
            elif marker == TABLE.kind:
                self._add(here, f"{where}: {item!r} is not a $param", "name a param of type 'table', e.g. "
                          "'$category_limits'", code="param_type")
            elif marker == DURATION.kind:
                try:
                    parse_span(item)
                except ValueError as exc:
                    what, _, how = str(exc).partition("; ")
                    self._add(here, f"{where}: {what}", how, code="duration")

    def _field_type(self, path: Path, where: str, kind: str, ref: str, accepted: frozenset[str]) -> None:
        """A ``FieldName[X]`` argument names field ``ref``: some form must declare it with a
        type ``X`` takes (``operands.FIELD_TYPES``)."""
        specs = self._specs(ref)
        if not specs or any(spec.type in accepted for spec in specs):
            return
        fits = self._fields_of_type(accepted)
        article = "an" if specs[0].type[0] in "aeiou" else "a"
        self._add(path, f"{where}: {ref!r} is {article} {specs[0].type} field",
                  f"this {kind} needs a field of type {_either(accepted)}"
                  + (f"; fields of that type here: {self._names(fits)}" if fits else "; add one to a form"),
                  code="field_type")

    def _specs(self, ref: str) -> list[FormField]:
        """Every form field ``ref`` may mean: ``state.field`` that state's, ``field`` any form's."""
        if "." in ref:
            state, _, name = ref.partition(".")
            found = self.w.states.get(state)
            return [f for f in found.form if f.name == name] if found is not None else []
        forms = [st.form for st in self.w.states.values()] + [t.form for t in self.w.transitions]
        return [f for form in forms for f in form if f.name == ref]

    def _fields_of_type(self, accepted: frozenset[str]) -> list[str]:
        return [n for n in self.fields if "." not in n and any(s.type in accepted for s in self._specs(n))]

    def _param_ref(self, path: Path, where: str, param: str, marker: str) -> None:
        if param not in self.w.params:
            declared = f"use one of {self._names(self.w.params)}" if self.w.params \
                else "no params are declared yet"
            close = difflib.get_close_matches(param, list(self.w.params), n=1)
            self._add(path, f"{where}: unknown param '${param}'",
                      (f"did you mean '${close[0]}'? " if close else "")
                      + f"declare it under 'params:' or {declared}",
                      code="unknown_param")
            return
        expected = {FRACTION.kind: ("fraction",), DURATION.kind: ("duration",), TABLE.kind: ("table",),
                    OPERAND.kind: ("integer", "number", "fraction")}.get(marker)
        if expected and self.w.params[param].type not in expected:
            self._add(path, f"{where}: param '${param}' is of type {self.w.params[param].type!r}",
                      f"use a param of type {' or '.join(map(repr, expected))} here",
                      code="param_type")

    def _timers(self) -> None:
        graph = Graph(self.w, self.ghosts)
        triggers = {t.trigger for t in self.w.transitions} | {g.trigger for g in self.ghosts.transitions if g.trigger}
        for name, state in self.w.states.items():
            leaving = {t.trigger for t in self.w.transitions_from(name) if t.dest != name} | graph.ghost_exits(name)
            for i, timer in enumerate(state.timers):
                path = ("states", name, "timers", i)
                if timer.after is not None and timer.after.startswith("$"):
                    self._param_ref(path + ("after",), "timer 'after'", timer.after[1:], DURATION.kind)
                self._timer_fields(path, name, timer)
                if timer.when is not None:
                    self._call(path + ("when",), "guard", timer.when.name, timer.when.args,
                               self.catalog.guards, set())
                for j, role in enumerate(timer.remind or []):
                    if role not in self.w.roles:
                        self._add(path + ("remind", j), f"timer in {name!r} reminds unknown role {role!r}",
                                  f"{_did_you_mean(role, self.w.roles)}declare it under 'roles:' "
                                  f"or use one of {self._names(self.w.roles)}", code="unknown_role")
                if timer.fire is not None and timer.fire not in leaving and not self.ghosts.whole:
                    what = "which does not leave" if timer.fire in triggers else \
                        "but no transition has that trigger; it cannot leave"
                    self._add(path + ("fire",),
                              f"timer in {name!r} fires {timer.fire!r}, {what} {name!r}",
                              f"{_did_you_mean(timer.fire, leaving)}fire one of {self._names(sorted(leaving))}"
                              if leaving
                              else f"add a transition with trigger {timer.fire!r} out of {name!r}",
                              code="timer_trigger")

    def _field_spec(self, name: str) -> FormField | None:
        for state in self.w.states.values():
            for f in state.form:
                if f.name == name:
                    return f
        for t in self.w.transitions:
            for f in t.form:
                if f.name == name:
                    return f
        return None

    def _timer_fields(self, path: Path, state: str, timer: Any) -> None:
        """``at``, ``each``, ``remind_people`` and ``unless`` name fields (item fields with ``each``)."""
        scope: dict[str, FormField] = {}
        if timer.each is not None:
            spec = self._field_spec(timer.each)
            if spec is None or spec.type != "list":
                self._add(path + ("each",), f"timer in {state!r}: 'each: {timer.each}' is not a list field",
                          "name a field of type 'list' (repeated items) from a form", code="timer_field")
                return
            scope = {f.name: f for f in spec.fields or []}
        else:
            scope = {name: f for name in self.fields if "." not in name
                     for f in [self._field_spec(name)] if f is not None}
        where = f"the items of {timer.each!r}" if timer.each else "the forms"
        checks = [("at", timer.at), ("from", timer.from_)] + \
            [("remind_people", n) for n in timer.remind_people or []] + [("unless", timer.unless)]
        for key, ref in checks:
            if ref is None:
                continue
            if ref not in scope:
                self._add(path + (key,), f"timer in {state!r}: {key} names unknown field {ref!r}",
                          f"{_did_you_mean(ref, scope)}use a field of {where}: {self._names(scope)}",
                          code="unknown_field")
            elif key in ("at", "from") and scope[ref].type not in ("date", "datetime"):
                self._add(path + (key,), f"timer in {state!r}: '{key}: {ref}' is a {scope[ref].type} field",
                          "name a field of type 'date' or 'datetime'", code="timer_field")

    def _documents(self) -> None:
        """``states.<name>.documents``: known kinds, meant for this workflow, whose fields exist."""
        for name, state in self.w.states.items():
            seen: set[str] = set()
            for j, doc in enumerate(state.documents):
                path = ("states", name, "documents", j)
                if doc in seen:
                    self._add(path, f"document {doc!r} is listed twice in {name!r}", "list it once",
                              code="duplicate_document")
                seen.add(doc)
                if not self.catalog.check_names:
                    continue
                kind = self.catalog.documents.get(doc)
                if kind is None:
                    self._add(path, f"unknown document {doc!r}",
                              f"{_did_you_mean(doc, self.catalog.documents)}use one of "
                              f"{self._names(sorted(self.catalog.documents))}", code="unknown_document")
                    continue
                if kind.workflows and self.w.id not in kind.workflows:
                    self._add(path, f"document {doc!r} is made for {self._names(kind.workflows)}, "
                                    f"not {self.w.id!r}",
                              "name a document registered for this workflow, or register one",
                              code="document_workflow")
                    continue
                missing = [f for f in kind.fields if f not in self.fields]
                if missing:
                    self._add(path, f"document {doc!r} prints fields this workflow does not have: "
                                    f"{self._names(missing)}",
                              "add them to a form, or use another document", code="document_fields")

    def _forms(self) -> None:
        for name, state in self.w.states.items():
            self._form(("states", name, "form"), state.form)
            for j, check in enumerate(state.checks):
                self._check(("states", name, "checks", j), check)
        for i, t in enumerate(self.w.transitions):
            self._form(("transitions", i, "form"), t.form)

    def _form(self, path: Path, form: list[FormField], *, items: bool = False) -> None:
        seen: set[str] = set()
        for i, f in enumerate(form):
            if f.name in seen:
                self._add(path + (i, "name"), f"field {f.name!r} appears twice in this form",
                          "rename one of them", code="duplicate_field")
            seen.add(f.name)
            for bound in ("min", "max"):
                value = getattr(f, bound)
                if isinstance(value, str):
                    if value.startswith("$"):
                        self._param_ref(path + (i, bound), f"field {f.name!r} {bound}", value[1:],
                                        OPERAND.kind)
                    elif items:
                        self._add(path + (i, bound),
                                  f"field {f.name!r} of a list item: {bound} {value!r} is neither a number "
                                  "nor a $param", f"write a number or a $param; fields of the whole form "
                                  "can bound the list itself", code="bound")
                    else:
                        self._number_field(path + (i, bound), f"field {f.name!r}: {bound}", value,
                                           self_name=f.name)
            if f.unique is not None:
                names = [x.name for x in f.fields or []]
                if f.type != "list":
                    self._add(path + (i, "unique"), f"field {f.name!r}: 'unique' needs a list field",
                              "remove 'unique', or make the field 'type: list'", code="constraint")
                elif f.unique not in names:
                    self._add(path + (i, "unique"), f"field {f.name!r}: unique names unknown item field "
                              f"{f.unique!r}", f"{_did_you_mean(f.unique, names)}use one of {self._names(names)}",
                              code="unknown_field")
            for key in ("not_before", "not_after"):
                ref = getattr(f, key)
                if ref is None:
                    continue
                if f.type not in ("date", "datetime"):
                    self._add(path + (i, key), f"field {f.name!r}: '{key}' needs a date or datetime field "
                              f"(it is {f.type!r})", f"remove '{key}' or make the field 'type: date'",
                              code="constraint")
                elif ref in ("now", "opened", "entered"):
                    continue
                elif items:
                    self._add(path + (i, key), f"field {f.name!r} of a list item: {key} {ref!r} must be "
                              "'now', 'opened' or 'entered'", "compare list items with moments only",
                              code="constraint")
                elif ref not in self.fields:
                    self._add(path + (i, key), f"field {f.name!r}: {key} names unknown field {ref!r}",
                              f"{_did_you_mean(ref, list(self.fields) + ['now', 'opened', 'entered'])}"
                              "write 'now', 'opened', 'entered' or a date field ('field' or 'state.field')",
                              code="unknown_field")
                else:
                    spec = self._field_spec(ref.rpartition(".")[2])
                    if spec is not None and spec.type not in ("date", "datetime"):
                        self._add(path + (i, key), f"field {f.name!r}: {key} names {ref!r}, a "
                                  f"{spec.type} field", "name a field of type 'date' or 'datetime'",
                                  code="constraint")
            if f.fields:
                self._form(path + (i, "fields"), f.fields, items=True)

    def _number_field(self, path: Path, where: str, ref: str, *, self_name: str = "") -> None:
        """``ref`` must name a number field (or a list, whose count it means)."""
        if ref not in self.fields:
            self._add(path, f"{where} {ref!r} is neither a number, a $param nor a field",
                      f"{_did_you_mean(ref, self.fields)}write a number, a declared param as '$name', "
                      "or the name of a number field ('field' or 'state.field')", code="bound")
            return
        if ref == self_name:
            self._add(path, f"{where} names the field itself", "name another field", code="bound")
            return
        spec = self._field_spec(ref.rpartition(".")[2])
        if spec is not None and spec.type not in ("integer", "number", "list"):
            self._add(path, f"{where} names {ref!r}, a {spec.type} field",
                      "name a field of type 'integer' or 'number'", code="bound")

    def _check(self, path: Path, check: Any) -> None:
        for j, name in enumerate(check.sum):
            self._number_field(path + ("sum", j), "check: sum of", name)
        for key in ("at_most", "at_least"):
            value = getattr(check, key)
            if isinstance(value, str):
                if value.startswith("$"):
                    self._param_ref(path + (key,), f"check {key}", value[1:], OPERAND.kind)
                else:
                    self._number_field(path + (key,), f"check: {key}", value)

