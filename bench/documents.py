"""How long a document takes, per format, and why the PDF goes through typst.

    python bench/documents.py            # the demo's documents, each format, several rounds

Prints the median time per document for HTML, PDF (typst, PDF/A-2b, the CJK font embedded)
and DOCX (docxtpl), and, when they are installed (they are not dependencies of yishi), the
same HTML laid out by WeasyPrint and what ReportLab does with the CJK font, each as a ratio to
typst in the same run.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from yishi.demo import build_demo
from yishi.documents import documents_for, render
from yishi.documents.layout import blocks_of, font_dirs, to_html, to_pdf
from yishi.documents.service import Settings, _context, find

ROUNDS = 3


def timed(func) -> float:  # noqa: ANN001
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = build_demo(f"sqlite:///{Path(tmp) / 'demo.db'}", now=datetime(2026, 11, 20, 2, tzinfo=timezone.utc))
        docs = [(c.id, r.id) for c in engine.cases() for r in documents_for(engine, c)]
        settings = Settings.load()
        for case_id, doc_id in docs[:2]:  # warm up: templates compile, typst reads the fonts once
            for fmt in ("html", "pdf", "docx"):
                render(engine, case_id, doc_id, fmt, settings=settings)
        times: dict[str, list[float]] = {"html": [], "pdf": [], "docx": []}
        for _ in range(ROUNDS):
            for case_id, doc_id in docs:
                for fmt in times:
                    times[fmt].append(timed(lambda: render(engine, case_id, doc_id, fmt, settings=settings)))
        print(f"{len(docs)} documents of the demo, {ROUNDS} rounds; median per document (whole path: "
              "record → context → template → file)")
        for fmt, values in times.items():
            print(f"  {fmt:5} {statistics.median(values) * 1000:7.1f} ms")

        # the layout step alone: typst vs WeasyPrint on the same blocks
        case_id, doc_id = next((c, d) for c, d in docs if d == "resolution_notice")
        case = engine.case(case_id)
        ref = find(engine, case, doc_id, "zh")
        ctx = _context(engine, case, engine.history(case_id), "zh", settings)
        blocks = blocks_of(ref.kind, ctx, None)
        typst_t = statistics.median(timed(lambda: to_pdf(blocks, title="决议公告", org="", lang="zh", override=None))
                                    for _ in range(10))
        print(f"layout only, 决议公告: typst {typst_t * 1000:.1f} ms (PDF/A-2b, Noto Serif SC subset embedded)")
        try:
            import weasyprint
        except ImportError:
            print("  WeasyPrint: not installed (pip install weasyprint to compare)")
        else:
            font = next(p for d in font_dirs() for p in d.iterdir() if p.name.startswith("NotoSerifSC"))
            html = to_html(blocks, title="决议公告", org="", lang="zh", override=None).decode()
            html = html.replace("<style>", "<style>@font-face { font-family: 'Noto Serif SC'; "
                                f"src: url('file://{font}'); }}\n", 1)
            weasyprint.HTML(string=html).write_pdf()  # warm up
            weasy_t = statistics.median(timed(lambda: weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/a-2b"))
                                        for _ in range(5))
            print(f"  WeasyPrint {weasy_t * 1000:.1f} ms = {weasy_t / typst_t:.1f}× typst "
                  "(needs the system's Pango, HarfBuzz and fontconfig)")
        try:
            from reportlab.pdfbase.ttfonts import TTFont
        except ImportError:
            print("  ReportLab: not installed")
        else:
            font = next(p for d in font_dirs() for p in d.iterdir() if p.name.startswith("NotoSerifSC"))
            try:
                TTFont("NotoSerifSC", str(font))
                print("  ReportLab: reads the font")
            except Exception as exc:  # noqa: BLE001 - reporting what ReportLab says
                print(f"  ReportLab cannot embed {font.name}: {exc} (only TrueType outlines; its CID "
                      "fonts such as STSong-Light are not embedded)")
        engine.close()


if __name__ == "__main__":
    sys.exit(main())
