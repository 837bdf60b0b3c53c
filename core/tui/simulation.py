"""Time in a simulation database (the demo, training): the "advance time" dialog (to the next
deadline, or N days) behind F10, which the app offers on simulation databases only. The engine does the work (``Engine.advance``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from yishi.tui.i18n import STRINGS, tr

if TYPE_CHECKING:
    from yishi.engine.engine import Engine

STRINGS.update({
    "key.advance_time": ("推进时间", "advance time"),
    "sim.title": ("推进模拟时间", "Advance the simulated time"),
    "sim.now": ("模拟当前时间：{now}", "simulated now: {now}"),
    "sim.next": ("下一个期限：{at}", "next deadline: {at}"),
    "sim.no_next": ("没有待到期的期限", "no deadline is pending"),
    "sim.to_next": ("到下一个期限", "to the next deadline"),
    "sim.days_label": ("或推进天数：", "or advance by days:"),
    "sim.by_days": ("推进", "advance"),
    "sim.cancel": ("取消", "cancel"),
    "sim.bad_days": ("只能填 1 到 3650 之间的整数天数", "enter a whole number of days from 1 to 3650"),
    "sim.done": ("模拟时间已推进到 {now}；定时事项处理 {n} 项", "simulated time is now {now}; {n} timers done"),
})

ADVANCE_BINDING = Binding("f10", "advance_time", "advance time", id="advance_time")


def is_simulation(engine: Engine | None) -> bool:
    return engine is not None and getattr(engine, "mode", "sandbox") == "simulation"


def local_text(engine: Engine, moment: Any) -> str:
    return moment.astimezone(engine.tz).strftime("%Y-%m-%d %H:%M")


class AdvanceDialog(ModalScreen[tuple[str, int] | None]):
    """Advance to the next deadline or by N days; returns ("next", 0), ("days", n) or None."""

    BINDINGS = [Binding("escape", "cancel", "cancel", id="dialog_cancel")]

    def __init__(self, engine: Engine, lang: str) -> None:
        super().__init__(classes="dialog info")
        self.engine = engine
        self.lang = lang

    def compose(self) -> ComposeResult:
        t = lambda key, **kw: tr(key, self.lang, **kw)  # noqa: E731
        due = self.engine.next_due()
        with Vertical(classes="dialog-box"):
            yield Label(Text(t("sim.title"), style="bold"), classes="dialog-title")
            yield Static(t("sim.now", now=local_text(self.engine, self.engine.now())), id="sim-now")
            yield Static(t("sim.next", at=local_text(self.engine, due)) if due else t("sim.no_next"), id="sim-next")
            yield Label(t("sim.days_label"))
            yield Input(value="7", id="sim-days", restrict=r"[0-9]*", max_length=4)
            yield Static("", id="sim-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("sim.to_next"), variant="primary", id="sim-next-btn", disabled=due is None)
                yield Button(t("sim.by_days"), id="sim-days-btn")
                yield Button(t("sim.cancel"), id="sim-cancel")

    def on_mount(self) -> None:
        button = self.query_one("#sim-next-btn", Button)
        (button if not button.disabled else self.query_one("#sim-days", Input)).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#sim-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#sim-next-btn")
    def _next(self) -> None:
        self.dismiss(("next", 0))

    @on(Button.Pressed, "#sim-days-btn")
    @on(Input.Submitted, "#sim-days")
    def _days(self) -> None:
        raw = self.query_one("#sim-days", Input).value.strip()
        if not raw.isdigit() or not 1 <= int(raw) <= 3650:
            self.query_one("#sim-error", Static).update(Text(tr("sim.bad_days", self.lang), style="bold red"))
            return
        self.dismiss(("days", int(raw)))


def advance(engine: Engine, choice: tuple[str, int]) -> int:
    """Do what the dialog chose; how many timers fired or reminded."""
    from datetime import timedelta

    kind, days = choice
    results = engine.advance_to_next() if kind == "next" else engine.advance_by(timedelta(days=days))
    return len([r for r in results if r.outcome != "skipped"])
