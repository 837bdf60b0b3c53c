"""Issue 10, finding 12: a self-loop step after a deadline must not re-fire a reminder that
already fired. One mediation deadline, several sessions recorded after it: one reminder."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from datetime import timedelta

from yishi.engine import Engine
from yishi.testing import Scenario, SimClock

from test_wf_people_mediation import COMMITTEE, MEDIATOR, mediating, session


def test_one_mediation_deadline_gives_one_reminder(yishi_engine: Engine, sim_clock: SimClock) -> None:
    sc = Scenario(yishi_engine, sim_clock)
    started = mediating(sc)
    deadline = started + timedelta(days=30)
    reminders = [t for t in sc.advance("31d") if t.outcome == "reminded"]
    assert [t.event.at for t in reminders] == [deadline]
    # sessions recorded after the deadline (the self-loop re-plans the state's timers), and
    # days passing between them: the deadline that went off never goes off again
    for _ in range(3):  # each session dated the day it is held (a future date is refused)
        day = sim_clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
        sc.step(MEDIATOR, "hold_session", session(day))
        reminders += [t for t in sc.advance("3d") if t.outcome == "reminded"]
    history = sc.history()
    fired = [e for e in history if e.kind == "remind"]
    print(f"\nreminders for one mediation deadline with 3 sessions in the 9 days after it: {len(fired)}")
    assert len(fired) == 1 and fired[0].at == deadline
    assert not [t for t in sc.engine.timers(sc.case.id) if t.status == "pending"]
    assert sc.engine.verify(sc.case.id).ok
    # an extension is a new deadline: it reminds once more, at its own time
    sc.step(COMMITTEE, "extend", {"party_a_consents": True, "party_b_consents": True,
                                  "extension_reason": "等待维修报价"})
    sc.advance("40d")
    assert [e.at for e in sc.history() if e.kind == "remind"] == [deadline, deadline + timedelta(days=30)]
    assert sc.engine.verify(sc.case.id).ok
