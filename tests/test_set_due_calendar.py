"""``set_due`` counts working days and calendar months on the case's calendar (issue #12 item 5):
the validator accepted ``3wd`` and ``1mo`` but the action read fixed spans only and failed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from zoneinfo import ZoneInfo

from yishi.testing import Scenario, SimClock, workflow_files
from yishi.time.calendar import WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")

WF = """
id: due_test
version: 1
title: {zh: 期限, en: due}
description: set_due in working days and in a month
roles: {clerk: {title: {zh: 办事员, en: clerk}}}
initial: open
states:
  open:
    title: {zh: 受理, en: open}
    form:
      - {name: wd_due, type: datetime, readonly: true, label: {zh: 工作日期限, en: working-day deadline}}
      - {name: mo_due, type: datetime, readonly: true, label: {zh: 月期限, en: month deadline}}
  done: {title: {zh: 办结, en: done}, final: true}
transitions:
  - trigger: fix
    source: open
    dest: open
    title: {zh: 定期限, en: set deadlines}
    roles: [clerk]
    actions:
      - set_due: {field: wd_due, after: 3wd}
      - set_due: {field: mo_due, after: 1mo}
  - {trigger: close, source: open, dest: done, title: {zh: 办结, en: close}, roles: [clerk]}
"""


def test_set_due_in_working_days_and_months(tmp_path: Path, make_engine: Any, sim_clock: SimClock) -> None:
    (tmp_path / "due.yaml").write_text(WF, encoding="utf-8")
    engine = make_engine(workflow_files(tmp_path / "due.yaml"))
    # Friday 9 January 2026, 10:00 in Shanghai: three working days later is Wednesday the 14th
    sim_clock.move_to(datetime(2026, 1, 9, 2, 0, tzinfo=timezone.utc))
    sc = Scenario(engine, sim_clock)
    sc.start("due_test", "李四/clerk")
    sc.step("李四/clerk", "fix")
    data = engine.case(sc.case.id).data["open"]
    wd = datetime.fromisoformat(data["wd_due"])
    mo = datetime.fromisoformat(data["mo_due"])
    calendar = WorkCalendar()
    now = sim_clock.now()
    assert wd == calendar.add_working_days(now, 3)  # the end of Wednesday the 14th (24:00)
    assert (wd - timedelta(seconds=1)).astimezone(SHANGHAI).date().isoformat() == "2026-01-14"
    assert mo == calendar.add_months(now, 1) and mo.astimezone(SHANGHAI).date().isoformat() >= "2026-02-09"
