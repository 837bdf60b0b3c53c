"""``yishi outbox``: the notifications waiting, delivered and failed; retry a failed one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from yishi.cli.context import session
from yishi.cli.lazy import help_of
from yishi.cli.output import MESSAGES, console, emit_json, jsonable, local, t, table

if TYPE_CHECKING:
    from yishi.engine.types import Notification

MESSAGES.update({
    "outbox_empty": {"zh": "没有符合条件的通知。", "en": "no notifications match."},
    "outbox_counts": {"zh": "待发送 {pending} · 发送中 {sending} · 已送达 {delivered} · 失败 {failed}",
                      "en": "pending {pending} · sending {sending} · delivered {delivered} · failed {failed}"},
    "outbox_retried": {"zh": "通知 #{id}（{channel}）将立即重新发送。",
                       "en": "notification #{id} ({channel}) will be sent again now."},
    "outbox_retried_many": {"zh": "{n} 条失败的通知（{channel}）将立即重新发送。",
                            "en": "{n} failed notifications ({channel}) will be sent again now."},
    "outbox_all_channels": {"zh": "所有渠道", "en": "every channel"},
    "outbox_retry_usage": {"zh": "请给出一个通知编号，或用 --failed 重试所有失败的通知（可加 --channel）",
                           "en": "give one notification's number, or --failed for every failed one "
                                 "(optionally with --channel)"},
    "h_channel": {"zh": "渠道", "en": "channel"},
    "h_attempts": {"zh": "次数", "en": "tries"},
    "h_next": {"zh": "下次/送达", "en": "next / delivered"},
    "h_error": {"zh": "错误", "en": "error"},
    "h_case": {"zh": "案件", "en": "case"},
    "h_to": {"zh": "收件", "en": "to"},
})

app = typer.Typer(help=help_of("outbox"), no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


@app.command("list")
def list_(ctx: typer.Context,
          failed: Annotated[bool, typer.Option("--failed", help="Only notifications given up on.")] = False,
          status: Annotated[str | None, typer.Option(
              "--status", metavar="STATUS", help="pending, sending, delivered or failed.")] = None,
          case: Annotated[int | None, typer.Option("--case", metavar="ID", help="Only this case's.")] = None,
          limit: Annotated[int, typer.Option("--limit", metavar="N", min=1, help="The newest N.")] = 50,
          as_json: JsonFlag = False) -> None:
    """The newest notifications with their status, attempts and last error."""
    from yishi.delivery import outbox, outbox_counts

    s = session(ctx)
    if status is not None and status not in ("pending", "sending", "delivered", "failed"):
        raise typer.BadParameter(f"{status!r}: pending, sending, delivered or failed", param_hint="'--status'")
    engine = s.engine(ctx)
    notes = outbox(engine, status="failed" if failed else status, case_id=case, limit=limit)
    counts = outbox_counts(engine)
    if as_json:
        emit_json({"notifications": [note_json(n) for n in notes], "counts": counts})
        return
    out = console()
    if not notes:
        out.print(t("outbox_empty", s.lang))
    else:
        grid = table(s.lang, "h_id", "h_case", "h_channel", "h_kind", "h_to", "h_status", "h_attempts",
                     "h_next", "h_error", right=("h_id", "h_case", "h_attempts"))
        for n in notes:
            when = n.delivered_at if n.status == "delivered" else (
                n.next_attempt_at if n.status in ("pending", "sending") else None)
            who = ",".join([*n.recipients.get("roles", []), *n.recipients.get("people", [])])
            grid.add_row(str(n.id), str(n.case_id), n.channel, n.kind, who, n.status, str(n.attempts),
                         local(when, s.lang), n.error or "")
        out.print(grid)
    out.print(t("outbox_counts", s.lang, **counts), style="dim")


@app.command()
def retry(ctx: typer.Context,
          note_id: Annotated[int | None, typer.Argument(metavar="[ID]", help="The notification's number.")] = None,
          failed: Annotated[bool, typer.Option("--failed", help="Every notification given up on.")] = False,
          channel: Annotated[str | None, typer.Option(
              "--channel", metavar="CHANNEL", help="With --failed: only this channel's.")] = None,
          as_json: JsonFlag = False) -> None:
    """Send a failed (or waiting) notification again now, with a fresh set of attempts; with
    --failed, every failed one (of --channel)."""
    from yishi.delivery import retry as retry_note
    from yishi.delivery import retry_failed

    s = session(ctx)
    if (note_id is None) == (not failed) or (channel is not None and not failed):
        raise typer.BadParameter(t("outbox_retry_usage", s.lang), param_hint="'ID' / '--failed'")
    if failed:
        notes = retry_failed(s.engine(ctx), channel=channel)
        if as_json:
            emit_json({"retried": [note_json(n) for n in notes]})
        else:
            console().print(t("outbox_retried_many", s.lang, n=len(notes),
                              channel=channel or t("outbox_all_channels", s.lang)))
        return
    assert note_id is not None
    note = retry_note(s.engine(ctx), note_id)
    if as_json:
        emit_json(note_json(note))
    else:
        console().print(t("outbox_retried", s.lang, id=note.id, channel=note.channel))


def note_json(note: Notification) -> dict[str, Any]:
    return {"id": note.id, "case_id": note.case_id, "event_seq": note.event_seq, "channel": note.channel,
            "kind": note.kind, "recipients": note.recipients, "status": note.status,
            "attempts": note.attempts, "created_at": jsonable(note.created_at),
            "next_attempt_at": jsonable(note.next_attempt_at), "delivered_at": jsonable(note.delivered_at),
            "error": note.error}
