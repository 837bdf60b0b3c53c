"""What every yishi screen shares: the app's engine and language, localized bindings, reloads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from dataclasses import replace

from textual import events, on
from textual.binding import ActiveBinding
from textual.screen import Screen

if TYPE_CHECKING:
    from yishi.engine.engine import Engine
    from yishi.tui.app import YishiApp


class YishiScreen(Screen[Any]):
    """A screen that loads from the engine once it is open and relabels itself on a language switch."""

    #: actions whose keys keep working here but are left out of the footer (an 80-column footer
    #: holds about eight keys; F1 lists them all)
    FOOTER_HIDDEN: frozenset[str] = frozenset()

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        bindings = super().active_bindings
        if not self.FOOTER_HIDDEN:
            return bindings
        return {key: (active._replace(binding=replace(active.binding, show=False))
                      if active.binding.action in self.FOOTER_HIDDEN and active.binding.show else active)
                for key, active in bindings.items()}

    @property
    def yishi(self) -> YishiApp:
        return cast("YishiApp", self.app)

    @property
    def engine(self) -> Engine | None:
        return self.yishi.engine

    @property
    def lang(self) -> str:
        return self.yishi.lang

    def tr(self, key: str, **values: Any) -> str:
        return self.yishi.tr(key, **values)

    stale = True  # read from the engine when next shown

    def on_mount(self) -> None:
        self.yishi.localize(self)
        self.watch(self.app, "lang", self._lang_changed, init=False)
        self.relabel()

    def _lang_changed(self, _lang: str) -> None:
        self.relabel()
        self.refresh_if_shown()

    def refresh_if_shown(self) -> None:
        """Reload now if this screen is on top, else when it is shown again."""
        self.stale = True
        if self.engine is not None and self.is_current:
            self.stale = False
            self.reload()

    @on(events.ScreenResume)
    def _resumed(self) -> None:
        if self.stale and self.engine is not None:
            self.stale = False
            self.reload()

    def on_yishi_app_engine_ready(self) -> None:
        if self.stale:  # not read yet: the engine was still opening when the screen was shown
            self.refresh_if_shown()

    def on_yishi_app_timers_fired(self) -> None:
        self.refresh_if_shown()

    # ------------------------------------------------------------ the status line
    def show_status(self, message: str, severity: str = "information", timeout: float = 6) -> bool:
        """Show ``message`` on this screen's status line; False when it has none."""
        from yishi.tui.widgets.wrap import Wrapped

        found = self.query("#status")
        if not found:
            return False
        status = found.first(Wrapped)
        status.update(message)
        status.set_class(severity == "error", "error")
        status.set_class(severity == "warning", "warning")
        status.display = True
        if self._status_timer is not None:
            self._status_timer.stop()
        self._status_timer = self.set_timer(timeout, self._clear_status)
        return True

    def _clear_status(self) -> None:
        found = self.query("#status")
        if found:
            found.first().display = False

    _status_timer: Any = None

    # ------------------------------------------------------------ for subclasses
    def relabel(self) -> None:
        """Put the fixed texts (headings, tab labels, placeholders) in the current language."""

    def reload(self) -> None:
        """Read what the screen shows from the engine again."""
