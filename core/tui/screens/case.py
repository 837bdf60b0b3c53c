"""One case: where it stands, the current step's form, the steps the user may take (or why not),
the timeline, deadlines and linked cases. Typed input lives in the app's drafts, never lost."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import (
    Button,
    Footer,
    Header,
    Label,
    OptionList,
    Static,
    TabbedContent,
    TabPane,
)
from textual.widgets.option_list import Option

from yishi.tui.screens.base import YishiScreen
from yishi.tui.urge import URGE, offers_urge, urge_prompt
from yishi.tui.widgets.wrap import Wrapped
from yishi.tui.widgets.form import FormView

if TYPE_CHECKING:
    from yishi.tui.data import ActionView, CaseView

PANES = ("act", "timeline", "deadlines", "links")


class CaseScreen(YishiScreen):
    """The case ``case_id`` as the app's actor sees it."""

    BINDINGS = [
        Binding("escape", "back", "back", id="back"),
        Binding("ctrl+s", "record", "save draft", id="record"),
        Binding("f6", "act", "act", id="act", priority=True),  # before the focused field sees the keys after it
        Binding("f7", "pane('timeline')", "timeline", id="pane_timeline"),
        Binding("f8", "pane('deadlines')", "deadlines", id="pane_deadlines"),
        Binding("f9", "pane('links')", "links", id="pane_links"),
        Binding("f5", "reload_case", "reload", id="refresh", show=False),
        Binding("f12", "documents", "documents", id="documents", show=False),
    ]

    # the footer keeps the case's own keys at 80 columns; quit and language are on the case list
    FOOTER_HIDDEN = frozenset({"quit", "toggle_lang"})

    def __init__(self, case_id: int) -> None:
        super().__init__(id=f"case-{case_id}")
        self.case_id = case_id
        self.view: CaseView | None = None
        self.actions: tuple[ActionView, ...] = ()
        self._form_key: tuple[Any, ...] | None = None
        self._recheck_timer: Timer | None = None
        self._focus_form = False  # after a step: focus the next form's first empty required field
        self._cursor_auto = True  # the step cursor is where first_step put it (not moved by the user)
        self._placed: int | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="议")
        with Vertical(id="case-top"):
            yield Static(id="case-head")
            yield Static(id="case-meta")
            yield Static(id="stepper")
        with TabbedContent(id="panes"):
            with TabPane("act", id="pane-act"):
                with Horizontal(id="act"):
                    with VerticalScroll(id="form-pane", can_focus=False):
                        yield Static(id="form-title")
                        yield Static(id="kept-note")
                        yield Vertical(id="form-box")
                        with Horizontal(id="form-buttons"):
                            yield Button("save", id="save-draft", compact=True)
                    with Vertical(id="actions-pane"):
                        yield Label(id="actions-title")
                        yield OptionList(id="actions")
            with TabPane("timeline", id="pane-timeline"):
                with VerticalScroll(id="timeline-scroll", classes="pane-scroll"):
                    yield Wrapped("", id="timeline")
            with TabPane("deadlines", id="pane-deadlines"):
                with VerticalScroll(id="deadlines-scroll", classes="pane-scroll"):
                    yield Wrapped("", id="deadlines")
            with TabPane("links", id="pane-links"):
                yield OptionList(id="links")
        yield Wrapped("", id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        if self.yishi.poll_seconds > 0:
            self.set_interval(self.yishi.poll_seconds, self._poll, name="poll")

    # ------------------------------------------------------------ others' changes
    def _poll(self) -> None:
        """Someone else (another TUI, a worker's timer) may have changed the case: one row read."""
        if self.is_current and self.view is not None and self.engine is not None \
                and not any(w.group == "act" and w.is_running for w in self.workers):
            self._check_rev(self.view.rev)

    @work(thread=True, exclusive=True, group="poll", name="poll case")
    def _check_rev(self, seen: int) -> None:
        from yishi.errors import YishiError

        assert self.engine is not None
        try:
            rev = self.engine.case(self.case_id).rev
        except YishiError:
            return  # the next reload says what is wrong
        if rev != seen:
            self.app.call_from_thread(self._changed_elsewhere, seen)

    def _changed_elsewhere(self, seen: int) -> None:
        from yishi.errors import YishiError
        from yishi.tui.data import conflict

        view = self.view
        if view is None or view.rev != seen or self.engine is None:
            return  # reloaded meanwhile
        try:
            found = conflict(self.engine, self.case_id, view.last_seq, self._typed_values(), self.lang)
        except YishiError:
            found = None
        self.reload()
        if found is not None and found.changes:
            self.notify(self.tr("changed_elsewhere", what=found.changes[-1]), severity="warning", timeout=10)

    # ------------------------------------------------------------ texts
    def relabel(self) -> None:
        panes = self.query_one("#panes", TabbedContent)
        for pane in PANES:
            panes.get_tab(f"pane-{pane}").label = self.tr(f"pane.{pane}")
        self.query_one("#save-draft", Button).label = f"{self.tr('key.record')} (ctrl+s)"
        self.query_one("#actions-title", Label).update(self.tr("actions"))

    # ------------------------------------------------------------ loading
    def reload(self) -> None:
        from yishi.errors import YishiError
        from yishi.tui.data import load_case

        app = self.yishi
        assert self.engine is not None
        try:
            draft = app.drafts.get((self.case_id, self._state_hint()), {})
            view = load_case(self.engine, self.case_id, app.actor, app.now(), self.lang, draft)
        except YishiError as exc:
            app.show_error(exc)
            return
        self.view = view
        self.actions = view.actions
        self._show_top(view)
        self._show_actions(view)
        self._show_timeline(view)
        self._show_deadlines(view)
        self._show_links(view)
        key = (view.state, view.rev, self.lang, view.is_open)
        if key != self._form_key:
            self._form_key = key
            self._show_form(view)

    def _show_top(self, view: CaseView) -> None:
        head = Text(view.head, style="bold")
        if view.due:
            head.append("   ")
            head.append(f" {view.due} ", style="bold reverse" if view.overdue else "dim")
        self.query_one("#case-head", Static).update(head)
        meta = Text(view.meta)
        if view.is_open and view.act_roles:
            meta.append(f" · {self.tr('col.who')}：" if self.lang == "zh" else f" · {self.tr('col.who')}: ")
            meta.append(view.act_roles)
        self.query_one("#case-meta", Static).update(meta)
        self.query_one("#stepper", Static).update(self._stepper_line(view))
        self.query_one("#case-head").set_class(view.overdue, "overdue")

    def _stepper_line(self, view: CaseView) -> Text:
        """✓ done › ● now › ○ ahead: lines break only between steps, so a mark stays with its
        label; when the path does not fit in two lines, the steps done are counted instead."""
        theme = self.app.theme_variables
        styles = {"done": theme.get("success", "green"), "current": f"bold {theme.get('accent', 'yellow')}",
                  "ahead": "dim"}
        marks = {"done": "✓", "current": "●", "ahead": "○"}
        width = max(20, (self.size.width or 80) - 2)

        def draw(steps: list[tuple[str, str]]) -> tuple[Text, int]:
            line, used, rows = Text(), 0, 1
            for i, (status, title) in enumerate(steps):
                unit = f"{marks.get(status, '○')} {title}"
                if i:
                    if used + 3 + cell_len(unit) + (2 if i < len(steps) - 1 else 0) > width:
                        line.append(" ›\n", style="dim")
                        used, rows = 0, rows + 1
                    else:
                        line.append(" › ", style="dim")
                        used += 3
                line.append(unit, style=styles.get(status, ""))
                used += cell_len(unit)
            return line, rows

        steps = [(step.status, step.title) for step in view.steps]
        line, rows = draw(steps)
        done = [s for s in steps if s[0] == "done"]
        if rows > 2 and len(done) > 1 and view.is_open:
            line, rows = draw([("done", self.tr("steps_done", n=len(done))),
                               *[s for s in steps if s[0] != "done"]])
        return line

    def _show_form(self, view: CaseView) -> None:
        app = self.yishi
        box = self.query_one("#form-box", Vertical)
        title = self.query_one("#form-title", Static)
        kept = [s for (cid, s), d in app.drafts.items() if cid == self.case_id and s != view.state
                and not s.startswith("@") and d]
        note = self.query_one("#kept-note", Static)
        note.update(Text("\n".join(self.tr("kept_other_step", step=view.titles.get(s, s)) for s in kept)))
        note.display = bool(kept)
        can_act = bool(view.actions)
        self.query_one("#form-buttons").display = bool(view.form) and can_act
        form: FormView | None = None
        if not view.is_open:
            title.update(Text(self.tr("no_actions_closed")))
        elif not view.form:
            title.update(Text(self.tr("form_none")))
        else:
            title.update(Text.assemble((self.tr("form_title", step=view.state_title), "bold"), "  ",
                                       (self.tr("required_note"), "dim")))
            values = {f.name: f.value for f in view.form}
            values.update(app.drafts.get((self.case_id, view.state), {}))
            form = FormView(view.form, values, self.lang, blink=app.cursor_blink, id="form",
                            disabled=not can_act)

        focused = self.app.focused
        refocus = focused.id if focused is not None and focused.id and box in focused.ancestors else None

        async def replace() -> None:
            await box.remove_children()
            if form is not None:
                await box.mount(form)
                if refocus and not self._focus_form:  # an update from elsewhere: keep the user's place
                    found = form.query(f"#{refocus}")
                    if found:
                        found.first().focus()
            if self._focus_form:
                self._focus_form = False
                self.call_after_refresh(self.focus_first_field)

        self.run_worker(replace(), exclusive=True, group="form", name="form")

    def focus_first_field(self) -> None:
        """The next thing to do: the first required field still empty, else the first field,
        else the steps."""
        form = self._form()
        if form is not None and not form.disabled:
            target = form.first_empty_required() or form.first_input()
            if target is not None:
                target.focus()
                return
        self.query_one("#actions", OptionList).focus()

    def _state_hint(self) -> str:
        return self.view.state if self.view is not None else ""

    def _show_actions(self, view: CaseView, *, keep: bool = False) -> None:
        """The steps: ready ones first-class, refused ones marked ✗ with their reasons (choosing
        one opens them). The cursor starts on the first step that can be taken going forward;
        while the user types (``keep``) it stays on the step it was on."""
        actions = self.query_one("#actions", OptionList)
        current = None
        if keep and actions.highlighted is not None and actions.highlighted < actions.option_count:
            current = actions.get_option_at_index(actions.highlighted).id
        actions.clear_options()
        error = self.app.theme_variables.get("error", "red")
        for a in self.actions:
            prompt = Text()
            if a.ready:
                prompt.append(f"▶ {a.title}", style="bold")
                if a.confirm:
                    prompt.append(self.tr("confirm_mark"), style="dim")
                prompt.append("\n  " + self.tr("leads_to", dest=a.dest), style="dim")
                if not a.enabled and a.form:
                    prompt.append("\n  " + self.tr("opens_dialog"), style="dim italic")
                else:
                    for reason in a.reasons:
                        prompt.append(self._indented(reason), style="dim italic")
            else:
                prompt.append(f"✗ {a.title}", style="dim strike")
                for reason in a.reasons:
                    prompt.append(self._indented(reason), style=error)
            actions.add_option(Option(prompt, id=a.trigger))
        if not self.actions:
            message = self.tr("no_actions_closed") if not view.is_open else self.tr("no_actions")
            if view.is_open and view.act_roles:
                message += "\n" + self.tr("col.who") + ("：" if self.lang == "zh" else ": ") + view.act_roles
            actions.add_option(Option(Text(message, style="dim"), id="-", disabled=True))
        if offers_urge(view):  # 催办: the last entry, below the steps others hold
            actions.add_option(Option(urge_prompt(self.lang), id=URGE))
        if not self.actions:
            if offers_urge(view):
                actions.highlighted = actions.option_count - 1
            return
        triggers = [a.trigger for a in self.actions]
        if current in triggers and not self._cursor_auto:
            actions.highlighted = triggers.index(current)  # the user put it there: it stays
        else:
            actions.highlighted = first_step(self.actions)  # follows what typing makes possible
            self._cursor_auto = True
        self._placed = actions.highlighted

    @on(OptionList.OptionHighlighted, "#actions")
    def _cursor_moved(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index != self._placed:  # moved by the user (keys, mouse)
            self._cursor_auto = False
            self._placed = event.option_index

    def _indented(self, reason: str) -> str:
        """A reason under its step, wrapped by Chinese line-breaking rules to the list's width
        (no line starts with 、 or ）), every line indented."""
        from yishi.tui.widgets.wrap import wrap_lines

        width = max(12, (self.query_one("#actions", OptionList).content_size.width or 34) - 3)
        return "".join("\n  " + line for line in wrap_lines(reason, width))

    def _show_timeline(self, view: CaseView) -> None:
        text = Text()
        for i, ev in enumerate(view.timeline):
            if i:
                text.append("\n")
            text.append(ev.when, style="dim")
            text.append("  ")
            text.append(ev.who, style="bold")
            if ev.role:
                text.append(f"（{ev.role}）" if self.lang == "zh" else f" ({ev.role})", style="dim")
            text.append("  " + ev.what)
            if ev.move:
                text.append("  " + ev.move, style="dim")
            for line in ev.details:
                text.append("\n      " + line, style="dim")
        if not view.timeline:
            text.append(self.tr("timeline_none"), style="dim")
        self.query_one("#timeline", Wrapped).update(text)

    def _show_deadlines(self, view: CaseView) -> None:
        error = self.app.theme_variables.get("error", "red")
        text = Text()
        for i, d in enumerate(view.deadlines):
            if i:
                text.append("\n")
            style = error if d.overdue else ("" if d.pending else "dim")
            text.append(d.due, style="dim" if not d.pending else "")
            text.append("  ")
            text.append(f"{d.countdown or d.status:<8}", style=f"bold {error}" if d.overdue else style)
            text.append("  " + d.what, style=style)
            if d.countdown:
                text.append(f"  ({d.status})", style="dim")
        if not view.deadlines:
            text.append(self.tr("deadlines_none"), style="dim")
        self.query_one("#deadlines", Wrapped).update(text)

    def _show_links(self, view: CaseView) -> None:
        links = self.query_one("#links", OptionList)
        links.clear_options()
        for link in view.links:
            links.add_option(Option(Text.assemble((link.text, "bold"), "\n  ", (link.at, "dim")),
                                    id=str(link.case_id)))
        if not view.links:
            links.add_option(Option(Text(self.tr("links_none"), style="dim"), id="-", disabled=True))
        else:
            links.highlighted = 0

    # ------------------------------------------------------------ typed input
    @on(FormView.Changed, "#form")
    def _typed(self, event: FormView.Changed) -> None:
        if self.view is not None:
            self.yishi.drafts.setdefault((self.case_id, self.view.state), {})[event.name] = event.value
            if self._recheck_timer is not None:
                self._recheck_timer.stop()
            self._recheck_timer = self.set_timer(0.3, self.recheck)

    def recheck(self) -> None:
        """Ask the engine again which steps are possible, with what is typed now (not saved)."""
        from yishi.errors import YishiError
        from yishi.tui.data import action_views

        view = self.view
        if view is None or self.engine is None or not view.is_open:
            return
        try:
            self.actions = action_views(self.engine, view.case, self.yishi.actor, self.lang,
                                        self._typed_values())
        except YishiError:
            return  # the next reload shows what is wrong
        self._show_actions(view, keep=True)

    def _form(self) -> FormView | None:
        found = self.query("#form")
        return found.first(FormView) if found else None

    def _typed_values(self) -> dict[str, Any]:
        form = self._form()
        return form.values() if form is not None else {}

    # ------------------------------------------------------------ actions
    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload_case(self) -> None:
        self.reload()

    def action_act(self) -> None:
        self.query_one("#panes", TabbedContent).active = "pane-act"
        # focus now, not after the keys already queued: a browser sends "F6 Enter" in one burst
        self.set_focus(self.query_one("#actions", OptionList))

    def action_documents(self) -> None:
        """The case's documents: preview and produce them (screens/documents.py)."""
        from yishi.tui.screens.documents import DocumentsDialog

        if self.engine is not None:
            self.app.push_screen(DocumentsDialog(self.case_id, self.view.subject if self.view else ""))
    def action_pane(self, pane: str) -> None:
        self.query_one("#panes", TabbedContent).active = f"pane-{pane}"

    def action_record(self) -> None:
        self.record()

    @on(Button.Pressed, "#save-draft")
    def _save_pressed(self) -> None:
        self.record()

    @on(OptionList.OptionSelected, "#actions")
    def _action_chosen(self, event: OptionList.OptionSelected) -> None:
        if self.view is None:
            return
        if event.option.id == URGE:
            from yishi.tui.urge import urge_case

            urge_case(self)
            return
        action = next((a for a in self.actions if a.trigger == event.option.id), None)
        if action is not None:
            self.take(action)

    @on(OptionList.OptionSelected, "#links")
    def _link_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id and event.option.id != "-":
            self.yishi.open_case(int(event.option.id))

    # ------------------------------------------------------------ talking to the engine
    @work(exclusive=True, group="act")
    async def record(self) -> None:
        """Save the typed form as a draft others see (``Engine.record``)."""
        from yishi.tui.data import submission

        view, form = self.view, self._form()
        if view is None or form is None or self.engine is None:
            return
        typed = form.values()
        data = submission(view.form, typed)
        if not data:
            return
        try:
            case = self.engine.record(self.case_id, self.yishi.actor, data, expected_rev=view.rev)
        except Exception as exc:  # noqa: BLE001 - the TUI boundary: every error becomes a dialog
            await self._failed(exc, form)
            return
        self.yishi.drafts.pop((self.case_id, view.state), None)
        self.notify(self.tr("draft_saved", rev=case.rev), timeout=3)
        self.reload()

    @work(exclusive=True, group="act")
    async def take(self, action: ActionView) -> None:
        """Take ``action``: its own fields (rules re-checked as they are typed), a confirmation
        naming the step and where it leads, then ``Engine.fire``."""
        from yishi.tui.data import action_views, submission
        from yishi.tui.screens.confirm import ConfirmDialog
        from yishi.tui.screens.form_dialog import FormDialog
        from yishi.tui.screens.message import MessageDialog

        app, view, form = self.yishi, self.view, self._form()
        if view is None or self.engine is None:
            return
        if not action.ready:
            await app.push_screen_wait(MessageDialog(
                self.tr("dlg.refused_title", title=action.title),
                [self.tr("dlg.refused_body"), *[f"• {r}" for r in action.reasons]], kind="warning"))
            return
        data = submission(view.form, form.values()) if (form is not None and action.require_form) else {}
        if action.form:
            key = (self.case_id, f"@{action.trigger}")
            typed = self._typed_values()
            engine, actor, lang = self.engine, app.actor, self.lang

            def reasons(values: dict[str, Any]) -> list[str]:
                """The step's rules with the dialog's values: what still stands in the way."""
                try:
                    found = action_views(engine, view.case, actor, lang, {**typed, **values})
                except Exception:  # noqa: BLE001 - a re-check that fails shows nothing; fire decides
                    return []
                step = next((a for a in found if a.trigger == action.trigger), None)
                if step is None or step.enabled:
                    return []
                return [r for r, rule in zip(step.reasons, step.rules) if rule != "form"]

            extra = await app.push_screen_wait(FormDialog(
                self.tr("dlg.step_form", title=action.title), action.form, app.drafts.get(key, {}),
                self.lang, blink=app.cursor_blink, ok=self.tr("dlg.submit"),
                check=lambda v: _required(action, v, self.lang), reasons=reasons,
                on_change=lambda v: app.drafts.__setitem__(key, v)))
            if extra is None:
                return
            app.drafts[key] = extra
            data.update({k: v for k, v in extra.items() if v not in ("", None, [])})
        irreversible = action.confirm or action.final
        body = self.tr("dlg.confirm_final" if action.final else
                       "dlg.confirm_body" if irreversible else "dlg.confirm_step",
                       title=action.title, dest=action.dest)
        if not await app.push_screen_wait(ConfirmDialog(
                self.tr("dlg.confirm_title", title=action.title), body, self.lang,
                ok=self.tr("dlg.take", title=action.title), safe_default=irreversible)):
            return
        try:
            self.engine.fire(self.case_id, action.trigger, app.actor, data, expected_rev=view.rev)
        except Exception as exc:  # noqa: BLE001 - the TUI boundary: every error becomes a dialog
            await self._failed(exc, form, action)
            return
        app.drafts.pop((self.case_id, view.state), None)
        app.drafts.pop((self.case_id, f"@{action.trigger}"), None)
        self.notify(self.tr("fired", title=action.title, dest=action.dest), timeout=4)
        self._focus_form = True
        self.reload()

    async def _failed(self, exc: Exception, form: FormView | None, action: ActionView | None = None) -> None:
        """Explain why the engine said no; the typed input stays where it is."""
        from yishi.errors import ConflictError, FormError, RefusedError
        from yishi.tui.data import form_errors
        from yishi.tui.screens.conflict import ConflictDialog
        from yishi.tui.screens.message import MessageDialog

        app = self.yishi
        if isinstance(exc, FormError):
            messages = form_errors(exc.errors, self.lang)
            if form is not None:
                form.set_errors(messages)
            names = {f.name: f.label for f in (self.view.form if self.view else ())}
            if action is not None:
                names.update({f.name: f.label for f in action.form})
            colon = "：" if self.lang == "zh" else ": "
            await app.push_screen_wait(MessageDialog(
                self.tr("dlg.form_title"), [f"• {names.get(k, k)}{colon}{m}" for k, m in messages.items()],
                kind="warning"))
        elif isinstance(exc, ConflictError):
            from yishi.errors import YishiError
            from yishi.tui.data import conflict

            found = None
            if self.view is not None and self.engine is not None:
                try:
                    found = conflict(self.engine, self.case_id, self.view.last_seq, self._typed_values(), self.lang)
                except YishiError:
                    found = None
            if await app.push_screen_wait(ConflictDialog(exc.localized(self.lang), self.lang, found)):
                self._form_key = None
                self.reload()
        elif isinstance(exc, RefusedError):
            title = self.tr("dlg.refused_title", title=action.title if action else "")
            reasons = [f"• {v.reason(self.lang)}" for v in exc.verdicts if not v.ok] or [exc.localized(self.lang)]
            await app.push_screen_wait(MessageDialog(title, [self.tr("dlg.refused_body"), *reasons],
                                                     kind="warning"))
        else:
            app.show_error(exc)


def first_step(actions: tuple[ActionView, ...]) -> int:
    """Where the cursor starts: the first step that can be taken going forward (one that takes
    the current form along), else the first that can be taken at all, else the first one ready
    to open its dialog, else the top."""
    for test in (lambda a: a.enabled and a.require_form and not a.final,
                 lambda a: a.enabled, lambda a: a.ready):
        found = next((i for i, a in enumerate(actions) if test(a)), None)
        if found is not None:
            return found
    return 0


def _required(action: ActionView, values: dict[str, Any], lang: str) -> dict[str, str]:
    from yishi.tui.data import check_field

    errors = {}
    for f in action.form:
        raw = values.get(f.name)
        if f.required and raw in (None, "", []):
            errors[f.name] = "必填" if lang == "zh" else "required"
        elif message := check_field(f.spec, raw, lang):
            errors[f.name] = message
    return errors
