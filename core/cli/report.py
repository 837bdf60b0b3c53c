"""``yishi report``: the monthly figures per unit and procedure as xlsx, csv or json."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from yishi.cli.context import parse_when, session
from yishi.cli.output import console

_TEXT = {
    "written": {"zh": "已写入 {path}（{rows} 行，{month}）", "en": "wrote {path} ({rows} rows, {month})"},
    "xlsx_to_terminal": {"zh": "xlsx 是二进制文件，请用 -o 指定输出文件", "en": "xlsx is binary: name a file with -o"},
    "cannot_write": {"zh": "无法写入 {path}：{why}", "en": "cannot write {path}: {why}"},
}


def _t(key: str, lang: str, **values: object) -> str:
    return _TEXT[key]["zh" if lang.startswith("zh") else "en"].format(**values)


class Format(StrEnum):
    xlsx = "xlsx"
    csv = "csv"
    json = "json"


class By(StrEnum):
    grid = "grid"
    community = "community"
    street = "street"


def report(ctx: typer.Context,
           month: Annotated[str, typer.Option("--month", metavar="YYYY-MM",
                                              help="The month, e.g. 2026-11 (in the deployment's time zone).")],
           by: Annotated[By | None, typer.Option("--by", help="Roll organisation units up to their grid, "
                                                              "community or street.")] = None,
           fmt: Annotated[Format, typer.Option("--format", help="xlsx (Chinese official layout), csv or json.")]
           = Format.xlsx,
           output: Annotated[Path | None, typer.Option("-o", "--output", metavar="FILE",
                                                       help="Where to write it (default for xlsx: "
                                                            "yishi-report-YYYY-MM.xlsx; csv and json: the terminal).")]
           = None,
           now: Annotated[str | None, typer.Option("--now", metavar="ISO",
                                                   help="Count 'overdue now' as of this time.")] = None) -> None:
    """The monthly report: received, closed, on time, overdue, handling time, tiers, evaluation.
    月报：受理、办结、按期办结率、逾期、平均办理时长、各级解决数与社区内解决率、满意率、参评率、重办、延期。"""
    from yishi.errors import YishiError
    from yishi.stats.export import to_csv, to_json, to_xlsx
    from yishi.stats.figures import month_report

    s = session(ctx)
    engine = s.engine(ctx)
    made = month_report(engine, month, by=by.value if by else None, now=parse_when(now, s.lang))
    if fmt is Format.xlsx:
        data: bytes | str = to_xlsx(made, engine.tz)
        output = output or Path(f"yishi-report-{made.month}.xlsx")
    elif fmt is Format.csv:
        data = to_csv(made, s.lang)
    else:
        data = to_json(made)
    if output is None:
        console().print(data, end="", markup=False, highlight=False, soft_wrap=True)
        return
    try:
        if isinstance(data, bytes):
            output.write_bytes(data)
        else:
            output.write_text(data, encoding="utf-8-sig" if fmt is Format.csv else "utf-8")
    except OSError as exc:
        raise YishiError(_t("cannot_write", "en", path=output, why=exc.strerror or exc),
                         message_zh=_t("cannot_write", "zh", path=output, why=exc.strerror or exc)) from None
    console(stderr=True).print(_t("written", s.lang, path=output, rows=len(made.rows), month=made.month))


def register(app: typer.Typer) -> None:
    app.command()(report)
