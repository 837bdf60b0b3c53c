"""The built-in document kinds, registered like a plugin's."""

from __future__ import annotations

from collections.abc import Callable

from yishi.documents.kinds import BUILTIN
from yishi.hookspecs import hookimpl


@hookimpl
def yishi_register_documents(register: Callable[..., None]) -> None:
    for kind in BUILTIN:
        register(kind)
