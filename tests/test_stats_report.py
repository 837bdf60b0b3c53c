"""``yishi report``: the xlsx opened with openpyxl (headers, merged cells, figures, notes row),
csv and json read back, grouping by organisation unit, and bad input in the user's words."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from test_stats import GRID, MED, NOW, START, seed
from typer.testing import CliRunner

from openpyxl.utils import get_column_letter

from yishi.cli import app
from yishi.engine import Engine
from yishi.testing import SimClock


@pytest.fixture(scope="module")
def seeded_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'seeded.db'}"
    with SimClock(START) as clock:
        engine = Engine.open(url)
        try:
            seed(engine, clock)
        finally:
            engine.close()
    return url


def run(url: str, *args: str, lang: str = "zh") -> Any:
    result = CliRunner().invoke(app, ["--db", url, "--lang", lang, "report", *args,
                                      "--now", NOW.isoformat()], env={"COLUMNS": "200"})
    return result


def test_the_xlsx_has_chinese_headers_merged_cells_figures_and_notes(seeded_url: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "november.xlsx"
    result = run(seeded_url, "--month", "2026-11", "-o", str(out))
    assert result.exit_code == 0, result.output
    ws = load_workbook(out).active
    assert ws["A1"].value == "2026年11月 社区议事与网格事件统计月报"
    assert "2026-11" in ws["A2"].value and "Asia/Shanghai" in ws["A2"].value
    merged = {str(r) for r in ws.merged_cells.ranges}
    headers = {ws.cell(3, c).value: c for c in range(1, ws.max_column + 1) if ws.cell(3, c).value}
    sub = {ws.cell(4, c).value: c for c in range(1, ws.max_column + 1) if ws.cell(4, c).value}
    # columns outside a group span both header rows; the tiers and the evaluation have a merged group header
    for name in ("序号", "单位", "事项类别", "受理数", "办结数", "按期办结率", "当前逾期数", "社区内解决率", "重办数", "延期数"):
        col = headers[name]
        assert f"{ws.cell(3, col).column_letter}3:{ws.cell(3, col).column_letter}4" in merged, name
    tiers = headers["按解决层级分（件）"]
    assert sub["第1级 网格员"] == tiers and sub["合计"] == tiers + 5
    assert f"{get_column_letter(tiers)}3:{get_column_letter(tiers + 5)}3" in merged
    evaluation = headers["群众评价"]
    assert [ws.cell(4, evaluation + k).value for k in range(3)] == ["参评次数", "参评率", "满意率"]
    # one row per procedure (no units in this database), then the total
    rows = {ws.cell(r, 3).value: r for r in range(5, ws.max_row + 1) if ws.cell(r, 3).value}
    grid, med = rows["网格化事件处置"], rows["人民调解"]

    def at(row: int, name: str, *, group: bool = False) -> Any:
        return ws.cell(row, sub[name] if group else headers[name]).value

    assert (at(grid, "受理数"), at(grid, "办结数"), at(grid, "当前逾期数")) == (7, 6, 2)
    assert at(grid, "按期办结率") == pytest.approx(4 / 6)
    assert ws.cell(grid, headers["按期办结率"]).number_format == "0.0%"
    assert at(grid, "平均办理天数") == pytest.approx(1.8)  # 1.75 days, one decimal
    assert [ws.cell(grid, tiers + k).value for k in range(6)] == [2, 1, 0, 1, 0, 4]
    assert at(grid, "社区内解决率") == pytest.approx(0.75)
    assert at(grid, "满意率", group=True) == pytest.approx(0.8) and at(grid, "参评率", group=True) == 1
    assert (at(grid, "重办数"), at(med, "延期数")) == (2, 1)
    assert at(med, "社区内解决率") is None  # no tiers: left empty, not 0%
    total = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 1).value == "合计")
    assert (at(total, "受理数"), at(total, "办结数"), at(total, "重办数"), at(total, "延期数")) == (9, 7, 2, 1)
    assert f"A{total}:C{total}" in merged
    # the notes row: each figure's definition under its column
    notes = total + 1
    assert ws.cell(notes, 1).value == "口径说明"
    assert "第1–3级" in at(notes, "社区内解决率") and "÷" in at(notes, "社区内解决率")
    assert "从未逾期" in at(notes, "按期办结数") and "不分月份" in at(notes, "当前逾期数")
    assert "满意或基本满意" in at(notes, "满意率", group=True)
    assert "重办" in ws.cell(notes + 1, 1).value


def test_csv_and_json_carry_the_same_figures(seeded_url: str, tmp_path: Path) -> None:
    result = run(seeded_url, "--month", "2026-11", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    grid = next(r for r in data["rows"] if r["workflow_id"] == GRID)
    assert (grid["received"], grid["closed"], grid["resolved"], grid["community_share"]) == \
        (7, 6, {"1": 2, "2": 1, "3": 0, "4": 1, "5": 0}, 0.75)
    assert data["definitions"]["community_share"]["note_en"].startswith("resolved at tiers 1–3")
    out = tmp_path / "november.csv"
    result = run(seeded_url, "--month", "2026-11", "--format", "csv", "-o", str(out), lang="en")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    by = {r["procedure"]: r for r in rows}
    assert by["Grid escalation"]["received"] == "7" and by["Grid escalation"]["resolved in community"] == "0.75"
    assert by["People's mediation"]["extended"] == "1"
    assert rows[-1]["unit"] == "total" and rows[-1]["closed"] == "7"
    assert {r["procedure"] for r in rows} >= {"Grid escalation", "People's mediation"}
    assert MED and "resolved, by tier: tier 1 grid member" in rows[0]


@pytest.mark.parametrize(("args", "en", "zh"), [
    (("--month", "2026-13"), "must look like 2026-11", "月份应写作 2026-11"),
    (("--month", "十一月"), "must look like 2026-11", "年-月"),
    (("--month", "2026-11", "--by", "community"), "needs the organisation units", "组织机构"),
])
def test_bad_input_is_a_clear_error(seeded_url: str, args: tuple[str, ...], en: str, zh: str) -> None:
    result = run(seeded_url, *args, "--format", "json", lang="en")
    assert result.exit_code == 1 and en in result.output and "Traceback" not in result.output
    result = run(seeded_url, *args, "--format", "json", lang="zh")
    assert result.exit_code == 1 and zh in result.output


def test_an_unwritable_output_file_is_a_clear_error(seeded_url: str, tmp_path: Path) -> None:
    result = run(seeded_url, "--month", "2026-11", "-o", str(tmp_path / "no" / "such" / "dir.xlsx"), lang="en")
    assert result.exit_code == 1 and "cannot write" in result.output and "Traceback" not in result.output


def test_units_are_rolled_up_to_communities_and_streets(make_engine: Any) -> None:
    """Cases belong to grids; --by community and --by street add them up the unit tree, and
    cases without a unit stay in a row of their own."""
    from yishi.engine import Actor
    from yishi.org import Org
    from yishi.stats.figures import month_report

    admin = Actor.of("管理员")
    gm = Actor.of("小李", "grid_member")
    with SimClock(START):
        engine = make_engine()
        org = Org(engine)
        district = org.add_unit("区", "城关区", by=admin)
        east = org.add_unit("街道", "东街街道", district, by=admin)
        peace = org.add_unit("社区", "和平社区", east, by=admin)
        harmony = org.add_unit("社区", "和谐社区", east, by=admin)
        grids = [org.add_unit("网格", name, parent, by=admin)
                 for name, parent in (("第一网格", peace), ("第二网格", peace), ("第三网格", harmony))]
        event = {"subject": "路灯不亮", "reporter": "赵阿姨", "place": "3号楼", "category": "facilities",
                 "urgency": "normal", "description": "路灯坏了"}
        for grid, n in zip(grids, (3, 2, 1)):
            for _ in range(n):
                engine.start(GRID, gm, event, unit=grid.id)
        engine.start(GRID, gm, event)  # no unit
        by_unit = {r.unit: r.figures.received for r in month_report(engine, "2026-10").rows}
        assert by_unit == {"第一网格": 3, "第二网格": 2, "第三网格": 1, "": 1}
        by_community = {r.unit: r.figures.received for r in month_report(engine, "2026-10", by="community").rows}
        assert by_community == {"和平社区": 5, "和谐社区": 1, "": 1}
        by_street = month_report(engine, "2026-10", by="street")
        assert {r.unit: r.figures.received for r in by_street.rows} == {"东街街道": 6, "": 1}
        assert by_street.total.received == 7
