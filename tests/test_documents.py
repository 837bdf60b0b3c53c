"""Documents from the record: every demo document in DOCX, PDF and HTML, read back and checked;
the posted/signed record with its sha256; templates overridden by a deployment and contributed
by a plugin; the workflow's ``documents:`` checked by the validator."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from yishi.clock import FixedClock
from yishi.definition.models import Text
from yishi.documents import DocumentError, DocumentKind, documents_for, issue, render
from yishi.documents import layout as render_mod
from yishi.engine import Actor, Engine
from yishi.errors import NotFoundError, RefusedError
from yishi.hookspecs import hookimpl

from datetime import datetime, timezone

DEMO_NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # as tests/conftest.py builds the demo

SECRETARY = Actor.of("马书记", "secretary")
MEDIATOR = Actor.of("刘德明", "mediator")


@pytest.fixture
def demo(demo_url: str) -> Iterator[Engine]:
    with Engine.open(demo_url, clock=FixedClock(DEMO_NOW)) as engine:
        yield engine


def case_id(engine: Engine, subject: str) -> int:
    return next(c.id for c in engine.cases() if c.subject == subject)


def pdf_text(content: bytes) -> str:
    """The PDF's text with the line breaks and spaces the layout adds taken out."""
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def docx_text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    parts += [p.text for s in doc.sections for p in s.header.paragraphs + s.footer.paragraphs]
    return re.sub(r"\s+", "", "".join(parts))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_demo_document_in_every_format_opens_and_reads_back(demo: Engine) -> None:
    seen: set[str] = set()
    for case in demo.cases():
        for ref in documents_for(demo, case):
            seen.add(ref.kind.name)
            title = squash(ref.kind.title.zh)
            pdf = render(demo, case.id, ref.id, "pdf")
            assert pdf.content.startswith(b"%PDF-")
            assert title in pdf_text(pdf.content), (case.id, ref.id)
            docx = render(demo, case.id, ref.id, "docx")
            assert title in docx_text(docx.content), (case.id, ref.id)
            html = render(demo, case.id, ref.id, "html").content.decode("utf-8")
            assert ref.kind.title.zh in html and f"#{case.id}" in html
    assert seen == {"resolution_notice", "results_notice", "meeting_minutes", "bench_minutes",
                    "mediation_registration", "mediation_record", "mediation_agreement", "return_visit",
                    "grid_disposal"}


def test_pdf_embeds_the_cjk_font_and_is_pdf_a(demo: Engine) -> None:
    pdf = render(demo, case_id(demo, "闲置厂房出租给幼儿园举办者"), "resolution_notice", "pdf").content
    reader = PdfReader(io.BytesIO(pdf))
    fonts = [f.get_object() for page in reader.pages for f in page["/Resources"]["/Font"].values()]
    names = {str(f["/BaseFont"]) for f in fonts}
    assert any("NotoSerifSC" in n for n in names), names
    for font in fonts:  # embedded (subset), not referenced by name only
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile3" in descriptor or "/FontFile2" in descriptor
    assert b"pdfaid:part" in pdf  # PDF/A identification in the XMP metadata
    assert reader.metadata["/CreationDate"].startswith("D:20261120")  # the engine's clock


def test_resolution_notice_says_what_when_which_meeting_counts_period_and_place(demo: Engine) -> None:
    cid = case_id(demo, "公共照明改造")
    for fmt, read in (("pdf", pdf_text), ("docx", docx_text)):
        text = read(render(demo, cid, "resolution_notice", fmt).content)
        for expected in ("决议公告", "公共照明改造", "同意更换路灯48盏", "村（居）民代表会议",
                         "应到代表31人，实到27人", "赞成26票，反对1票，弃权0票",
                         "应到党员46人，实到40人，赞成38票", "公示期7天", "公示地点：村务公开栏、村民微信群",
                         "村（居）民委员会"):
            assert expected in text, (fmt, expected)
    en = render(demo, cid, "resolution_notice", "html", lang="en").content.decode()
    assert "Notice of resolution" in en and "31 representatives, 27 present" in en


