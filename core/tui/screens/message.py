"""A dialog that tells the user something went wrong (refused, invalid, storage) and why."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from yishi.tui.i18n import tr
from yishi.tui.widgets.wrap import Wrapped


class MessageDialog(ModalScreen[None]):
    """A title, a few lines, and a close button; ``kind`` is error, warning or info."""

    BINDINGS = [Binding("escape,enter", "close", "close", id="close")]

    def __init__(self, title: str, lines: Iterable[str], *, kind: str = "error") -> None:
        super().__init__(classes=f"dialog {kind}")
        self.title_text = title
        self.lines = list(lines)

    def compose(self) -> ComposeResult:
        lang = getattr(self.app, "lang", "zh")
        with Vertical(classes="dialog-box"):
            yield Label(Text(self.title_text, style="bold"), classes="dialog-title")
            with VerticalScroll(classes="dialog-body", can_focus=False):
                yield Wrapped("\n".join(self.lines), id="message")
            with Horizontal(classes="dialog-buttons"):
                yield Button(tr("dlg.close", lang), variant="primary", id="close")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)
