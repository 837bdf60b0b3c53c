"""Issue 10, finding 2: an anchor (the latest hash of every case, signed with an Ed25519 key kept
outside the database) catches what a replay cannot: a history cut short with the row rolled back
to match, a chain recomputed after an edit with the row rewritten to match, a case removed."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import delete
from typer.testing import CliRunner

from conftest import COMMITTEES, FOUR, PARTY, PROPOSAL
from tamper import consistent_row, events_t, raw, remove_case, rewrite_events, write_row
from yishi.cli import app
from yishi.engine import Actor, Engine
from yishi.engine.anchor import AnchorError, init_key, load_newest, public_path, read_anchor, trusted_public_key

SEC = Actor.of("王书记", "secretary")


def with_drafts(engine: Engine) -> int:
    """A case at the representatives' meeting with three drafts recorded there (a state whose
    timers do not depend on its data, so a forger need not touch the timers)."""
    case = engine.start(FOUR, SEC, PROPOSAL)
    engine.fire(case.id, "submit_to_committees", SEC)
    engine.fire(case.id, "submit_to_party_members", SEC, COMMITTEES)
    engine.fire(case.id, "submit_to_representatives", SEC, PARTY)
    for n in (1, 2, 3):
        engine.record(case.id, SEC, {"minutes": f"第 {n} 稿"})
    return case.id


def test_anchor_catches_a_cut_tail_a_recomputed_chain_and_a_removed_case(any_url: str, tmp_path: Path) -> None:
    key, anchors = tmp_path / "keys" / "anchor.key", tmp_path / "anchors"
    init_key(key)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    with Engine.open(any_url) as engine:
        cut, forged, gone, untouched = (with_drafts(engine) for _ in range(4))
        engine.anchor(key, anchors)
        after = engine.start(FOUR, SEC, PROPOSAL).id  # a case opened after the anchor is fine
        engine.record(untouched, SEC, {"minutes": "锚点之后的记录"})  # so is a history that grew
        history = {c: engine.history(c) for c in (cut, forged)}
        # the tail cut short, the row rolled back to exactly what the remaining events make
        kept = history[cut][:-2]
        row = consistent_row(engine, cut, kept)
        with raw(any_url) as conn:
            conn.execute(delete(events_t).where(events_t.c.case_id == cut, events_t.c.seq > kept[-1].seq))
            write_row(conn, row)
        # an early record rewritten, every later hash recomputed, the row rewritten to match
        events = history[forged]
        changed = [replace(e, data={"minutes": "伪造的记录"}) if e.seq == 6 else e for e in events[5:]]
        with raw(any_url) as conn:
            rewrite_events(conn, changed)
        with Engine.open(any_url) as fresh:
            row = consistent_row(fresh, forged, fresh.history(forged))
        with raw(any_url) as conn:
            write_row(conn, row)
        remove_case(any_url, gone)

        plain = engine.verify()
        assert plain.ok, plain.broken  # a careful forger gets past the replay: that is what anchors are for
        anchor = load_newest(anchors, key, engine.database)
        assert anchor is not None and set(anchor.cases) == {cut, forged, gone, untouched}
        report = engine.verify(anchor=anchor)
    found = {b.case_id: b for b in report.broken}
    caught = {code for code in ("anchor.truncated", "anchor.rewritten", "anchor.gone")
              if any(b.code == code for b in report.broken)}
    print(f"\nanchor on {any_url.split(':')[0]}: forgeries the replay missed and the anchor caught: "
          f"{len(caught)}/3 ({', '.join(sorted(caught))})")
    assert set(found) == {cut, forged, gone}
    assert found[cut].code == "anchor.truncated" and found[cut].seq == 7
    assert "its history ends at event 5, but the anchor of" in found[cut].what and "events were removed" in found[cut].what
    assert "有记录被删除" in found[cut].what_zh
    assert found[forged].code == "anchor.rewritten" and "the history was rewritten" in found[forged].what
    assert found[gone].code == "anchor.gone" and "案件已不存在" in found[gone].what_zh
    assert after not in found and untouched not in found and report.anchored == 4


def test_an_anchor_file_is_trusted_only_with_its_own_key(tmp_path: Path, sqlite_url: str) -> None:
    key, other = tmp_path / "anchor.key", tmp_path / "other.key"
    init_key(key)
    init_key(other)
    with pytest.raises(AnchorError, match="exists already"):
        init_key(key)
    with Engine.open(sqlite_url) as engine:
        with_drafts(engine)
        path = engine.anchor(key, tmp_path / "anchors")
    read_anchor(path, trusted_public_key(key))
    with pytest.raises(AnchorError, match="signed with another key"):
        read_anchor(path, trusted_public_key(other))
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["payload"]["cases"]["1"][0] = 3  # make the anchor say less, to excuse a cut tail
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(AnchorError, match="does not verify") as bad:
        read_anchor(path, trusted_public_key(key))
    assert "签名校验失败" in bad.value.message_zh
    # the public key alone is enough to check (the private key may live elsewhere)
    key.unlink()
    assert trusted_public_key(key) == public_path(key).read_text(encoding="ascii").strip()


def test_yishi_anchor_and_verify_on_the_command_line(tmp_path: Path, sqlite_url: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    key, anchors = tmp_path / "k" / "anchor.key", tmp_path / "anchors"
    monkeypatch.setenv("YISHI_ANCHOR_KEY", str(key))
    monkeypatch.setenv("YISHI_ANCHOR_DIR", str(anchors))
    runner = CliRunner()

    def run(*args: str, lang: str = "en"):  # noqa: ANN202
        return runner.invoke(app, ["--db", sqlite_url, "--lang", lang, *args], env={"COLUMNS": "200"})

    with Engine.open(sqlite_url) as engine:
        case_id = with_drafts(engine)
    no_key = run("anchor")
    assert no_key.exit_code == 1 and "yishi anchor --init-key" in no_key.output and "Traceback" not in no_key.output
    made = run("anchor", "--init-key", lang="zh")
    assert made.exit_code == 0 and "0600" in made.stdout and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert run("anchor", "--init-key").exit_code == 1  # never replaces a key
    first = run("verify")
    assert first.exit_code == 0 and "not checked against an anchor" in first.stdout
    signed = run("anchor", "--json")
    assert signed.exit_code == 0 and json.loads(signed.stdout)["cases"] == 1
    ok = run("verify", lang="zh")
    assert ok.exit_code == 0 and "锚点相符" in ok.stdout, ok.output
    with raw(sqlite_url) as conn:  # drop the last draft and roll the row back to match
        conn.execute(delete(events_t).where(events_t.c.case_id == case_id, events_t.c.seq == 7))
    with Engine.open(sqlite_url) as engine:
        row = consistent_row(engine, case_id, engine.history(case_id))
    with raw(sqlite_url) as conn:
        write_row(conn, row)
    broken = run("verify", lang="zh")
    assert broken.exit_code == 1 and "Traceback" not in broken.output
    assert f"案件 #{case_id} 第 7 条记录：其记录止于第 6 条" in broken.stderr
    report = json.loads(run("verify", "--json").stdout)
    assert report["anchor"]["cases"] == 1 and report["broken"][0]["code"] == "anchor.truncated"
    # an anchor file altered to excuse the cut: refused, with the reason, no traceback
    (path,) = anchors.glob("anchor-*.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["payload"]["cases"][str(case_id)][0] = 6
    path.write_text(json.dumps(doc), encoding="utf-8")
    altered = run("verify")
    assert altered.exit_code == 1 and "does not verify" in altered.output and "Traceback" not in altered.output
