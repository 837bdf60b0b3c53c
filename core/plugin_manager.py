"""The plugin manager: built-in plugins first, then the ``yishi`` entry-point group."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable
from types import ModuleType
from typing import Any

import pluggy

from yishi import hookspecs
from yishi.errors import PluginError

BUILTIN_PLUGINS: tuple[str, ...] = (
    "yishi.plugins.guards",
    "yishi.plugins.actions",
    "yishi.plugins.console",
    "yishi.plugins.email",
    "yishi.plugins.webhook",
    "yishi.plugins.channel_roles",
    "yishi.plugins.shipped_workflows",
    "yishi.plugins.sqlstore",
    "yishi.documents.builtin",
)


def make_manager(extra: Iterable[Any] = (), *, entry_points: bool = True,
                 allow: str | None = None, trace: bool | None = None) -> pluggy.PluginManager:
    """Return a plugin manager with the built-ins, the installed plugins and ``extra``.

    ``allow`` (default: ``YISHI_PLUGINS``) is a comma-separated allow-list of plugin names;
    built-ins whose module name ends with a listed name count too. ``trace`` (default:
    ``YISHI_TRACE_PLUGINS=1``) prints every hook call and its result to stderr.

    Raises ``PluginError`` when a plugin implements a hook that does not exist.
    """
    pm = pluggy.PluginManager("yishi")
    pm.add_hookspecs(hookspecs)
    allowed = _allow_list(os.environ.get("YISHI_PLUGINS") if allow is None else allow)
    for name in BUILTIN_PLUGINS:
        if allowed is None or name in allowed or name.rsplit(".", 1)[-1] in allowed:
            pm.register(importlib.import_module(name), name=name)
    if entry_points:
        pm.load_setuptools_entrypoints("yishi")
        if allowed is not None:
            for name, plugin in list(pm.list_name_plugin()):
                if name not in BUILTIN_PLUGINS and name not in allowed:
                    pm.unregister(plugin)
    for plugin in extra:
        if pm.is_registered(plugin):  # installed too (an entry point): once is enough
            continue
        pm.register(plugin, name=_plugin_name(plugin))
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(_unknown_hook_message(pm, exc)) from None
    if trace if trace is not None else os.environ.get("YISHI_TRACE_PLUGINS") == "1":
        _trace(pm)
    return pm


def _unknown_hook_message(pm: pluggy.PluginManager, exc: pluggy.PluginValidationError) -> str:
    """Which plugin implements which unknown hook, and the known hook it most likely means."""
    import difflib

    known = sorted(name for name in dir(hookspecs) if name.startswith("yishi_"))
    lines = []
    for name in sorted(vars(pm.hook)):
        caller = getattr(pm.hook, name)
        if getattr(caller, "spec", True) is not None or not caller.get_hookimpls():
            continue
        plugins = ", ".join(sorted({impl.plugin_name for impl in caller.get_hookimpls()}))
        guess = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"did you mean {guess[0]!r}?" if guess else "the hooks are listed in yishi.hookspecs"
        lines.append(f"plugin {plugins} implements {name!r}, which is not a yishi hook; {hint}")
    return "; ".join(lines) or f"{exc}; check the hook's name against yishi.hookspecs"


def _allow_list(raw: str | None) -> set[str] | None:
    if raw is None or not raw.strip():
        return None
    return {item.strip() for item in raw.split(",") if item.strip()}


def _plugin_name(plugin: Any) -> str:
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    name = getattr(plugin, "__name__", None) or type(plugin).__name__
    return f"{name}-{id(plugin):x}"


def _trace(pm: pluggy.PluginManager) -> None:
    def before(hook_name: str, hook_impls: list[Any], kwargs: dict[str, Any]) -> None:
        names = ", ".join(impl.plugin_name for impl in hook_impls)
        print(f"[yishi plugins] {hook_name}({', '.join(kwargs)}) -> [{names}]", file=sys.stderr)

    def after(outcome: Any, hook_name: str, hook_impls: list[Any], kwargs: dict[str, Any]) -> None:
        try:
            result = outcome.get_result()
        except BaseException as exc:  # noqa: BLE001 - only reported; pluggy re-raises it
            result = f"raised {exc!r}"
        print(f"[yishi plugins] {hook_name} returned {result!r}", file=sys.stderr)

    pm.add_hookcall_monitoring(before, after)


def plugin_versions(pm: pluggy.PluginManager) -> list[tuple[str, str, str]]:
    """(name, version, where) of every registered plugin, for ``yishi plugins``."""
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    out = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        dist = dists.get(id(plugin))
        if dist is not None:
            out.append((name, dist.version, dist.project_name))
        elif name in BUILTIN_PLUGINS:
            from yishi import __version__
            out.append((name, __version__, "built-in"))
        else:
            out.append((name, "", "registered in process"))
    return out


def preload() -> None:
    """Import the built-in plugins and the SQL store now.

    Call it before ``freezegun.freeze_time`` starts: a module first imported while time is
    frozen would see freezegun's fake ``datetime`` class in its annotations, which pydantic
    cannot build models from. ``yishi.testing`` calls it for you.
    """
    for name in BUILTIN_PLUGINS:
        importlib.import_module(name)
    importlib.import_module("yishi.plugins.sqlstore.store")
    importlib.import_module("yishi.plugins.sqlstore.migrate")
