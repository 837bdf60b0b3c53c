"""``yishi worker``: fire due timers and deliver notifications until SIGTERM or SIGINT."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from yishi.cli.context import session
from yishi.cli.output import MESSAGES, console, t

MESSAGES.update({
    "worker_started": {"zh": "工作进程已启动（{name}，渠道：{channels}，间隔 {interval:g} 秒）；Ctrl-C 停止。",
                       "en": "worker started ({name}; channels: {channels}; every {interval:g}s); Ctrl-C stops it."},
    "worker_sent": {"zh": "通知 #{id}（案件 #{case}，{channel}）：{outcome}{error}",
                    "en": "notification #{id} (case #{case}, {channel}): {outcome}{error}"},
    "worker_trouble": {"zh": "出错，稍后重试：{message}", "en": "trouble, will try again: {message}"},
    "worker_waiting": {"zh": "数据库无法访问，等待恢复（间隔逐步延长，最长 1 分钟）：{message}",
                       "en": "the database is unreachable; waiting for it (checking less and less often, "
                             "at least once a minute): {message}"},
    "worker_recovered": {"zh": "数据库已恢复，继续工作。", "en": "the database is back; carrying on."},
    "worker_stopped": {"zh": "工作进程已停止：定时事项 {timers}，通知 {deliveries}。",
                       "en": "worker stopped: timers {timers}; notifications {deliveries}."},
    "outcome_delivered": {"zh": "已送达", "en": "delivered"},
    "outcome_retry": {"zh": "失败，{at} 重试", "en": "failed, retry at {at}"},
    "outcome_failed": {"zh": "失败，已放弃", "en": "failed, gave up"},
    "outcome_lost": {"zh": "租约过期，已由其他进程接手", "en": "lease lost to another worker"},
})


def worker(ctx: typer.Context,
           once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
           interval: Annotated[float, typer.Option(
               "--interval", metavar="SECONDS", min=0.05, help="Sleep this long when nothing is due.")] = 5.0,
           channels: Annotated[list[str] | None, typer.Option(
               "--channel", metavar="NAME", help="Deliver only this notifier channel; repeat for several.")] = None,
           as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line for each item.")] = False,
           ) -> None:
    """Fire due timers and deliver notifications in a loop. SIGTERM or SIGINT finish the current
    item and exit cleanly; several workers may share one PostgreSQL database."""
    from yishi.cli.output import local
    from yishi.cli.views import state_title, timer_target
    from yishi.delivery import Attempt, worker_name
    from yishi.errors import YishiError
    from yishi.worker import Outage, Worker

    s = session(ctx)
    engine = s.engine(ctx)
    out, err = console(), console(stderr=True)

    def report(item: object) -> None:
        if isinstance(item, Outage):
            if as_json:
                _line({"database": "recovered" if item.recovered else "unavailable", "error": item.message})
            elif item.recovered:
                err.print(t("worker_recovered", s.lang), style="green", soft_wrap=True)
            else:
                message = (item.message_zh if s.lang == "zh" else item.message).strip().splitlines()[0]
                err.print(t("worker_waiting", s.lang, message=message), style="yellow", soft_wrap=True)
            return
        if isinstance(item, YishiError):
            err.print(t("worker_trouble", s.lang, message=item.localized(s.lang)), style="yellow", soft_wrap=True)
            if as_json:
                _line({"error": item.message})
            return
        if isinstance(item, Attempt):
            if as_json:
                _line({"notification": item.note.id, "case_id": item.note.case_id, "channel": item.note.channel,
                       "outcome": item.outcome, "attempts": item.note.attempts, "error": item.error})
                return
            outcome = t(f"outcome_{item.outcome}", s.lang, at=local(item.next_attempt_at, s.lang))
            out.print(t("worker_sent", s.lang, id=item.note.id, case=item.note.case_id, channel=item.note.channel,
                        outcome=outcome, error=f" · {item.error}" if item.error else ""), soft_wrap=True)
            return
        r = item  # a TickResult
        if as_json:
            _line({"timer": r.timer.id, "case_id": r.timer.case_id, "outcome": r.outcome,
                   "due_at": r.timer.due_at.isoformat(), "event_seq": r.event.seq if r.event else None})
            return
        out.print(t(f"tick_{r.outcome}", s.lang, case=r.timer.case_id, target=timer_target(engine, r.timer, s.lang),
                    state=state_title(engine, r.timer, s.lang),
                    reason=r.reason_zh if s.lang == "zh" else r.reason), soft_wrap=True)

    work = Worker(engine, interval=interval, channels=channels, report=report)
    if not as_json:
        names = ", ".join(channels or engine.registry.notifiers) or t("none", s.lang)
        err.print(t("worker_started", s.lang, name=worker_name(), channels=names, interval=interval), style="dim")
    with work.signals():
        totals = work.run(once=once)
    if not as_json:
        err.print(t("worker_stopped", s.lang, timers=_counts(totals.timers), deliveries=_counts(totals.deliveries)),
                  style="dim")


def _counts(table: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(table.items())) or "0"


def _line(obj: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    app.command()(worker)
