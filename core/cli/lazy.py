"""Command groups built when they are used (issue 13, goal 5).

``yishi --help`` lists the groups (``workflows``, ``case``, ``outbox``, ``plugin``, ``org``) by
name and one line of help; it does not need their sixty-odd commands. Typer builds every
command of every group before it parses anything (each command's signature inspected, its
string annotations evaluated), and importing the groups' modules costs as much again. Here each
group is registered as a ``LazyGroup``: its name, its help (the text below, which its module's
``typer.Typer`` also uses) and no commands; the first time anything asks for its commands
(running one, ``yishi case --help``, the option placement in ``yishi.cli.argv``), the module is
imported and the group built by Typer exactly as before.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

# name: (module, help); the order is the order of the help's list
GROUPS: dict[str, tuple[str, str]] = {
    "workflows": ("yishi.cli.workflows", "Workflow definitions: list, show, validate, graph, schema, migrate. 流程定义。"),
    "case": ("yishi.cli.cases", "Cases: open, list, show, history, actions, fire, record. 案件。"),
    "outbox": ("yishi.cli.outbox", "Notifications: list them, retry a failed one. 通知发送队列。"),
    "plugin": ("yishi.cli.plugin", "Write your own plugin. 编写插件。"),
    "org": ("yishi.cli.org", "The organisation: units, people, grants, logins. 组织机构、人员、授权。"),
}


def help_of(name: str) -> str:
    return GROUPS[name][1]


class LazyGroup(TyperGroup):
    """A group whose commands are built from ``module.app`` on first use."""

    module = ""  # set by ``lazy_typer`` on a subclass per group
    _built: TyperGroup | None = None

    def _group(self) -> TyperGroup:
        if self._built is None:
            from typer.main import get_group

            self._built = get_group(importlib.import_module(self.module).app)
        return self._built

    def list_commands(self, ctx: Any) -> list[str]:
        return self._group().list_commands(ctx)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return self._group().get_command(ctx, cmd_name)


def lazy_typer(name: str) -> typer.Typer:
    """The placeholder Typer app registered for the group ``name``."""
    module, text = GROUPS[name]
    cls = type(f"Lazy_{name}", (LazyGroup,), {"module": module})
    return typer.Typer(cls=cls, help=text, no_args_is_help=True)
