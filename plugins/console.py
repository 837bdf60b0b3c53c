"""The console notifier: writes each notification as one line to stderr or a log file."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from yishi.engine.types import Notification
from yishi.hookspecs import hookimpl
from yishi.plugins.notify_text import Channel, configured


class ConsoleNotifier:
    """Always available; the default channel.

    Writes one line per notification to ``log`` (a file path from ``[notifiers.console]``, or
    ``$YISHI_NOTIFY_LOG``), else to stderr. Phone and ID numbers are masked unless the channel
    is ``private = true``.
    """

    def __init__(self, settings: Mapping[str, Any] | None = None, *, name: str = "console",
                 default_lang: str | None = None) -> None:
        self.channel = Channel.from_settings(name, settings or {}, default_lang=default_lang)
        self.policy = self.channel.policy
        self.log = (settings or {}).get("log")

    def format(self, note: Notification, lang: str | None = None) -> str:
        """The one line written for ``note``: time, case, kind → recipients, the message."""
        channel = self.channel if lang in (None, self.channel.lang) else \
            Channel.from_settings(self.channel.name, {**self.channel.settings, "lang": lang})
        text = channel.render(note)
        held = [h["name"] for h in note.recipients.get("holders", [])]
        who = ",".join(held or note.recipients.get("roles", []) + note.recipients.get("people", []))
        first = text.body.splitlines()[0] if text.body else ""
        return f"[{note.payload.get('at', '')}] {text.subject} → {who} · {first}"

    def deliver(self, note: Notification) -> None:
        line = self.format(note)
        path = self.log or os.environ.get("YISHI_NOTIFY_LOG")
        if path:
            with open(os.path.expanduser(str(path)), "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        else:
            print(line, file=sys.stderr)


@hookimpl
def yishi_register_notifiers(register: Any) -> None:
    """``console`` is always registered; ``[notifiers.console]`` may set ``log``, ``lang``,
    ``private`` and templates, and more tables with ``type = "console"`` add more channels."""
    found = {name: (settings, lang) for name, settings, lang in configured("console")}
    settings, lang = found.pop("console", ({}, None))
    register("console", ConsoleNotifier(settings, default_lang=lang))
    for name, (settings, lang) in found.items():
        register(name, ConsoleNotifier(settings, name=name, default_lang=lang))
