"""Notifiers against real servers on loopback: e-mail through aiosmtpd (plain, STARTTLS, SSL, with
login), webhooks through an HTTP server (generic signed JSON, WeCom, DingTalk, Feishu); templates
in zh and en, overrides from the config file, masking of phone and ID numbers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import FOUR, PROPOSAL

from yishi.config import ConfigError
from yishi.delivery import DeliveryError, deliver_pending
from yishi.engine import Actor, Engine
from yishi.engine.types import Notification
from yishi.hookspecs import hookimpl
from yishi.plugins.email import EmailNotifier
from yishi.plugins.notify_text import Channel, mask, mask_data
from yishi.plugins.webhook import WebhookNotifier, sign_dingtalk, sign_feishu, sign_generic

SEC = Actor.of("马书记", "secretary")
PHONE, IDNO = "13812345678", "11010119900307123X"
SUBJECT = f"修路（联系人电话 {PHONE}，身份证 {IDNO}）"


@pytest.fixture(autouse=True)
def _no_personal_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the channels a test sets up: a developer's own config file is not read."""
    monkeypatch.setenv("YISHI_CONFIG", str(tmp_path / "no-config.toml"))


# ---------------------------------------------------------------- a real HTTP receiver
class Receiver:
    """An HTTP server on 127.0.0.1 that records every request. ``replies`` is a queue of
    ``(status, body)`` to answer with (then 200 ``{"errcode":0}``); ``delay`` stalls each answer."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[dict[str, Any]] = []
        self.replies: list[tuple[int, str]] = []
        self.delay = 0.0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall per request
            wbufsize = 1 << 16

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    status, reply = outer.replies.pop(0) if outer.replies else (200, '{"errcode":0,"errmsg":"ok"}')
                if outer.delay:
                    time.sleep(outer.delay)
                data = reply.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def json(self, i: int = -1) -> Any:
        return json.loads(self.requests[i]["body"])

    def deliveries(self) -> dict[str, int]:
        """How many requests each outbox row id (X-Yishi-Delivery) arrived in."""
        counts: dict[str, int] = {}
        for r in self.requests:
            key = r["headers"].get("X-Yishi-Delivery", "")
            counts[key] = counts.get(key, 0) + 1
        return counts


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def channel_plugin(name: str, notifier: Any) -> object:
    """An inline plugin registering one notifier, for ``make_engine``."""
    class _One:
        @hookimpl
        def yishi_register_notifiers(self, register: Any) -> None:
            register(name, notifier)
    return _One()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_case(engine: Engine, subject: str = SUBJECT) -> int:
    return engine.start(FOUR, SEC, {**PROPOSAL, "subject": subject}).id


def note(**payload: Any) -> Notification:
    base = {"workflow": FOUR, "workflow_title": {"zh": "四议两公开", "en": "Four discussions"},
            "case_id": 7, "subject": SUBJECT, "event_seq": 3, "event_kind": "fire", "trigger": "go",
            "trigger_title": {"zh": "提交", "en": "submit"}, "actor": "马书记",
            "at": "2026-11-02T01:30:00+00:00", "source": "a", "dest": "b",
            "state_title": {"zh": "两委会商议", "en": "the two committees discuss"},
            "role_titles": {"secretary": {"zh": "党组织书记", "en": "Party secretary"}}}
    return Notification(id=42, case_id=7, event_seq=3, channel="x", kind=payload.pop("kind", "step"),
                        recipients=payload.pop("recipients", {"roles": ["secretary"], "people": []}),
                        payload={**base, **payload})


# ---------------------------------------------------------------- masking and templates
@pytest.mark.parametrize(("raw", "masked"), [
    ("电话13812345678", "电话138****5678"),
    ("call +86 19912345678.", "call +86 199****5678."),
    ("身份证11010119900307123X号", "身份证110101********123X号"),
    ("id 110101199003071234 and 13912345678", "id 110101********1234 and 139****5678"),
    ("order 2026110112345678901", "order 2026110112345678901"),   # 19 digits: neither
    ("12812345678 is not mobile", "12812345678 is not mobile"),  # 12x is not a mobile prefix
    ("room 1381234567", "room 1381234567"),                      # 10 digits
])
def test_mask(raw: str, masked: str) -> None:
    assert mask(raw) == masked


def test_mask_data_walks_json() -> None:
    assert mask_data({"a": [PHONE, {"b": IDNO}], "n": 13812345678}) == {
        "a": ["138****5678", {"b": "110101********123X"}], "n": 13812345678}


def test_templates_in_both_languages_and_masked() -> None:
    zh = Channel.from_settings("x", {"lang": "zh"}).render(note())
    assert zh.subject == "【四议两公开】#7 修路（联系人电话 138****5678，身份证 110101********123X）：待办"
    assert zh.body.splitlines()[0] == "马书记 已办理“提交”，案件现处于“两委会商议”，请党组织书记办理。"
    assert "时间：2026-11-02 09:30" in zh.body  # Asia/Shanghai
    en = Channel.from_settings("x", {"lang": "en"}).render(note(kind="remind", message={"zh": "速办", "en": "hurry"}))
    assert en.body.splitlines()[0] == "Reminder for Party secretary: the case is still at: the two committees discuss. hurry"
    assert PHONE not in en.subject + en.body and IDNO not in en.subject + en.body


def test_private_channel_is_not_masked_and_timer_steps_say_so() -> None:
    text = Channel.from_settings("x", {"private": True}).render(note(event_kind="timer"))
    assert PHONE in text.subject and text.body.startswith("时限已到，系统自动执行“提交”")


def test_templates_overridden_from_config() -> None:
    channel = Channel.from_settings("x", {"templates": {"zh": {
        "subject": "{{ subject }}", "step": "请{{ to }}于今日处理 #{{ case_id }}（{{ people | join(',') }}）"}},
        "footer": False})
    text = channel.render(note(recipients={"roles": ["secretary"], "people": ["王五"]}))
    assert text.body == "请党组织书记、王五于今日处理 #7（王五）"
    assert text.subject == mask(SUBJECT)
    with pytest.raises(ConfigError, match=r"templates\.zh\.step: line 1"):
        Channel.from_settings("x", {"templates": {"zh": {"step": "{% if %}"}}})


def test_config_file_enables_channels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_engine: Any,
                                      receiver: Receiver) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"""
