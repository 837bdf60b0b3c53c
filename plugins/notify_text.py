"""What the notifier plugins share: channel settings from the config file, zh/en message
templates (jinja2, overridable per channel), masking of personal data, recipient addresses."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from yishi.config import ConfigError, load_config
from yishi.delivery import DeliveryPolicy
from yishi.engine.types import Notification

# ---------------------------------------------------------------- personal data
# A mainland ID number (17 digits and a check digit) and a mainland mobile number, each standing
# alone (not inside a longer run of digits or letters). IDs are masked first: an ID may contain
# a run that looks like a phone number.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask(text: str) -> str:
    """``text`` with ID numbers shown as ``110101********123X`` and phones as ``138****5678``."""
    return PHONE.sub(r"\1****\2", ID_NUMBER.sub(r"\1********\2", text))


def mask_data(value: Any) -> Any:
    """``value`` (JSON data) with every string masked."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, Mapping):
        return {k: mask_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_data(v) for v in value]
    return value


_LINE_BREAKS = re.compile(r"\s*[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+\s*")


def one_line(text: str) -> str:
    """``text`` with its line breaks folded into spaces: a subject or title is one line."""
    return _LINE_BREAKS.sub(" ", text).strip()


# ---------------------------------------------------------------- templates
# One body template per notification kind and language; ``subject`` is the title line (e-mail
# subject, robot message title). A channel overrides any of them in its config table:
#   [notifiers.email.templates.zh]
#   remind = "{{ to }}：案件 #{{ case_id }} 仍在“{{ state }}”。"
_FOOTER = {
    "zh": "\n流程：{{ workflow_title }} · 案件 #{{ case_id }}「{{ subject }}」\n时间：{{ at_local }}",
    "en": "\nProcedure: {{ workflow_title }} · case #{{ case_id }} “{{ subject }}”\nTime: {{ at_local }}",
}
TEMPLATES: dict[str, dict[str, str]] = {
    "zh": {
        "subject": "【{{ workflow_title }}】#{{ case_id }} {{ subject }}：{{ kind_title }}",
        "start": "{{ actor }} 发起了「{{ subject }}」，现处于“{{ state }}”，请{{ to }}办理。",
        "step": "{% if event_kind == 'timer' %}时限已到，系统自动执行“{{ trigger_title }}”{% else %}"
                "{{ actor }} 已办理“{{ trigger_title }}”{% endif %}，案件现处于“{{ state }}”，请{{ to }}办理。",
        "remind": "提醒{{ to }}：案件仍处于“{{ state }}”。{% if message %}{{ message }}{% endif %}",
        "notice": "致{{ to }}：{{ message or state }}",
        "default": "致{{ to }}：案件现处于“{{ state }}”。{% if message %}{{ message }}{% endif %}",
    },
    "en": {
        "subject": "[{{ workflow_title }}] #{{ case_id }} {{ subject }}: {{ kind_title }}",
        "start": "{{ actor }} opened “{{ subject }}”; it is now at: {{ state }}. For {{ to }} to act.",
        "step": "{% if event_kind == 'timer' %}Time ran out: “{{ trigger_title }}” was taken automatically"
                "{% else %}{{ actor }} took the step “{{ trigger_title }}”{% endif %}; the case is now at: "
                "{{ state }}. For {{ to }} to act.",
        "remind": "Reminder for {{ to }}: the case is still at: {{ state }}.{% if message %} {{ message }}{% endif %}",
        "notice": "For {{ to }}: {{ message or state }}",
        "default": "For {{ to }}: the case is now at: {{ state }}.{% if message %} {{ message }}{% endif %}",
    },
}
KIND_TITLES = {
    "zh": {"start": "新案件", "step": "待办", "remind": "提醒", "notice": "通知"},
    "en": {"start": "new case", "step": "to do", "remind": "reminder", "notice": "notice"},
}


@lru_cache(maxsize=64)
def _environment(overrides: tuple[tuple[str, str], ...]) -> Any:
    from jinja2 import DictLoader, Environment

    sources = {f"{lang}/{name}": text + (_FOOTER[lang] if name != "subject" else "")
               for lang, table in TEMPLATES.items() for name, text in table.items()}
    sources.update(dict(overrides))
    return Environment(loader=DictLoader(sources), autoescape=False)


