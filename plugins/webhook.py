"""The webhook notifier: a JSON POST per notification, in the generic yishi format (signed with
HMAC-SHA256 when a secret is set) or in the group-robot formats of WeCom (企业微信), DingTalk
(钉钉) and Feishu (飞书).

```toml
[notifiers.webhook]             # generic JSON
url = "https://example.org/yishi-hook"
secret_env = "YISHI_HOOK_SECRET" # or secret = "…": signs each request (X-Yishi-Signature)

[notifiers.grid3]               # a WeCom group robot for grid 3
type = "webhook"
format = "wecom"                # json (default) | wecom | dingtalk | feishu
url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"
roles = ["grid_member", "grid_leader"]   # only notifications for these roles (or people)
[notifiers.grid3.mentions]     # role or person → who to @ (mobile numbers or user ids)
grid_leader = ["13800001111"]

[notifiers.village_ding]
type = "webhook"
format = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=…"
secret = "SEC…"                 # the robot's 加签 secret: timestamp and sign go in the URL
```
Other keys: ``timeout`` (seconds, default 10), ``headers`` (a table of extra headers),
``people`` (like ``roles``), ``lang``, ``private``, ``templates``, retry settings.

Signatures:
- generic: ``X-Yishi-Signature: sha256=HEX``, HMAC-SHA256 with the secret over
  ``X-Yishi-Timestamp + "." + body``; ``X-Yishi-Delivery`` is the outbox row id (drop repeats).
- DingTalk: ``timestamp`` (ms) and ``sign`` = urlencode(base64(HMAC-SHA256(key=secret,
  msg=timestamp + "\\n" + secret))) appended to the URL.
- Feishu: ``timestamp`` (s) and ``sign`` = base64(HMAC-SHA256(key=timestamp + "\\n" + secret,
  msg="")) in the JSON body.
- WeCom: the key in the URL is the credential; no signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

from yishi.config import ConfigError
from yishi.delivery import DeliveryError
from yishi.engine.types import Notification
from yishi.hookspecs import hookimpl
from yishi.plugins.notify_text import Channel, Rendered, address_table, configured, lookup, mask_data, required, secret

FORMATS = ("json", "wecom", "dingtalk", "feishu")
WECOM_LIMIT = 4096  # bytes of markdown content a WeCom robot accepts
# Robot answers that mean "busy, try later": system busy (-1, all three), WeCom 45009 (rate
# limit), DingTalk 130101 (sent too fast), Feishu 9499 and 11232 (frequency limited).
ROBOT_TRANSIENT = {"-1", "45009", "130101", "9499", "11232"}


def sign_generic(secret_key: str, timestamp: str, body: bytes) -> str:
    """``sha256=HEX`` of HMAC-SHA256(secret, timestamp + "." + body)."""
    digest = hmac.new(secret_key.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def sign_dingtalk(secret_key: str, timestamp_ms: str) -> str:
    """DingTalk's ``sign`` URL parameter (already urlencoded)."""
    digest = hmac.new(secret_key.encode(), f"{timestamp_ms}\n{secret_key}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def sign_feishu(secret_key: str, timestamp_s: str) -> str:
    """Feishu's ``sign`` body field."""
    digest = hmac.new(f"{timestamp_s}\n{secret_key}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class WebhookNotifier:
    """Posts notifications to one URL in one format. See the module docstring for the settings."""

    def __init__(self, settings: Mapping[str, Any], *, name: str = "webhook",
                 default_lang: str | None = None) -> None:
        where = f"[notifiers.{name}]"
        self.name = name
        self.channel = Channel.from_settings(name, settings, default_lang=default_lang)
        self.policy = self.channel.policy
        self.url = str(required(settings, "url", where))
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"{where}: url should start with http:// or https://, not {self.url!r}",
                              message_zh=f"{where}：url 应以 http:// 或 https:// 开头")
        self.format = str(settings.get("format", "json")).lower()
        if self.format not in FORMATS:
            raise ConfigError(f"{where}: format should be one of {', '.join(FORMATS)}, not {self.format!r}",
                              message_zh=f"{where}：format 只能是 {'、'.join(FORMATS)}")
        self._settings, self._where = settings, where  # the secret is read when sending (the worker)
        self.timeout = float(settings.get("timeout", 10))
        self.headers = {str(k): str(v) for k, v in (settings.get("headers") or {}).items()}
        self.only = {"roles": list(settings.get("roles") or []), "people": list(settings.get("people") or [])}
        self.mentions = address_table(settings.get("mentions") or {}, f"{where} mentions")
        self._client: Any = None

    @property
    def secret(self) -> str | None:
        """Read when a message is sent, so only the worker needs the secret (``secret_env``)."""
        return secret(self._settings, "secret", self._where)

    def accepts(self, recipients: Mapping[str, Any]) -> bool:
        """With ``roles``/``people`` set, only notifications for those get a row on this channel."""
        if not (self.only["roles"] or self.only["people"]):
            return True
        return bool(set(recipients.get("roles", [])) & set(self.only["roles"])
                    or set(recipients.get("people", [])) & set(self.only["people"]))

    # ---------------------------------------------------------------- formats
    def request(self, note: Notification, now: float | None = None) -> tuple[str, dict[str, str], bytes]:
        """(url, headers, body) of the POST for ``note`` at ``now`` (Unix seconds)."""
        now = time.time() if now is None else now
        text = self.channel.render(note)
        mentions = lookup(self.mentions, note.recipients)
        url = self.url
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "yishi",
                   "X-Yishi-Delivery": str(note.id), "X-Yishi-Event": note.kind, **self.headers}
        if self.format == "wecom":
            body = _wecom(text, mentions)
        elif self.format == "dingtalk":
            body = _dingtalk(text, mentions)
            if self.secret:
                stamp = str(int(now * 1000))
                url += ("&" if "?" in url else "?") + f"timestamp={stamp}&sign={sign_dingtalk(self.secret, stamp)}"
        elif self.format == "feishu":
            body = _feishu(text, mentions)
            if self.secret:
                stamp = str(int(now))
                body = {"timestamp": stamp, "sign": sign_feishu(self.secret, stamp), **body}
        else:
            payload = note.payload if self.channel.private else mask_data(note.payload)
            body = {"id": note.id, "channel": note.channel, "kind": note.kind, "case_id": note.case_id,
                    "event_seq": note.event_seq, "recipients": note.recipients, "mentions": mentions,
                    "lang": text.lang, "title": text.subject, "text": text.body, "payload": payload}
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if self.format == "json" and self.secret:
            stamp = str(int(now))
            headers["X-Yishi-Timestamp"] = stamp
            headers["X-Yishi-Signature"] = sign_generic(self.secret, stamp, raw)
        return url, headers, raw

    # ---------------------------------------------------------------- sending
    def deliver(self, note: Notification) -> None:
        """POST one notification. Raises ``DeliveryError``: retried for timeouts, refused
        connections, HTTP 408/429/5xx and robot rate limits; given up at once for other 4xx."""
        import httpx

        url, headers, body = self.request(note)
        if self._client is None:
            self._client = httpx.Client(timeout=self.timeout, follow_redirects=False)
        try:
            response = self._client.post(url, headers=headers, content=body)
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"{self.name}: no answer within {self.timeout:g}s ({type(exc).__name__})",
                                message_zh=f"{self.name}：{self.timeout:g} 秒内无响应") from None
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{self.name}: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 300:
            retry = response.status_code in (408, 425, 429) or response.status_code >= 500
            raise DeliveryError(f"{self.name}: HTTP {response.status_code} {response.text[:300]}", retry=retry)
        if self.format != "json":
            self._check_robot(response)

    def _check_robot(self, response: Any) -> None:
        """Robots answer HTTP 200 with an error code in the body: WeCom and DingTalk ``errcode``,
        Feishu ``code`` (or ``StatusCode``); 0 means accepted."""
        try:
            data = response.json()
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        code = data.get("errcode", data.get("code", data.get("StatusCode", 0)))
        if code not in (0, None, "0"):
            why = data.get("errmsg") or data.get("msg") or data.get("StatusMessage") or ""
            # busy or rate-limited: try again later; any other code (a wrong key, a bad signature,
            # a keyword filter) will not change by itself: give up at once, visible as failed
            retry = str(code) in ROBOT_TRANSIENT
            raise DeliveryError(f"{self.name}: the {self.format} robot refused the message: {code} {why}",
                                retry=retry)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


