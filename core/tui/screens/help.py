"""F1 / ?: the keys of the screen below, what each screen shows, and how time and deadlines work."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from yishi.tui.i18n import tr
from yishi.tui.widgets.wrap import Wrapped

SCREENS = {"cases-screen": "help.cases", "new-case": "help.new_case", "procedures-screen": "help.procedures"}


class HelpScreen(ModalScreen[None]):
    """A dialog over the screen it explains; Escape, F1 or ? close it and focus comes back."""

    BINDINGS = [Binding("escape,f1,question_mark,enter", "close", "close", id="close_help")]

    def __init__(self, below: Screen[Any], lang: str) -> None:
        super().__init__(classes="dialog", id="help")
        self.below = below
        self.lang = lang

    def compose(self) -> ComposeResult:
        lang = self.lang
        with Vertical(classes="dialog-box help-box"):
            yield Label(Text(tr("help.title", lang), style="bold"), classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Static(self._keys(), id="help-keys")
                screen_id = self.below.id or ""
                key = "help.case" if screen_id.startswith("case-") else SCREENS.get(screen_id, "help.cases")
                yield Wrapped(tr(key, lang), id="help-screen", classes="help-text")
                yield Wrapped(tr("help.time", lang), id="help-time", classes="help-text")
                yield Wrapped(Text(tr("help.close", lang), style="dim"), classes="help-text")

    def _keys(self) -> Table:
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=True)
        table.add_column(tr("help.key", self.lang), no_wrap=True)
        table.add_column(tr("help.does", self.lang), ratio=1)
        seen: set[str] = set()
        rows: list[tuple[str, str]] = []
        for key, active in self.below.active_bindings.items():
            b = active.binding
            if not b.id or b.id in seen or b.action in seen or b.id == "close_help":
                continue
            seen.update((b.id, b.action))
            rows.append((self.app.get_key_display(b), b.description))
        rows += [("tab / shift+tab", tr("help.tab", self.lang)), ("enter", tr("help.enter", self.lang))]
        self.key_rows = rows
        for key, text in rows:
            table.add_row(key, text)
        return table

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
