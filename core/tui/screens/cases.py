"""The home screen: counters, tabs (mine, overdue, open, closed), search, and one page of cases."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input, Static, Tab, Tabs

from yishi.tui.data import TABS, fit
from yishi.tui.screens.base import YishiScreen
from yishi.tui.widgets.wrap import Wrapped

if TYPE_CHECKING:
    from yishi.tui.data import CasesPage, Counters


class CasesScreen(YishiScreen):
    """Cases, most urgent first, one page at a time (only the page is read from the database)."""

    # back from a dialog with nothing focused (a browser session starts blurred, so the table's
    # focus is gone by the time the login screen closes): the list, not the tabs above it
    AUTO_FOCUS = "#cases"
    # at 80 columns: the list re-reads itself every few seconds, so F5 works but is not shown
    FOOTER_HIDDEN = frozenset({"refresh"})

    BINDINGS = [
        Binding("slash", "search", "search", id="search"),
        Binding("f3", "app.procedures", "procedures", id="procedures"),
        Binding("f4", "app.statistics", "statistics", id="statistics"),
        Binding("p", "app.person", "person", id="person"),  # demo, simulation and sandbox databases
        Binding("n", "new_case", "new case", id="new_case"),
        Binding("f5", "refresh", "refresh", id="refresh"),
        Binding("right_square_bracket", "page(1)", "next page", id="next_page"),
        Binding("left_square_bracket", "page(-1)", "prev page", id="prev_page"),
        Binding("1", "tab('mine')", "mine", id="tab_mine", show=False),
        Binding("2", "tab('overdue')", "overdue", id="tab_overdue", show=False),
        Binding("3", "tab('open')", "open", id="tab_open", show=False),
        Binding("4", "tab('closed')", "closed", id="tab_closed", show=False),
        Binding("5", "tab('today')", "due today", id="tab_today", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="cases-screen")
        self.tab_name = "mine"
        self.search_text = ""
        self.page_offset = 0
        self.page: CasesPage | None = None
        self.counters: Counters | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="议")
        yield Static(id="counters")
        with Horizontal(id="filters"):
            yield Tabs(*[Tab(tab, id=f"tab-{tab}") for tab in TABS], id="tabs")
            yield Input(id="search", compact=True)
        table: DataTable[Text] = DataTable(id="cases", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static(id="pager")
        yield Wrapped("", id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#cases", DataTable).focus()
        if self.yishi.poll_seconds > 0:  # others' steps show up without F5 (one page, indexed)
            self.set_interval(self.yishi.poll_seconds * 2, self._poll, name="poll")

    def _poll(self) -> None:
        if self.is_current and self.engine is not None and self.page is not None:
            self._load(self.tab_name, self.search_text, self.page_offset, self.lang)

    # ------------------------------------------------------------ texts
    def relabel(self) -> None:
        tabs = self.query_one("#tabs", Tabs)
        for i, tab in enumerate(TABS, 1):
            tabs.query_one(f"#tab-{tab}", Tab).label = f"{i} {self.tr('tab.' + tab)}"
        self.query_one("#search", Input).placeholder = self.tr("search_placeholder")
        if self.engine is None:
            self.query_one("#counters", Static).update(self.tr("opening"))
        self._columns()

    def _widths(self) -> dict[str, int]:
        """Column widths (in cells) that fill the screen; the subject takes what is left, and
        the deadline column always holds a whole countdown or date."""
        width = max(60, self.size.width or 80)
        wide = width >= 96
        zh = self.lang == "zh"
        cols = {"id": 5, "procedure": 12 if wide else 8, "step": 16 if wide else 10, "tier": 4,
                "who": 12 if wide else 6, "due": 14}  # "还差 2天23小时", "2d23h overdue", a whole date
        cols["subject"] = max(10, width - sum(cols.values()) - 2 * 7 - 2)
        return cols
    def _columns(self) -> None:
        table = self.query_one("#cases", DataTable)
        table.clear(columns=True)
        widths = self._widths()
        for key in ("id", "subject", "procedure", "step", "tier", "who", "due"):
            label = self.tr("col.closed" if key == "due" and self.tab_name == "closed" else f"col.{key}")
            table.add_column(label, key=key, width=widths[key])
        if self.page is not None:
            self._fill(self.page)

    def on_resize(self) -> None:
        self._columns()

    # ------------------------------------------------------------ data
    def reload(self) -> None:
        self.query_one("#pager", Static).update(self.tr("loading"))
        self._load(self.tab_name, self.search_text, self.page_offset, self.lang)

    @work(thread=True, exclusive=True, group="cases", name="load cases")
    def _load(self, tab: str, search: str, offset: int, lang: str) -> None:
        from yishi.errors import YishiError
        from yishi.tui.data import load_cases, load_counters

        app = self.yishi
        engine = self.engine
        assert engine is not None
        now = app.now()
        try:
            page = load_cases(engine, tab, app.actor, now, lang, search=search, offset=offset,
                              limit=app.page_size)
            self.app.call_from_thread(self._show_page, page, tab, search, lang)
            counters = load_counters(engine, now, app.actor)
        except YishiError as exc:
            self.app.call_from_thread(app.show_error, exc)
            return
        self.app.call_from_thread(self._show_counters, counters)

    def _show_page(self, page: CasesPage, tab: str, search: str, lang: str) -> None:
        if (tab, search, lang) != (self.tab_name, self.search_text, self.lang):
            return  # the user moved on meanwhile; a newer load is under way
        self.page = page
        self.page_offset = page.offset
        self._fill(page)
        self.refresh_bindings()  # ] and [ are shown only when there is a page to go to

    def _fill(self, page: CasesPage) -> None:
        table = self.query_one("#cases", DataTable)
        keep = table.cursor_row
        table.clear()
        widths = self._widths()
        error = Style(color=self.app.theme_variables.get("error", "red"), bold=True)
        muted = Style(dim=True)
        for row in page.rows:
            due_style = error if row.overdue else (muted if row.closed else Style())
            table.add_row(
                Text(row.number), Text(fit(row.subject, widths["subject"])),
                Text(fit(row.procedure, widths["procedure"])), Text(fit(row.step, widths["step"])),
                Text(row.tier), Text(fit(row.who, widths["who"])),
                Text(fit(row.due, widths["due"]), style=due_style),
                key=str(row.id))
        if page.rows:
            table.move_cursor(row=min(keep, len(page.rows) - 1))
        pager = self.query_one("#pager", Static)
        if page.total:
            pager.update(self.tr("pager", first=page.first, last=page.last, total=f"{page.total:,}"))
        else:
            pager.update(self.tr("pager_empty"))

    def _show_counters(self, c: Counters) -> None:
        self.counters = c
        parts = [self.tr("counter.open", n=f"{c.open:,}"),
                 f"[$error]{self.tr('counter.overdue', n=f'{c.overdue:,}')}[/]",
                 self.tr("counter.today", n=f"{c.today:,}"),
                 self.tr("counter.month", n=f"{c.resolved_month:,}")]
        if c.community:
            parts.append(self.tr("counter.community", share=c.share(), within=c.community[0],
                                 total=c.community[1]))
        else:
            parts.append(self.tr("counter.community_none"))
        if c.failed_notes:
            parts.append(f"[$warning]{self.tr('counter.failed_notes', n=f'{c.failed_notes:,}')}[/]")
        counters = self.query_one("#counters", Static)
        counters.update("  ·  ".join(parts))
        counters.tooltip = self.tr("counter.community_help")

    # ------------------------------------------------------------ events
    @on(Tabs.TabActivated, "#tabs")
    def _tab_chosen(self, event: Tabs.TabActivated) -> None:
        tab = (event.tab.id or "tab-mine").removeprefix("tab-")
        if tab != self.tab_name:
            self.tab_name = tab
            self.page_offset = 0
            self._columns()
            if self.engine is not None:
                self.reload()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search_text = event.value
        self.page_offset = 0
        if self.engine is not None:
            self.reload()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one("#cases", DataTable).focus()

    @on(DataTable.RowSelected, "#cases")
    def _open(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.yishi.open_case(int(event.row_key.value))

    # ------------------------------------------------------------ actions
    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_tab(self, tab: str) -> None:
        self.query_one("#tabs", Tabs).active = f"tab-{tab}"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "page" and parameters:
            if self.page is None:
                return False
            offset = self.page_offset + int(str(parameters[0])) * self.yishi.page_size
            return 0 <= offset < self.page.total
        return True

    def action_page(self, step: int) -> None:
        if self.page is None or self.engine is None:
            return
        offset = self.page_offset + step * self.yishi.page_size
        if 0 <= offset < self.page.total:
            self.page_offset = offset
            self.reload()

    def action_refresh(self) -> None:
        if self.engine is not None:
            self.reload()

    def action_new_case(self) -> None:
        from yishi.tui.screens.new_case import NewCaseScreen

        if self.engine is not None:
            self.yishi.push_page(NewCaseScreen())
