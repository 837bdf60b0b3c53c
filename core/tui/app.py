"""The Textual application: who is acting, in which language, on which engine; screens do the rest.

``create_app`` is the factory tests and the CLI call. The engine (and with it SQLAlchemy and the
workflow files) is opened in a worker thread after the first frame is painted, so the window
appears at once whatever the size of the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen

from yishi.tui.i18n import has, tr
from yishi.tui.simulation import ADVANCE_BINDING

if TYPE_CHECKING:
    from yishi.clock import Clock
    from yishi.engine.engine import Engine
    from yishi.engine.types import Actor

log = logging.getLogger("yishi.tui")


class YishiApp(App[None]):
    """A secretary's desk: the cases, one case, a new case, the procedures."""

    CSS_PATH = "yishi.tcss"
    TITLE = "议事 yishi"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("f1", "help", "help", id="help"),
        Binding("question_mark", "help", "help", id="help_question", show=False),
        Binding("ctrl+q", "quit", "quit", id="quit", priority=True),
        Binding("f2", "toggle_lang", "English", id="lang"),
        Binding("f3", "procedures", "procedures", id="procedures", show=False),  # shown on the cases screen
        Binding("f4", "statistics", "statistics", id="statistics", show=False),  # shown on the cases screen
        ADVANCE_BINDING,  # simulation databases only (check_action): yishi.tui.simulation
    ]

    lang: reactive[str] = reactive("zh", init=False)

    class EngineReady(Message):
        """The engine is open: screens may load their data."""

    class TimersFired(Message):
        """A periodic tick fired ``count`` due timers: screens should reload."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    def __init__(self, engine: Engine | None, url: str | None, actor: Actor, lang: str, *,
                 clock: Clock | None = None, keys: Mapping[str, str] | None = None,
                 tick_seconds: float = 30.0, page_size: int = 50, cursor_blink: bool = True,
                 on_ready: Callable[[YishiApp], None] | None = None, poll_seconds: float = 3.0) -> None:
        super().__init__()
        self.poll_seconds = poll_seconds  # how often a screen looks for others' changes (0: never)
        self.engine: Engine | None = engine
        self.url = url
        self.actor = actor
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.page_size = page_size
        self.cursor_blink = cursor_blink
        self.on_ready = on_ready
        self.drafts: dict[tuple[Any, str], dict[str, Any]] = {}  # (case id or "new", state) → typed input
        self.role_titles: dict[str, str] = {}
        self.set_reactive(YishiApp.lang, "zh" if lang.startswith("zh") else "en")
        if keys:
            self.set_keymap(dict(keys))
        if engine is not None and clock is not None:
            engine.clock = clock

    # ------------------------------------------------------------ time and text
    def now(self) -> datetime:
        """The injected clock, else the engine's, else the system clock (aware UTC)."""
        if self.clock is not None:
            moment = self.clock.now()
        elif self.engine is not None:
            return self.engine.now()
        else:
            moment = datetime.now(timezone.utc)
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

    def today(self) -> date:
        """Today's date where the deployment is (the engine's time zone)."""
        moment = self.now()
        tz = self.engine.tz if self.engine is not None else None
        return (moment.astimezone(tz) if tz is not None else moment).date()

    def tr(self, key: str, **values: Any) -> str:
        return tr(key, self.lang, **values)

    def who(self) -> str:
        from yishi.tui.data import who_line

        return who_line(self.actor, self.role_titles, self.lang)

    def localize(self, node: DOMNode) -> None:
        """Give ``node``'s bindings (those with an id) their description in the current language."""
        bindings = node._bindings.key_to_bindings
        for key, items in bindings.items():
            bindings[key] = [replace(b, description=tr(f"key.{b.id}", self.lang))
                             if b.id and has(f"key.{b.id}") else b for b in items]

    # ------------------------------------------------------------ life cycle
    def on_mount(self) -> None:
        from yishi.tui.screens.cases import CasesScreen

        self.localize(self)
        self._set_titles()
        self.push_screen(CasesScreen())
        if self.engine is None:
            # after the first frame is painted: the worker's imports (SQLAlchemy, pydantic, the
            # workflow files) would otherwise hold the GIL while the frame is being drawn
            self.call_after_refresh(self.open_engine)
        else:
            self.call_after_refresh(self._engine_ready)

    @work(thread=True, exclusive=True, group="open", name="open engine")
    def open_engine(self) -> None:
        from yishi.engine.engine import Engine
        from yishi.errors import YishiError

        try:
            engine = Engine.open_configured(self.url, clock=self.clock)  # the config's db, params, tz
            engine.workflows()  # load and validate the workflow files here, off the UI thread
        except YishiError as exc:
            self.call_from_thread(self.show_error, exc)
            return
        self.engine = engine
        self.call_from_thread(self._engine_ready)

    def _engine_ready(self) -> None:
        from yishi.tui.login import identify

        identify(self, self._identified)  # who acts: login, OS login, or the declared actor

    def _identified(self) -> None:
        from yishi.tui.data import role_titles

        assert self.engine is not None
        self.role_titles = role_titles(self.engine, self.lang)
        self._set_titles()
        self.screen.refresh_bindings()  # p (person picker) once the database is known
        if self.tick_seconds > 0:
            self.set_interval(self.tick_seconds, self.tick, name="tick")
            self.tick()  # timers that fell due while nothing ran fire now
        for screen in self.screen_stack:
            screen.post_message(self.EngineReady())
        if self.on_ready is not None:
            self.on_ready(self)

    def _set_titles(self) -> None:
        self.title = f"{self.tr('app_title')} {self.header_date()} · {self.who()}"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "advance_time":
            from yishi.tui.simulation import is_simulation

            return is_simulation(self.engine)  # hidden (and inert) outside a simulation
        if action == "person":  # the person picker: demo, simulation and sandbox databases only
            from yishi.tui.login import may_pick

            return may_pick(self)
        return True

    def action_advance_time(self) -> None:
        """Advance a simulation's clock (to the next deadline, or N days): yishi.tui.simulation."""
        from yishi.tui.simulation import AdvanceDialog, is_simulation

        if not is_simulation(self.engine):
            return
        assert self.engine is not None

        def chosen(choice: tuple[str, int] | None) -> None:
            if choice is not None:
                self._advance(choice)

        self.push_screen(AdvanceDialog(self.engine, self.lang), chosen)

    @work(thread=True, exclusive=True, group="tick", name="advance time")
    def _advance(self, choice: tuple[str, int]) -> None:
        from yishi.errors import YishiError
        from yishi.tui.simulation import advance

        assert self.engine is not None
        try:
            count = advance(self.engine, choice)
        except YishiError as exc:
            self.call_from_thread(self.show_error, exc)
            return
        self.call_from_thread(self._advanced, count)

    def _advanced(self, count: int) -> None:
        from yishi.tui.simulation import local_text

        assert self.engine is not None
        self._set_titles()
        self.notify(self.tr("sim.done", now=local_text(self.engine, self.engine.now()), n=count), timeout=6)
        for screen in self.screen_stack:
            screen.post_message(self.TimersFired(count))

    def header_date(self) -> str:
        """Today in the header: "2026-11-20 周五", marked 模拟 on a simulation's clock."""
        day = self.today()
        weekday = self.tr("weekday").split()[day.weekday()]
        text = f"{day.isoformat()} {weekday}"
        if self.engine is not None and getattr(self.engine, "mode", None) == "simulation":
            text = f"{self.tr('simulated')} {text}"
        return text

    # ------------------------------------------------------------ Textual's own English strings
    def action_help_quit(self) -> None:
        """Ctrl+C (Textual's "Do you want to quit?" toast), in the user's language."""
        key = self.get_key_display(next(b for b in self.BINDINGS if isinstance(b, Binding) and b.id == "quit"))
        self.notify(self.tr("quit_hint", keys=key), title=self.tr("quit_hint_title"))

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Messages go to the screen's status line (a toast over two panes cuts the CJK
        characters that cross their border); screens without one get Textual's toast."""
        from yishi.tui.screens.base import YishiScreen

        screen = self.screen
        if isinstance(screen, YishiScreen) and screen.show_status(f"{title}：{message}" if title else message,
                                                                   severity, timeout or 6):
            return
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def action_help(self) -> None:
        from yishi.tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        focused = self.focused

        def back(_: None) -> None:
            if focused is not None and focused.is_attached:
                focused.focus()

        self.push_screen(HelpScreen(self.screen, self.lang), back)

    def on_unmount(self) -> None:
        if self.engine is not None and self.url is not None:
            self.engine.close()  # only an engine this app opened

    # ------------------------------------------------------------ timers
    def tick(self) -> None:
        """Fire due timers (in a worker thread); reload the screens if any fired."""
        if self.engine is not None:
            self._tick()

    @work(thread=True, exclusive=True, group="tick", name="tick")
    def _tick(self) -> None:
        from yishi.errors import YishiError

        assert self.engine is not None
        try:
            results = self.engine.tick(self.now())
        except YishiError as exc:
            log.warning("tick failed: %s", exc)
            return
        fired = [r for r in results if r.outcome != "skipped"]
        if fired:
            self.call_from_thread(self._timers_fired, len(fired))

    def _timers_fired(self, count: int) -> None:
        self.notify(self.tr("ticked", n=count), timeout=4)
        for screen in self.screen_stack:
            screen.post_message(self.TimersFired(count))

    # ------------------------------------------------------------ actions
    def unsaved(self) -> int:
        """How many forms hold typed input that is not saved yet."""
        return sum(1 for values in self.drafts.values()
                   if any(v not in ("", None, []) for v in values.values()))

    async def action_quit(self) -> None:
        """Quit; first ask when typed input would be lost."""
        from yishi.tui.screens.confirm import ConfirmDialog

        if not self.unsaved():
            self.exit()
            return

        def answered(leave: bool | None) -> None:
            if leave:
                self.exit()

        self.push_screen(ConfirmDialog(self.tr("dlg.quit_title"), self.tr("dlg.quit_body", n=self.unsaved()),
                                       self.lang), answered)

    def action_toggle_lang(self) -> None:
        self.lang = "en" if self.lang == "zh" else "zh"
        self.remember_lang()

    def remember_lang(self) -> None:
        """The language chosen with F2 is the next start's too (the personal config file); not in a
        browser session of ``yishi serve``, whose config file is the server account's."""
        if getattr(self, "served", False):
            return
        from yishi.config import ConfigError, load_config, save_config

        try:
            config = load_config()
            config.lang = self.lang
            save_config(config)
        except (ConfigError, OSError) as exc:
            log.warning("cannot remember the language: %s", exc)

    def watch_lang(self, _old: str, _new: str) -> None:
        from yishi.tui.data import role_titles

        if self.engine is not None:
            self.role_titles = role_titles(self.engine, self.lang)
        self._set_titles()
        self.localize(self)
        for screen in self.screen_stack:
            self.localize(screen)
            for node in screen.walk_children():
                if node._bindings.key_to_bindings:
                    self.localize(node)
        self.screen.refresh_bindings()

    def action_person(self) -> None:
        """Act as another person of a demo, simulation or sandbox database."""
        from yishi.tui.login import pick_person

        pick_person(self)

    def acted_as_changed(self) -> None:
        """The acting person changed: new header, and every screen reads again."""
        from yishi.tui.login import restale

        self._set_titles()
        restale(self)
        for screen in self.screen_stack:
            screen.post_message(self.EngineReady())

    def action_procedures(self) -> None:
        from yishi.tui.screens.procedures import ProceduresScreen

        if self.engine is None or isinstance(self.screen, ProceduresScreen):
            return
        self.push_page(ProceduresScreen())

    def action_statistics(self) -> None:
        from yishi.tui.screens.stats import StatsScreen

        if self.engine is not None and not isinstance(self.screen, StatsScreen):
            self.push_page(StatsScreen())

    def push_page(self, screen: Screen[Any]) -> None:
        """Push a full screen; the one below reads from the engine again when it is shown."""
        from yishi.tui.screens.base import YishiScreen

        if isinstance(self.screen, YishiScreen):
            self.screen.stale = True
        self.push_screen(screen)

    def open_case(self, case_id: int, *, focus_form: bool = False) -> None:
        """Show case ``case_id``; ``focus_form`` (a case just started): focus goes to the first
        empty required field of its form."""
        from yishi.tui.screens.case import CaseScreen

        screen = CaseScreen(case_id)
        screen._focus_form = focus_form
        self.push_page(screen)

    # ------------------------------------------------------------ errors
    def show_error(self, exc: BaseException, *, title: str | None = None) -> None:
        """The TUI's error boundary: every engine error ends here as a dialog (typed input stays)."""
        from yishi.errors import ConflictError, RefusedError, StorageError, YishiError
        from yishi.tui.screens.message import MessageDialog

        if isinstance(exc, StorageError):
            body = [exc.localized(self.lang), "", self.tr("dlg.storage_body")]
            self.push_screen(MessageDialog(title or self.tr("dlg.storage_title"), body, kind="error"))
        elif isinstance(exc, RefusedError):
            reasons = [f"• {v.reason(self.lang)}" for v in exc.verdicts if not v.ok] or [exc.localized(self.lang)]
            self.push_screen(MessageDialog(title or self.tr("dlg.refused_title", title=""),
                                           [self.tr("dlg.refused_body"), *reasons], kind="warning"))
        elif isinstance(exc, (ConflictError, YishiError)):
            self.push_screen(MessageDialog(title or self.tr("dlg.error_title"), [exc.localized(self.lang)],
                                           kind="error"))
        else:
            log.exception("unexpected error in the TUI", exc_info=exc)
            self.push_screen(MessageDialog(title or self.tr("dlg.error_title"),
                                           [f"{type(exc).__name__}: {exc}"], kind="error"))


