"""The monthly report as a file: xlsx (Chinese official layout), csv or json.

The xlsx has a title row, a line saying what was counted and when, a two-level header with
merged cells (the tiers under "按解决层级分", the evaluation under "群众评价"), one row per unit
and procedure, a total row, and a notes row giving each figure's definition under its column.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from yishi.stats.columns import COLUMNS, Column, formatted
from yishi.stats.figures import Figures, MonthReport

LEAD = (("序号", "no."), ("单位", "unit"), ("事项类别", "procedure"))
_BY = {"grid": ("网格", "grid"), "community": ("社区", "community"), "street": ("街道", "street")}


def title(report: MonthReport, lang: str = "zh") -> str:
    year, month = report.month.split("-")
    if lang.startswith("zh"):
        return f"{int(year)}年{int(month)}月 社区议事与网格事件统计月报"
    return f"Community deliberation and grid events: monthly report {report.month}"


def subtitle(report: MonthReport, tz: Any, lang: str = "zh") -> str:
    made = report.made_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if lang.startswith("zh"):
        by = f"按{_BY[report.by][0]}汇总；" if report.by else ""
        return f"统计期间：{report.month}（{report.tz} 时间）；{by}制表时间：{made}"
    by = f"by {_BY[report.by][1]}; " if report.by else ""
    return f"period: {report.month} ({report.tz} time); {by}made at {made}"


def _unit(row_unit: str, lang: str) -> str:
    return row_unit or ("未分配单位" if lang.startswith("zh") else "no unit")


def _cell(column: Column, figures: Figures) -> Any:
    value = column.value(figures)
    if value is None:
        return None
    if column.kind == "days":
        return round(value, 1)
    return value


def to_xlsx(report: MonthReport, tz: Any) -> bytes:
    """The report as an xlsx workbook (bytes)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = f"{report.month} 月报"
    width = len(LEAD) + len(COLUMNS)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.cell(1, 1, title(report)).font = Font(name="SimHei", size=16, bold=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
    ws.cell(2, 1, subtitle(report, tz))
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    # two header rows: a column outside any group spans both; a group's name spans its columns
    for i, (zh, _en) in enumerate(LEAD, 1):
        ws.cell(3, i, zh)
        ws.merge_cells(start_row=3, start_column=i, end_row=4, end_column=i)
    col = len(LEAD) + 1
    index = 0
    while index < len(COLUMNS):
        column = COLUMNS[index]
        if column.group is None:
            ws.cell(3, col, column.zh)
            ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
            col += 1
            index += 1
            continue
        end = index
        while end < len(COLUMNS) and COLUMNS[end].group == column.group:
            end += 1
        members = COLUMNS[index:end]
        ws.cell(3, col, column.group[0])
        ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + len(members) - 1)
        for k, member in enumerate(members):
            ws.cell(4, col + k, member.zh)
        col += len(members)
        index += len(members)
    row = 5
    for n, item in enumerate(report.rows, 1):
        values = [n, _unit(item.unit, "zh"), item.procedure["zh"]]
        values += [_cell(c, item.figures) for c in COLUMNS]
        for k, value in enumerate(values, 1):
            ws.cell(row, k, value)
        row += 1
    ws.cell(row, 1, "合计")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(LEAD))
    for k, c in enumerate(COLUMNS, len(LEAD) + 1):
        ws.cell(row, k, _cell(c, report.total))
    total_row = row
    row += 1
    ws.cell(row, 1, "口径说明")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(LEAD))
    for k, c in enumerate(COLUMNS, len(LEAD) + 1):
        ws.cell(row, k, c.note_zh)
    notes_row = row
    row += 1
    ws.cell(row, 1, "注：社区内解决率即“小事不出村”：第1–3级（网格员、网格长、社区书记接诊室）解决的事件占有解决层级的"
                    "办结事件的比例；重办的事件按最后一次解决的层级计，重办后转办的不计入。数据来自 yishi 记录的每一步。")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    # styles
    for r in range(3, notes_row + 1):
        for k in range(1, width + 1):
            cell = ws.cell(r, k)
            cell.border = box
            cell.alignment = centre if r <= total_row else Alignment(vertical="top", wrap_text=True)
            if r in (3, 4) or r == total_row:
                cell.font = Font(bold=True)
    for r in range(5, total_row + 1):
        for k, c in enumerate(COLUMNS, len(LEAD) + 1):
            if c.kind == "rate":
                ws.cell(r, k).number_format = "0.0%"
            elif c.kind == "days":
                ws.cell(r, k).number_format = "0.0"
    ws.row_dimensions[notes_row].height = 150
    ws.row_dimensions[row].height = 45
    ws.cell(row, 1).alignment = Alignment(wrap_text=True, vertical="top")
    for k in range(1, width + 1):
        ws.column_dimensions[get_column_letter(k)].width = 6 if k == 1 else (16 if k <= len(LEAD) else 11)
    ws.freeze_panes = "D5"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_csv(report: MonthReport, lang: str = "zh") -> str:
    """The report as CSV: one header row in ``lang``, the rows, the total (rates as fractions)."""
    zh = lang.startswith("zh")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([("月份" if zh else "month"), ("单位" if zh else "unit"), ("事项类别" if zh else "procedure")]
                    + [(f"{c.group[0]}-{c.zh}" if zh else f"{c.group[1]}: {c.en}") if c.group else (c.zh if zh else c.en)
                       for c in COLUMNS])
    for item in report.rows:
        writer.writerow([report.month, _unit(item.unit, lang), item.procedure["zh" if zh else "en"]]
                        + [_plain(_cell(c, item.figures)) for c in COLUMNS])
    writer.writerow([report.month, "合计" if zh else "total", ""] + [_plain(_cell(c, report.total)) for c in COLUMNS])
    return buffer.getvalue()


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return value


def to_json(report: MonthReport) -> str:
    """The report as JSON, with every figure's definition in both languages."""
    return json.dumps({
        "month": report.month, "tz": report.tz, "by": report.by,
        "start": report.start.isoformat(), "end": report.end.isoformat(),
        "made_at": report.made_at.isoformat(),
        "rows": [{"unit_id": r.unit_id, "unit": r.unit, "workflow_id": r.workflow_id,
                  "procedure": r.procedure, **r.figures.as_dict()} for r in report.rows],
        "total": report.total.as_dict(),
        "definitions": {c.key: {"zh": c.zh, "en": c.en, "note_zh": c.note_zh, "note_en": c.note_en}
                        for c in COLUMNS},
    }, ensure_ascii=False, indent=2)


def as_text(column: Column, figures: Figures) -> str:
    return formatted(column, figures)