@dataclass(frozen=True)
class Rendered:
    """A notification as people read it: a title line and a body, masked unless private."""

    subject: str
    body: str
    lang: str


# ---------------------------------------------------------------- channel settings
@dataclass(frozen=True)
class Channel:
    """The settings every notifier channel reads from its config table.

    ``lang`` (zh | en; default: the config's ``lang``, else zh), ``private`` (true: show phone and
    ID numbers unmasked), ``templates`` (per language: ``subject``, ``start``, ``step``,
    ``remind``, ``notice``, ``default``), ``addresses`` (role or person → address or list; ``*``
    for everyone), retry settings (see ``DeliveryPolicy.from_settings``).
    """

    name: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    lang: str = "zh"
    private: bool = False
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    templates: tuple[tuple[str, str], ...] = ()
    addresses: Mapping[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, name: str, settings: Mapping[str, Any], *, default_lang: str | None = None) -> Channel:
        """Read one ``[notifiers.NAME]`` table. Raises ``ConfigError`` naming the bad key."""
        where = f"[notifiers.{name}]"
        lang = settings.get("lang", default_lang or "zh")
        if lang not in ("zh", "en"):
            raise ConfigError(f"{where}: lang should be 'zh' or 'en', not {lang!r}",
                              message_zh=f"{where}：lang 只能是 zh 或 en")
        overrides: list[tuple[str, str]] = []
        for tlang, table in (settings.get("templates") or {}).items():
            if tlang not in TEMPLATES or not isinstance(table, Mapping):
                raise ConfigError(f"{where}: templates.{tlang} should be a table under zh or en",
                                  message_zh=f"{where}：templates 下只能有 zh 和 en 两个表")
            for kind, text in table.items():
                if not isinstance(text, str):
                    raise ConfigError(f"{where}: templates.{tlang}.{kind} should be text",
                                      message_zh=f"{where}：templates.{tlang}.{kind} 应为文本")
                full = text + (_FOOTER[tlang] if kind != "subject" and settings.get("footer", True) else "")
                _check_template(where, f"templates.{tlang}.{kind}", full)
                overrides.append((f"{tlang}/{kind}", full))
        return cls(name=name, settings=settings, lang=lang, private=bool(settings.get("private", False)),
                   policy=DeliveryPolicy.from_settings(settings, where), templates=tuple(sorted(overrides)),
                   addresses=address_table(settings.get("addresses") or {}, f"{where} addresses"))

    def render(self, note: Notification) -> Rendered:
        """The notification in this channel's language and templates, masked unless private."""
        env = _environment(self.templates)
        ctx = context(note, self.lang)
        kind = note.kind if f"{self.lang}/{note.kind}" in env.loader.mapping else "default"
        subject = one_line(env.get_template(f"{self.lang}/subject").render(ctx))
        body = env.get_template(f"{self.lang}/{kind}").render(ctx).strip()
        if not self.private:
            subject, body = mask(subject), mask(body)
        return Rendered(subject=subject, body=body, lang=self.lang)

    def addresses_for(self, recipients: Mapping[str, Any]) -> list[str]:
        """The configured addresses of the notification's roles and people (and ``*``), each once."""
        return lookup(self.addresses, recipients)


def _check_template(where: str, key: str, text: str) -> None:
    from jinja2 import Environment, TemplateSyntaxError

    try:
        Environment().parse(text)
    except TemplateSyntaxError as exc:
        raise ConfigError(f"{where}: {key}: line {exc.lineno}: {exc.message}; fix the template",
                          message_zh=f"{where}：{key}：第 {exc.lineno} 行：{exc.message}；请修正模板") from None


