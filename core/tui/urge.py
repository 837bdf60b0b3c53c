"""Urging (催办) from the case screen: the engine decides whether this person may urge this
case (overdue, held by others, in their units) and records it; the screen says what happened."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from yishi.tui.i18n import STRINGS, tr

if TYPE_CHECKING:
    from yishi.tui.data import CaseView
    from yishi.tui.screens.case import CaseScreen

URGE = "_urge"  # the step list's entry for urging: no trigger of a workflow starts with "_"

STRINGS.update({
    "urge.done": ("已催办：已通知 {who}", "urged: {who} notified"),
    "urge.title": ("不能催办", "Cannot urge"),
    "urge.step": ("▶ 催办", "▶ Urge"),
    "urge.hint": ("已逾期，提醒经办人", "overdue: remind its holders"),
})


def offers_urge(view: CaseView) -> bool:
    """An open overdue case with no step of this person's roles (the step list lists only those):
    the step list offers to urge its holders (the engine still decides, and says why not)."""
    return view.is_open and view.overdue and not view.actions


def urge_prompt(lang: str) -> Text:
    prompt = Text(tr("urge.step", lang), style="bold")
    prompt.append("\n  " + tr("urge.hint", lang), style="dim")
    return prompt


def urge_case(screen: CaseScreen) -> None:
    app = screen.yishi
    engine = app.engine
    if engine is None:
        return

    def run() -> None:
        from yishi.errors import YishiError

        try:
            result = engine.urge(screen.case_id, app.actor)
        except YishiError as exc:
            app.call_from_thread(app.show_error, exc, title=app.tr("urge.title"))
            return
        holders = [h["name"] for n in result.notifications[:1] for h in n.recipients.get("holders", [])]
        wf = engine.definition_of(result.case)
        roles = [wf.roles[r].title.get(app.lang) if r in wf.roles else r for r in result.event.data.get("urged", [])]
        who = ("、" if app.lang == "zh" else ", ").join(holders or roles)
        app.call_from_thread(app.notify, app.tr("urge.done", who=who), timeout=5)
        app.call_from_thread(screen.reload)

    screen.run_worker(run, thread=True, exclusive=True, group="urge", name="urge")
