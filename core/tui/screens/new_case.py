"""Start a case: choose a procedure (with its description) and fill in its first step's form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from yishi.tui.screens.base import YishiScreen
from yishi.tui.widgets.wrap import Wrapped
from yishi.tui.widgets.form import FormView

if TYPE_CHECKING:
    from yishi.tui.data import ProcedureView


class NewCaseScreen(YishiScreen):
    """Procedures the actor may start come first; the form is the procedure's first step."""

    BINDINGS = [
        Binding("escape", "back", "back", id="back"),
        Binding("ctrl+s", "start", "start", id="start"),
    ]

    def __init__(self) -> None:
        super().__init__(id="new-case")
        self.choices: list[ProcedureView] = []
        self.chosen: ProcedureView | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="议")
        with Horizontal(id="new-body"):
            with Vertical(id="new-left"):
                yield Static(id="new-choose", classes="heading")
                yield OptionList(id="procedures")
            with VerticalScroll(id="new-right", can_focus=False):
                yield Static(id="new-description")
                yield Vertical(id="new-form-box")
                with Horizontal(id="new-buttons"):
                    yield Button("start", id="start", variant="primary", compact=True)
        yield Wrapped("", id="status")
        yield Footer(compact=True)

    def relabel(self) -> None:
        self.query_one("#new-choose", Static).update(Text(self.tr("new_choose"), style="bold"))
        self.query_one("#start", Button).label = f"{self.tr('new_start')} (ctrl+s)"

    def reload(self) -> None:
        from yishi.tui.data import procedures

        assert self.engine is not None
        self.choices = sorted(procedures(self.engine, self.yishi.actor, self.lang), key=lambda p: not p.may_start)
        menu = self.query_one("#procedures", OptionList)
        menu.clear_options()
        for p in self.choices:
            label = Text(p.title, style="" if p.may_start else "dim")
            if not p.may_start:
                label.append(self.tr("new_may_not"), style="dim")
            menu.add_option(Option(label, id=p.id))
        if self.choices:
            keep = self.chosen.id if self.chosen else self.choices[0].id
            index = next((i for i, p in enumerate(self.choices) if p.id == keep), 0)
            menu.highlighted = index
            self._choose(self.choices[index])
            menu.focus()

    @on(OptionList.OptionHighlighted, "#procedures")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        chosen = next((p for p in self.choices if p.id == event.option.id), None)
        if chosen is not None and (self.chosen is None or chosen.id != self.chosen.id):
            self._choose(chosen)

    @on(OptionList.OptionSelected, "#procedures")
    def _selected(self) -> None:
        self.focus_next()

    def _choose(self, p: ProcedureView) -> None:
        self.chosen = p
        self.query_one("#new-description", Static).update(
            Text.assemble((p.title, "bold"), "\n", (p.description, ""), "\n"))
        box = self.query_one("#new-form-box", Vertical)
        values = self.yishi.drafts.get(("new", p.id), {})
        form = FormView(p.start_form, values, self.lang, blink=self.yishi.cursor_blink, id="new-form",
                        disabled=not p.may_start)
        self.query_one("#start", Button).disabled = not p.may_start

        async def replace() -> None:
            await box.remove_children()
            await box.mount(form)

        self.run_worker(replace(), exclusive=True, group="form", name="form")

    @on(FormView.Changed, "#new-form")
    def _typed(self, event: FormView.Changed) -> None:
        if self.chosen is not None:
            self.yishi.drafts.setdefault(("new", self.chosen.id), {})[event.name] = event.value

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_start(self) -> None:
        self.start()

    @on(Button.Pressed, "#start")
    def _start_pressed(self) -> None:
        self.start()

    @work(exclusive=True, group="start")
    async def start(self) -> None:
        """``Engine.start`` with the typed first form; then open the new case."""
        from yishi.errors import FormError, RefusedError
        from yishi.tui.data import form_errors, missing_required, submission
        from yishi.tui.screens.message import MessageDialog

        p, app = self.chosen, self.yishi
        forms = self.query("#new-form")
        if p is None or not forms or self.engine is None:
            return
        form = forms.first(FormView)
        typed = form.values()
        missing = missing_required(p.start_form, typed)
        if missing:
            form.set_errors({f.name: "必填" if self.lang == "zh" else "required" for f in missing})
            self.notify(self.tr("form_has_errors"), severity="warning", timeout=4)
            return
        data: dict[str, Any] = submission(p.start_form, typed)
        try:
            case = self.engine.start(p.id, app.actor, data)
        except FormError as exc:
            form.set_errors(form_errors(exc.errors, self.lang))
            self.notify(self.tr("form_has_errors"), severity="warning", timeout=4)
            return
        except RefusedError as exc:
            reasons = [f"• {v.reason(self.lang)}" for v in exc.verdicts if not v.ok] or [exc.localized(self.lang)]
            await app.push_screen_wait(MessageDialog(self.tr("dlg.refused_title", title=p.title),
                                                     [self.tr("dlg.refused_body"), *reasons], kind="warning"))
            return
        except Exception as exc:  # noqa: BLE001 - the TUI boundary: every error becomes a dialog
            app.show_error(exc)
            return
        app.drafts.pop(("new", p.id), None)
        self.notify(self.tr("started", id=case.id), timeout=4)
        self.app.pop_screen()
        app.open_case(case.id, focus_form=True)
