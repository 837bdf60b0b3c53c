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
    """Returns True to go ahead. ``safe_default`` (irreversible steps): Enter cancels, and the
    cancel button comes first; otherwise Enter goes ahead. Escape always cancels."""

    BINDINGS = [Binding("escape", "cancel", "cancel", id="cancel")]

    def __init__(self, title: str, body: str, lang: str, *, ok: str | None = None,
                 safe_default: bool = True) -> None:
        super().__init__(classes="dialog warning" if safe_default else "dialog")
        self.title_text = title
        self.body = body
        self.lang = lang
        self.ok_label = ok or tr("dlg.ok", lang)
        self.safe_default = safe_default

    def compose(self) -> ComposeResult:
        from yishi.tui.widgets.wrap import Wrapped

        with Vertical(classes="dialog-box"):
            yield Label(Text(self.title_text, style="bold"), classes="dialog-title")
            yield Wrapped(self.body, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                ok = Button(self.ok_label, variant="warning" if self.safe_default else "primary", id="ok")
                cancel = Button(tr("dlg.cancel", self.lang), id="cancel")
                yield from ((cancel, ok) if self.safe_default else (ok, cancel))

    def on_mount(self) -> None:
        self.query_one("#cancel" if self.safe_default else "#ok", Button).focus()

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(False)
