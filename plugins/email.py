"""The e-mail notifier: one plain-text message per notification over SMTP (STARTTLS, SSL or
plain), with authentication, to the addresses the config maps the recipients' roles and names to.

```toml
[notifiers.email]
host = "smtp.example.org"
port = 465                      # default: 465 for ssl, 587 for starttls, 25 for none
security = "ssl"                # starttls (default) | ssl | none
username = "yishi@example.org"
password_env = "YISHI_SMTP_PASSWORD"   # or password = "…"
sender = "议事 <yishi@example.org>"
timeout = 10                    # seconds
cafile = "/etc/ssl/my-ca.pem"   # trust this CA (a district's own mail server)
lang = "zh"
private = false                 # true: phone and ID numbers are not masked
give_up_after = "7d"             # retry transient failures this long
retry_after = "30s"
[notifiers.email.addresses]     # role or person → address(es); "*" gets every message
secretary = ["ma@example.org"]
"王网格员" = "wang@example.org"
```
Enabled only when the table exists; more tables with ``type = "email"`` add more channels.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, parseaddr
from typing import Any

from yishi.config import ConfigError
from yishi.delivery import DeliveryError
from yishi.engine.types import Notification
from yishi.hookspecs import hookimpl
from yishi.plugins.notify_text import Channel, configured, one_line, required, secret

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


class EmailNotifier:
    """Sends notifications by SMTP. See the module docstring for the settings."""

    @property
    def password(self) -> str | None:
        """Read when a message is sent, so only the worker needs the secret (``password_env``)."""
        return secret(self._settings, "password", self._where)

    def __init__(self, settings: Mapping[str, Any], *, name: str = "email",
                 default_lang: str | None = None) -> None:
        where = f"[notifiers.{name}]"
        self.channel = Channel.from_settings(name, settings, default_lang=default_lang)
        self.policy = self.channel.policy
        self.host = str(required(settings, "host", where))
        self.security = str(settings.get("security", "starttls")).lower()
        if self.security not in SECURITY:
            raise ConfigError(f"{where}: security should be one of {', '.join(SECURITY)}, not {self.security!r}",
                              message_zh=f"{where}：security 只能是 {'、'.join(SECURITY)}")
        self.port = int(settings.get("port", DEFAULT_PORTS[self.security]))
        self.sender = str(required(settings, "sender", where))
        if "@" not in parseaddr(self.sender)[1]:
            raise ConfigError(f"{where}: sender {self.sender!r} is not an e-mail address",
                              message_zh=f"{where}：sender {self.sender!r} 不是电子邮件地址")
        self.username = settings.get("username")
        self._settings, self._where = settings, where  # the password is read when sending (the worker)
        self.timeout = float(settings.get("timeout", 10))
        self.cafile = settings.get("cafile")
        if not self.channel.addresses:
            raise ConfigError(f"{where}: no addresses; add [notifiers.{name}.addresses] mapping roles "
                              "or people to e-mail addresses",
                              message_zh=f"{where}：没有收件地址；请在 [notifiers.{name}.addresses] 中把角色或人员对应到邮箱")

    def accepts(self, recipients: Mapping[str, Any]) -> bool:
        """Only notifications for someone with a configured address get an e-mail row."""
        return bool(self.channel.addresses_for(recipients))

    def message(self, note: Notification) -> EmailMessage:
        """The e-mail for ``note``: its ``Message-ID`` names the outbox row, so a repeat after a
        crash can be recognised."""
        to = self.channel.addresses_for(note.recipients)
        if not to:
            raise DeliveryError(f"no e-mail address is configured for {note.recipients}",
                                message_zh=f"没有为 {note.recipients} 配置邮箱地址", retry=False)
        text = self.channel.render(note)
        msg = EmailMessage()
        try:
            msg["Subject"] = one_line(text.subject)
            msg["From"] = self.sender
            if len(to) == 1:
                msg["To"] = to[0]
            else:  # residents and staff must not see each other's addresses: every one is Bcc
                msg["To"] = "undisclosed-recipients:;"
                msg["Bcc"] = ", ".join(to)
        except ValueError as exc:  # an address with a line break or other damage, from the config
            raise DeliveryError(f"cannot write the e-mail headers: {exc}; fix the addresses in the config",
                                message_zh=f"无法生成邮件头：{exc}；请修正配置中的邮箱地址", retry=False) from None
        msg["Date"] = formatdate(localtime=False)
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "yishi.invalid"
        msg["Message-ID"] = f"<yishi-outbox-{note.id}@{domain}>"
        msg["X-Yishi-Delivery"] = str(note.id)
        msg.set_content(text.body + "\n", charset="utf-8")
        return msg

    def recipients(self, msg: EmailMessage) -> list[str]:
        """The envelope recipients of ``msg``: its To and Bcc addresses (Bcc is never sent)."""
        return [addr for _name, addr in getaddresses(msg.get_all("To", []) + msg.get_all("Bcc", []))
                if addr]

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cafile)

    def deliver(self, note: Notification) -> None:
        """Send one e-mail. Raises ``DeliveryError``: retried for connection trouble and 4xx
        replies, given up at once for refused credentials, senders or recipients (5xx)."""
        msg = self.message(note)
        try:
            if self.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                        context=self._context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.security == "starttls":
                    client.starttls(context=self._context())
                if self.username:
                    client.login(str(self.username), self.password or "")
                refused = client.send_message(msg, to_addrs=self.recipients(msg))
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP login refused: {exc.smtp_code} {_text(exc.smtp_error)}",
                                message_zh=f"SMTP 登录被拒：{exc.smtp_code} {_text(exc.smtp_error)}",
                                retry=False) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"every recipient was refused: {_refusals(exc.recipients)}",
                                message_zh=f"所有收件人均被拒收：{_refusals(exc.recipients)}",
                                retry=_transient(exc.recipients)) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}",
                                retry=exc.smtp_code < 500) from None
        except (smtplib.SMTPException, OSError) as exc:  # connection refused, timeout, TLS
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}") from None
        if refused:
            # Delivered to the others; sending again would repeat it to them, so only say so.
            raise DeliveryError(f"delivered, except to: {_refusals(refused)}", retry=False)


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _refusals(found: Mapping[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{addr} ({code} {_text(why)})" for addr, (code, why) in found.items())


def _transient(found: Mapping[str, tuple[int, bytes]]) -> bool:
    return all(code < 500 for code, _ in found.values())


@hookimpl
def yishi_register_notifiers(register: Any) -> None:
    """One channel per ``[notifiers.email]`` table (or table with ``type = "email"``)."""
    for name, settings, lang in configured("email"):
        register(name, EmailNotifier(settings, name=name, default_lang=lang))
