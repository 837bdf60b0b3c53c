"""``yishi --help`` without the parts of Rich it never uses (issue 13, goal 5).

Typer renders help with ``typer.rich_utils``, which imports ``rich.markdown`` (and with it
``markdown_it``) and ``rich.traceback`` (``rich.pretty``) at the top of the module, about a
third of the help's time, although yishi's help is not Markdown and a traceback is only drawn
when a command crashes. ``load_rich_utils`` imports ``typer.rich_utils`` with those two modules
stood in for by placeholders whose classes load the real module the first time they are used,
then takes the placeholders out of ``sys.modules`` again, so any later ``import rich.markdown``
(Textual, a command) gets the real module. The help's output is unchanged (a test compares it).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_DEFERRED = {"rich.markdown": ("Markdown",), "rich.traceback": ("Traceback",)}


class _Later(type):
    """The metaclass of a placeholder class: everything about it asks the real class."""

    _where: tuple[str, str]

    def _real(cls) -> Any:
        module, name = cls._where
        return getattr(importlib.import_module(module), name)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._real()(*args, **kwargs)

    def __getattr__(cls, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(cls._real(), attr)

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, cls._real())


def _placeholder(module: str, names: tuple[str, ...]) -> types.ModuleType:
    stub = types.ModuleType(module)
    for name in names:
        setattr(stub, name, _Later(name, (), {"_where": (module, name)}))
    return stub


def load_rich_utils() -> None:
    """Import ``typer.rich_utils`` without ``rich.markdown`` and ``rich.traceback``."""
    if "typer.rich_utils" in sys.modules:
        return
    placed = [m for m in _DEFERRED if m not in sys.modules]
    for module in placed:
        sys.modules[module] = _placeholder(module, _DEFERRED[module])
    try:
        importlib.import_module("typer.rich_utils")
    finally:
        for module in placed:
            if isinstance(sys.modules.get(module), types.ModuleType) and \
                    not hasattr(sys.modules[module], "__file__"):
                del sys.modules[module]