def create_app(engine_or_url: Engine | str | None, actor: Actor | None = None, lang: str = "zh", *,
               clock: Clock | None = None, keys: Mapping[str, str] | None = None,
               tick_seconds: float = 30.0, page_size: int = 50, cursor_blink: bool = True,
               on_ready: Callable[[YishiApp], None] | None = None, poll_seconds: float = 3.0) -> YishiApp:
    """The yishi TUI on an engine (used as is, not closed) or a database URL (opened with
    ``Engine.open_configured`` in a worker thread after the first frame, closed on exit; None
    means ``$YISHI_DB``, else the config file's db, else the default file).

    ``actor`` is who acts (name and roles); ``lang`` zh or en; ``clock`` an injected clock (also
    given to the engine, so snapshots and tests see a fixed "now"); ``keys`` maps binding ids to
    keys (Config.keys); ``tick_seconds`` how often due timers are fired (0: never);
    ``poll_seconds`` how often the open screen checks whether someone else changed what it
    shows (a revision read; 0: never);
    ``cursor_blink`` False for stable snapshots; ``on_ready`` runs once the engine is open.
    """
    from yishi.engine.types import Actor as _Actor

    who = actor or _Actor.of("")
    if engine_or_url is None or isinstance(engine_or_url, str):
        return YishiApp(None, engine_or_url, who, lang, clock=clock, keys=keys,
                        tick_seconds=tick_seconds, page_size=page_size, cursor_blink=cursor_blink,
                        on_ready=on_ready, poll_seconds=poll_seconds)
    return YishiApp(engine_or_url, None, who, lang, clock=clock, keys=keys, tick_seconds=tick_seconds,
                    page_size=page_size, cursor_blink=cursor_blink, on_ready=on_ready,
                    poll_seconds=poll_seconds)
