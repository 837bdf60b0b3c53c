"""yishi-microwish: the 微心愿 workflow, the ``distinct_people`` guard and the ``ledger`` notifier."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from yishi.api import (
    Channel, FieldNames, Notification, RegisterGuard, RegisterNotifier, RuleContext, Text, Verdict,
    configured, hookimpl, mask_data, required,
)

__version__ = "0.1.0"

WORKFLOWS = Path(__file__).parent / "workflows"


# ---------------------------------------------------------------- a workflow
@hookimpl
def yishi_workflow_files() -> list[Path]:
    """Every ``*.yaml`` in the package's ``workflows`` folder (shipped as package data)."""
    return [WORKFLOWS]


# ---------------------------------------------------------------- a guard
class DistinctArgs(BaseModel):
    """``distinct_people: {fields: [fulfilled_by, confirmed_by]}``"""

    model_config = ConfigDict(extra="forbid")
    fields: FieldNames  # the validator checks that each names a form field


def distinct_people(ctx: RuleContext, args: DistinctArgs) -> Verdict:
    """Pass when the named fields hold different people (fields not filled in yet are skipped)."""
    seen: dict[str, str] = {}
    for name in args.fields:
        person = ctx.field(name)
        if person in (None, ""):
            continue
        if person in seen:
            first, second = ctx.label(seen[person]), ctx.label(name)
            return Verdict("distinct_people", False,
                           f"{first.zh}与{second.zh}不能是同一人（{person}）",
                           f"{first.en} and {second.en} must be different people ({person})")
        seen[str(person)] = name
    return Verdict("distinct_people", True, "经办人与确认人不同", "different people did and confirmed it")


@hookimpl
def yishi_register_guards(register: RegisterGuard) -> None:
    register("distinct_people", distinct_people, args=DistinctArgs,
             description=Text(zh="指定人员不能为同一人", en="the named people must differ"))


# ---------------------------------------------------------------- a notifier
class LedgerNotifier:
    """Appends each notification as one JSON line: when, case, kind, recipients, text, data."""

    def __init__(self, settings: Mapping[str, Any], *, name: str = "ledger", default_lang: str | None = None) -> None:
        self.channel = Channel.from_settings(name, settings, default_lang=default_lang)
        self.policy = self.channel.policy  # max_attempts, retry_after, … from the same table
        self.path = Path(str(required(settings, "path", f"[notifiers.{name}]"))).expanduser()

    def deliver(self, note: Notification) -> None:
        text = self.channel.render(note)  # the zh/en templates, masked unless private
        line = {"id": note.id, "at": note.payload.get("at"), "case_id": note.case_id, "kind": note.kind,
                "recipients": note.recipients, "title": text.subject, "text": text.body,
                "payload": note.payload if self.channel.private else mask_data(note.payload)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:  # an OSError is recorded and retried
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")


@hookimpl
def yishi_register_notifiers(register: RegisterNotifier) -> None:
    """Enabled only when the config file has a ``[notifiers.ledger]`` table."""
    for name, settings, lang in configured("ledger"):
        register(name, LedgerNotifier(settings, name=name, default_lang=lang))