def address_table(raw: Mapping[str, Any], where: str) -> dict[str, list[str]]:
    """``{role or person: address or [addresses]}`` as lists. Raises ``ConfigError``."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} should be a table of role or person = address(es)",
                          message_zh=f"{where} 应为“角色或人员 = 地址”的表")
    out: dict[str, list[str]] = {}
    for key, value in raw.items():
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
            raise ConfigError(f"{where}: {key!r} should be an address or a list of addresses",
                              message_zh=f"{where}：{key!r} 应为一个地址或地址列表")
        out[str(key)] = list(items)
    return out


def lookup(table: Mapping[str, list[str]], recipients: Mapping[str, Any]) -> list[str]:
    """The entries of ``table`` for the recipients' roles, then people, then ``*``, each once.
    When the organisation named the people holding those roles for the case's unit
    (``holders``) and the table has an entry for one of them (by login or name), only theirs."""
    holders = [k for h in recipients.get("holders", []) for k in (h.get("login"), h.get("name")) if k]
    if any(k in table for k in holders):
        return list(dict.fromkeys(v for k in holders for v in table.get(k, [])))
    keys = [*recipients.get("roles", []), *recipients.get("people", []), "*"]
    out: list[str] = []
    for key in keys:
        for value in table.get(key, []):
            if value not in out:
                out.append(value)
    return out


def context(note: Notification, lang: str) -> dict[str, Any]:
    """The names a template may use: every payload field, plus these in ``lang``:
    ``workflow_title``, ``state``, ``trigger_title``, ``message``, ``to`` (the recipients' role
    titles and names), ``kind``, ``kind_title``, ``at_local`` (local time, ``$YISHI_TZ``)."""
    p = note.payload

    def pick(value: Any, fallback: str = "") -> str:
        if isinstance(value, Mapping):
            return str(value.get(lang) or value.get("zh") or fallback)
        return str(value) if value not in (None, "") else fallback

    roles = [pick(p.get("role_titles", {}).get(r), r) for r in note.recipients.get("roles", [])]
    people = [str(x) for x in note.recipients.get("people", [])]
    held = note.recipients.get("holders", [])
    if held:  # the people who hold those roles there, named with their role and unit
        roles = [f"{h['name']}（{h.get('unit_name', '')}{pick(p.get('role_titles', {}).get(h['role']), h['role'])}）"
                 if lang == "zh" else
                 f"{h['name']} ({pick(p.get('role_titles', {}).get(h['role']), h['role'])}, {h.get('unit_name', '')})"
                 for h in held]
    sep = "、" if lang == "zh" else ", "
    return {
        **p, "note_id": note.id, "channel": note.channel, "kind": note.kind,
        "kind_title": KIND_TITLES[lang].get(note.kind, note.kind),
        "workflow_title": pick(p.get("workflow_title"), str(p.get("workflow", ""))),
        "state": pick(p.get("state_title")), "trigger_title": pick(p.get("trigger_title"), p.get("trigger") or ""),
        "message": pick(p.get("message")), "to": sep.join(roles + people), "roles": roles, "people": people,
        "at_local": _local(p.get("at")),
    }


def _local(at: Any) -> str:
    if not at:
        return ""
    try:
        moment = datetime.fromisoformat(str(at))
    except ValueError:
        return str(at)
    tz = ZoneInfo(os.environ.get("YISHI_TZ") or "Asia/Shanghai")
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------- config
ASKED_KINDS: set[str] = set()
"""The channel types notifier plugins asked ``configured`` for, so the config can be checked
for tables that no plugin reads (``yishi.config.check_channels``)."""


def configured(kind: str) -> Iterator[tuple[str, Mapping[str, Any], str | None]]:
    """``(name, settings, config lang)`` of every ``[notifiers.NAME]`` table of this kind: its
    ``type`` (default: its name) is ``kind`` and it is not ``enabled = false``.

    Raises ``ConfigError`` when the config file is broken.
    """
    config = load_config()
    ASKED_KINDS.add(kind)
    for name, settings in config.notifiers.items():
        if not isinstance(settings, Mapping):
            raise ConfigError(f"[notifiers.{name}] should be a table",
                              message_zh=f"[notifiers.{name}] 应为一个表")
        if settings.get("type", name) == kind and settings.get("enabled", True):
            yield name, settings, config.lang


def secret(settings: Mapping[str, Any], key: str, where: str) -> str | None:
    """``settings[key]``, or the environment variable named by ``settings[key + '_env']``."""
    env = settings.get(f"{key}_env")
    if env:
        value = os.environ.get(str(env))
        if value is None:
            raise ConfigError(f"{where}: {key}_env names ${env}, which is not set",
                              message_zh=f"{where}：{key}_env 指定的环境变量 ${env} 未设置")
        return value
    value = settings.get(key)
    return str(value) if value is not None else None


def required(settings: Mapping[str, Any], key: str, where: str) -> Any:
    """``settings[key]``. Raises ``ConfigError`` when it is missing."""
    if settings.get(key) in (None, ""):
        raise ConfigError(f"{where}: '{key}' is required", message_zh=f"{where}：缺少必填项 '{key}'")
    return settings[key]
