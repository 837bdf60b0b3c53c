"""The console notifier: writes each notification as one line to stderr or a log file."""

from __future__ import annotations

import os
import sys
from typing import Any

from yishi.engine.types import Notification
from yishi.hookspecs import hookimpl


class ConsoleNotifier:
    """Always available; the default channel. ``YISHI_NOTIFY_LOG`` names a file to append to."""

    def format(self, note: Notification, lang: str = "zh") -> str:
        p = note.payload
        who = ",".join(note.recipients.get("roles", []) + note.recipients.get("people", []))
        title = (p.get("state_title") or {}).get(lang, "")
        message = (p.get("message") or {}).get(lang, "") if p.get("message") else ""
        return (f"[{p.get('at', '')}] #{note.case_id} {p.get('subject', '')} · {note.kind} → {who}"
                f" · {title}{' · ' + message if message else ''}")

    def deliver(self, note: Notification) -> None:
        line = self.format(note)
        path = os.environ.get("YISHI_NOTIFY_LOG")
        if path:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        else:
            print(line, file=sys.stderr)


@hookimpl
def yishi_register_notifiers(register: Any) -> None:
    register("console", ConsoleNotifier())
