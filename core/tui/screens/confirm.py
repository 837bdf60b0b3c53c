"""Asks before an irreversible step (``Available.confirm``, or a step that closes the case)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from yishi.tui.i18n import tr


class ConfirmDialog(ModalScreen[bool]):
    """Returns True to go ahead; the default button is "cancel"."""

    BINDINGS = [Binding("escape", "cancel", "cancel", id="cancel")]

    def __init__(self, title: str, body: str, lang: str) -> None:
        super().__init__(classes="dialog warning")
        self.title_text = title
        self.body = body
        self.lang = lang

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(Text(self.title_text, style="bold"), classes="dialog-title")
            yield Static(Text(self.body), classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(tr("dlg.ok", self.lang), variant="warning", id="ok")
                yield Button(tr("dlg.cancel", self.lang), variant="primary", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(False)
