"""Bad input gets a clear, specific answer (issue #10, findings 6, 7, 8 and 14): a readonly field
redeclared by a transition, a line break in an e-mail subject, a NUL in a text field, LIKE
wildcards in a search, markdown and mentions in robot messages, recipients' addresses in To:.
Real SMTP (aiosmtpd) and HTTP servers on loopback."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import FOUR, PROPOSAL
from test_notify import Inbox, Receiver, _smtp, channel_plugin, note, receiver  # noqa: F401 - a fixture

from yishi.definition import check_text
from yishi.delivery import deliver_pending
from yishi.engine import Actor, Engine
from yishi.engine.types import CaseFilter
from yishi.errors import FormError
from yishi.plugins.email import EmailNotifier
from yishi.plugins.webhook import WebhookNotifier

SEC = Actor.of("马书记", "secretary")

READONLY = """\
id: grant
version: 1
title: grant
description: a grant
roles: {clerk: {title: clerk}}
initial: assess
states:
  assess:
    title: assess
    form:
      - {name: approved_amount, type: number, readonly: true, label: approved amount}
  done: {title: done, final: true}
transitions:
  - trigger: approve
    source: assess
    dest: done
    title: approve
    roles: [clerk]
    form:
      - {name: approved_amount, type: number, label: approved amount}
