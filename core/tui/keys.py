"""The TUI's key bindings by id, as users may remap them in the config file (``[keys]``)."""

from __future__ import annotations


def default_keys() -> dict[str, tuple[str, str]]:
    """Every binding id with its default key and where it applies (app or a screen's name)."""
    from textual.binding import Binding
    from yishi.tui.app import YishiApp
    from yishi.tui.screens.case import CaseScreen
    from yishi.tui.screens.cases import CasesScreen
    from yishi.tui.screens.form_dialog import FormDialog
    from yishi.tui.screens.new_case import NewCaseScreen
    from yishi.tui.screens.procedures import ProceduresScreen
    from yishi.tui.screens.stats import StatsScreen
    from yishi.tui.widgets.items import ItemsField

    out: dict[str, tuple[str, str]] = {}
    for where, cls in (("app", YishiApp), ("cases", CasesScreen), ("case", CaseScreen),
                       ("new case", NewCaseScreen), ("procedures", ProceduresScreen), ("statistics", StatsScreen),
                       ("list items", ItemsField), ("dialogs", FormDialog)):
        for b in cls.BINDINGS:
            if isinstance(b, Binding) and b.id and b.id not in out:
                out[b.id] = (b.key, where)
    return out
