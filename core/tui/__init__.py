"""The Textual TUI (``yishi`` with no arguments): a secretary steps cases through their procedures.

``create_app`` builds the app (tests call it); ``run`` builds and runs it. Importing this package
imports neither Textual nor the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yishi.tui.app import YishiApp, create_app

__all__ = ["YishiApp", "create_app", "run"]


def run(engine_or_url: Any, actor: Any, lang: str, *, keys: Any = None) -> None:
    """Run the TUI in this terminal until the user quits."""
    from yishi.tui.app import create_app

    create_app(engine_or_url, actor, lang, keys=keys).run()


def __getattr__(name: str) -> Any:
    if name in ("YishiApp", "create_app"):
        from yishi.tui import app

        return getattr(app, name)
    raise AttributeError(f"module 'yishi.tui' has no attribute {name!r}")