def test_results_notice_and_every_meetings_minutes(demo: Engine) -> None:
    cid = case_id(demo, "公共照明改造")
    text = pdf_text(render(demo, cid, "results_notice", "pdf").content)
    assert "48盏路灯已投入使用，总费用19.2万元。" in text and "公示地点：村务公开栏" in text
    ids = [r.id for r in documents_for(demo, cid) if r.kind.name == "meeting_minutes"]
    assert ids == ["meeting_minutes:committees_discussion", "meeting_minutes:party_members_review",
                   "meeting_minutes:representatives_meeting"]
    party = docx_text(render(demo, cid, "meeting_minutes:party_members_review", "docx").content)
    assert "党员大会审议会议记录" in party and "应到党员46人，实到40人" in party and "赞成38票" in party
    assert "主持人（签名）" in party and "记录人（签名）" in party
    reps = pdf_text(render(demo, cid, "meeting_minutes:representatives_meeting", "pdf").content)
    assert "应到代表31人，实到27人" in reps and "赞成26票，反对1票，弃权0票" in reps


def test_bench_minutes_list_attendance_and_action_items(demo: Engine) -> None:
    cid = case_id(demo, "3 号楼污水管破损返味")
    text = pdf_text(render(demo, cid, "bench_minutes", "pdf").content)
    for expected in ("板凳会会议纪要", "何师傅", "业委会杨主任", "到会人数5人", "更换一楼破损污水管段",
                     "物业刘经理", "已完成", "已更换4米管段", "召集人（签名）"):
        assert expected in text, expected


def test_mediation_registration_sessions_agreement_and_return_visit(demo: Engine) -> None:
    cid = case_id(demo, "装修噪音及施工时间纠纷")
    reg = docx_text(render(demo, cid, "mediation_registration", "docx").content)
    assert "人民调解受理登记表" in reg and "孙女士（502室）" in reg and "邻里纠纷" in reg
    assert "刘德明（调委会指定）" in reg
    # art. 29: parties, facts, disputed matters, obligations, how and by when, signatures
    for fmt, read in (("pdf", pdf_text), ("docx", docx_text)):
        agreement = read(render(demo, cid, "mediation_agreement", fmt).content)
        for expected in ("人民调解协议书", "孙女士（502室）", "钱先生（602室）", "纠纷主要事实",
                         "602室装修施工噪音影响502室休息", "争议事项", "施工时间；已造成的影响如何补偿",
                         "钱先生每日12:00–14:00、18:00以后不施工", "施工队按约定时间施工，物业监督",
                         "履行期限", "当事人甲（签名）", "当事人乙（签名）", "调解员（签名）",
                         "人民调解委员会（印章）", "三十日内共同向人民法院申请司法确认"):
            assert expected in agreement, (fmt, expected)
    visit = pdf_text(render(demo, cid, "return_visit", "pdf").content)
    assert "回访孙女士、钱先生，双方关系缓和" in visit and "已化解" in visit and "已履行" in visit
    leak = case_id(demo, "楼上漏水殃及楼下，赔偿争议")
    sessions = [r.id for r in documents_for(demo, leak) if r.kind.name == "mediation_record"]
    assert sessions == ["mediation_record:1", "mediation_record:2"]
    second = pdf_text(render(demo, leak, "mediation_record:2", "pdf").content)
    assert "（第2次）" in second and "物业出具维修报价3200元" in second and "当事人甲（签名）" in second


def test_grid_disposal_sheet_has_the_tier_history(demo: Engine) -> None:
    cid = case_id(demo, "单元门前乱停车，两户居民发生争执")
    text = pdf_text(render(demo, cid, "grid_disposal", "pdf").content)
    for expected in ("网格事件处置单", "第1级网格员", "第2级网格长", "第3级社区书记接诊室",
                     "上门劝说两次，双方各执一词", "院内车多位少", "划定停车位14个", "第3级（社区书记接诊室）",
                     "满意", "核查人（签名）"):
        assert expected in text, expected
    noise = pdf_text(render(demo, case_id(demo, "夜间摩托车飙车扰民"), "grid_disposal", "pdf").content)
    assert "处置时限届满，自动上报" in noise and "尚未办结" in noise