_MD_ALWAYS = re.compile(r"([\\`*_\[\]()!|~{}])")
_MD_LINE_START = re.compile(r"^(\s*)([-+=#>]|\d+(?=[.)]))", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """``text`` (user data rendered into a message) as literal markdown: emphasis, links,
    headings, quotes, lists, and tags such as WeCom's ``<@all>`` or ``<font>`` show as typed.
    Only the mentions the notifier adds itself stay live."""
    text = _MD_ALWAYS.sub(r"\\\1", text).replace("<", "&lt;")
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def escape_feishu(text: str) -> str:
    """``text`` for a Feishu post's text element: its tags (``<at user_id="all">``) are broken
    with a zero-width space after ``<``, so no user text can mention anyone."""
    return text.replace("<", "<\u200b")


def _wecom(text: Rendered, mentions: list[str]) -> dict[str, Any]:
    content = f"### {escape_markdown(text.subject)}\n" + "\n".join(
        f"> {escape_markdown(line)}" if line else "" for line in text.body.splitlines())
    if mentions:
        content += "\n" + " ".join(f"<@{m}>" for m in mentions)
    raw = content.encode("utf-8")
    if len(raw) > WECOM_LIMIT:
        content = raw[:WECOM_LIMIT - 3].decode("utf-8", "ignore") + "…"
    return {"msgtype": "markdown", "markdown": {"content": content}}


def _dingtalk(text: Rendered, mentions: list[str]) -> dict[str, Any]:
    mobiles = [m for m in mentions if m.isdigit()]
    users = [m for m in mentions if not m.isdigit()]
    body = f"#### {escape_markdown(text.subject)}\n\n" + "\n\n".join(
        escape_markdown(line) for line in text.body.splitlines() if line)
    if mentions:
        body += "\n\n" + " ".join(f"@{m}" for m in mentions)  # DingTalk shows an @ only if the text has it
    return {"msgtype": "markdown", "markdown": {"title": text.subject, "text": body},
            "at": {"atMobiles": mobiles, "atUserIds": users, "isAtAll": False}}


def _feishu(text: Rendered, mentions: list[str]) -> dict[str, Any]:
    lines: list[list[dict[str, Any]]] = [[{"tag": "text", "text": escape_feishu(line)}]
                                         for line in text.body.splitlines() if line]
    if mentions:
        lines.append([{"tag": "at", "user_id": m} for m in mentions])
    lang = "zh_cn" if text.lang == "zh" else "en_us"
    return {"msg_type": "post", "content": {"post": {lang: {"title": escape_feishu(text.subject),
                                                             "content": lines}}}}


@hookimpl
def yishi_register_notifiers(register: Any) -> None:
    """One channel per ``[notifiers.webhook]`` table (or table with ``type = "webhook"``)."""
    for name, settings, lang in configured("webhook"):
        register(name, WebhookNotifier(settings, name=name, default_lang=lang))
