"""``yishi advance``: move a simulation database's clock, firing due timers in order."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

import typer

from yishi.cli.context import session
from yishi.cli.output import console, emit_json, jsonable, local, t


def advance(ctx: typer.Context,
            to: Annotated[str | None, typer.Option(
                "--to", metavar="DATE",
                help="Advance to this date (keeping the time of day) or ISO time (local without a zone).")] = None,
            days: Annotated[int | None, typer.Option("--days", metavar="N", help="Advance N days.", min=0)] = None,
            by: Annotated[str | None, typer.Option(
                "--by", metavar="SPAN", help="Advance by a span: 7d, 36h, 1mo, 3wd (working days).")] = None,
            next_due: Annotated[bool, typer.Option("--next", help="Advance to the next deadline.")] = False,
            as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
            ) -> None:
    """Move a simulation's clock (the demo, training databases), firing every timer due on the
    way at its own due time. Refused on real and sandbox databases."""
    from yishi.cli.system import print_tick_results, tick_json

    s = session(ctx)
    chosen = [x for x in (to, days, by, next_due or None) if x is not None]
    if len(chosen) != 1:
        raise typer.BadParameter(t("advance_one_of", s.lang), param_hint="'--to' / '--days' / '--by' / '--next'")
    engine = s.engine(ctx)
    if next_due:
        results = engine.advance_to_next()
    elif days is not None:
        results = engine.advance_by(timedelta(days=days))
    elif by is not None:
        try:
            from yishi.time.durations import parse_span

            parse_span(by)
        except ValueError:
            raise typer.BadParameter(t("advance_bad_days", s.lang, value=by), param_hint="'--by'") from None
        results = engine.advance_by(by)
    else:
        results = engine.advance(_moment(to or "", engine, s.lang))
    if as_json:
        emit_json({"now": jsonable(engine.now()), "results": [tick_json(r) for r in results],
                   "next_due": jsonable(engine.next_due())})
        return
    print_tick_results(engine, results, s.lang, quiet=True)
    console().print(t("advance_done", s.lang, now=local(engine.now(), s.lang)))
    following = engine.next_due()
    if following is not None:
        console().print(t("next_due", s.lang, at=local(following, s.lang)), style="dim")


def _moment(raw: str, engine, lang: str) -> datetime:  # noqa: ANN001 - Engine
    text = raw.strip().replace("/", "-")
    try:
        if "T" in text or " " in text:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=engine.tz)
            return moment
        day = date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(t("bad_time", lang, value=raw), param_hint="'--to'") from None
    here = engine.now().astimezone(engine.tz)
    return datetime.combine(day, time(here.hour, here.minute, here.second), tzinfo=engine.tz)
