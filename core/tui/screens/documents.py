"""A case's documents (notices, minutes, forms, agreements): preview one, produce it as PDF,
DOCX or HTML. Posted and signed documents are recorded in the case's chain by the engine."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from yishi.documents.service import DocumentRef, Produced

STRINGS: dict[str, tuple[str, str]] = {
    "title": ("文书 · #{id} {subject}", "Documents · #{id} {subject}"),
    "none": ("本案件暂无可生成的文书。", "This case has no documents yet."),
    "posted": ("张贴公示", "posted"),
    "signed": ("签署", "signed"),
    "working": ("正在生成…", "making it…"),
    "written": ("已生成 {path}\nsha256 {sha}", "wrote {path}\nsha256 {sha}"),
    "recorded": ("已记入案件第 {seq} 条记录（{issued}）。", "recorded as event {seq} ({issued})."),
    "close": ("关闭", "close"),
    "hint": ("↑↓ 选择文书；p 生成 PDF，d 生成 DOCX，h 生成 HTML；a 附加证据（照片、扫描件）",
             "↑↓ pick; p PDF, d DOCX, h HTML; a attach evidence (a photo or scan)"),
    "attach_prompt": ("证据文件路径（回车附加，Esc 取消）", "path of the evidence file (enter attaches, escape cancels)"),
    "attached": ("已附加 {name}（sha256 {sha}），记入案件第 {seq} 条记录。", "attached {name} (sha256 {sha}) as event {seq}."),
}


def _t(key: str, lang: str, **values: Any) -> str:
    zh, en = STRINGS[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


class DocumentsDialog(ModalScreen[None]):
    """The documents of case ``case_id``: a list, a plain-text preview, and buttons to produce them."""

    BINDINGS = [
        Binding("escape", "close", "close", id="close"),
        Binding("p", "produce('pdf')", "PDF", id="doc_pdf"),
        Binding("d", "produce('docx')", "DOCX", id="doc_docx"),
        Binding("h", "produce('html')", "HTML", id="doc_html"),
        Binding("a", "attach", "attach", id="doc_attach"),
    ]

    def __init__(self, case_id: int, subject: str) -> None:
        super().__init__(classes="dialog documents")
        self.case_id = case_id
        self.subject = subject
        self.refs: list[DocumentRef] = []

    @property
    def lang(self) -> str:
        return str(getattr(self.app, "lang", "zh"))

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="documents-box"):
            yield Label(Text(_t("title", self.lang, id=self.case_id, subject=self.subject), style="bold"),
                        classes="dialog-title")
            yield OptionList(id="documents")
            with VerticalScroll(classes="dialog-body", id="document-preview-scroll"):
                yield Static(id="document-preview")
            yield Input(placeholder=_t("attach_prompt", self.lang), id="attach-path")
            yield Static(_t("hint", self.lang), id="document-status", classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button("PDF (p)", id="make-pdf", compact=True)
                yield Button("DOCX (d)", id="make-docx", compact=True)
                yield Button("HTML (h)", id="make-html", compact=True)
                yield Button(_t("close", self.lang), variant="primary", id="close", compact=True)

    def on_mount(self) -> None:
        self.query_one("#attach-path", Input).display = False
        self.load()

    @work(thread=True, exclusive=True, group="documents")
    def load(self) -> None:
        from yishi.documents.service import documents_for
        from yishi.errors import YishiError

        engine = self.app.engine  # type: ignore[attr-defined]
        try:
            refs = documents_for(engine, self.case_id, lang=self.lang)
        except YishiError as exc:
            self.app.call_from_thread(self._status, exc.localized(self.lang))
            return
        self.app.call_from_thread(self._show, refs)

    def _show(self, refs: list[DocumentRef]) -> None:
        self.refs = refs
        options = self.query_one("#documents", OptionList)
        options.clear_options()
        for ref in refs:
            mark = f"  [{_t(ref.kind.issued, self.lang)}]" if ref.kind.issued else ""
            options.add_option(Option(ref.title.get(self.lang) + mark, id=ref.id))
        if refs:
            options.highlighted = 0
            options.focus()
        else:
            self._status(_t("none", self.lang))

    def _status(self, text: str) -> None:
        self.query_one("#document-status", Static).update(Text(text))

    def _current(self) -> DocumentRef | None:
        index = self.query_one("#documents", OptionList).highlighted
        return self.refs[index] if index is not None and index < len(self.refs) else None

    @on(OptionList.OptionHighlighted, "#documents")
    def _highlighted(self) -> None:
        ref = self._current()
        if ref is not None:
            self.preview(ref.id)

    @work(thread=True, exclusive=True, group="document-preview")
    def preview(self, doc_id: str) -> None:
        from yishi.documents.service import preview
        from yishi.errors import YishiError

        try:
            text = preview(self.app.engine, self.case_id, doc_id, lang=self.lang)  # type: ignore[attr-defined]
        except YishiError as exc:
            text = exc.localized(self.lang)
        self.app.call_from_thread(self.query_one("#document-preview", Static).update, Text(text))

    def action_close(self) -> None:
        box = self.query_one("#attach-path", Input)
        if box.display:  # escape leaves the path box first
            box.display = False
            self.query_one("#documents", OptionList).focus()
            return
        self.dismiss(None)

    def action_attach(self) -> None:
        box = self.query_one("#attach-path", Input)
        box.display = True
        box.focus()

    @on(Input.Submitted, "#attach-path")
    def _attach_submitted(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        if path:
            self._status(_t("working", self.lang))
            self.attach(path)

    @work(thread=True, exclusive=True, group="document-attach")
    def attach(self, path: str) -> None:
        from yishi.documents.attachments import attach
        from yishi.errors import YishiError

        app: Any = self.app
        try:
            item, event = attach(app.engine, self.case_id, Path(path).expanduser(), app.actor)
        except YishiError as exc:
            app.call_from_thread(self._status, exc.localized(self.lang))
            return
        app.call_from_thread(self._attached, item.name, item.sha256, event.seq)

    def _attached(self, name: str, sha: str, seq: int) -> None:
        box = self.query_one("#attach-path", Input)
        box.value = ""
        box.display = False
        self._status(_t("attached", self.lang, name=name, sha=sha[:16], seq=seq))
        if len(self.app.screen_stack) > 1:
            self.app.screen_stack[-2].stale = True

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#make-pdf")
    def _pdf(self) -> None:
        self.action_produce("pdf")

    @on(Button.Pressed, "#make-docx")
    def _docx(self) -> None:
        self.action_produce("docx")

    @on(Button.Pressed, "#make-html")
    def _html(self) -> None:
        self.action_produce("html")

    def action_produce(self, fmt: str) -> None:
        ref = self._current()
        if ref is None:
            return
        self._status(_t("working", self.lang))
        self.produce(ref.id, fmt)

    @work(thread=True, exclusive=True, group="document-produce")
    def produce(self, doc_id: str, fmt: str) -> None:
        from yishi.documents.service import Settings, issue
        from yishi.errors import YishiError

        app: Any = self.app
        try:
            settings = Settings.load()
            produced = issue(app.engine, self.case_id, doc_id, fmt, app.actor, lang=self.lang, settings=settings)
            folder = settings.out_dir()
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / produced.filename
            path.write_bytes(produced.content)
        except YishiError as exc:
            app.call_from_thread(self._status, exc.localized(self.lang))
            return
        except OSError as exc:
            app.call_from_thread(self._status, f"{exc.filename}: {exc.strerror}")
            return
        app.call_from_thread(self._produced, produced, path)

    def _produced(self, produced: Produced, path: Path) -> None:
        text = _t("written", self.lang, path=path, sha=produced.sha256)
        if produced.event is not None:
            text += "\n" + _t("recorded", self.lang, seq=produced.event.seq,
                              issued=_t(produced.ref.kind.issued or "posted", self.lang))
        self._status(text)
        refresh = getattr(self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else None,
                          "refresh_if_shown", None)
        if produced.event is not None and refresh is not None:
            self.app.screen_stack[-2].stale = True  # its timeline shows the new event when shown again
