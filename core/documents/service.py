"""Which documents a case has, and producing them (recording the posted and signed ones)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yishi.definition.models import Text
from yishi.documents.context import build_context, items_of
from yishi.documents.kinds import DocumentKind
from yishi.documents.layout import FORMATS, DocumentError, blocks_of, to_docx, to_html, to_pdf
from yishi.engine.types import SYSTEM, Actor, Case, Event, Verdict
from yishi.errors import NotFoundError, RefusedError

if TYPE_CHECKING:
    from yishi.engine.engine import Engine

MEDIA_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "pdf": "application/pdf", "html": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class DocumentRef:
    """One document a case can produce: a kind, and the meeting or session it is for."""

    kind: DocumentKind
    key: str | None
    title: Text
    state: str

    @property
    def id(self) -> str:
        return f"{self.kind.name}:{self.key}" if self.key else self.kind.name


@dataclass(frozen=True)
class Produced:
    """A rendered document: its bytes, a file name, its sha256, and the event if it was recorded."""

    ref: DocumentRef
    format: str
    content: bytes
    filename: str
    sha256: str
    event: Event | None = None


@dataclass(frozen=True)
class Settings:
    """A deployment's document settings: its template folder and the issuing body's name."""

    templates: Path | None = None
    org: str | None = None
    out: Path | None = None  # where the TUI writes documents

    @classmethod
    def load(cls) -> Settings:
        """``$YISHI_TEMPLATES`` / ``$YISHI_ORG``, else ``[documents] templates`` / ``org`` in the
        config file. Raises ``DocumentError`` when the template folder does not exist."""
        from yishi.config import load_config

        section = load_config().documents
        folder = os.environ.get("YISHI_TEMPLATES") or section.get("templates")
        org = os.environ.get("YISHI_ORG") or section.get("org")
        out = os.environ.get("YISHI_DOCS_DIR") or section.get("out")
        path = Path(str(folder)).expanduser() if folder else None
        if path is not None and not path.is_dir():
            raise DocumentError(f"the template folder {path} does not exist (set by $YISHI_TEMPLATES or "
                                "[documents] templates in the config file)",
                                message_zh=f"模板文件夹 {path} 不存在（由 $YISHI_TEMPLATES 或配置文件 [documents] templates 指定）")
        return cls(templates=path, org=str(org) if org else None,
                   out=Path(str(out)).expanduser() if out else None)

    def out_dir(self) -> Path:
        """Where documents are written when no file is named: ``$YISHI_DOCS_DIR``, else
        ``[documents] out``, else ``yishi`` in the user's documents folder."""
        if self.out is not None:
            return self.out
        from platformdirs import user_documents_path

        return user_documents_path() / "yishi"


def _reached(case: Case, events: list[Event], state: str) -> bool:
    return case.state == state or state in case.data or any(e.dest == state for e in events)


def documents_for(engine: Engine, case: Case | int, *, lang: str = "zh") -> list[DocumentRef]:
    """The documents of the case, in the procedure's order: those its workflow lists for the
    states it has reached, one per meeting or session for kinds made per item."""
    case = engine.case(case) if isinstance(case, int) else case
    events = engine.history(case.id)
    kinds = engine.registry.documents
    refs: list[DocumentRef] = []
    context: dict[str, Any] | None = None
    for state_name, names in document_map(engine, case).items():
        for name in names:
            kind = kinds.get(name)
            if kind is None or not _reached(case, events, state_name):
                continue
            if kind.items is None:
                refs.append(DocumentRef(kind, None, kind.title, state_name))
                continue
            if context is None:
                context = _context(engine, case, events, lang, Settings())
            for item in items_of(context, kind.items):
                if item.get("state", state_name) != state_name:
                    continue  # a meeting's minutes belong to the meeting's own state
                label = item.get("title") or (f"第 {item['key']} 次" if lang == "zh" else f"no. {item['key']}")
                title = Text(zh=f"{kind.title.zh}（{item.get('title') or '第 %s 次' % item['key']}）",
                             en=f"{kind.title.en} ({label})")
                refs.append(DocumentRef(kind, str(item["key"]), title, state_name))
    return refs


def document_map(engine: Engine, case: Case) -> dict[str, list[str]]:
    """State → documents, from the definition the case is pinned to; a case pinned to a
    definition from before documents existed takes the newest definition's list (documents
    are paper about the record, not rules of the procedure)."""
    wf = engine.definition_of(case)
    found = {name: list(state.documents) for name, state in wf.states.items() if state.documents}
    if not found:
        try:
            newest = engine.workflow(wf.id).workflow
        except NotFoundError:
            return {}
        found = {name: list(state.documents) for name, state in newest.states.items()
                 if state.documents and name in wf.states}
    return found


