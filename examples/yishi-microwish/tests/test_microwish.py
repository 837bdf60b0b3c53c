"""The example plugin, tested with the fixtures yishi installs as a pytest plugin (``yishi.testing``):
``make_engine``, ``sim_clock`` and ``scenario``. Installing this package is enough for yishi to
find the plugin: no conftest, no registration by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from yishi.cli import app
from yishi.delivery import deliver_pending
from yishi.testing import Scenario, SimClock

GRID = "王网格员/grid_member"
VOLUNTEER = "李党员/volunteer"
WISH = {"wish": "帮独居老人修好楼道灯", "resident": "张奶奶", "phone": "13912345678"}


def test_yishi_lists_the_plugin_with_its_version() -> None:
    result = CliRunner().invoke(app, ["--lang", "en", "plugins", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert {"name": "microwish", "version": "0.1.0", "where": "yishi-microwish"} in found["plugins"]
    assert "distinct_people" in found["guards"]


def test_a_wish_claimed_fulfilled_and_confirmed(scenario: Scenario) -> None:
    scenario.start("micro_wish", GRID, WISH)
    scenario.step(VOLUNTEER, "claim")
    scenario.step(VOLUNTEER, "fulfil", {"fulfilled_by": "李党员"})
    refused = scenario.refused(GRID, "confirm", {"confirmed_by": "李党员"})
    assert [v.rule for v in refused.verdicts if not v.ok] == ["distinct_people"]
    assert refused.verdicts[-1].reason("en") == "fulfilled by and checked by must be different people (李党员)"
    scenario.step(GRID, "confirm", {"confirmed_by": "王网格员", "feedback": "灯亮了"})
    scenario.expect_state("confirmed")


def test_an_unclaimed_wish_reminds_the_grid_member(scenario: Scenario) -> None:
    scenario.start("micro_wish", GRID, WISH)
    ticks = scenario.advance("8d")
    assert [(t.outcome, t.timer.target) for t in ticks] == [("reminded", "grid_member")]
    assert scenario.triggers() == ["start", "remind"]


def test_the_claim_period_is_a_param(make_engine: Any, sim_clock: SimClock) -> None:
    engine = make_engine(params={"micro_wish": {"claim_within": "2d"}})
    sc = Scenario(engine, sim_clock)
    sc.start("micro_wish", GRID, WISH)
    assert [t.outcome for t in sc.advance("3d")] == ["reminded"]


def test_the_ledger_notifier_writes_masked_json_lines(make_engine: Any, sim_clock: SimClock, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[notifiers.ledger]\npath = "{tmp_path / "ledger.jsonl"}"\nlang = "en"\n', encoding="utf-8")
    monkeypatch.setenv("YISHI_CONFIG", str(config))  # notifiers read their table from the config file
    engine = make_engine()
    sc = Scenario(engine, sim_clock)
    sc.start("micro_wish", GRID, {**WISH, "wish": "回电 13912345678"})
    sc.step(VOLUNTEER, "claim")
    attempts = deliver_pending(engine, channels=["ledger"])
    assert [a.outcome for a in attempts] == ["delivered", "delivered"]
    lines = [json.loads(x) for x in (tmp_path / "ledger.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(x["kind"], x["recipients"]["roles"]) for x in lines] == [("start", ["volunteer"]),
                                                                       ("step", ["volunteer"])]
    assert lines[0]["title"] == "[micro-wish] #1 回电 139****5678: new case"
    assert "13912345678" not in json.dumps(lines, ensure_ascii=False)


def test_no_ledger_without_its_config_table(make_engine: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("YISHI_CONFIG", str(tmp_path / "absent.toml"))
    assert "ledger" not in make_engine().registry.notifiers
