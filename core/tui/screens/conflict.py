"""The case changed meanwhile: nothing was saved. Says who changed it and how (titles, not ids),
shows their values beside the user's, then reload (keeping what was typed) or keep editing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from yishi.tui.i18n import tr
from yishi.tui.widgets.wrap import Wrapped

if TYPE_CHECKING:
    from yishi.tui.data import Conflict


class ConflictDialog(ModalScreen[bool]):
    """Returns True to reload the case (the typed input is kept either way)."""

    BINDINGS = [Binding("escape", "keep", "keep editing", id="cancel")]

    def __init__(self, detail: str, lang: str, found: Conflict | None = None) -> None:
        super().__init__(classes="dialog error")
        self.detail = detail
        self.lang = lang
        self.found = found

    def compose(self) -> ComposeResult:
        lang = self.lang
        with Vertical(classes="dialog-box"):
            yield Label(Text(tr("dlg.conflict_title", lang), style="bold"), classes="dialog-title")
            with VerticalScroll(classes="dialog-body", can_focus=False):
                yield Wrapped(tr("dlg.conflict_body", lang))
                if self.found is not None and self.found.changes:
                    yield Wrapped(Text("\n".join([tr("dlg.conflict_who", lang),
                                                  *[f"• {c}" for c in self.found.changes]])),
                                  id="conflict-who", classes="dialog-detail")
                if self.found is not None and self.found.rows:
                    table = Table(box=None, pad_edge=False, expand=True, header_style="bold")
                    table.add_column(tr("dlg.field", lang), ratio=1)
                    table.add_column(tr("dlg.theirs", lang), ratio=2)
                    table.add_column(tr("dlg.yours", lang), ratio=2)
                    for label, theirs, mine in self.found.rows:
                        table.add_row(label, theirs, mine)
                    self.rows = self.found.rows
                    yield Static(table, id="conflict-values", classes="dialog-detail")
                elif self.found is None:
                    yield Wrapped(Text(self.detail, style="dim"), classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button(tr("dlg.reload", lang), variant="primary", id="reload")
                yield Button(tr("dlg.keep", lang), id="keep")

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
