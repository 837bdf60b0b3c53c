"""``yishi plugin new NAME``: scaffold a plugin package."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from yishi.cli.context import session
from yishi.cli.lazy import help_of
from yishi.cli.output import console

app = typer.Typer(help=help_of("plugin"), no_args_is_help=True)


@app.command()
def new(ctx: typer.Context,
        name: Annotated[str, typer.Argument(metavar="NAME", help="e.g. repair or yishi-repair")],
        into: Annotated[Path, typer.Option("--into", metavar="DIR", help="Parent folder (default: here).")]
        = Path(".")) -> None:
    """A complete plugin package: pyproject with the entry point, a guard, a notifier, a
    workflow and tests with the testing kit, which install and pass as generated."""
    from yishi.scaffold import create

    lang = session(ctx).lang
    root = create(name, into)
    if lang == "zh":
        console().print(f"已创建插件 {root}\n  cd {root} && pip install -e '.[test]' && pytest", soft_wrap=True)
    else:
        console().print(f"created plugin {root}\n  cd {root} && pip install -e '.[test]' && pytest", soft_wrap=True)