"""


def test_a_transition_form_may_not_redeclare_a_readonly_state_field() -> None:
    workflow, problems = check_text(READONLY, "grant.yaml")
    assert [(p.file, p.line, p.col, p.code) for p in problems] == [("grant.yaml", 20, 16, "readonly_redeclared")]
    assert "'approved_amount' is readonly in state 'assess'" in problems[0].message
    assert "rename" in problems[0].hint
    fixed = READONLY.replace("      - {name: approved_amount, type: number, label: approved amount}\n",
                             "      - {name: note, type: text, label: note}\n")
    assert check_text(fixed, "grant.yaml")[1] == []


# ---------------------------------------------------------------- e-mail
ADDRESSES = {"secretary": ["ma@example.org", "li@example.org"], "*": "archive@example.org"}


def test_a_line_break_in_a_subject_is_folded_and_the_mail_is_sent(make_engine: Any) -> None:
    inbox = Inbox()
    controller = _smtp(inbox)
    try:
        mail = EmailNotifier({"host": "127.0.0.1", "port": controller.port, "security": "none",
                              "sender": "yishi@example.org", "addresses": ADDRESSES})
        engine = make_engine(channel_plugin("email", mail))
        engine.start(FOUR, SEC, {**PROPOSAL, "subject": "修路\r\nBcc: evil@example.org\n第二行"})
        attempts = deliver_pending(engine, channels=["email"])
    finally:
        controller.stop()
    assert [a.outcome for a in attempts] == ["delivered"], [a.error for a in attempts]
    (rcpt, msg), = inbox.messages
    assert "修路 Bcc: evil@example.org 第二行" in msg["Subject"]
    assert "evil@example.org" not in rcpt and msg["Bcc"] is None


def test_each_recipient_sees_only_their_own_address(make_engine: Any) -> None:
    """Several recipients: one message, every address in the envelope, none in the headers."""
    inbox = Inbox()
    controller = _smtp(inbox)
    try:
        mail = EmailNotifier({"host": "127.0.0.1", "port": controller.port, "security": "none",
                              "sender": "yishi@example.org", "addresses": ADDRESSES})
        mail.deliver(note())
        EmailNotifier({"host": "127.0.0.1", "port": controller.port, "security": "none",
                       "sender": "yishi@example.org", "addresses": {"secretary": "ma@example.org"}}).deliver(note())
    finally:
        controller.stop()
    (rcpt, msg), (one_rcpt, one_msg) = inbox.messages
    assert sorted(rcpt) == ["archive@example.org", "li@example.org", "ma@example.org"]
    raw = msg.as_string()
    assert "ma@example.org" not in raw and "li@example.org" not in raw and "archive@" not in raw
    assert msg["X-Yishi-Delivery"] == "42" and msg["Message-ID"] == "<yishi-outbox-42@example.org>"
    assert one_rcpt == ["ma@example.org"] and one_msg["To"] == "ma@example.org"  # one: named in To


# ---------------------------------------------------------------- NUL and LIKE
@pytest.mark.parametrize("where", ["sqlite", "postgresql"])
def test_a_nul_in_a_text_field_is_refused_with_the_field_named(where: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("sqlite_url" if where == "sqlite" else "pg_url")
    engine = Engine.open(url)
    try:
        with pytest.raises(FormError) as exc:
            engine.start(FOUR, SEC, {**PROPOSAL, "proposal": "租期\x00三年"})
        assert "NUL" in exc.value.message and "proposal" in exc.value.message
        assert "空字符" in exc.value.message_zh
        assert "unavailable" not in exc.value.message
        assert engine.count() == 0
    finally:
        engine.close()


@pytest.mark.parametrize("where", ["sqlite", "postgresql"])
def test_percent_and_underscore_in_a_search_match_only_themselves(where: str,
                                                                  request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("sqlite_url" if where == "sqlite" else "pg_url")
    engine = Engine.open(url)
    try:
        for subject in ("修路", "100% 满意", "a_b 项目", "axb 项目"):
            engine.start(FOUR, SEC, {**PROPOSAL, "subject": subject})
        assert [c.subject for c in engine.cases(CaseFilter(search="%"))] == ["100% 满意"]
        assert [c.subject for c in engine.cases(CaseFilter(search="a_b"))] == ["a_b 项目"]
        assert engine.count(CaseFilter(search="_")) == 1
        assert engine.count(CaseFilter(roles=["%"])) == 0
        assert engine.count(CaseFilter(roles=["secret_ry"])) == 0
        assert engine.count(CaseFilter(roles=["secretary"])) == 4
    finally:
        engine.close()


# ---------------------------------------------------------------- robot messages
EVIL = "<@all> [点我](http://evil.example) ### 标题 **粗体** <font color=\"warning\">红</font>"


def test_wecom_markdown_in_user_text_is_literal(receiver: Receiver) -> None:  # noqa: F811
    hook = WebhookNotifier({"url": receiver.url, "format": "wecom", "mentions": {"secretary": ["mashuji"]}},
                           name="wecom")
    hook.deliver(note(subject=EVIL))
    content = receiver.json()["markdown"]["content"]
    mentions = [part for part in content.split("<")[1:] if part.startswith("@")]
    assert mentions == ["@mashuji>"]  # only the notifier's own mention is a tag
    assert "&lt;@all>" in content and "\\[点我\\]\\(http://evil.example\\)" in content
    assert "\\*\\*粗体\\*\\*" in content and "&lt;font" in content
    assert content.startswith("### 【四议两公开】#7 &lt;@all>")  # our heading, user text inside it


def test_dingtalk_markdown_in_user_text_is_literal(receiver: Receiver) -> None:  # noqa: F811
    hook = WebhookNotifier({"url": receiver.url, "format": "dingtalk",
                            "mentions": {"secretary": "13900001111"}}, name="ding")
    hook.deliver(note(subject="### 置顶\n[链接](http://evil.example)", message="- 列表\n> 引用"))
    body = receiver.json()
    text = body["markdown"]["text"]
    assert "\\[链接\\]\\(http://evil.example\\)" in text
    assert "\n### " not in text and "\n\\### " not in text  # the subject is one line, inside our heading
    assert body["at"] == {"atMobiles": ["13900001111"], "atUserIds": [], "isAtAll": False}
    assert text.endswith("@13900001111")


def test_feishu_user_text_cannot_mention_anyone(receiver: Receiver) -> None:  # noqa: F811
    hook = WebhookNotifier({"url": receiver.url, "format": "feishu", "mentions": {"secretary": "ou_1"}},
                           name="feishu")
    receiver.replies.append((200, '{"code":0}'))
    hook.deliver(note(subject='<at user_id="all">所有人</at>'))
    post = receiver.json()["content"]["post"]["zh_cn"]
    texts = [el["text"] for line in post["content"] for el in line if el["tag"] == "text"]
    assert all("<at" not in t for t in texts) and "<at" not in post["title"]
    ats = [el for line in post["content"] for el in line if el["tag"] == "at"]
    assert ats == [{"tag": "at", "user_id": "ou_1"}]


def test_a_nul_in_a_search_or_a_name_is_a_clear_refusal_on_postgresql(pg_url: str) -> None:
    from yishi.errors import RefusedError

    engine = Engine.open(pg_url)
    try:
        engine.start(FOUR, SEC, PROPOSAL)
        assert engine.cases(CaseFilter(search="闲置\x00厂房")) == []  # no stored text holds a NUL
        assert engine.count(CaseFilter(roles=["secretary\x00"])) == 0
        with pytest.raises(RefusedError) as exc:
            engine.start(FOUR, Actor.of("马\x00书记", "secretary"), PROPOSAL)
        assert "NUL" in exc.value.message and "unavailable" not in exc.value.message
        assert engine.count() == 1
    finally:
        engine.close()