def test_issuing_a_posted_notice_records_its_sha256_in_the_chain(demo: Engine) -> None:
    cid = case_id(demo, "闲置厂房出租给幼儿园举办者")
    before = demo.case(cid)
    produced = issue(demo, cid, "resolution_notice", "pdf", SECRETARY)
    assert produced.event is not None
    info = produced.event.data["_document"]
    assert info["sha256"] == hashlib.sha256(produced.content).hexdigest() == produced.sha256
    assert info["kind"] == "resolution_notice" and info["issued"] == "posted" and info["format"] == "pdf"
    last = demo.history(cid)[-1]
    assert last.kind == "document" and last.actor == "马书记" and last.at == DEMO_NOW
    assert last.prev_hash == before.last_hash  # joined to the chain
    after = demo.case(cid)
    assert (after.state, after.rev) == (before.state, before.rev)  # no step was taken
    assert demo.verify(cid).ok
    # a preview and a form that is neither posted nor signed are not recorded
    issue(demo, cid, "resolution_notice", "html", SECRETARY)
    issue(demo, cid, "meeting_minutes:party_members_review", "pdf", SECRETARY)
    assert demo.case(cid).last_seq == after.last_seq


def test_signing_the_agreement_is_recorded_and_outsiders_are_refused(demo: Engine) -> None:
    cid = case_id(demo, "装修噪音及施工时间纠纷")
    produced = issue(demo, cid, "mediation_agreement", "docx", MEDIATOR)
    assert produced.event is not None and produced.event.data["_document"]["issued"] == "signed"
    seq = demo.case(cid).last_seq
    with pytest.raises(RefusedError) as err:
        issue(demo, cid, "mediation_agreement", "pdf", Actor.of("路人", "tourist"))
    assert "只有本流程的角色" in err.value.message_zh
    assert demo.case(cid).last_seq == seq


def test_unknown_or_not_yet_available_documents_are_clear_errors(demo: Engine) -> None:
    cid = case_id(demo, "修缮三组村道")  # stuck at the representatives' meeting
    with pytest.raises(NotFoundError) as err:
        render(demo, cid, "resolution_notice", "pdf")
    assert "尚不能生成“决议公告”" in err.value.message_zh
    with pytest.raises(NotFoundError) as err:
        render(demo, cid, "meeting_minutes", "pdf")
    assert "请指明" in err.value.message_zh and "meeting_minutes:party_members_review" in err.value.message_zh
    with pytest.raises(NotFoundError):
        render(demo, cid, "nonsense", "pdf")
    with pytest.raises(DocumentError) as bad:
        render(demo, cid, "meeting_minutes:party_members_review", "odt")
    assert "docx, pdf, html" in bad.value.message


def test_text_typed_into_a_case_cannot_change_the_layout(sqlite_url: str) -> None:
    with Engine.open(sqlite_url, clock=FixedClock(DEMO_NOW)) as engine:
        nasty = '#set page(paper: "a6") ] \\ "quoted" <b>bold</b> $x$ {{ org }}'
        case = engine.start("grid_escalation", Actor.of("王小燕", "grid_member"), {
            "subject": nasty, "reporter": "周先生", "place": "3 号楼", "category": "other",
            "urgency": "normal", "description": nasty})
        engine.fire(case.id, "dispatch", Actor.of("王小燕", "grid_member"))
        pdf = render(engine, case.id, "grid_disposal", "pdf").content
        page = PdfReader(io.BytesIO(pdf)).pages[0]
        assert round(float(page.mediabox.width)) == 595  # still A4
        assert squash('#set page(paper: "a6") ]') in pdf_text(pdf)
        html = render(engine, case.id, "grid_disposal", "html").content.decode()
        assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
        assert "{{ org }}" in docx_text(render(engine, case.id, "grid_disposal", "docx").content).replace("{{org}}", "{{ org }}")


