"""A dialog with a small form: one item of a list field, or the fields a step asks for (a reason)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from yishi.tui.i18n import tr
from yishi.tui.widgets.form import FormView
from yishi.tui.widgets.wrap import Wrapped

if TYPE_CHECKING:
    from yishi.tui.data import FieldView


class FormDialog(ModalScreen[dict[str, Any] | None]):
    """Returns the typed values, or None when cancelled. ``check`` (optional) returns the
    messages by field that keep the dialog open."""

    BINDINGS = [
        Binding("escape", "cancel", "cancel", id="cancel"),
        Binding("ctrl+s", "ok", "OK", id="ok"),
    ]

    def __init__(self, title: str, fields: Iterable[FieldView], values: Mapping[str, Any], lang: str, *,
                 blink: bool = True, check: Callable[[dict[str, Any]], dict[str, str]] | None = None,
                 ok: str | None = None, reasons: Callable[[dict[str, Any]], list[str]] | None = None,
                 on_change: Callable[[dict[str, Any]], None] | None = None) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.fields = tuple(fields)
        self.values = dict(values)
        self.lang = lang
        self.blink = blink
        self.check = check
        self.ok_label = ok or tr("dlg.ok", lang)
        self.reasons = reasons  # the step's rules, re-checked with what is typed here
        self.on_change = on_change  # keeps the typed values safe (the app's drafts)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(Text(self.title_text, style="bold"), classes="dialog-title")
            with VerticalScroll(classes="dialog-body", can_focus=False):
                yield FormView(self.fields, self.values, self.lang, blink=self.blink, id="dialog-form")
            yield Wrapped("", id="dialog-reasons", classes="dialog-reasons")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.ok_label} (ctrl+s)", variant="primary", id="ok")
                yield Button(tr("dlg.cancel", self.lang), id="cancel")

    def on_mount(self) -> None:
        self.app.localize(self)  # type: ignore[attr-defined]
        self._show_reasons(self.values)
        self.focus_next()

    def _show_reasons(self, values: dict[str, Any]) -> list[str]:
        found = self.reasons(values) if self.reasons else []
        box = self.query_one("#dialog-reasons", Wrapped)
        box.update(Text("\n".join([tr("dlg.still_refused", self.lang), *[f"• {r}" for r in found]]),
                        style="italic") if found else "")
        box.display = bool(found)
        return found

    @on(FormView.Changed)
    def _typed(self, event: FormView.Changed) -> None:
        values = self.query_one(FormView).values()
        if self.on_change is not None:
            self.on_change(values)
        self._show_reasons(values)

    def action_ok(self) -> None:
        values = self.query_one(FormView).values()
        errors = self.check(values) if self.check else {}
        self.query_one(FormView).set_errors(errors)
        if errors:
            return
        if self._show_reasons(values):
            return  # a rule still says no: the reasons are shown above the buttons
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.action_ok()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_cancel()
