"""Render a document template to blocks, then the blocks to HTML, PDF (typst) or DOCX (docxtpl).

A kind's template (jinja2) writes *blocks*: one JSON object per line from the macros of
``_blocks.j2`` (title, number, h, p, fields, table, sign, right, note), and any other non-empty
line is a paragraph. The blocks are laid out by ``base.html.j2`` (HTML), ``base.typ.j2``
(typst → PDF with an embedded CJK font) and ``base.docx`` (docxtpl: the letterhead, page set-up
and footer an office can edit in WPS or Word; the body goes in as a sub-document). Every one of
these files can be overridden by a deployment's template folder.
"""

from __future__ import annotations

import functools
import io
import json
import os
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from yishi.documents.kinds import TEMPLATES, DocumentKind
from yishi.errors import YishiError

FORMATS = ("docx", "pdf", "html")
BLOCK_TYPES = {"title", "number", "h", "p", "fields", "table", "sign", "right", "note"}
SIGN_DATE = {"zh": "　　　　年　　月　　日", "en": "date: ____________"}

#: the CJK faces the PDF is set in: the pip package's, then Debian's fonts-noto-cjk
SERIF = ("Noto Serif SC", "Noto Serif CJK SC")
SANS = ("Noto Sans SC", "Noto Sans CJK SC")


class DocumentError(YishiError):
    """A document cannot be made: unknown kind, broken template, missing font or library."""


def template_env(kind: DocumentKind | None, override: Path | None, *, autoescape: bool) -> jinja2.Environment:
    """A jinja2 environment that looks in the deployment's folder first, then the kind's, then
    the built-in templates. Environments are kept, so templates compile once (an edited
    template file is read again: jinja2 checks its modification time)."""
    return _env(kind.template_dir if kind else None, override, autoescape)


@functools.lru_cache(maxsize=64)
def _env(kind_dir: Path | None, override: Path | None, autoescape: bool) -> jinja2.Environment:
    dirs = [d for d in (override, kind_dir, TEMPLATES) if d is not None]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([str(d) for d in dict.fromkeys(dirs)]),
                             autoescape=autoescape, undefined=jinja2.ChainableUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["typ"] = typst_string
    env.policies["json.dumps_kwargs"] = {"sort_keys": False, "ensure_ascii": False, "default": _plain}
    return env


def _plain(value: Any) -> str:
    """What a block holds for a value JSON cannot: a field not recorded is empty text."""
    return "" if isinstance(value, jinja2.Undefined) else str(value)


