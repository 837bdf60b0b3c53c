"""The statistics screen (F4) under Pilot: the hand-computed November figures of the seeded
cases as Rich tables with bars, CJK labels aligned at 80×24, and snapshots in zh and en."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from rich.cells import cell_len
from test_stats import START, seed
from test_tui_app import make_app, pilot, settle
from textual.pilot import Pilot
from textual.widgets import Static

from yishi.clock import FixedClock
from yishi.engine import Engine
from yishi.testing import SimClock
from yishi.tui.screens.stats import StatsScreen

WHEN = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)  # 23:00 on 30 November in Beijing
SIZE = (80, 24)


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stats-tui") / "seeded.db"
    with SimClock(START) as clock:
        engine = Engine.open(f"sqlite:///{path}")
        try:
            seed(engine, clock)
        finally:
            engine.close()
    return path


@pytest.fixture
def engine(seeded_file: Path, tmp_path: Path) -> Iterator[Engine]:
    copy = tmp_path / "copy.db"
    shutil.copy(seeded_file, copy)
    eng = Engine.open(f"sqlite:///{copy}", clock=FixedClock(WHEN))
    try:
        yield eng
    finally:
        eng.close()


def lines_of(app: object, selector: str) -> list[str]:
    widget = app.screen.query_one(selector, Static)  # type: ignore[attr-defined]
    return [strip.text for strip in widget.render_lines(widget.region.reset_offset)]


@pilot
async def test_f4_shows_the_figures_and_esc_goes_back(engine: Engine) -> None:
    app = make_app(engine, "zh")
    app.clock = FixedClock(WHEN)
    async with app.run_test(size=SIZE) as p:
        await settle(p)
        await p.press("f4")
        await settle(p)
        assert isinstance(app.screen, StatsScreen)
        summary = "\n".join(lines_of(app, "#stats-summary"))
        assert "统计 · 2026-11" in summary
        assert "社区内解决率 75%（3/4）" in summary and "按期办结率 71%" in summary and "满意率 80%" in summary
        tiers = lines_of(app, "#stats-tiers")
        rows = {line.split()[1]: line for line in tiers if line.strip()[:1].isdigit()}
        assert rows["网格员"].split()[2] == "2" and rows["网格长"].split()[2] == "1"
        assert rows["书记接诊室"].split()[2] == "0" and rows["街道/乡镇"].split()[2] == "1"
        # the counts line up: every row's count ends in the same terminal column, CJK or not
        ends = {cell_len(line[:line.index(line.split()[2]) + len(line.split()[2])]) for line in rows.values()}
        assert len(ends) == 1
        overdue = lines_of(app, "#stats-overdue")
        assert any("网格员" in line and line.split()[2] == "1" for line in overdue)
        assert any("未分层级" in line and line.split()[1] == "1" for line in overdue)
        trend = lines_of(app, "#stats-trend")
        november = next(line for line in trend if line.startswith("2026-11"))
        assert november.split()[1:3] == ["9", "7"] and november.split()[-2:] == ["75%", "71%"]
        # everything fits at 80 columns
        assert all(cell_len(line.rstrip()) <= 78 for line in tiers + overdue + trend)
        await p.press("f2")  # English
        await settle(p)
        assert "in community 75% (3/4)" in "\n".join(lines_of(app, "#stats-summary"))
        await p.press("escape")
        await settle(p)
        assert not isinstance(app.screen, StatsScreen)


def _stats(lang: str):  # noqa: ANN202
    async def run(p: Pilot[None]) -> None:
        p.app.clock = FixedClock(WHEN)  # type: ignore[attr-defined]
        await settle(p)
        await p.press("f4")
        await settle(p)
    return run


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_statistics_screen_snapshot(snap_compare, engine: Engine, lang: str) -> None:  # noqa: ANN001
    app = make_app(engine, lang)
    app.clock = FixedClock(WHEN)
    assert snap_compare(app, terminal_size=SIZE, run_before=_stats(lang))