lang = "en"
[notifiers.console]
log = "{tmp_path / 'notify.log'}"
[notifiers.webhook]
url = "{receiver.url}"
[notifiers.grid]
type = "webhook"
format = "wecom"
url = "{receiver.url}?key=abc"
roles = ["grid_member"]
""", encoding="utf-8")
    monkeypatch.setenv("YISHI_CONFIG", str(config))
    engine = make_engine()
    assert sorted(engine.registry.notifiers) == ["console", "grid", "webhook"]
    start_case(engine)
    # the grid robot takes only the grid members' notifications: no row for the secretary's
    assert sorted(n.channel for n in engine.notifications()) == ["console", "webhook"]
    assert [a.outcome for a in deliver_pending(engine)] == ["delivered", "delivered"]
    line = (tmp_path / "notify.log").read_text(encoding="utf-8")
    assert "[Four discussions, two disclosures] #1" in line and "138****5678" in line and PHONE not in line
    assert receiver.json()["title"].startswith("[Four discussions, two disclosures] #1")


def test_bad_config_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from yishi.engine.library import open_library

    config = tmp_path / "config.toml"
    config.write_text('[notifiers.email]\nhost = "smtp.example.org"\n', encoding="utf-8")
    monkeypatch.setenv("YISHI_CONFIG", str(config))
    with pytest.raises(ConfigError, match=r"\[notifiers.email\]: 'sender' is required"):
        open_library()
    config.write_text('[notifiers.webhook]\nurl = "https://x"\nformat = "slack"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="format should be one of json, wecom, dingtalk, feishu"):
        open_library()


# ---------------------------------------------------------------- webhooks
def test_generic_webhook_is_signed_and_masked(make_engine: Any, receiver: Receiver) -> None:
    hook = WebhookNotifier({"url": receiver.url, "secret": "s3cret"}, name="hook")
    engine = make_engine(channel_plugin("hook", hook))
    start_case(engine)
    assert [a.outcome for a in deliver_pending(engine, channels=["hook"])] == ["delivered"]
    req = receiver.requests[0]
    headers = req["headers"]
    (row,) = [n for n in engine.notifications() if n.channel == "hook"]
    assert headers["X-Yishi-Delivery"] == str(row.id)
    assert headers["X-Yishi-Signature"] == sign_generic("s3cret", headers["X-Yishi-Timestamp"], req["body"])
    expected = hmac.new(b"s3cret", headers["X-Yishi-Timestamp"].encode() + b"." + req["body"], hashlib.sha256)
    assert headers["X-Yishi-Signature"] == "sha256=" + expected.hexdigest()
    body = receiver.json()
    assert body["kind"] == "start" and body["case_id"] == 1 and body["recipients"]["roles"] == ["secretary"]
    assert PHONE not in req["body"].decode() and body["payload"]["subject"] == mask(SUBJECT)


def test_wecom_markdown_with_mentions(receiver: Receiver) -> None:
    hook = WebhookNotifier({"url": receiver.url + "?key=K", "format": "wecom",
                            "mentions": {"secretary": ["mashuji"]}}, name="wecom")
    hook.deliver(note())
    body = receiver.json()
    assert receiver.requests[0]["path"] == "/hook?key=K"
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert content.startswith("### 【四议两公开】#7 ") and "> 马书记 已办理“提交”" in content
    assert content.endswith("<@mashuji>") and PHONE not in content


def test_dingtalk_signed_url_and_at_mobiles(receiver: Receiver) -> None:
    hook = WebhookNotifier({"url": receiver.url + "?access_token=T", "format": "dingtalk", "secret": "SECabc",
                            "mentions": {"secretary": "13900001111"}}, name="ding")
    hook.deliver(note())
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(receiver.requests[0]["path"]).query)
    stamp = query["timestamp"][0]
    assert abs(int(stamp) / 1000 - time.time()) < 60  # milliseconds
    digest = hmac.new(b"SECabc", f"{stamp}\nSECabc".encode(), hashlib.sha256).digest()
    assert query["sign"][0] == base64.b64encode(digest).decode()  # parse_qs undid the urlencoding
    assert urllib.parse.unquote_plus(sign_dingtalk("SECabc", stamp)) == query["sign"][0]
    body = receiver.json()
    assert body["msgtype"] == "markdown" and body["at"] == {"atMobiles": ["13900001111"], "atUserIds": [],
                                                            "isAtAll": False}
    assert body["markdown"]["text"].endswith("@13900001111")  # the @ shows only if the text has it
    assert body["markdown"]["title"].startswith("【四议两公开】")


def test_feishu_signed_post(receiver: Receiver) -> None:
    hook = WebhookNotifier({"url": receiver.url, "format": "feishu", "secret": "fs", "lang": "en",
                            "mentions": {"secretary": "ou_123"}}, name="feishu")
    receiver.replies.append((200, '{"code":0,"msg":"success"}'))
    hook.deliver(note())
    body = receiver.json()
    digest = hmac.new(f"{body['timestamp']}\nfs".encode(), b"", hashlib.sha256).digest()
    assert body["sign"] == base64.b64encode(digest).decode() == sign_feishu("fs", body["timestamp"])
    assert abs(int(body["timestamp"]) - time.time()) < 60  # seconds
    post = body["content"]["post"]["en_us"]
    assert body["msg_type"] == "post" and post["title"].startswith("[Four discussions] #7")
    assert post["content"][-1] == [{"tag": "at", "user_id": "ou_123"}]


def test_robot_error_codes_are_failures(receiver: Receiver) -> None:
    hook = WebhookNotifier({"url": receiver.url, "format": "feishu", "secret": "wrong"}, name="feishu")
    receiver.replies.append((200, '{"code":19021,"msg":"sign match fail or timestamp is not within one hour"}'))
    with pytest.raises(DeliveryError, match="19021 sign match fail"):
        hook.deliver(note())
    ding = WebhookNotifier({"url": receiver.url, "format": "dingtalk"}, name="ding")
    receiver.replies.append((200, '{"errcode":310000,"errmsg":"keywords not in content"}'))
    with pytest.raises(DeliveryError, match="310000"):
        ding.deliver(note())


# ---------------------------------------------------------------- e-mail through a real SMTP server
class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=email_policy)))
        return "250 OK"


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


def _smtp(inbox: Inbox, **kwargs: Any) -> Any:
    from aiosmtpd.controller import Controller

    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


def _login(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult

    return AuthResult(success=(auth_data.login, auth_data.password) == (b"yishi", b"pw"), handled=False)


ADDRESSES = {"secretary": ["ma@example.org"], "马书记": "ma2@example.org", "*": "archive@example.org"}


def test_email_plain_smtp(make_engine: Any) -> None:
    inbox = Inbox()
    controller = _smtp(inbox)
    try:
        mail = EmailNotifier({"host": "127.0.0.1", "port": controller.port, "security": "none",
                              "sender": "议事 <yishi@example.org>", "addresses": ADDRESSES, "lang": "zh"})
        engine = make_engine(channel_plugin("email", mail))
        start_case(engine)
        assert [a.outcome for a in deliver_pending(engine, channels=["email"])] == ["delivered"]
    finally:
        controller.stop()
    rcpt, msg = inbox.messages[0]
    assert rcpt == ["ma@example.org", "archive@example.org"]
    assert msg["Subject"] == f"【四议两公开】#1 {mask(SUBJECT)}：新案件"
    (row,) = [n for n in engine.notifications() if n.channel == "email"]
    assert msg["Message-ID"] == f"<yishi-outbox-{row.id}@example.org>"
    body = msg.get_content()
    assert "马书记 发起了" in body and PHONE not in body and "138****5678" in body


def test_email_starttls_with_login(make_engine: Any, tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    inbox = Inbox()
    controller = _smtp(inbox, tls_context=server_tls, require_starttls=True, authenticator=_login,
                       auth_required=True)
    try:
        settings = {"host": "127.0.0.1", "port": controller.port, "security": "starttls", "cafile": str(cert),
                    "username": "yishi", "password": "pw", "sender": "yishi@example.org",
                    "addresses": ADDRESSES, "private": True}
        EmailNotifier(settings).deliver(note())
        assert PHONE in inbox.messages[0][1]["Subject"]  # a private channel: unmasked
        with pytest.raises(DeliveryError, match="SMTP login refused: 535") as refused:
            EmailNotifier({**settings, "password": "bad"}).deliver(note())
        assert refused.value.retry is False
        with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED"):  # no cafile: not trusted
            EmailNotifier({k: v for k, v in settings.items() if k != "cafile"}).deliver(note())
    finally:
        controller.stop()
    assert len(inbox.messages) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_email_over_ssl(tls_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = tls_files
    server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ssl.load_cert_chain(cert, key)
    inbox = Inbox()
    # implicit TLS: aiosmtpd does not count it as TLS for AUTH, so allow AUTH without STARTTLS
    controller = _smtp(inbox, ssl_context=server_ssl, authenticator=_login, auth_required=True,
                       auth_require_tls=False)
    monkeypatch.setenv("YISHI_TEST_SMTP_PW", "pw")  # password_env: the password stays out of the file
    try:
        EmailNotifier({"host": "127.0.0.1", "port": controller.port, "security": "ssl", "cafile": str(cert),
                       "username": "yishi", "password_env": "YISHI_TEST_SMTP_PW", "sender": "yishi@example.org",
                       "addresses": {"secretary": "ma@example.org"}, "lang": "en"}).deliver(note())
    finally:
        controller.stop()
    rcpt, msg = inbox.messages[0]
    assert rcpt == ["ma@example.org"] and msg["Subject"].startswith("[Four discussions] #7 ")


def test_email_without_an_address_writes_no_row(make_engine: Any) -> None:
    mail = EmailNotifier({"host": "127.0.0.1", "sender": "y@example.org",
                          "addresses": {"grid_member": "g@example.org"}})
    engine = make_engine(channel_plugin("email", mail))
    start_case(engine)
    assert [n.channel for n in engine.notifications()] == ["console"]
    with pytest.raises(DeliveryError, match="no e-mail address") as exc:
        mail.deliver(note())
    assert exc.value.retry is False
