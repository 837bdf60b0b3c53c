"""A repeated-items field (an attendance list, action items): a table with add, edit and remove."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable

from yishi.tui.data import display, fit
from yishi.tui.i18n import tr

if TYPE_CHECKING:
    from yishi.tui.data import FieldView


class ItemsField(Vertical):
    """The items of one ``list`` field; each item is a mapping of the field's item fields."""

    BINDINGS = [
        Binding("plus,insert", "add", "add", id="add_item"),
        Binding("delete,minus", "remove", "remove", id="remove_item"),
    ]

    class Changed(Message):
        def __init__(self, field: ItemsField) -> None:
            super().__init__()
            self.field = field

        @property
        def control(self) -> ItemsField:
            return self.field

    def __init__(self, spec: FieldView, items: list[dict[str, Any]], lang: str, *, blink: bool = True,
                 id: str | None = None) -> None:
        super().__init__(id=id, classes="items")
        self.spec = spec
        self.items: list[dict[str, Any]] = [dict(i) for i in items if isinstance(i, dict)]
        self.lang = lang
        self.blink = blink

    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(cursor_type="row", classes="items-table", show_cursor=True)
        yield table
        with Horizontal(classes="items-buttons"):
            yield Button(f"+ {tr('add', self.lang)}", classes="add-item", compact=True)
            yield Button(f"− {tr('remove', self.lang)}", classes="remove-item", compact=True)

    def on_mount(self) -> None:
        self.app.localize(self)  # type: ignore[attr-defined]
        self._fill()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_column("#", width=3)
        for f in self.spec.items:
            table.add_column(f.label + (" *" if f.required else ""), key=f.name)
        for n, item in enumerate(self.items, 1):
            table.add_row(Text(str(n)), *[Text(fit(display(item.get(f.name), f.spec, self.lang), 24))
                                           for f in self.spec.items])
        if not self.items:
            table.add_row(Text(""), Text(tr("items_none", self.lang)),
                          *[Text("") for _ in self.spec.items[1:]])
        table.styles.height = min(10, max(len(self.items), 1) + 2)  # header, rows, a scroll bar

    # ------------------------------------------------------------ editing
    def action_add(self) -> None:
        self._edit(None)

    def action_remove(self) -> None:
        table = self.query_one(DataTable)
        if self.items and 0 <= table.cursor_row < len(self.items):
            del self.items[table.cursor_row]
            self._fill()
            self.post_message(self.Changed(self))

    def _edit(self, index: int | None) -> None:
        from yishi.tui.screens.form_dialog import FormDialog

        values = self.items[index] if index is not None else {}
        n = (index + 1) if index is not None else len(self.items) + 1
        title = tr("item_title", self.lang, field=self.spec.label, n=n)

        def done(result: dict[str, Any] | None) -> None:
            if result is None:
                return
            clean = {k: v for k, v in result.items() if v not in ("", None, [])}
            if index is None:
                self.items.append(clean)
            else:
                self.items[index] = clean
            self._fill()
            self.post_message(self.Changed(self))

        self.app.push_screen(FormDialog(title, self.spec.items, values, self.lang, blink=self.blink,
                                        check=self._check), done)

    def _check(self, values: dict[str, Any]) -> dict[str, str]:
        """Each item field checked by the engine's rules; required ones must be filled."""
        from yishi.tui.data import check_field

        errors = {}
        for f in self.spec.items:
            raw = values.get(f.name)
            if f.required and raw in (None, "", []):
                errors[f.name] = "必填" if self.lang == "zh" else "required"
            elif message := check_field(f.spec, raw, self.lang):
                errors[f.name] = message
        return errors

    @on(Button.Pressed, ".add-item")
    def _add_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_add()

    @on(Button.Pressed, ".remove-item")
    def _remove_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_remove()

    @on(DataTable.RowSelected)
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.items):
            self._edit(event.cursor_row)
        else:
            self._edit(None)
