"""The loaded procedures: states and transitions drawn as text, and any problems in the files."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from yishi.tui.screens.base import YishiScreen
from yishi.tui.widgets.wrap import Wrapped

STYLES = {"title": "bold", "heading": "bold underline", "state": "bold", "final": "bold",
          "transition": "", "timer": "italic", "param": "dim", "role": "dim", "text": ""}


class ProceduresScreen(YishiScreen):
    """Choose a procedure on the left; read it on the right."""

    BINDINGS = [Binding("escape", "back", "back", id="back")]

    def __init__(self) -> None:
        super().__init__(id="procedures-screen")
        self.chosen: str | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="议")
        with Horizontal(id="proc-body"):
            with Vertical(id="proc-left"):
                yield Static(id="proc-heading", classes="heading")
                yield OptionList(id="proc-list")
                yield Static(id="proc-problems")
            with VerticalScroll(id="proc-right", can_focus=False):
                yield Static(id="proc-text")
        yield Wrapped("", id="status")
        yield Footer(compact=True)

    def relabel(self) -> None:
        self.query_one("#proc-heading", Static).update(Text(self.tr("proc_title"), style="bold"))

    def reload(self) -> None:
        assert self.engine is not None
        menu = self.query_one("#proc-list", OptionList)
        menu.clear_options()
        loaded = self.engine.workflows()
        for item in loaded:
            menu.add_option(Option(Text(item.workflow.title.get(self.lang)), id=item.workflow.id))
        problems = self.engine.workflow_problems
        error = self.app.theme_variables.get("error", "red")
        text = Text(self.tr("proc_problems") + "\n", style="bold") if problems else \
            Text(self.tr("proc_no_problems"), style="dim")
        for p in problems:
            text.append(f"{p}\n", style=error)
        self.query_one("#proc-problems", Static).update(text)
        if loaded:
            ids = [i.workflow.id for i in loaded]
            index = ids.index(self.chosen) if self.chosen in ids else 0
            menu.highlighted = index
            self._show(ids[index])
            menu.focus()

    @on(OptionList.OptionHighlighted, "#proc-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._show(event.option.id)

    def _show(self, workflow_id: str) -> None:
        from yishi.tui.data import procedure_lines

        assert self.engine is not None
        self.chosen = workflow_id
        accent = self.app.theme_variables.get("accent", "yellow")
        text = Text()
        for kind, line in procedure_lines(self.engine, workflow_id, self.lang):
            style = STYLES.get(kind, "")
            if kind == "state":
                style = f"bold {accent}"
            text.append(line + "\n", style=style)
        self.query_one("#proc-text", Static).update(text)

    def action_back(self) -> None:
        self.app.pop_screen()
