"""The statistics screen: this month's resolutions by tier, the monthly trend and what is overdue
now by tier, drawn as Rich tables with bars (labels in their own column, so CJK stays aligned).

The figures come from ``yishi.stats.figures.overview`` (indexed columns); this screen only lays
them out. Its texts live here; the app binds it to F4.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.bar import Bar
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Static

from yishi.tui.screens.base import YishiScreen

if TYPE_CHECKING:
    from yishi.stats.figures import Overview

TEXT: dict[str, tuple[str, str]] = {
    "heading": ("统计 · {month}", "Statistics · {month}"),
    "summary": ("社区内解决率 {share}（{within}/{total}）  按期办结率 {on_time}  满意率 {satisfied}",
                "in community {share} ({within}/{total})  on time {on_time}  satisfied {satisfied}"),
    "tiers": ("本月各级解决数", "resolved this month, by tier"),
    "overdue": ("当前逾期（按所在层级）", "overdue now, by tier"),
    "trend": ("月度趋势", "monthly trend"),
    "col.tier": ("层级", "tier"),
    "col.n": ("件数", "cases"),
    "col.month": ("月份", "month"),
    "col.received": ("受理", "in"),
    "col.closed": ("办结", "closed"),
    "col.share": ("社区内", "in comm."),
    "col.on_time": ("按期", "on time"),
    "no_tier": ("未分层级", "no tier"),
    "none": ("暂无", "none yet"),
    "tier.1": ("1 网格员", "1 grid member"),
    "tier.2": ("2 网格长", "2 grid leader"),
    "tier.3": ("3 书记接诊室", "3 secretary"),
    "tier.4": ("4 街道/乡镇", "4 street"),
    "tier.5": ("5 区职能部门", "5 district"),
}
TIERS = (1, 2, 3, 4, 5)


def text(key: str, lang: str, **values: Any) -> str:
    zh, en = TEXT[key]
    return (zh if lang.startswith("zh") else en).format(**values)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)}%"


def bar_table(title: str, rows: list[tuple[str, int]], lang: str, *, width: int, style: str) -> Table:
    """A titled table: label, count and a bar scaled to the largest count."""
    top = max((n for _, n in rows), default=0) or 1
    table = Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  pad_edge=False, padding=(0, 1), expand=False, show_edge=False)
    table.add_column(text("col.tier", lang), no_wrap=True, width=12 if lang.startswith("zh") else 13)
    table.add_column(text("col.n", lang), justify="right", no_wrap=True, width=6)
    table.add_column("", width=width, no_wrap=True)
    for label, n in rows:
        table.add_row(label, f"{n:,}", Bar(top, 0, n, width=width, color=style))
    return table


def tier_chart(view: Overview, lang: str, width: int) -> Table:
    rows = [(text(f"tier.{t}", lang), view.figures.resolved.get(t, 0)) for t in TIERS]
    return bar_table(text("tiers", lang), rows, lang, width=width, style="green")


def overdue_chart(view: Overview, lang: str, width: int) -> Table:
    rows = [(text(f"tier.{t}", lang), view.overdue_by_tier.get(t, 0)) for t in TIERS]
    rows.append((text("no_tier", lang), view.overdue_by_tier.get(None, 0)))
    return bar_table(text("overdue", lang), rows, lang, width=width, style="red")


def trend_chart(view: Overview, lang: str, width: int) -> Table:
    top = max((p.figures.closed for p in view.trend), default=0) or 1
    table = Table(title=text("trend", lang), title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  pad_edge=False, padding=(0, 1), show_edge=False)
    table.add_column(text("col.month", lang), no_wrap=True, width=7)
    table.add_column(text("col.received", lang), justify="right", no_wrap=True, width=8)
    table.add_column(text("col.closed", lang), justify="right", no_wrap=True, width=8)
    table.add_column("", width=width, no_wrap=True)
    table.add_column(text("col.share", lang), justify="right", no_wrap=True, width=8)
    table.add_column(text("col.on_time", lang), justify="right", no_wrap=True, width=7)
    for point in view.trend:
        f = point.figures
        table.add_row(point.month, f"{f.received:,}", f"{f.closed:,}", Bar(top, 0, f.closed, width=width, color="cyan"),
                      percent(f.community_share), percent(f.on_time_rate))
    return table


class StatsScreen(YishiScreen):
    """Figures at a glance; F5 reads them again, Esc goes back."""

    DEFAULT_CSS = """
    #stats-summary { height: auto; padding: 0 1; background: $boost; }
    #stats-body { height: 1fr; padding: 0 1; }
    #stats-charts { height: auto; }
    #stats-tiers, #stats-overdue { width: 1fr; height: auto; }
    #stats-tiers { margin-right: 2; }
    #stats-trend { height: auto; }
    """

    BINDINGS = [
        Binding("escape", "back", "back", id="back"),
        Binding("f5", "refresh", "refresh", id="refresh"),
    ]

    def __init__(self) -> None:
        super().__init__(id="stats-screen")
        self.view: Overview | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="议")
        yield Static(id="stats-summary")
        with VerticalScroll(id="stats-body"):
            with Horizontal(id="stats-charts"):
                yield Static(id="stats-tiers")
                yield Static(id="stats-overdue")
            yield Static(id="stats-trend")
        yield Footer()

    def relabel(self) -> None:
        if self.view is not None:
            self._draw(self.view)
        elif self.engine is None:
            self.query_one("#stats-summary", Static).update(self.tr("opening"))

    def reload(self) -> None:
        self.query_one("#stats-summary", Static).update(self.tr("loading"))
        self._load()

    @work(thread=True, exclusive=True, group="stats", name="load statistics")
    def _load(self) -> None:
        from yishi.errors import YishiError
        from yishi.stats.figures import overview

        engine = self.engine
        assert engine is not None
        try:
            view = overview(engine, self.yishi.now())
        except YishiError as exc:
            self.app.call_from_thread(self.yishi.show_error, exc)
            return
        self.app.call_from_thread(self._draw, view)

    def _draw(self, view: Overview) -> None:
        self.view = view
        lang = self.lang
        f = view.figures
        heading = Text(text("heading", lang, month=view.month), style="bold")
        summary = Text(text("summary", lang, share=percent(f.community_share), within=f.resolved_in_community,
                            total=f.resolved_total, on_time=percent(f.on_time_rate),
                            satisfied=percent(f.satisfaction_rate)))
        self.query_one("#stats-summary", Static).update(Group(heading, summary))
        half = max(6, (self.size.width or 80) // 2 - 28)
        self.query_one("#stats-tiers", Static).update(tier_chart(view, lang, half))
        self.query_one("#stats-overdue", Static).update(overdue_chart(view, lang, half))
        wide = max(8, (self.size.width or 80) - 58)
        self.query_one("#stats-trend", Static).update(trend_chart(view, lang, wide))

    def on_resize(self) -> None:
        if self.view is not None:
            self._draw(self.view)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_refresh(self) -> None:
        if self.engine is not None:
            self.reload()
