"""The case file (卷宗): one zip with every document, the evidence, the event log and the
verification, in the order an archive clerk files them (art. 27 of the People's Mediation
Law: one file per case).

```
卷宗-0007-装修噪音及施工时间纠纷/
  00-卷内目录.pdf            table of contents: number, title, date, sha256 of each file
  01-人民调解受理登记表.pdf   the documents, in the procedure's order (PDF/A)
  02-调解笔录（第 1 次）.pdf
  …
  05-证据-现场照片.jpg        the attachments, in the order filed (checked against their sha256)
  90-事件记录.csv / .json    every event of the hash chain
  91-校验结果.json           the chain and attachment check
  99-备考表.pdf              notes for the file: made by whom, when, what was checked
```
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from datetime import datetime
from typing import TYPE_CHECKING, Any

from yishi.documents import attachments as att
from yishi.documents.context import zh_date
from yishi.documents.layout import to_pdf
from yishi.documents.service import Settings, documents_for, render

if TYPE_CHECKING:
    from yishi.engine.engine import Engine

_EXT = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
        "image/heic": "heic", "image/tiff": "tif", "application/pdf": "pdf"}


def _safe(text: str, limit: int = 40) -> str:
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", text).strip(" ._")
    return cleaned[:limit] or "_"


def event_rows(engine: Engine, case_id: int) -> list[dict[str, Any]]:
    """Every event of the case as plain JSON values (UTC times, verdicts as dicts)."""
    rows = []
    for e in engine.history(case_id):
        rows.append({"seq": e.seq, "at": e.at.isoformat(), "local_time": e.at.astimezone(engine.tz).isoformat(),
                     "kind": e.kind, "actor": e.actor, "role": e.role, "trigger": e.trigger,
                     "source": e.source, "dest": e.dest, "data": e.data,
                     "verdicts": [v.as_dict() for v in e.verdicts], "prev_hash": e.prev_hash, "hash": e.hash})
    return rows


def check(engine: Engine, case_id: int) -> dict[str, Any]:
    """The verification filed with the case: its hash chain, and each attachment against its sha256."""
    report = engine.verify(case_id)
    files = []
    for item in att.attachments(engine, case_id):
        try:
            att.read(engine, item)
            files.append({"name": item.name, "seq": item.seq, "sha256": item.sha256, "ok": True})
        except att.AttachmentError as exc:
            files.append({"name": item.name, "seq": item.seq, "sha256": item.sha256, "ok": False,
                          "problem": exc.message, "problem_zh": exc.message_zh})
    return {"case": case_id, "checked_at": engine.now().isoformat(),
            "chain_ok": report.ok, "events": report.events,
            "broken": [{"seq": b.seq, "what": b.what, "what_zh": b.what_zh} for b in report.broken],
            "attachments_ok": all(f["ok"] for f in files), "attachments": files,
            "ok": report.ok and all(f["ok"] for f in files)}


def export_case(engine: Engine, case_id: int, *, lang: str = "zh", settings: Settings | None = None) -> bytes:
    """The case file of ``case_id`` as zip bytes (layout in the module docstring).

    A missing or altered attachment does not stop the export: the verification says so and
    the file is left out. Raises ``NotFoundError`` for an unknown case and ``DocumentError``
    when PDFs cannot be made (no CJK font).
    """
    settings = settings or Settings.load()
    case = engine.case(case_id)
    root = f"卷宗-{case.id:04d}-{_safe(case.subject)}" if lang == "zh" else f"case-{case.id:04d}"
    entries: list[tuple[str, bytes, str, str]] = []  # (file name, content, title, date)
    n = 1
    history = engine.history(case.id)
    for ref in documents_for(engine, case, lang=lang):
        produced = render(engine, case.id, ref.id, "pdf", lang=lang, settings=settings)
        reached = [e.at for e in history if e.dest == ref.state and e.source != ref.state]
        entries.append((f"{n:02d}-{_safe(ref.title.get(lang), 60)}.pdf", produced.content,
                        ref.title.get(lang), zh_date(reached[0].astimezone(engine.tz), lang) if reached else ""))
        n += 1
    documents = len(entries)
    evidence_label = "证据" if lang == "zh" else "evidence"
    for item in att.attachments(engine, case.id):
        try:
            content = att.read(engine, item)
        except att.AttachmentError:
            continue  # reported in the verification
        stem = _safe(item.name.rsplit(".", 1)[0])
        entries.append((f"{n:02d}-{evidence_label}-{stem}.{_EXT.get(item.media_type, 'bin')}", content,
                        f"{evidence_label}：{item.name}" + (f"（{item.note}）" if item.note else ""),
                        zh_date(item.at.astimezone(engine.tz), lang)))
        n += 1
    rows = event_rows(engine, case.id)
    log_json = json.dumps(rows, ensure_ascii=False, indent=2).encode("utf-8")
    buf = io.StringIO()
    writer = csv.writer(buf)
    fields = ["seq", "at", "local_time", "kind", "actor", "role", "trigger", "source", "dest", "data",
              "verdicts", "prev_hash", "hash"]
    writer.writerow(fields)
    for row in rows:
        writer.writerow([json.dumps(row[f], ensure_ascii=False) if f in ("data", "verdicts") else
                         ("" if row[f] is None else row[f]) for f in fields])
    log_csv = ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel and WPS read it as UTF-8
    verified = check(engine, case.id)
    verify_json = json.dumps(verified, ensure_ascii=False, indent=2).encode("utf-8")
    names = ("事件记录", "校验结果", "卷内目录", "备考表") if lang == "zh" else \
        ("event-log", "verification", "contents", "notes")
    records = [(f"90-{names[0]}.csv", log_csv, "事件记录（CSV）" if lang == "zh" else "event log (CSV)"),
               (f"90-{names[0]}.json", log_json, "事件记录（JSON）" if lang == "zh" else "event log (JSON)"),
               (f"91-{names[1]}.json", verify_json, "校验结果" if lang == "zh" else "verification")]
    _ = (lambda zh, en: zh if lang == "zh" else en)
    toc_rows = [[i + 1, title, name, date, hashlib.sha256(content).hexdigest()[:16]]
                for i, (name, content, title, date) in enumerate(entries)]
    toc_rows += [[len(toc_rows) + i + 1, title, name, "", hashlib.sha256(content).hexdigest()[:16]]
                 for i, (name, content, title) in enumerate(records)]
    head = f"{case.id:04d} · {case.subject}"
    toc = to_pdf([{"t": "title", "text": _("卷内目录", "Contents of the case file"), "sub": head},
                  {"t": "table", "head": [_("序号", "#"), _("题名", "title"), _("文件", "file"), _("日期", "date"),
                                          "sha256"], "rows": toc_rows, "widths": [1, 5, 5, 3, 3]}],
                 title=_("卷内目录", "Contents"), org="", lang=lang, override=settings.templates,
                 when=engine.now())
    chain = _("完整", "intact") if verified["chain_ok"] else _("断裂", "BROKEN")
    files_ok = _("均与记录一致", "all match the record") if verified["attachments_ok"] else \
        _("有缺失或被改动，见校验结果", "some are missing or changed: see the verification")
    wf = engine.definition_of(case)
    notes = to_pdf([
        {"t": "title", "text": _("备考表", "Notes on the file"), "sub": head},
        {"t": "fields", "rows": [
            [_("流程", "procedure"), wf.title.get(lang)],
            [_("立卷时间", "filed"), zh_date(engine.now().astimezone(engine.tz), lang, time=True)],
            [_("文书", "documents"), _(f"{documents} 份", str(documents))],
            [_("记录", "events"), _(f"共 {verified['events']} 条，哈希链{chain}", f"{verified['events']}, chain {chain}")],
            [_("证据材料", "evidence"), _(f"{len(verified['attachments'])} 件，{files_ok}",
                                          f"{len(verified['attachments'])}, {files_ok}")],
            [_("末条记录哈希", "last hash"), case.last_hash],
        ]},
    ], title=_("备考表", "Notes"), org="", lang=lang, override=settings.templates, when=engine.now())
    out = io.BytesIO()
    stamp = _zip_time(engine.now().astimezone(engine.tz))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        def put(name: str, content: bytes) -> None:
            info = zipfile.ZipInfo(f"{root}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.flag_bits |= 0x800  # UTF-8 file names
            zf.writestr(info, content)
        put(f"00-{names[2]}.pdf", toc)
        for name, content, _title, _date in entries:
            put(name, content)
        for name, content, _title in records:
            put(name, content)
        put(f"99-{names[3]}.pdf", notes)
    return out.getvalue()


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    return (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, moment.second)


__all__ = ["check", "event_rows", "export_case"]
