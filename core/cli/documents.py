"""``yishi doc``, ``yishi case export`` and ``yishi case attach``: paper from the record."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from yishi.cli.context import actor_of, session
from yishi.cli.output import console, emit_json, local

if TYPE_CHECKING:  # loaded when a command runs, not with ``import yishi.cli``
    from yishi.engine.types import Actor

MESSAGES: dict[str, dict[str, str]] = {
    "written": {"zh": "已生成 {path}（{format}，sha256 {sha}）", "en": "wrote {path} ({format}, sha256 {sha})"},
    "recorded": {"zh": "已记入案件 #{case} 第 {seq} 条记录（{issued}）：何时、由谁出具、文件哈希均可查证。",
                 "en": "recorded as event {seq} of case #{case} ({issued}): when, by whom and the file's hash."},
    "posted": {"zh": "张贴公示", "en": "posted"},
    "signed": {"zh": "签署", "en": "signed"},
    "none": {"zh": "案件 #{case} 暂无可生成的文书。", "en": "case #{case} has no documents yet."},
    "exported": {"zh": "已导出卷宗 {path}：{docs} 份文书、{files} 件证据、事件记录和校验结果（{verdict}）。",
                 "en": "wrote the case file {path}: {docs} documents, {files} attachments, the event log and "
                       "the verification ({verdict})."},
    "ok": {"zh": "校验通过", "en": "verified"},
    "broken": {"zh": "校验未通过，见 91-校验结果.json", "en": "verification FAILED: see the verification file"},
    "attached": {"zh": "已附加 {name}（{size}，sha256 {sha}），记入案件 #{case} 第 {seq} 条记录。",
                 "en": "attached {name} ({size}, sha256 {sha}) as event {seq} of case #{case}."},
    "no_attachments": {"zh": "案件 #{case} 没有附件。", "en": "case #{case} has no attachments."},
}


def _t(key: str, lang: str, **values: object) -> str:
    return MESSAGES[key]["zh" if lang == "zh" else "en"].format(**values)


class Format(StrEnum):
    docx = "docx"
    pdf = "pdf"
    html = "html"


CaseId = Annotated[int, typer.Argument(metavar="CASE", help="The case number.")]
Output = Annotated[Path | None, typer.Option("-o", "--output", metavar="FILE",
                                             help="Where to write it ('-' for standard output); "
                                                  "default: a file named after the document here.")]
As = Annotated[str | None, typer.Option("--as", metavar="NAME",
                                        help="Who issues or files it (default: the config file's name).")]
Roles = Annotated[list[str] | None, typer.Option("--role", metavar="ROLE",
                                                 help="A role they act in; repeat (default: the config file's).")]


def _actor(name: str | None, roles: list[str] | None) -> Actor:
    from yishi.config import load_config

    cfg = load_config()
    return actor_of(name or cfg.name or os.environ.get("USER", ""), roles or list(cfg.roles))


def _write(content: bytes, output: Path | None, default: str) -> str:
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        return "-"
    target = output or Path(default)
    target.write_bytes(content)
    return str(target)


def doc(ctx: typer.Context, case_id: CaseId,
        kind: Annotated[str | None, typer.Argument(
            metavar="KIND", help="The document (e.g. resolution_notice, mediation_record:2); "
                                 "without it, the case's documents are listed.")] = None,
        fmt: Annotated[Format, typer.Option("--format", "-f", help="docx (to edit and print), pdf "
                                            "(archive, PDF/A) or html (preview).")] = Format.pdf,
        output: Output = None, name: As = None, roles: Roles = None,
        as_json: Annotated[bool, typer.Option("--json", help="List as JSON.")] = False) -> None:
    """Produce a document of a case from its record: notices, minutes, forms, agreements.

    A notice that is posted or an agreement that is signed, produced as DOCX or PDF, is recorded
    in the case's hash chain with the file's sha256.
    """
    from yishi.documents import documents_for, issue

    s = session(ctx)
    engine = s.engine(ctx)
    if kind is None:
        refs = documents_for(engine, case_id, lang=s.lang)
        if as_json:
            emit_json([{"id": r.id, "kind": r.kind.name, "item": r.key, "title": r.title.model_dump(),
                        "state": r.state, "issued": r.kind.issued} for r in refs])
            return
        if not refs:
            console().print(_t("none", s.lang, case=case_id))
        for r in refs:
            mark = f"  [{_t(r.kind.issued, s.lang)}]" if r.kind.issued else ""
            console().print(f"{r.id:<40} {r.title.get(s.lang)}{mark}", soft_wrap=True)
        return
    produced = issue(engine, case_id, kind, fmt.value, _actor(name, roles), lang=s.lang)
    where = _write(produced.content, output, produced.filename)
    if where == "-":
        return
    err = console(stderr=True)
    err.print(_t("written", s.lang, path=where, format=fmt.value, sha=produced.sha256[:16]), soft_wrap=True)
    if produced.event is not None:
        err.print(_t("recorded", s.lang, case=case_id, seq=produced.event.seq,
                     issued=_t(produced.ref.kind.issued or "posted", s.lang)), soft_wrap=True)


def export(ctx: typer.Context, case_id: Annotated[int, typer.Argument(metavar="ID", help="The case number.")],
           output: Output = None) -> None:
    """Write the case file (卷宗) as one zip: every document (PDF), the attachments, the event log
    (CSV and JSON) and the verification, in archive order. Exit 1 if the verification fails."""
    from yishi.documents.attachments import attachments
    from yishi.documents.casefile import check, export_case
    from yishi.documents.service import documents_for

    s = session(ctx)
    engine = s.engine(ctx)
    content = export_case(engine, case_id, lang=s.lang)
    where = _write(content, output, f"{'卷宗' if s.lang == 'zh' else 'case'}-{case_id:04d}.zip")
    ok = check(engine, case_id)["ok"]
    if where != "-":
        console(stderr=True).print(_t("exported", s.lang, path=where, docs=len(documents_for(engine, case_id)),
                                      files=len(attachments(engine, case_id)),
                                      verdict=_t("ok" if ok else "broken", s.lang)), soft_wrap=True)
    if not ok:
        raise typer.Exit(1)


def attach(ctx: typer.Context, case_id: Annotated[int, typer.Argument(metavar="ID", help="The case number.")],
           file: Annotated[Path, typer.Argument(metavar="FILE", help="A photo or a scan (JPEG, PNG, GIF, "
                                                "WEBP, HEIC, PDF, TIFF).")],
           note: Annotated[str, typer.Option("--note", metavar="TEXT", help="What it shows.")] = "",
           name: As = None, roles: Roles = None) -> None:
    """Attach evidence to a case: stored by its sha256, which joins the case's hash chain."""
    from yishi.documents.attachments import attach as do_attach

    s = session(ctx)
    engine = s.engine(ctx)
    item, event = do_attach(engine, case_id, file, _actor(name, roles), note=note)
    size = f"{item.size / 1024:.0f} KB" if item.size < 1048576 else f"{item.size / 1048576:.1f} MB"
    console().print(_t("attached", s.lang, name=item.name, size=size, sha=item.sha256[:16], case=case_id,
                       seq=event.seq), soft_wrap=True)


def attachments_(ctx: typer.Context, case_id: Annotated[int, typer.Argument(metavar="ID")],
                 as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """A case's attachments: name, type, size, sha256, who filed them and when."""
    from yishi.documents.attachments import attachments

    s = session(ctx)
    items = attachments(s.engine(ctx), case_id)
    if as_json:
        emit_json([{"name": i.name, "media_type": i.media_type, "size": i.size, "sha256": i.sha256,
                    "note": i.note, "seq": i.seq, "actor": i.actor, "at": i.at.isoformat()} for i in items])
        return
    if not items:
        console().print(_t("no_attachments", s.lang, case=case_id))
    for i in items:
        console().print(f"{i.seq:>3}  {local(i.at, s.lang)}  {i.actor}  {i.name}  {i.media_type}  "
                        f"{i.size} B  {i.sha256[:16]}  {i.note}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command(name="doc")(doc)


def case_commands(cases: typer.Typer) -> None:
    """``yishi case export|attach|attachments`` (called by ``yishi.cli.cases``)."""
    cases.command(name="export")(export)
    cases.command(name="attach")(attach)
    cases.command(name="attachments")(attachments_)