def find(engine: Engine, case: Case, doc_id: str, lang: str) -> DocumentRef:
    """The document ``doc_id`` (``kind`` or ``kind:key``) of the case.

    Raises ``NotFoundError`` naming the documents it does have.
    """
    refs = documents_for(engine, case, lang=lang)
    for ref in refs:
        if ref.id == doc_id or (ref.kind.name == doc_id and ref.key is not None
                                and sum(r.kind.name == doc_id for r in refs) == 1):
            return ref
    have = ", ".join(r.id for r in refs) or ("none yet" if lang != "zh" else "暂无")
    kind = engine.registry.documents.get(doc_id.split(":")[0])
    if kind is not None and doc_id.split(":")[0] in {n for names in document_map(engine, case).values()
                                                      for n in names}:
        if ":" not in doc_id and kind.items:
            raise NotFoundError(f"case #{case.id} has several {kind.title.en}: name one of {have}",
                                message_zh=f"案件 #{case.id} 有多份“{kind.title.zh}”，请指明：{have}")
        raise NotFoundError(f"case #{case.id} has no {kind.title.en} yet (it has: {have})",
                            message_zh=f"案件 #{case.id} 尚不能生成“{kind.title.zh}”（可生成：{have}）")
    raise NotFoundError(f"case #{case.id} has no document {doc_id!r}; its documents: {have}",
                        message_zh=f"案件 #{case.id} 没有文书 {doc_id!r}；可生成：{have}")


def _context(engine: Engine, case: Case, events: list[Event], lang: str, settings: Settings) -> dict[str, Any]:
    compiled = engine._compiled(case)
    return build_context(case, compiled.workflow, events, params=compiled.params, tz=engine.tz,
                         lang=lang, now=engine.now(), org=settings.org)


def preview(engine: Engine, case_id: int, doc_id: str, *, lang: str = "zh",
            settings: Settings | None = None) -> str:
    """The document as plain text (for a terminal). Raises like ``render``."""
    from yishi.documents.layout import to_text

    settings = settings or Settings.load()
    case = engine.case(case_id)
    ref = find(engine, case, doc_id, lang)
    context = _context(engine, case, engine.history(case.id), lang, settings)
    if ref.key is not None:
        context["item"] = next(i for i in items_of(context, ref.kind.items) if str(i["key"]) == ref.key)
    return to_text(blocks_of(ref.kind, context, settings.templates), lang)


def render(engine: Engine, case_id: int, doc_id: str, fmt: str = "pdf", *, lang: str = "zh",
           settings: Settings | None = None) -> Produced:
    """Render one document of the case as ``docx``, ``pdf`` or ``html``; nothing is recorded.

    Raises ``NotFoundError`` (no such case or document) or ``DocumentError`` (a bad format, a
    broken template, a missing font or library).
    """
    if fmt not in FORMATS:
        raise DocumentError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}",
                            message_zh=f"不支持的格式 {fmt!r}；可用：{'、'.join(FORMATS)}")
    settings = settings or Settings.load()
    case = engine.case(case_id)
    ref = find(engine, case, doc_id, lang)
    events = engine.history(case.id)
    context = _context(engine, case, events, lang, settings)
    if ref.key is not None:
        context["item"] = next(i for i in items_of(context, ref.kind.items) if str(i["key"]) == ref.key)
    blocks = blocks_of(ref.kind, context, settings.templates)
    title = ref.title.get(lang)
    org = context["org"]
    if fmt == "html":
        content = to_html(blocks, title=title, org=org, lang=lang, override=settings.templates)
    elif fmt == "pdf":
        content = to_pdf(blocks, title=title, org=org, lang=lang, override=settings.templates, when=engine.now())
    else:
        footer = (f"案件 #{case.id} · {title} · 记录第 {context['record']['seq']} 条" if lang == "zh"
                  else f"case #{case.id} · {title} · event {context['record']['seq']}")
        content = to_docx(blocks, title=title, org=org, lang=lang, override=settings.templates, footer=footer)
    name = f"{case.id:04d}-{ref.title.zh if lang == 'zh' else ref.id}.{fmt}".replace("/", "_").replace(":", "-")
    return Produced(ref, fmt, content, name, hashlib.sha256(content).hexdigest())


def issue(engine: Engine, case_id: int, doc_id: str, fmt: str, actor: Actor, *, lang: str = "zh",
          settings: Settings | None = None) -> Produced:
    """Render a document for use; a posted or signed one produced as DOCX or PDF is recorded
    in the case's hash chain (a ``document`` event with its sha256, format and title).

    Raises what ``render`` raises, and ``RefusedError`` when the actor holds no role of the
    case's procedure (only they may post or sign its documents).
    """
    produced = render(engine, case_id, doc_id, fmt, lang=lang, settings=settings)
    if produced.ref.kind.issued is None or fmt == "html":
        return produced
    case = engine.case(case_id)
    wf = engine.definition_of(case)
    if actor is not SYSTEM and not (actor.roles & set(wf.roles)):
        names = "、".join(r.title.zh for r in wf.roles.values())
        verdict = Verdict("role", False, f"只有本流程的角色（{names}）可以出具此文书",
                          f"only a role of this procedure may issue this document "
                          f"({', '.join(r.title.en for r in wf.roles.values())})")
        raise RefusedError(verdict.reason_en, message_zh=verdict.reason_zh, verdicts=[verdict])
    event = engine.note(case_id, actor, "document", {"_document": {
        "kind": produced.ref.kind.name, "item": produced.ref.key, "title": produced.ref.title.zh,
        "issued": produced.ref.kind.issued, "format": fmt, "sha256": produced.sha256,
        "bytes": len(produced.content), "lang": lang}})
    return Produced(produced.ref, fmt, produced.content, produced.filename, produced.sha256, event)


__all__ = ["MEDIA_TYPES", "DocumentRef", "Produced", "Settings", "documents_for", "find", "issue", "preview",
           "render"]
