"""Reasons for people: recorded values shown as labels (是/否, choice titles, 未填写), and the
refusals of several alternative transitions merged ("需解决层级为 3、4 或 5"), so every front end
(TUI, CLI, web) says the same thing in the user's words."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from yishi.engine.types import Verdict

if TYPE_CHECKING:
    from yishi.definition.models import FormField

UNSET = ("未填写", "not filled in")


def shown(value: Any, spec: FormField | None) -> tuple[str, str]:
    """``value`` as people read it, in (zh, en): choice labels, 是/否, 未填写."""
    if value is None or value == "" or value == []:
        return UNSET
    if isinstance(value, bool) or (spec is not None and spec.type == "boolean"):
        truth = value if isinstance(value, bool) else str(value).lower() in ("true", "1", "yes")
        return ("是", "yes") if truth else ("否", "no")
    if spec is not None and spec.choices:
        for c in spec.choices:
            if str(c.value) == str(value):
                return c.label.zh, c.label.en
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value), str(value)


def span(delta: Any) -> tuple[str, str]:
    """A length of time as every front end shows a countdown, in (zh, en): days and hours when
    three days or more (whole days: "6天"), days and hours from one day ("2天23小时",
    "2d23h"), else whole hours ("12小时"), else minutes (rounded up to the minute)."""
    seconds = max(0, int(delta.total_seconds()))
    seconds += -seconds % 60
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days >= 3:  # hours no longer matter: "还差 6天" / "逾期 28天"
        return f"{days}天", f"{days}d"
    if days:
        return (f"{days}天{hours}小时" if hours else f"{days}天", f"{days}d{hours}h" if hours else f"{days}d")
    if hours:  # whole hours (minutes no longer matter, and "还差 12小时40分钟" did not fit a column)
        return f"{hours}小时", f"{hours}h"
    return f"{max(minutes, 1)}分钟", f"{max(minutes, 1)}m"


def alternatives(items: Sequence[str], lang: str) -> str:
    """"3、4 或 5" / "3, 4 or 5"."""
    if len(items) <= 1:
        return "".join(items)
    if lang == "zh":
        return "、".join(items[:-1]) + " 或 " + items[-1]
    return ", ".join(items[:-1]) + " or " + items[-1]


def equals_verdict(ok: bool, label: tuple[str, str], wanted: Sequence[tuple[str, str]],
                   actual: tuple[str, str], field: str = "") -> Verdict:
    """The ``equals`` guard's verdict; ``detail`` lets alternatives on one field be merged."""
    zh_w = alternatives(_unique(w[0] for w in wanted), "zh")
    en_w = alternatives(_unique(w[1] for w in wanted), "en")
    return Verdict("equals", ok, f"需{label[0]}为 {zh_w}（现为 {actual[0]}）",
                   f"needs {label[1]} to be {en_w} (it is {actual[1]})",
                   detail=("equals", label, tuple(wanted), actual, field))


def merge(verdicts: Iterable[Verdict]) -> tuple[Verdict, ...]:
    """Refusals of alternative transitions (one trigger, several sources of truth) as one list:
    identical reasons once, ``equals`` refusals on the same field with the same current value
    joined into one ("需解决层级为 1、2 或 3（现为 未填写）")."""
    out: list[Verdict] = []
    merged: dict[tuple[Any, ...], int] = {}
    seen: set[tuple[str, bool, str]] = set()
    for v in verdicts:
        d = getattr(v, "detail", None)
        if d and d[0] == "equals" and not v.ok:
            key = (d[1], d[3])
            if key in merged:
                i = merged[key]
                prev = out[i].detail
                assert prev is not None
                both = [*prev[2], *d[2]]
                if all(w[0].isdigit() for w in both):
                    both.sort(key=lambda w: int(w[0]))
                out[i] = equals_verdict(False, d[1], both, d[3], d[4])
                continue
            merged[key] = len(out)
            out.append(v)
            continue
        sig = (v.rule, v.ok, v.reason_zh)
        if sig in seen:
            continue
        seen.add(sig)
        out.append(v)
    return tuple(out)


def _unique(items: Iterable[str]) -> list[str]:
    out: list[str] = []
    for i in items:
        if i not in out:
            out.append(i)
    return out


def automatic_triggers(workflow: Any) -> set[str]:
    """Triggers that timers fire (``fire:`` of a state's timer): system steps, not for people."""
    return {timer.fire for state in workflow.states.values() for timer in state.timers if timer.fire}


def waits_for_own_fields(workflow: Any, case: Any, item: Any, typed: Any = None) -> bool:
    """True when step ``item`` (an ``Available``) is refused only for lack of the fields its own
    dialog asks for (a reason, both parties' consent): the dialog can open and the rules are
    re-checked as they are typed. Missing fields of the current step's form, or any other rule,
    make it a real refusal."""
    from yishi.engine.forms import missing_required

    if item.enabled or not item.form:
        return item.enabled
    own = {f.name for f in item.form}
    if item.require_form:
        values = {**case.data.get(case.state, {}), **(typed or {})}
        if missing_required(workflow.states[case.state].form, {k: v for k, v in values.items() if v != ""}):
            return False
    for v in item.refusals:
        if v.rule == "form":
            continue
        d = v.detail
        if d and d[0] == "equals" and d[4].rpartition(".")[2] in own:
            continue
        return False
    return True