def test_a_deployment_overrides_templates_from_its_folder(demo: Engine, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "resolution_notice.j2").write_text(
        '{% import "_blocks.j2" as b %}\n{{ b.title("金花园社区决议公告") }}\n'
        "{{ d.representatives_meeting.resolution }}（{{ org }}）\n", encoding="utf-8")
    monkeypatch.setenv("YISHI_TEMPLATES", str(folder))
    monkeypatch.setenv("YISHI_ORG", "金花园社区居民委员会")
    cid = case_id(demo, "公共照明改造")
    text = pdf_text(render(demo, cid, "resolution_notice", "pdf").content)
    assert "金花园社区决议公告" in text and "同意更换路灯48盏。（金花园社区居民委员会）" in text
    # the other documents still come from the built-in templates
    assert "会议记录" in pdf_text(render(demo, cid, "meeting_minutes:party_members_review", "pdf").content)
    (folder / "resolution_notice.j2").write_text("{{ b.title(\n", encoding="utf-8")
    with pytest.raises(DocumentError) as err:
        render(demo, cid, "resolution_notice", "html")
    assert "resolution_notice.j2" in err.value.message and "模板" in err.value.message_zh
    monkeypatch.setenv("YISHI_TEMPLATES", str(tmp_path / "nowhere"))
    with pytest.raises(DocumentError) as err:
        render(demo, cid, "resolution_notice", "html")
    assert "模板文件夹" in err.value.message_zh


WISH_YAML = """\
id: micro_wish
version: 1
title: {zh: 微心愿, en: Micro-wish}
description: {zh: 认领并实现居民的微心愿, en: A resident's small wish claimed and fulfilled}
subject: wish
roles:
  secretary: {title: {zh: 书记, en: secretary}}
initial: submitted
states:
  submitted:
    title: {zh: 提交, en: submitted}
    form:
      - {name: wish, type: text, required: true, label: {zh: 心愿, en: wish}}
      - {name: claimed_by, type: person, label: {zh: 认领人, en: claimed by}}
  fulfilled:
    title: {zh: 已实现, en: fulfilled}
    final: true
    documents: [%s]
transitions:
  - {trigger: fulfil, source: submitted, dest: fulfilled, title: {zh: 实现, en: fulfil}, roles: [secretary]}
"""


class WishDocuments:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @hookimpl
    def yishi_register_documents(self, register) -> None:  # noqa: ANN001
        register(DocumentKind("wish_certificate", Text(zh="微心愿认领证明", en="Micro-wish certificate"),
                              "wish_certificate.j2", template_dir=self.folder, workflows=("micro_wish",),
                              fields=("wish", "claimed_by"), issued="posted"))
        register(DocumentKind("bench_certificate", Text(zh="板凳会证明", en="Bench certificate"),
                              "wish_certificate.j2", template_dir=self.folder, workflows=("bench_meeting",)))

    @hookimpl
    def yishi_workflow_files(self) -> list[Path]:
        return [self.folder / "micro_wish.yaml"]


def test_a_plugin_contributes_a_document_that_its_workflow_names(sqlite_url: str, tmp_path: Path) -> None:
    (tmp_path / "wish_certificate.j2").write_text(
        '{% import "_blocks.j2" as b %}\n{{ b.title("微心愿认领证明") }}\n'
        "{{ d.submitted.claimed_by }}认领了“{{ d.submitted.wish }}”。\n"
        '{{ b.sign([["书记（签名）：", ""]]) }}\n', encoding="utf-8")
    (tmp_path / "micro_wish.yaml").write_text(WISH_YAML % "wish_certificate", encoding="utf-8")
    with Engine.open(sqlite_url, plugins=[WishDocuments(tmp_path)], clock=FixedClock(DEMO_NOW)) as engine:
        assert engine.workflow_problems == []
        case = engine.start("micro_wish", SECRETARY, {"wish": "给独居老人修好收音机", "claimed_by": "共建单位 电力公司"})
        assert documents_for(engine, case.id) == []  # not reached yet
        engine.fire(case.id, "fulfil", SECRETARY)
        produced = issue(engine, case.id, "wish_certificate", "pdf", SECRETARY)
        text = pdf_text(produced.content)
        assert "共建单位电力公司认领了“给独居老人修好收音机”。" in text and "书记（签名）" in text
        assert produced.event is not None


