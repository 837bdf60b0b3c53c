"""The case changed meanwhile: nothing was saved; reload (keeping what was typed) or keep editing."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from yishi.tui.i18n import tr


class ConflictDialog(ModalScreen[bool]):
    """Returns True to reload the case (the typed input is kept either way)."""

    BINDINGS = [Binding("escape", "keep", "keep editing", id="cancel")]

    def __init__(self, detail: str, lang: str) -> None:
        super().__init__(classes="dialog error")
        self.detail = detail
        self.lang = lang

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(Text(tr("dlg.conflict_title", self.lang), style="bold"), classes="dialog-title")
            yield Static(Text(tr("dlg.conflict_body", self.lang)), classes="dialog-body")
            yield Static(Text(self.detail, style="dim"), classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button(tr("dlg.reload", self.lang), variant="primary", id="reload")
                yield Button(tr("dlg.keep", self.lang), id="keep")

    def on_mount(self) -> None:
        self.query_one("#reload", Button).focus()

    def action_keep(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#reload")
    def _reload(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#keep")
    def _keep(self) -> None:
        self.dismiss(False)
