"""``yishi demo``: build a fresh demo database from the seed stories and show it."""

from __future__ import annotations

from typing import Annotated

import typer

from yishi.cli import views
from yishi.cli.context import session
from yishi.cli.output import console, t


def demo(ctx: typer.Context,
         keep: Annotated[bool, typer.Option("--keep", help="Reuse the demo database if it exists.")] = False,
         ) -> None:
    """Create a demo database (realistic cases with months of history) and list its cases.

    Uses --db if given, else demo.db in the user data directory (replaced unless --keep).
    """
    from yishi.demo import build_demo, demo_path
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
        out = console()
        out.print(t("demo_ready", s.lang, url=url), soft_wrap=True)
        views.print_case_list(engine, engine.cases(), engine.count(), s.lang)
        out.print(t("demo_next", s.lang, url=url), soft_wrap=True)
    finally:
        engine.close()
