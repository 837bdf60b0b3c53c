"""``yishi demo``: open the demo database (a simulation), building it from the seed stories the
first time, and open the TUI on it."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from yishi.cli import views
from yishi.cli.context import session
from yishi.cli.output import console, local, t


def demo(ctx: typer.Context,
         reset: Annotated[bool, typer.Option(
             "--reset", help="Rebuild the demo database from the stories (its cases and simulated time are lost).")] = False,
         keep: Annotated[bool, typer.Option("--keep", hidden=True,
                                            help="Reuse the demo database if it exists (now the default).")] = False,
         no_tui: Annotated[bool, typer.Option(
             "--no-tui", help="Only print the cases (also when the output is not a terminal).")] = False,
         ) -> None:
    """Open the demo database (realistic cases with months of history) in the TUI.

    Uses --db if given, else demo.db in the user data directory. The first run builds it; later
    runs open it as you left it (--reset rebuilds it). It is a simulation: its clock stands still
    until you advance it (`yishi advance`, or the TUI's advance-time key). The stories are never
    written into a real database or one that holds other cases. You act as the config file's
    person (--as/--role on the root command), else as the demo's community secretary.
    """
    from yishi.cli import tui_settings
    from yishi.demo import DEMO_ACTOR, open_demo

    s = session(ctx)
    engine, built = open_demo(s.db, reset=reset)
    url = engine.store.describe().get("url", s.db or "")
    try:
        if no_tui or not interactive():
            out = console()
            out.print(t("demo_ready" if built else "demo_opened", s.lang, url=url,
                        now=local(engine.now(), s.lang)), soft_wrap=True)
            views.print_case_list(engine, engine.cases(), engine.count(), s.lang)
            out.print(t("demo_next", s.lang, url=url), soft_wrap=True)
            return
        from yishi.tui import run

        settings = tui_settings(ctx, default_actor=DEMO_ACTOR)
        run(engine, settings["actor"], settings["lang"], keys=settings["keys"])
    finally:
        engine.close()


def interactive() -> bool:
    """Whether a person is at a terminal (else the TUI cannot run: print instead)."""
    return sys.stdin.isatty() and sys.stdout.isatty()
