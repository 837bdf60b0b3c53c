"""Counts follow the person's units (issue #9: "Searching, counts and the TUI tabs respect it"):
the "my actions" count, which is read from the case_actors index alone, must not count another
grid's cases that the person's role could act on there."""

from __future__ import annotations

from datetime import datetime, timezone

from freezegun import freeze_time

from test_org_authority import EVENT, GRID, real_street
from yishi.engine import Actor, CaseFilter, Engine

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)


def test_my_actions_count_only_my_grids_cases(any_url: str) -> None:
    with freeze_time(T0), Engine.open(any_url) as engine:
        units = real_street(engine)
        mine = engine.start(GRID, Actor.of("li"), EVENT, unit=units["g1"])
        theirs = engine.start(GRID, Actor.of("zhao"), EVENT, unit=units["g2"])
        li = Actor.of("li")
        listed = [c.id for c in engine.cases(CaseFilter(open=True, roles=("grid_member",)), actor=li)]
        assert listed == [mine.id] and theirs.id not in listed
        assert engine.count(CaseFilter(open=True, roles=("grid_member",)), actor=li) == 1
        assert engine.count(CaseFilter(open=True, roles=("grid_member",)), actor=Actor.of("zhao")) == 1
        assert engine.count(CaseFilter(open=True, roles=("grid_member",))) == 2  # no person: everywhere
