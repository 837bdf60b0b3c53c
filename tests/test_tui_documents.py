"""The TUI's documents dialog (F12 on a case): list, preview, produce; a posted notice is recorded."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from textual.widgets import OptionList, Static

from yishi.clock import FixedClock
from yishi.engine import CaseFilter, Engine
from yishi.tui.screens.case import CaseScreen
from yishi.tui.screens.documents import DocumentsDialog

from test_tui_app import NOW, make_app, pilot, running, settle


@pytest.fixture
def engine(demo_url: str) -> Iterator[Engine]:
    eng = Engine.open(demo_url, clock=FixedClock(NOW))
    try:
        yield eng
    finally:
        eng.close()


@pilot
async def test_f12_lists_previews_and_produces_a_posted_notice(engine: Engine, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YISHI_DOCS_DIR", str(tmp_path / "out"))
    (case,) = engine.cases(CaseFilter(search="闲置厂房"))
    before = engine.case(case.id).last_seq
    app = make_app(engine)
    async with running(app) as pilot:
        app.open_case(case.id)
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        await pilot.press("f12")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, DocumentsDialog)
        options = dialog.query_one("#documents", OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert prompts[-1] == "决议公告  [张贴公示]" and prompts[0] == "会议记录（两委会商议）"
        options.highlighted = options.option_count - 1
        await settle(pilot)
        preview = str(dialog.query_one("#document-preview", Static).render())
        assert "决议公告" in preview and "应到代表 31 人，实到 25 人" in preview
        await pilot.press("p")
        await settle(pilot)
        status = str(dialog.query_one("#document-status", Static).render())
        written = tmp_path / "out" / f"{case.id:04d}-决议公告.pdf"
        assert written.is_file() and str(written) in status and "已记入案件第" in status
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(written.read_bytes())).pages)
        assert "决议公告" in text
        last = engine.history(case.id)[-1]
        assert last.seq == before + 1 and last.kind == "document"
        assert last.data["_document"]["sha256"] == hashlib.sha256(written.read_bytes()).hexdigest()
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)


@pilot
async def test_a_case_without_documents_says_so(engine: Engine) -> None:
    (case,) = [c for c in engine.cases(CaseFilter(search="高空甩线")) if c.workflow_id == "bench_meeting"]
    app = make_app(engine, lang="en")
    async with running(app) as pilot:
        app.open_case(case.id)
        await settle(pilot)
        await pilot.press("f12")
        await settle(pilot)
        assert "has no documents yet" in str(app.screen.query_one("#document-status", Static).render())


@pilot
async def test_evidence_is_attached_from_the_documents_dialog(engine: Engine, tmp_path: Path) -> None:
    (case,) = engine.cases(CaseFilter(search="楼上漏水"))
    scan = tmp_path / "报价单.pdf"
    scan.write_bytes(b"%PDF-1.4\n% a scanned quotation\n")
    (tmp_path / "note.txt").write_text("not evidence", encoding="utf-8")
    app = make_app(engine)
    async with running(app) as pilot:
        app.open_case(case.id)
        await settle(pilot)
        await pilot.press("f12")
        await settle(pilot)
        dialog = app.screen
        await pilot.press("a")
        box = dialog.query_one("#attach-path")
        assert box.display and box.has_focus
        await pilot.press(*str(tmp_path / "note.txt"), "enter")
        await settle(pilot)
        assert "不是照片或扫描件" in str(dialog.query_one("#document-status", Static).render())
        box.value = ""
        await pilot.press(*str(scan), "enter")
        await settle(pilot)
        status = str(dialog.query_one("#document-status", Static).render())
        assert "已附加 报价单.pdf" in status
        last = engine.history(case.id)[-1]
        assert last.kind == "attachment" and last.data["_attachment"]["sha256"] == hashlib.sha256(scan.read_bytes()).hexdigest()
