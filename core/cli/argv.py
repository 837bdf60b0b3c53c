"""Global options anywhere: move ``--db``/``--lang`` (and the like) to the level that declares them.

Click parses an option only at the level of the command that declares it, so
``yishi case list --db URL`` was "No such option" and ``yishi --json case list`` likewise.
``place_options`` rewrites the argument list before click sees it: an option that the chosen
command does not declare but the root does moves to the front, and an option written before the
subcommand that only the chosen command declares moves behind it. Everything after ``--`` and
every option's value stay untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _options(command: Any) -> dict[str, bool]:
    """Every option name ``command`` declares → whether it takes a value."""
    out: dict[str, bool] = {}
    for param in getattr(command, "params", ()):
        if getattr(param, "param_type_name", "") != "option":
            continue
        takes_value = not (param.is_flag or getattr(param, "count", False))
        for name in (*param.opts, *param.secondary_opts):
            out[name] = takes_value
    return out


def _split(token: str) -> tuple[str, str | None]:
    name, eq, value = token.partition("=")
    return (name, value) if eq and name.startswith("--") else (token, None)


def place_options(root: Any, args: Sequence[str]) -> list[str]:
    """``args`` with root options hoisted to the front and leaf options moved behind the
    subcommand path, for the click group ``root``. Unknown tokens are left where they are, so
    click still reports real mistakes."""
    args = list(args)
    stop = args.index("--") if "--" in args else len(args)
    head, tail = args[:stop], args[stop:]
    root_opts = _options(root)

    # find the command path: the words naming groups and the leaf, skipping options and their values
    path_idx: list[int] = []
    command = root
    opts = dict(root_opts)
    i = 0
    while i < len(head):
        token = head[i]
        name, inline = _split(token)
        if token.startswith("-") and token != "-":
            if inline is None and opts.get(name, False):
                i += 1  # skip its value
            i += 1
            continue
        sub = command.get_command(None, token) if hasattr(command, "get_command") else None
        if sub is None:
            break  # an argument of the leaf (or a typo: click will say so)
        path_idx.append(i)
        command = sub
        opts.update(_options(sub))
        i += 1
        if not hasattr(command, "get_command"):
            break
    if not path_idx:
        return args
    leaf_opts = _options(command)
    last = path_idx[-1]

    front: list[str] = []
    moved_back: list[str] = []
    kept: list[str] = []
    i = 0
    while i < len(head):
        token = head[i]
        name, inline = _split(token)
        is_opt = token.startswith("--") and i not in path_idx
        takes = root_opts.get(name, leaf_opts.get(name, False))
        group = [token]
        if is_opt and inline is None and takes and i + 1 < len(head):
            group.append(head[i + 1])
        if is_opt and i > last and name in root_opts and name not in leaf_opts:
            front += group
        elif is_opt and i < last and name in leaf_opts:  # the leaf says what it means here
            moved_back += group
        else:
            kept += group
        i += len(group)
    out = front + kept
    if moved_back:
        insert_at = _position_after_path(out, [head[j] for j in path_idx])
        out[insert_at:insert_at] = moved_back
    return out + tail


def _position_after_path(tokens: list[str], path: list[str]) -> int:
    """The index just after the last word of ``path`` as it stands, in order, in ``tokens``."""
    pos = 0
    for word in path:
        pos = tokens.index(word, pos) + 1
    return pos
