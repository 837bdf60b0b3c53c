"""Urging (催办): someone who sees an overdue case held by others reminds those who hold it.
Recorded as an event of the case (kind ``urge``) and notified to the people holding the roles
that may act now (for the case's unit); the case's state and revision do not change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from yishi.engine.types import SYSTEM, Actor, FireResult, Verdict
from yishi.errors import RefusedError

if TYPE_CHECKING:
    from yishi.engine.engine import Engine


def _refuse(zh: str, en: str) -> RefusedError:
    return RefusedError(en, message_zh=zh, verdicts=[Verdict("urge", False, zh, en)])


def urge(engine: Engine, case_id: int, actor: Actor, note: str = "") -> FireResult:
    """Urge the holders of overdue case ``case_id``. Raises ``NotFoundError`` (no such case or
    not in the actor's units) or ``RefusedError`` (closed, not overdue, the actor holds it
    themselves, or holds no role in its procedure)."""
    from yishi.engine.authority import authorise

    if actor is SYSTEM:
        raise _refuse("系统不能催办", "the system does not urge")
    now = engine.now()
    with engine.store.write() as tx:
        case = engine._get(tx, case_id, for_update=True)
        engine._require_open(case)
        acting = authorise(engine, tx, actor, case.unit_id, now, case=case)
        compiled = engine._compiled(case)
        wf = compiled.workflow
        holders = set(case.act_roles)
        if case.due_at is None or case.due_at > now:
            raise _refuse("案件尚未逾期，不能催办", "the case is not overdue; there is nothing to urge")
        if acting.roles & holders:
            raise _refuse("此案件由你办理，无需催办", "you hold this case yourself; take the step instead of urging")
        if not (acting.roles & set(wf.roles)):
            raise _refuse("只有参与此流程的人员可以催办", "only someone with a role in this procedure may urge")
        urged = [r for r in wf.roles if r in holders] + sorted(holders - set(wf.roles))
        data = {"urged": urged, "note": (note or "").strip()}
        role = next((r for r in wf.roles if r in acting.roles), acting.role)
        event = engine._append(tx, case, now=now, kind="urge", actor=acting, trigger=None, source=case.state,
                               dest=case.state, data=data, verdicts=(), allowed=[role])
        tx.update_step(case, expected_rev=case.rev, data_changed=False)  # the new head, not the data
        message = {"zh": f"{acting.name}催办：此案件已逾期，请尽快办理。" + (f"（{data['note']}）" if data["note"] else ""),
                   "en": f"{acting.name} urges you: this case is overdue; please act on it."
                         + (f" ({data['note']})" if data["note"] else "")}
        notes = engine._notify(tx, compiled, case, event, "urge",
                               [{"kind": "urge", "recipients": {"roles": data["urged"], "people": []},
                                 "message": message}])
    result = FireResult(case=case, event=event, notifications=notes)
    engine._committed(result)
    return result
