"""``yishi tick``, ``yishi verify`` and ``yishi plugins``: timers, the record's integrity, what is installed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from yishi.cli.context import parse_when, session
from yishi.cli.output import console, emit_json, jsonable, local, t, table, title

if TYPE_CHECKING:
    from yishi.engine.engine import Engine, TickResult

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def tick(ctx: typer.Context,
         now: Annotated[str | None, typer.Option(
             "--now", metavar="ISO",
             help="Act as if it were this time (ISO 8601; without a zone it is local time).")] = None,
         as_json: JsonFlag = False) -> None:
    """Fire every timer that is due: reminders and automatic steps."""
    s = session(ctx)
    when = parse_when(now, s.lang)
    engine = s.engine(ctx)
    results = engine.tick(when)
    started = list(getattr(engine, "scheduled", []) or [])  # cases the schedules started (yishi.time)
    following = engine.next_due()
    if as_json:
        emit_json({"results": [tick_json(r) for r in results], "next_due": jsonable(following),
                   "scheduled": [{"case_id": c.id, "workflow_id": c.workflow_id, "subject": c.subject,
                                  "unit_id": c.unit_id} for c in started]})
        return
    print_tick_results(engine, results, s.lang, quiet=bool(started))
    print_scheduled(engine, started, s.lang)
    if following is not None:
        console().print(t("next_due", s.lang, at=local(following, s.lang)), style="dim")


def print_tick_results(engine: Engine, results: list[TickResult], lang: str, *, quiet: bool = False) -> None:
    """One line per timer that fired (``quiet``: say nothing when none did)."""
    from yishi.cli.views import timer_target

    out = console()
    if not results and not quiet:
        out.print(t("tick_nothing", lang))
    for r in results:
        found = engine.definition_of(engine.case(r.timer.case_id)).states.get(r.timer.state)
        state = found.title.get(lang) if found else r.timer.state
        out.print(t(f"tick_{r.outcome}", lang, case=r.timer.case_id,
                    target=timer_target(engine, r.timer, lang),
                    state=state, reason=r.reason_zh if lang == "zh" else r.reason), soft_wrap=True)


def print_scheduled(engine: Engine, cases: list[Any], lang: str) -> None:
    """One line per case a schedule started: its number, subject, procedure and unit."""
    units = {u.id: u.name for u in engine.org.units()} if cases else {}
    for case in cases:
        title = engine.definition_of(case).title.get(lang)
        unit = units.get(case.unit_id, "") if case.unit_id is not None else ""
        console().print(t("tick_scheduled", lang, case=case.id, subject=case.subject, procedure=title,
                          unit=f"（{unit}）" if unit and lang == "zh" else (f" ({unit})" if unit else "")),
                        soft_wrap=True)


def tick_json(r: TickResult) -> dict[str, Any]:
    return {"case_id": r.timer.case_id, "timer_id": r.timer.id, "state": r.timer.state,
            "kind": r.timer.kind, "target": r.timer.target, "due_at": jsonable(r.timer.due_at),
            "outcome": r.outcome, "event_seq": r.event.seq if r.event else None, "reason": r.reason,
            "reason_zh": r.reason_zh}


KeyOption = Annotated[Path | None, typer.Option(
    "--key", metavar="FILE", help="The anchor signing key (default: $YISHI_ANCHOR_KEY, else anchor.key "
                                  "in the user config directory); verify needs only FILE.pub.")]
DirOption = Annotated[Path | None, typer.Option(
    "--anchors", metavar="DIR", help="Where anchor files are kept (default: $YISHI_ANCHOR_DIR, else "
                                     "'anchors' in the user data directory).")]


def verify(ctx: typer.Context, as_json: JsonFlag = False,
           anchor_file: Annotated[Path | None, typer.Option(
               "--anchor", metavar="FILE", help="Check against this anchor file instead of the newest.")] = None,
           key: KeyOption = None, anchors: DirOption = None) -> None:
    """Check the whole record: hash chains, every case row and timer replayed from its events, the
    stored definitions, corrupt rows, and the newest anchor; exit 1 naming each problem."""
    from yishi.engine.anchor import default_anchor_dir, default_key_path, load_newest, read_anchor, trusted_public_key

    s = session(ctx)
    engine = s.engine(ctx)
    key = key or default_key_path()
    if anchor_file is not None:
        anchor = read_anchor(anchor_file, trusted_public_key(key))
    else:
        anchor = load_newest(anchors or default_anchor_dir(), key, engine.database)
    report = engine.verify(anchor=anchor)
    if as_json:
        emit_json({"ok": report.ok, "cases": report.cases, "events": report.events,
                   "broken": [{"case_id": b.case_id, "seq": b.seq, "code": b.code, "what": b.what,
                               "what_zh": b.what_zh} for b in report.broken],
                   "definitions": report.definitions,
                   "altered_definitions": [{"sha256": d.sha256, "workflow_id": d.workflow_id,
                                            "version": d.version, "file": d.file} for d in report.altered],
                   "anchor": None if anchor is None else {"file": anchor.file, "made_at": jsonable(anchor.made_at),
                                                          "cases": report.anchored},
                   "log": {"entries": report.log_entries,
                           "broken": [{"seq": seq, "what": en, "what_zh": zh} for seq, en, zh in report.log_broken]},
                   "maintenance_open": [{"opened_at": at, "opened_by": by, "reason": why}
                                        for at, by, why in report.unlocked]})
    elif report.ok:
        out = console()
        out.print(t("verify_ok", s.lang, cases=report.cases, events=report.events, defs=report.definitions),
                  soft_wrap=True)
        if report.log_entries:
            out.print(t("verify_log_ok", s.lang, n=report.log_entries), soft_wrap=True)
        if anchor is None:
            out.print(t("verify_no_anchor", s.lang), style="dim", soft_wrap=True)
        else:
            out.print(t("verify_anchor_ok", s.lang, at=local(anchor.made_at, s.lang), n=report.anchored,
                        file=anchor.file), soft_wrap=True)
    else:
        err = console(stderr=True)
        for d in report.altered:
            err.print(t("verify_definition", s.lang, id=d.workflow_id, version=d.version, sha=d.sha256[:12]),
                      style="red", soft_wrap=True)
        for b in report.broken:
            err.print(t("verify_broken", s.lang, case=b.case_id, seq=b.seq, what=b.reason(s.lang)), style="red",
                      soft_wrap=True)
        for seq, en, zh in report.log_broken:
            err.print(t("verify_log_broken", s.lang, seq=seq, what=zh if s.lang == "zh" else en), style="red",
                      soft_wrap=True)
        if report.broken:
            err.print(t("verify_failed", s.lang, n=len(report.broken_cases)), style="red")
        if report.altered:
            err.print(t("verify_failed_defs", s.lang, n=len(report.altered)), style="red")
    for at, by, why in report.unlocked:
        console(stderr=True).print(t("verify_unlocked", s.lang, at=at, by=by, reason=why), style="yellow",
                                   soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)


def anchor(ctx: typer.Context,
           init_key: Annotated[bool, typer.Option(
               "--init-key", help="Create a new signing key (mode 0600) and its .pub file; never replaces one.")] = False,
           key: KeyOption = None, anchors: DirOption = None, as_json: JsonFlag = False) -> None:
    """Sign the latest event of every case (Ed25519, key kept outside the database) into a new
    anchor file; 'yishi verify' then catches a history cut short or recomputed since."""
    from yishi.engine.anchor import default_anchor_dir, default_key_path, init_key as make_key, public_path

    s = session(ctx)
    key = key or default_key_path()
    if init_key:
        public = make_key(key)
        if as_json:
            emit_json({"key": str(key), "public_key_file": str(public_path(key)), "public_key": public})
        else:
            console().print(t("anchor_key_made", s.lang, file=key, pub=public), soft_wrap=True)
        return
    engine = s.engine(ctx)
    path = engine.anchor(key, anchors or default_anchor_dir())
    n = len(json.loads(path.read_text(encoding="utf-8"))["payload"]["cases"])
    if as_json:
        emit_json({"file": str(path), "cases": n})
    else:
        console().print(t("anchor_written", s.lang, n=n, file=path), soft_wrap=True)


def plugins(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Installed plugins (name, version, where) and the guards, actions and notifiers they register.
    Opens no database."""
    from yishi.engine.library import collect_registry
    from yishi.plugin_manager import make_manager, plugin_versions

    lang = session(ctx).lang
    pm = make_manager()
    registry = collect_registry(pm)
    found = plugin_versions(pm)
    if as_json:
        emit_json({
            "plugins": [{"name": n, "version": v, "where": w} for n, v, w in found],
            "guards": {n: {"description": jsonable(g.description)} for n, g in registry.guards.items()},
            "actions": {n: {"description": jsonable(a.description)} for n, a in registry.actions.items()},
            "notifiers": sorted(registry.notifiers),
        })
        return
    out = console()
    grid = table(lang, "h_name", "h_version", "h_where", title=t("h_plugins", lang), title_justify="left")
    for row in found:
        grid.add_row(*row)
    out.print(grid)
    for key, specs in (("h_guards", registry.guards), ("h_actions", registry.actions)):
        rules = table(lang, "h_name", "h_description", title=t(key, lang), title_justify="left")
        for name, spec in specs.items():
            rules.add_row(name, title(spec.description, lang))
        out.print(rules)
    out.print(f"{t('h_notifiers', lang)}: {', '.join(sorted(registry.notifiers)) or t('none', lang)}")


def register(app: typer.Typer) -> None:
    from yishi.cli.advance import advance
    from yishi.cli.demo import demo

    app.command()(demo)
    app.command()(tick)
    app.command()(advance)
    app.command()(verify)
    app.command()(anchor)
    app.command()(plugins)
