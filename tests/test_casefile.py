"""Attachments as evidence, the case file (卷宗) zip, and the CLI: ``yishi doc``,
``yishi case attach``, ``yishi case attachments``, ``yishi case export``."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader
from typer.testing import CliRunner

from yishi.cli import app
from yishi.clock import FixedClock
from yishi.documents import attachments as att
from yishi.documents.casefile import check, export_case
from yishi.engine import Actor, Engine
from yishi.errors import RefusedError

DEMO_NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # as tests/conftest.py builds the demo
MEDIATOR = Actor.of("刘德明", "mediator")


def png(width: int = 4, height: int = 3) -> bytes:
    """A real (tiny, grey) PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture
def demo(demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.delenv("YISHI_FILES", raising=False)
    with Engine.open(demo_url, clock=FixedClock(DEMO_NOW)) as engine:
        yield engine


def case_id(engine: Engine, subject: str) -> int:
    return next(c.id for c in engine.cases() if c.subject == subject)


def test_attaching_a_photo_stores_it_by_sha256_and_chains_the_hash(demo: Engine, tmp_path: Path) -> None:
    photo = tmp_path / "现场照片.png"
    photo.write_bytes(png())
    cid = case_id(demo, "楼上漏水殃及楼下，赔偿争议")
    item, event = att.attach(demo, cid, photo, MEDIATOR, note="301 室天花板受损")
    sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    assert item.sha256 == sha and item.media_type == "image/png" and item.size == len(png())
    assert event.kind == "attachment" and event.data["_attachment"]["sha256"] == sha
    stored = att.store_dir(demo) / sha[:2] / sha[2:]
    assert stored.read_bytes() == photo.read_bytes()
    assert stored.parent.parent == Path(demo.store.url.removeprefix("sqlite:///") + "-files")
    assert demo.verify(cid).ok
    assert [a.name for a in att.attachments(demo, cid)] == ["现场照片.png"]
    # the same photo again is stored once, recorded twice
    att.attach(demo, cid, photo, MEDIATOR)
    assert len(list(stored.parent.iterdir())) == 1 and len(att.attachments(demo, cid)) == 2


@pytest.mark.parametrize(("content", "zh", "en"), [
    (b"", "是空文件", "is empty"),
    (b"PK\x03\x04 a word file", "不是照片或扫描件", "not a photo or a scan"),
    (b"\xff\xd8\xff" + b"\x00" * 3000, "超过 0 MB 的上限", "over the limit"),
])
def test_bad_attachments_are_refused_with_clear_errors_and_nothing_recorded(
        demo: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, zh: str, en: str) -> None:
    monkeypatch.setenv("YISHI_ATTACH_MAX_MB", "0.001")
    path = tmp_path / "证据.bin"
    path.write_bytes(content)
    cid = case_id(demo, "楼上漏水殃及楼下，赔偿争议")
    seq = demo.case(cid).last_seq
    with pytest.raises(att.AttachmentError) as err:
        att.attach(demo, cid, path, MEDIATOR)
    assert zh in err.value.message_zh and en in err.value.message and "证据.bin" in err.value.message
    assert demo.case(cid).last_seq == seq


def test_missing_file_and_outsider_are_refused(demo: Engine, tmp_path: Path) -> None:
    cid = case_id(demo, "楼上漏水殃及楼下，赔偿争议")
    with pytest.raises(att.AttachmentError) as err:
        att.attach(demo, cid, tmp_path / "nope.jpg", MEDIATOR)
    assert "文件不存在" in err.value.message_zh
    photo = tmp_path / "a.png"
    photo.write_bytes(png())
    with pytest.raises(RefusedError):
        att.attach(demo, cid, photo, Actor.of("路人", "tourist"))
    assert att.attachments(demo, cid) == []


def test_the_case_file_has_everything_in_archive_order(demo: Engine, tmp_path: Path) -> None:
    cid = case_id(demo, "装修噪音及施工时间纠纷")
    photo = tmp_path / "施工时间公示.png"
    photo.write_bytes(png())
    att.attach(demo, cid, photo, MEDIATOR, note="单元门口")
    archive = zipfile.ZipFile(io.BytesIO(export_case(demo, cid)))
    names = [n.split("/", 1)[1] for n in archive.namelist()]
    root = archive.namelist()[0].split("/")[0]
    assert root == "卷宗-%04d-装修噪音及施工时间纠纷" % cid
    assert names == ["00-卷内目录.pdf", "01-人民调解受理登记表.pdf", "02-调解笔录（第 1 次）.pdf",
                     "03-人民调解协议书.pdf", "04-人民调解回访记录.pdf", "05-证据-施工时间公示.png",
                     "90-事件记录.csv", "90-事件记录.json", "91-校验结果.json", "99-备考表.pdf"]
    assert archive.read(f"{root}/05-证据-施工时间公示.png") == png()
    events = json.loads(archive.read(f"{root}/90-事件记录.json"))
    assert [e["seq"] for e in events] == list(range(1, demo.case(cid).last_seq + 1))
    assert events[-1]["kind"] == "attachment" and events[-1]["hash"] == demo.case(cid).last_hash
    rows = list(csv.DictReader(io.StringIO(archive.read(f"{root}/90-事件记录.csv").decode("utf-8-sig"))))
    assert len(rows) == len(events) and rows[0]["kind"] == "start" and "孙女士" in rows[0]["data"]
    verified = json.loads(archive.read(f"{root}/91-校验结果.json"))
    assert verified["ok"] and verified["chain_ok"] and verified["attachments"][0]["ok"]
    toc = re.sub(r"\s+", "", PdfReader(io.BytesIO(archive.read(f"{root}/00-卷内目录.pdf"))).pages[0].extract_text())
    assert "卷内目录" in toc and "人民调解协议书" in toc and "证据：施工时间公示.png（单元门口）" in toc
    agreement = archive.read(f"{root}/03-人民调解协议书.pdf")
    assert hashlib.sha256(agreement).hexdigest()[:16] in toc
    notes = re.sub(r"\s+", "", PdfReader(io.BytesIO(archive.read(f"{root}/99-备考表.pdf"))).pages[0].extract_text())
    assert "备考表" in notes and "哈希链完整" in notes and "均与记录一致" in notes


def test_a_changed_attachment_is_found_out(demo: Engine, tmp_path: Path) -> None:
    cid = case_id(demo, "装修噪音及施工时间纠纷")
    photo = tmp_path / "p.png"
    photo.write_bytes(png())
    item, _ = att.attach(demo, cid, photo, MEDIATOR)
    stored = att.store_dir(demo) / item.sha256[:2] / item.sha256[2:]
    stored.write_bytes(png(5, 5))  # someone swaps the stored photo
    report = check(demo, cid)
    assert report["chain_ok"] and not report["attachments_ok"] and not report["ok"]
    assert "已被改动" in report["attachments"][0]["problem_zh"]
    archive = zipfile.ZipFile(io.BytesIO(export_case(demo, cid)))
    assert not any("证据" in n for n in archive.namelist())  # the swapped file is not filed as evidence


# ---------------------------------------------------------------- CLI
@pytest.fixture
def cli(demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str, lang: str = "zh"):  # noqa: ANN202
        return runner.invoke(app, ["--db", demo_url, "--lang", lang, *args], env={"COLUMNS": "220"})
    return invoke


def test_cli_doc_lists_writes_and_records(cli, demo_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    with Engine.open(demo_url) as engine:
        cid = case_id(engine, "闲置厂房出租给幼儿园举办者")
    listed = cli("doc", str(cid))
    assert listed.exit_code == 0 and "resolution_notice" in listed.output and "决议公告" in listed.output
    assert "张贴公示" in listed.output
    out = tmp_path / "notice.docx"
    made = cli("doc", str(cid), "resolution_notice", "--format", "docx", "-o", str(out),
               "--as", "马书记", "--role", "secretary")
    assert made.exit_code == 0, made.output
    text = "".join(p.text for p in Document(str(out)).paragraphs)
    assert "决议公告" in text
    sha = hashlib.sha256(out.read_bytes()).hexdigest()
    assert sha[:16] in made.output and "已记入案件" in made.output
    with Engine.open(demo_url) as engine:
        last = engine.history(cid)[-1]
    assert last.kind == "document" and last.data["_document"]["sha256"] == sha and last.actor == "马书记"
    default = cli("doc", str(cid), "meeting_minutes:party_members_review")
    assert default.exit_code == 0, default.output
    assert default.exit_code == 0 and (tmp_path / f"{cid:04d}-会议记录（党员大会审议）.pdf").is_file()
    bad = cli("doc", str(cid), "results_notice", lang="en")
    assert bad.exit_code == 1 and "has no Notice of the result of implementation yet" in bad.output
    assert "Traceback" not in bad.output


def test_cli_attach_and_export(cli, demo_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    with Engine.open(demo_url) as engine:
        cid = case_id(engine, "楼上漏水殃及楼下，赔偿争议")
    photo = tmp_path / "漏水.png"
    photo.write_bytes(png())
    done = cli("case", "attach", str(cid), str(photo), "--note", "天花板", "--as", "刘德明", "--role", "mediator")
    assert done.exit_code == 0, done.output
    assert "已附加 漏水.png" in done.output
    listed = cli("case", "attachments", str(cid), "--json")
    assert json.loads(listed.stdout)[0]["sha256"] == hashlib.sha256(png()).hexdigest()
    (tmp_path / "note.txt").write_text("hello", encoding="utf-8")
    refused = cli("case", "attach", str(cid), str(tmp_path / "note.txt"), "--as", "刘德明", "--role", "mediator",
                  lang="en")
    assert refused.exit_code == 1 and "not a photo or a scan" in refused.output and "Traceback" not in refused.output
    exported = cli("case", "export", str(cid), "-o", str(tmp_path / "file.zip"))
    assert exported.exit_code == 0, exported.output
    assert "校验通过" in exported.output
    names = zipfile.ZipFile(tmp_path / "file.zip").namelist()
    assert any(n.endswith("调解笔录（第 2 次）.pdf") for n in names) and any("证据-漏水.png" in n for n in names)
