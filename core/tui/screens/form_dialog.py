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
                 ok: str | None = None) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.fields = tuple(fields)
        self.values = dict(values)
        self.lang = lang
        self.blink = blink
        self.check = check
        self.ok_label = ok or tr("dlg.ok", lang)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(Text(self.title_text, style="bold"), classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield FormView(self.fields, self.values, self.lang, blink=self.blink, id="dialog-form")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.ok_label, variant="primary", id="ok")
                yield Button(tr("dlg.cancel", self.lang), id="cancel")

    def on_mount(self) -> None:
        self.app.localize(self)  # type: ignore[attr-defined]
        self.focus_next()

    def action_ok(self) -> None:
        values = self.query_one(FormView).values()
        errors = self.check(values) if self.check else {}
        if errors:
            self.query_one(FormView).set_errors(errors)
            return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.action_ok()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_cancel()