def blocks_of(kind: DocumentKind, context: Mapping[str, Any], override: Path | None) -> list[dict[str, Any]]:
    """Render the kind's template with ``context`` and read its blocks.

    Raises ``DocumentError`` naming the template (and line) when it is missing or broken.
    """
    env = template_env(kind, override, autoescape=False)
    try:
        text = env.get_template(kind.template).render(**context)
    except jinja2.TemplateNotFound as exc:
        raise DocumentError(f"template {exc.name!r} of document {kind.name!r} is missing "
                            f"(looked in {', '.join(str(p) for p in env.loader.searchpath)})",  # type: ignore[union-attr]
                            message_zh=f"文书“{kind.title.zh}”的模板 {exc.name!r} 不存在") from None
    except jinja2.TemplateSyntaxError as exc:
        raise DocumentError(f"template {exc.filename or exc.name}:{exc.lineno}: {exc.message}",
                            message_zh=f"模板 {exc.filename or exc.name} 第 {exc.lineno} 行有误：{exc.message}") from None
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        raise DocumentError(f"template {kind.template!r} of document {kind.name!r} failed: {exc}",
                            message_zh=f"文书“{kind.title.zh}”的模板 {kind.template!r} 出错：{exc}") from None
    out: list[dict[str, Any]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                block = json.loads(line)
            except ValueError:
                block = None
            if isinstance(block, dict) and block.get("t") in BLOCK_TYPES:
                out.append(block)
                continue
        out.append({"t": "p", "text": line, "indent": True})
    return out


# ---------------------------------------------------------------- HTML
def to_html(blocks: list[dict[str, Any]], *, title: str, org: str, lang: str, override: Path | None) -> bytes:
    env = template_env(None, override, autoescape=True)
    html = env.get_template("base.html.j2").render(blocks=blocks, doc_title=title, org=org, lang=lang,
                                                   sign_date=SIGN_DATE[lang])
    return html.encode("utf-8")


# ---------------------------------------------------------------- plain text (a preview in the TUI)
def to_text(blocks: list[dict[str, Any]], lang: str) -> str:
    """The document as plain text: what a terminal can preview."""
    sep = "：" if lang == "zh" else ": "
    lines: list[str] = []
    for b in blocks:
        t = b["t"]
        if t == "title":
            lines += [b["text"]] + ([b["sub"]] if b.get("sub") else []) + [""]
        elif t in ("number", "h"):
            lines.append(b["text"])
        elif t == "p":
            lines += [("　　" if b.get("indent", True) else "") + line for line in str(b["text"]).split("\n")]
        elif t == "fields":
            lines += [f"  {row[0]}{sep}{row[1]}" for row in b["rows"]]
        elif t == "table":
            lines.append("  " + " | ".join(str(h) for h in b["head"]))
            lines += ["  " + " | ".join(str(c) for c in row) for row in b["rows"]]
        elif t == "sign":
            lines += [""] + [f"  {slot[0]}________ {slot[1] if len(slot) > 1 else ''}" for slot in b["slots"]]
        elif t == "right":
            lines += [""] + [f"{line:>40}" for line in b["lines"]]
        elif t == "note":
            lines += ["", b["text"]]
    return "\n".join(lines)


# ---------------------------------------------------------------- PDF (typst)
def typst_string(value: Any) -> str:
    """``value`` as a typst string literal: no text typed into a case is read as markup."""
    text = "" if value is None else str(value)
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")
    return f'"{text}"'


def font_dirs() -> list[Path]:
    """Folders holding the CJK fonts the PDF needs: ``$YISHI_FONTS``, the ``pylopdf-fonts-zh-cn``
    package (installed with yishi), Debian's ``fonts-noto-cjk``."""
    found: list[Path] = []
    env = os.environ.get("YISHI_FONTS")
    if env:
        found.append(Path(env))
    try:
        import pylopdf_fonts_zh_cn

        found.append(Path(pylopdf_fonts_zh_cn.__file__).parent)
    except ImportError:
        pass
    found += [Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto")]
    return [d for d in found if d.is_dir() and any(
        f.name.startswith(("NotoSerifSC", "NotoSansSC", "NotoSerifCJK", "NotoSansCJK")) for f in d.iterdir())]


def missing_font_error() -> DocumentError:
    return DocumentError(
        "PDF needs a Chinese font and none was found: reinstall yishi (pip install -e . brings the "
        "'pylopdf-fonts-zh-cn' package with Noto Serif SC and Noto Sans SC), or run "
        "'apt-get install fonts-noto-cjk', or set YISHI_FONTS to a folder holding NotoSerifSC-Regular.otf",
        message_zh="生成 PDF 需要中文字体，但未找到：请重新安装 yishi（pip install -e . 会安装含思源宋体/黑体的 "
                   "pylopdf-fonts-zh-cn 包），或执行 apt-get install fonts-noto-cjk，或将 YISHI_FONTS "
                   "设为含 NotoSerifSC-Regular.otf 的文件夹")


def to_typst(blocks: list[dict[str, Any]], *, title: str, org: str, lang: str, override: Path | None) -> str:
    env = template_env(None, override, autoescape=False)
    return env.get_template("base.typ.j2").render(blocks=blocks, doc_title=title, org=org, lang=lang,
                                                  sign_date=SIGN_DATE[lang])


_TYPST_LOCK = threading.Lock()


@functools.lru_cache(maxsize=4)
def _compiler(fonts: tuple[str, ...]) -> Any:
    """One typst compiler per font set: it reads the (large) CJK fonts once, not per document."""
    import typst

    return typst.Compiler(b"", font_paths=list(fonts), ignore_system_fonts=True)


def to_pdf(blocks: list[dict[str, Any]], *, title: str, org: str, lang: str, override: Path | None,
           archival: bool = True, when: datetime | None = None) -> bytes:
    """PDF through typst with the CJK font embedded (subset); PDF/A-2b when ``archival``.

    Raises ``DocumentError`` when the typst package or the font is missing.
    """
    try:
        import typst
    except ImportError:
        raise DocumentError("PDF needs the 'typst' package: pip install -e . (or pip install typst)",
                            message_zh="生成 PDF 需要 typst 包：请执行 pip install -e .（或 pip install typst）") from None
    fonts = font_dirs()
    if not fonts:
        raise missing_font_error()
    source = to_typst(blocks, title=title, org=org, lang=lang, override=override)
    kwargs: dict[str, Any] = {"pdf_standards": "a-2b"} if archival else {}
    if when is not None:
        kwargs["timestamp"] = when.replace(microsecond=0)  # the engine's clock, not the wall's: a simulation prints its own date
    try:
        with _TYPST_LOCK:
            compiler = _compiler(tuple(str(d) for d in fonts))
            return bytes(compiler.compile(input=source.encode("utf-8"), format="pdf", **kwargs))
    except Exception as exc:  # typst reports layout errors as TypstError (a RuntimeError) with its text
        raise DocumentError(f"the PDF layout (base.typ.j2) failed: {exc}",
                            message_zh=f"PDF 排版（base.typ.j2）失败：{exc}") from None


# ---------------------------------------------------------------- DOCX (docxtpl)
def to_docx(blocks: list[dict[str, Any]], *, title: str, org: str, lang: str, override: Path | None,
            footer: str = "") -> bytes:
    """DOCX from ``base.docx`` (docxtpl): ``{{ org }}``, ``{{ doc_title }}`` and ``{{ footer }}``
    in the letterhead and footer, ``{{p body }}`` where the blocks go."""
    try:
        from docxtpl import DocxTemplate
    except ImportError:
        raise DocumentError("DOCX needs the 'docxtpl' package: pip install -e .",
                            message_zh="生成 DOCX 需要 docxtpl 包：请执行 pip install -e .") from None
    base = override / "base.docx" if override is not None and (override / "base.docx").is_file() \
        else TEMPLATES / "base.docx"
    tpl = DocxTemplate(str(base))
    body = tpl.new_subdoc()
    _docx_blocks(body, blocks, lang)
    tpl.render({"org": org, "doc_title": title, "footer": footer, "body": body}, autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


_SERIF_DOCX = "仿宋"
_SANS_DOCX = "黑体"


def _run(par: Any, text: str, *, size: float = 16, font: str = _SERIF_DOCX, bold: bool = False) -> Any:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run = par.add_run(text)
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = "Times New Roman"
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), font)
    return run


def _par(doc: Any, text: str = "", *, align: str = "left", indent: bool = False, size: float = 16,
         font: str = _SERIF_DOCX, bold: bool = False, space_after: float = 0) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    par = doc.add_paragraph()
    par.alignment = {"left": WD_ALIGN_PARAGRAPH.JUSTIFY, "center": WD_ALIGN_PARAGRAPH.CENTER,
                     "right": WD_ALIGN_PARAGRAPH.RIGHT}[align]
    fmt = par.paragraph_format
    fmt.space_after = Pt(space_after)
    fmt.line_spacing = Pt(28) if size >= 14 else None
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if text:
        _run(par, text, size=size, font=font, bold=bold)
    return par


def _table(doc: Any, rows: Sequence[Sequence[Any]], *, head: Sequence[Any] | None = None,
           widths: Sequence[float] | None = None, shade_first_col: bool = False) -> None:
    from docx.shared import Cm

    cols = len(head) if head else max((len(r) for r in rows), default=1)
    table = doc.add_table(rows=0, cols=cols)
    table.style = "Table Grid"
    all_rows = ([list(head)] if head else []) + [list(r) for r in rows]
    for i, row in enumerate(all_rows):
        cells = table.add_row().cells
        for j in range(cols):
            cells[j].text = ""
            par = cells[j].paragraphs[0]
            bold_col = (head is not None and i == 0) or (shade_first_col and j == 0)
            _run(par, str(row[j]) if j < len(row) and row[j] is not None else "", size=12,
                 font=_SANS_DOCX if bold_col else _SERIF_DOCX)
    total = 15.5
    fractions = list(widths) if widths else ([3, 7] if shade_first_col and cols == 2 else [1] * cols)
    for j, col in enumerate(table.columns):
        for cell in col.cells:
            cell.width = Cm(total * fractions[j] / sum(fractions))


def _docx_blocks(doc: Any, blocks: list[dict[str, Any]], lang: str) -> None:
    for b in blocks:
        t = b["t"]
        if t == "title":
            _par(doc, b["text"], align="center", size=22, font=_SANS_DOCX, space_after=6)
            if b.get("sub"):
                _par(doc, b["sub"], align="center", size=16)
        elif t == "number":
            _par(doc, b["text"], align="center", size=14, space_after=6)
        elif t == "h":
            _par(doc, b["text"], size=16, font=_SANS_DOCX)
        elif t == "p":
            for line in str(b["text"]).split("\n"):
                _par(doc, line, indent=b.get("indent", True))
        elif t == "fields":
            _table(doc, b["rows"], shade_first_col=True)
        elif t == "table":
            _table(doc, b["rows"], head=b["head"], widths=b.get("widths"))
        elif t == "sign":
            _par(doc, "")
            for slot in b["slots"]:
                par = _par(doc, "", size=14)
                _run(par, f"{slot[0]}________________", size=14)
                if len(slot) > 1 and slot[1]:
                    _run(par, f"（{slot[1]}）", size=11)
                _run(par, "    " + (slot[2] if len(slot) > 2 and slot[2] else SIGN_DATE[lang]), size=14)
        elif t == "right":
            _par(doc, "")
            for line in b["lines"]:
                _par(doc, line, align="right")
        elif t == "note":
            _par(doc, "")
            _par(doc, b["text"], size=9)


def write_base_docx(path: Path) -> None:
    """(Re)create the built-in ``base.docx``: A4 after GB/T 9704, ``{{ org }}`` in the header,
    the body placeholder, and the record note in the footer. Offices edit their copy in Word/WPS."""
    from docx import Document
    from docx.shared import Mm

    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    header = section.header.paragraphs[0]
    _run(header, "{{ org }}", size=10)
    doc.add_paragraph("{{p body }}")
    footer = section.footer.paragraphs[0]
    _run(footer, "{{ footer }}", size=8)
    doc.core_properties.title = "{{ doc_title }}"
    doc.save(str(path))


__all__ = ["FORMATS", "DocumentError", "blocks_of", "font_dirs", "to_docx", "to_html", "to_pdf",
           "to_text", "to_typst", "typst_string", "write_base_docx"]
