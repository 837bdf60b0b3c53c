"""A step's form: one typed input per field, required marks, and the engine's messages inline."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select, SelectionList, Static, TextArea
from textual.widgets._select import SelectCurrent, SelectOverlay

from yishi.tui.i18n import tr
from yishi.tui.widgets.items import ItemsField

if TYPE_CHECKING:
    from yishi.tui.data import FieldView

class EditArea(TextArea, inherit_bindings=False):
    """A multi-line field without TextArea's F6 (select line) and F7 (select all): those keys are
    the case screen's (take a step, the timeline), and a navigation key must never leave a line
    selected for the next keystroke to replace."""

    BINDINGS = [b for b in TextArea.BINDINGS
                if not (isinstance(b, Binding) and b.key in ("f6", "f7"))]


class LocalOverlay(SelectOverlay):
    """Select's drop-down with its Escape key described in the user's language."""

    BINDINGS = [Binding("escape", "dismiss", "close menu", id="dismiss_menu")]

    def on_mount(self) -> None:
        localize = getattr(self.app, "localize", None)
        if localize is not None:
            localize(self)


class LocalSelect(Select[str]):
    """A Select whose drop-down speaks the user's language (Textual's says "Dismiss menu")."""

    def compose(self) -> ComposeResult:
        yield SelectCurrent(self.prompt)
        yield LocalOverlay(type_to_search=self._type_to_search).data_bind(compact=Select.compact)


PLACEHOLDERS = {"date": ("2026-12-01 / 今天 / +3d / +3wd", "2026-12-01 / today / +3d / +3wd"),
                "datetime": ("2026-12-01 14:30", "2026-12-01 14:30")}


class FormView(Vertical):
    """Inputs for ``fields``, filled with ``values``; ``values()`` returns what is typed now.

    Posts ``FormView.Changed`` on every edit, so the screen can keep the typed input safe.
    """

    class Changed(Message):
        """A field's typed value changed."""

        def __init__(self, form: FormView, name: str, value: Any) -> None:
            super().__init__()
            self.form = form
            self.name = name
            self.value = value

        @property
        def control(self) -> FormView:
            return self.form

    def __init__(self, fields: Iterable[FieldView], values: Mapping[str, Any], lang: str, *,
                 blink: bool = True, id: str | None = None, disabled: bool = False) -> None:
        super().__init__(id=id, classes="form", disabled=disabled)
        self.fields = tuple(fields)
        self.initial = dict(values)
        self.lang = lang
        self.blink = blink
        self._loading = True

    def compose(self) -> ComposeResult:
        for f in self.fields:
            with Vertical(classes="field", id=f"field-{f.name}"):
                label = Text(f.label)
                if f.required:
                    label.append(" *", style="bold red")
                yield Label(label, classes="field-label")
                yield self._input(f, self.initial.get(f.name, f.value))
                if f.help:
                    yield Static(Text(f.help), classes="field-help")
                yield Static("", classes="field-error", id=f"error-{f.name}")

    def _input(self, f: FieldView, value: Any) -> Widget:
        wid = f"input-{f.name}"
        if f.readonly:
            return Static(Text(f.shown), id=wid, classes="readonly")
        if f.type == "longtext":
            area = EditArea(_text(value), id=wid, soft_wrap=True, tab_behavior="focus",
                            show_line_numbers=False, compact=True, classes="longtext")
            area.cursor_blink = self.blink
            return area
        if f.type in ("choice", "boolean"):
            options = list(f.choices) if f.type == "choice" else \
                [(tr("yes", self.lang), "true"), (tr("no", self.lang), "false")]
            current = _text(value).lower() if f.type == "boolean" else _text(value)
            if f.type == "boolean" and isinstance(value, bool):
                current = "true" if value else "false"
            select: Select[str] = LocalSelect(options, prompt=tr("choose", self.lang), allow_blank=True,
                                         value=current if current in {v for _, v in options} else Select.NULL,
                                         id=wid, compact=True)
            return select
        if f.type == "multichoice":
            chosen = set(value or []) if isinstance(value, list) else set()
            return SelectionList[str](*[(label, v, v in chosen) for label, v in f.choices], id=wid,
                                      compact=True, classes="multichoice")
        if f.type == "list":
            return ItemsField(f, list(value) if isinstance(value, list) else [], self.lang,
                              blink=self.blink, id=wid)
        hint = PLACEHOLDERS.get(f.type)
        box = Input(_text(value), id=wid, compact=True,
                    placeholder=(hint[0] if self.lang == "zh" else hint[1]) if hint else "")
        box.cursor_blink = self.blink
        return box

    def on_mount(self) -> None:
        self.call_after_refresh(self._ready)

    def _ready(self) -> None:
        self._loading = False

    # ------------------------------------------------------------ reading and writing
    def values(self) -> dict[str, Any]:
        """The typed value of every field (not the read-only ones): text for inputs, lists for
        multichoice and items."""
        return {f.name: self._value_of(f) for f in self.fields if not f.readonly}

    def _value_of(self, f: FieldView) -> Any:
        widget = self.query_one(f"#input-{f.name}")
        if isinstance(widget, TextArea):
            return widget.text
        if isinstance(widget, Select):
            value = widget.value
            return "" if value is Select.NULL or value is None else str(value)
        if isinstance(widget, SelectionList):
            return list(cast("SelectionList[str]", widget).selected)
        if isinstance(widget, ItemsField):
            return list(widget.items)
        raw = cast(Input, widget).value
        if f.type in ("date", "datetime"):
            clean, error = self._read_date(f, raw)
            return clean if clean and not error else raw
        return raw.strip() if f.type in ("integer", "number") else raw

    def _read_date(self, f: FieldView, raw: str) -> tuple[str, str]:
        from yishi.tui.inputs import parse_date, parse_datetime

        today = getattr(self.app, "today", None)
        day = today() if callable(today) else date.today()
        engine = getattr(self.app, "engine", None)
        work = getattr(engine, "calendar", None)  # +3wd on the deployment's working-day calendar
        return (parse_date if f.type == "date" else parse_datetime)(raw, day, self.lang, work)

    def typed_error(self, f: FieldView, raw: str) -> str:
        """What is wrong with ``raw`` as typed so far ('' when nothing): digits in a number
        field, a date people can read, then the engine's own check (bounds, choices)."""
        from yishi.tui.data import check_field
        from yishi.tui.inputs import typed_number

        if f.type in ("integer", "number"):
            wrong = typed_number(raw, f.type == "integer", self.lang)
            if wrong:
                return wrong
        if f.type in ("date", "datetime"):
            clean, wrong = self._read_date(f, raw)
            if wrong:
                return wrong
            raw = clean
        return check_field(f.spec, raw.strip() if isinstance(raw, str) else raw, self.lang)

    def set_errors(self, errors: Mapping[str, str]) -> None:
        """Show the engine's message under each field named in ``errors``; clear the others."""
        for f in self.fields:
            self._show_error(f.name, errors.get(f.name, ""))
        first = next((f.name for f in self.fields if f.name in errors), None)
        if first is not None:
            self.query_one(f"#input-{first}").focus()

    def _show_error(self, name: str, message: str) -> None:
        box = self.query_one(f"#error-{name}", Static)
        box.update(Text(message))
        box.set_class(bool(message), "shown")
        self.query_one(f"#field-{name}").set_class(bool(message), "invalid")

    def first_empty_required(self) -> Widget | None:
        """The input of the first required field with nothing typed in it."""
        values = self.values()
        for f in self.fields:
            if f.required and not f.readonly and values.get(f.name) in (None, "", []):
                return self.query_one(f"#input-{f.name}")
        return None

    def first_input(self) -> Widget | None:
        for f in self.fields:
            if not f.readonly:
                return self.query_one(f"#input-{f.name}")
        return None

    def field_of(self, widget: Widget) -> FieldView | None:
        name = (widget.id or "").removeprefix("input-")
        return next((f for f in self.fields if f.name == name), None)

    # ------------------------------------------------------------ events
    def _changed(self, widget: Widget | None) -> None:
        if self._loading or widget is None:
            return
        f = self.field_of(widget)
        if f is not None:
            self.post_message(self.Changed(self, f.name, self._value_of(f)))

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    @on(SelectionList.SelectedChanged)
    @on(ItemsField.Changed)
    def _any_change(self, event: Message) -> None:
        event.stop()  # the form speaks for its fields: FormView.Changed
        control = event.text_area if isinstance(event, TextArea.Changed) else getattr(event, "control", None)
        self._changed(control)

    @on(Input.Changed)
    def _check_as_typed(self, event: Input.Changed) -> None:
        """Numbers are checked at every keystroke: a letter is named at once, never dropped."""
        f = self.field_of(event.input)
        if f is not None and f.type in ("integer", "number") and not self._loading:
            self._show_error(f.name, self.typed_error(f, event.value))

    @on(Input.Blurred)
    def _left(self, event: Input.Blurred) -> None:
        f = self.field_of(event.input)
        if f is None:
            return
        error = self.typed_error(f, event.value)
        self._show_error(f.name, error)
        if not error and f.type in ("date", "datetime") and event.value.strip():
            clean, _ = self._read_date(f, event.value)
            if clean != event.value:
                event.input.value = clean  # 2026/12/1, 今天, +3d → 2026-12-01

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        event.stop()
        self.screen.focus_next()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