@pytest.mark.parametrize(("listed", "code"), [("no_such_document", "unknown_document"),
                                               ("bench_certificate", "document_workflow"),
                                               ("mediation_agreement", "document_fields"),
                                               ("wish_certificate, wish_certificate", "duplicate_document")])
def test_the_validator_checks_the_documents_a_state_names(tmp_path: Path, listed: str, code: str) -> None:
    (tmp_path / "wish_certificate.j2").write_text("x\n", encoding="utf-8")
    (tmp_path / "micro_wish.yaml").write_text(WISH_YAML % listed, encoding="utf-8")
    from yishi.engine.library import open_library

    library = open_library([WishDocuments(tmp_path)], entry_points=False)
    library.latest()
    problems = [p for p in library.problems if "micro_wish" in p.file]
    assert [p.code for p in problems] == [code], problems
    assert problems[0].line == 18  # the line of the state's documents list


def test_the_validator_refuses_a_document_whose_fields_the_workflow_lacks(tmp_path: Path) -> None:
    (tmp_path / "micro_wish.yaml").write_text(
        WISH_YAML.replace("claimed_by", "helper") % "wish_certificate", encoding="utf-8")
    from yishi.engine.library import open_library

    library = open_library([WishDocuments(tmp_path)], entry_points=False)
    library.latest()
    problems = [p for p in library.problems if "micro_wish" in p.file]
    assert [p.code for p in problems] == ["document_fields"]
    assert "'claimed_by'" in problems[0].message


def test_without_a_cjk_font_the_pdf_path_says_exactly_what_is_missing(demo: Engine,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_mod, "font_dirs", lambda: [])
    with pytest.raises(DocumentError) as err:
        render(demo, case_id(demo, "公共照明改造"), "resolution_notice", "pdf")
    assert "pylopdf-fonts-zh-cn" in err.value.message and "fonts-noto-cjk" in err.value.message
    assert "YISHI_FONTS" in err.value.message_zh
    # the other formats need no font
    assert render(demo, case_id(demo, "公共照明改造"), "resolution_notice", "docx").content


def test_document_settings_come_from_the_config_and_typos_are_named(demo: Engine, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from yishi.config import ConfigError

    config = tmp_path / "config.toml"
    config.write_text('[documents]\norg = "金花园社区居民委员会"\n', encoding="utf-8")
    monkeypatch.setenv("YISHI_CONFIG", str(config))
    text = pdf_text(render(demo, case_id(demo, "公共照明改造"), "resolution_notice", "pdf").content)
    assert "金花园社区居民委员会" in text
    config.write_text('[documents]\ntempaltes = "/srv/templates"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        render(demo, case_id(demo, "公共照明改造"), "resolution_notice", "pdf")
    assert "config.toml:2" in err.value.message and "did you mean 'templates'" in err.value.message
    config.write_text("[attachments]\nmax_mb = \"big\"\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        render(demo, case_id(demo, "公共照明改造"), "resolution_notice", "pdf")
    assert "应为数字" in err.value.message_zh


def test_notes_on_a_closed_case_replay_and_verify(demo: Engine, tmp_path: Path) -> None:
    """A results notice printed after archiving, evidence filed late: the whole-record verify
    (replay) accepts document and attachment events after the last step."""
    from yishi.documents import attachments as att

    cid = case_id(demo, "公共照明改造")
    assert not demo.case(cid).is_open
    issue(demo, cid, "results_notice", "pdf", SECRETARY)
    photo = tmp_path / "路灯.pdf"
    photo.write_bytes(render(demo, cid, "results_notice", "pdf").content)  # a scan is a PDF too
    att.attach(demo, cid, photo, SECRETARY)
    assert [e.kind for e in demo.history(cid)[-2:]] == ["document", "attachment"]
    report = demo.verify(cid)
    assert report.ok, report.broken
