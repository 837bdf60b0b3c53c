"""``yishi demo``: build a fresh demo database from the seed stories and open the TUI on it."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from yishi.cli import views
from yishi.cli.context import session
from yishi.cli.output import console, t


def demo(ctx: typer.Context,
         keep: Annotated[bool, typer.Option("--keep", help="Reuse the demo database if it exists.")] = False,
         no_tui: Annotated[bool, typer.Option(
             "--no-tui", help="Only print the cases (also when the output is not a terminal).")] = False,
         ) -> None:
    """Create a demo database (realistic cases with months of history) and open the TUI on it.

    Uses --db if given, else demo.db in the user data directory (replaced unless --keep). You
    act as the config file's person (--as/--role on the root command), else as the demo's
    community secretary, who holds every role the stories use.
    """
    from yishi.cli import tui_settings
    from yishi.demo import DEMO_ACTOR, build_demo, demo_path
    from yishi.engine.engine import Engine

    s = session(ctx)
    url = s.db
    if url is None:
        path = demo_path()
        if path.exists() and not keep:
            for suffix in ("", "-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        exists = keep and path.exists()
    else:
        exists = keep
    engine = Engine.open(url) if exists else build_demo(url)
    try:
        if no_tui or not interactive():
            out = console()
            out.print(t("demo_ready", s.lang, url=url), soft_wrap=True)
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
