"""The plugin API reference (``docs/reference.md``), generated from the hooks' and the API's docstrings.

Run ``python -m yishi.reference > docs/reference.md``; ``tests/test_reference.py`` fails when
the committed page and the code disagree.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

HEADER = """# Plugin API reference

Generated from the docstrings by `python -m yishi.reference > docs/reference.md`; do not edit by
hand. Everything here is importable from `yishi.api` (the hooks from `yishi.hookspecs`). How to
write a plugin, with runnable examples: [plugins.md](plugins.md).
"""


def _doc(obj: Any) -> str:
    return inspect.cleandoc(obj.__doc__) if getattr(obj, "__doc__", None) else "(no description)"


def _signature(obj: Any) -> str:
    try:
        text = str(inspect.signature(obj))
    except (TypeError, ValueError):
        return ""
    return re.sub(r"'([^']*)'", r"\1", re.sub(r" at 0x[0-9a-f]+", "", text))


def _members(cls: type) -> list[tuple[str, Any]]:
    out = []
    for name, member in vars(cls).items():
        if name.startswith("_") and name != "__call__":
            continue
        if isinstance(member, (classmethod, staticmethod)):
            member = member.__func__
        if isinstance(member, property):
            out.append((name, member))
        elif inspect.isfunction(member):
            out.append((name, member))
    return out


def _entry(name: str, obj: Any) -> list[str]:
    lines: list[str] = []
    if inspect.isclass(obj):
        lines += [f"### `{name}`", "", f"class `{obj.__module__}.{obj.__qualname__}`", "", _doc(obj), ""]
        for member_name, member in _members(obj):
            if isinstance(member, property):
                lines += [f"- `{name}.{member_name}` (property): {_doc(member.fget)}"]
            else:
                doc = _doc(member).replace("\n", " ")
                lines += [f"- `{name}.{member_name}{_signature(member)}`: {doc}"]
        lines.append("")
    elif inspect.isfunction(obj):
        lines += [f"### `{name}{_signature(obj)}`", "", f"from `{obj.__module__}`", "", _doc(obj), ""]
    elif name == "hookimpl":
        lines += ["### `hookimpl`", "", "The marker for hook implementations: decorate each "
                  "``yishi_*`` function (or method) of your plugin with ``@hookimpl``.", ""]
    else:
        lines += [f"### `{name}`", "", f"`{obj!r}`".replace("typing.", ""), ""]
    return lines


def reference() -> str:
    """The whole reference page as Markdown."""
    from yishi import api, hookspecs

    out = [HEADER, "## Hooks", "",
           "Implement them with `@hookimpl` on a module or a class instance registered through the "
           "`yishi` entry-point group.", ""]
    for name, func in inspect.getmembers(hookspecs, inspect.isfunction):
        if not name.startswith("yishi_"):
            continue
        opts = getattr(func, "yishi_spec", {}) or {}
        extra = " (firstresult)" if opts.get("firstresult") else ""
        out += [f"### `{name}{_signature(func)}`{extra}", "", _doc(func), ""]
    out += ["## The API (`yishi.api`)", ""]
    for name in api.__all__:
        out += _entry(name, getattr(api, name))
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(reference())
