"""Diagrams of a workflow: Mermaid ``stateDiagram-v2`` and Graphviz DOT text, titles in zh or en.

Final states are marked (Mermaid: an edge to ``[*]``; DOT: a double border), each edge carries
the step's title with its guards, and each state's timers are noted.
"""

from __future__ import annotations

from typing import Any

from yishi.definition.models import Call, Timer, Transition, Workflow


# ---------------------------------------------------------------- words shared by both formats
def _zh(lang: str) -> bool:
    return lang.startswith("zh")


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "{" + ", ".join(_value(v) for v in value) + "}"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def guard_text(call: Call) -> str:
    """One guard, briefly: ``quorum attended/representatives ≥ $representatives_quorum``."""
    a = call.args
    if call.name in ("quorum", "majority"):
        part, whole = (a.get("present"), a.get("members")) if call.name == "quorum" \
            else (a.get("votes"), a.get("of"))
        op, need = (">", a["more_than"]) if a.get("more_than") is not None else ("≥", a.get("at_least"))
        return f"{call.name} {part}/{whole} {op} {need}"
    if call.name == "elapsed":
        return f"elapsed ≥ {a.get('at_least')}"
    if call.name == "equals":
        if "in" in a:
            return f"{a.get('field')} ∈ {_value(a['in'])}"
        return f"{a.get('field')} = {_value(a.get('value'))}"
    if call.name == "fields":
        return "filled: " + ", ".join(map(str, a.get("names") or []))
    if call.name == "items_done":
        return f"all {a.get('items')} {a.get('field', 'done')}"
    return call.name


def _handover(t: Transition) -> list[str]:
    return [f"⇒ {c.args.get('workflow')}" for c in t.actions if c.name == "start_case"]


def edge_text(t: Transition, lang: str) -> str:
    """An edge's label: the step's title, then its guards in brackets, then any case it starts."""
    text = t.title.get(lang)
    notes = [guard_text(g) for g in t.guards]
    if notes:
        text += " [" + ", ".join(notes) + "]"
    extra = _handover(t)
    if extra:
        text += " " + " ".join(extra)
    return text


def timer_text(wf: Workflow, timer: Timer, lang: str) -> str:
    """One timer, e.g. ``⏱ after $notice_period: remind Party secretary``."""
    zh = _zh(lang)
    if timer.after is not None:
        when = f"{timer.after} 后" if zh else f"after {timer.after}"
    elif timer.each is not None:
        when = f"{timer.each} 每项的 {timer.at}" if zh else f"each {timer.each} at its {timer.at}"
    else:
        when = f"于 {timer.at}" if zh else f"at {timer.at}"
    if timer.when is not None:
        when += f" [{guard_text(timer.when)}]"
    if timer.fire is not None:
        what = f"自动执行 {timer.fire}" if zh else f"fires {timer.fire}"
    else:
        whom = [wf.roles[r].title.get(lang) if r in wf.roles else r for r in timer.remind or []]
        whom += list(timer.remind_people or [])
        what = ("提醒 " if zh else "remind ") + ("、" if zh else ", ").join(whom)
    if timer.unless is not None:
        what += f"（{timer.unless} 已填则免）" if zh else f" unless {timer.unless}"
    return f"⏱ {when}：{what}" if zh else f"⏱ {when}: {what}"


# ---------------------------------------------------------------- Mermaid
def _mermaid_escape(text: str) -> str:
    """Mermaid ends a label at ':' or ';' and a state title at '"': use look-alikes."""
    return (text.replace('"', "'").replace(":", "：").replace(";", "；")
            .replace("\n", " ").replace("#", "＃"))


def to_mermaid(wf: Workflow, lang: str = "zh") -> str:
    """The workflow as a Mermaid ``stateDiagram-v2`` (with a front-matter title)."""
    lines = ["---", f"title: {_mermaid_escape(wf.title.get(lang))}", "---", "stateDiagram-v2"]
    for name, state in wf.states.items():
        lines.append(f'    state "{_mermaid_escape(state.title.get(lang))}" as {name}')
    lines.append(f"    [*] --> {wf.initial_state()}")
    for t in wf.transitions:
        for source in t.source:
            lines.append(f"    {source} --> {t.dest}: {_mermaid_escape(edge_text(t, lang))}")
    for name, state in wf.states.items():
        if state.final:
            lines.append(f"    {name} --> [*]")
    for name, state in wf.states.items():
        if state.timers:
            lines.append(f"    note right of {name}")
            lines.extend(f"        {_mermaid_escape(timer_text(wf, tm, lang))}" for tm in state.timers)
            lines.append("    end note")
    finals = [name for name, state in wf.states.items() if state.final]
    if finals:
        lines.append("    classDef final stroke-width:3px")
        lines.append(f"    class {','.join(finals)} final")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- DOT
def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(wf: Workflow, lang: str = "zh") -> str:
    """The workflow as a Graphviz ``digraph``: final states double-bordered, timers in the nodes."""
    lines = [f"digraph {_dot_quote(wf.id)} {{",
             f"    label={_dot_quote(wf.title.get(lang))}; labelloc=t; rankdir=TB;",
             '    node [shape=box, style=rounded, fontname="sans-serif"];',
             '    edge [fontname="sans-serif", fontsize=10];',
             "    __start [shape=point, label=\"\"];"]
    for name, state in wf.states.items():
        label = "\n".join([state.title.get(lang)] + [timer_text(wf, tm, lang) for tm in state.timers])
        attrs = [f"label={_dot_quote(label)}"]
        if state.final:
            attrs.append("peripheries=2")
        lines.append(f"    {name} [{', '.join(attrs)}];")
    lines.append(f"    __start -> {wf.initial_state()};")
    for t in wf.transitions:
        label = t.title.get(lang) + "".join(f"\n{guard_text(g)}" for g in t.guards) \
            + "".join(f"\n{h}" for h in _handover(t))
        for source in t.source:
            lines.append(f"    {source} -> {t.dest} [label={_dot_quote(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


FORMATS = {"mermaid": to_mermaid, "dot": to_dot}


def render(wf: Workflow, fmt: str = "mermaid", lang: str = "zh") -> str:
    """``to_mermaid`` or ``to_dot`` by name. Raises ``ValueError`` for another format."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return FORMATS[fmt](wf, lang)


__all__ = ["FORMATS", "edge_text", "guard_text", "render", "timer_text", "to_dot", "to_mermaid"]
