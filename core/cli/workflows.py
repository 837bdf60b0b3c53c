"""``yishi workflows``: list, show, validate and the JSON Schema of workflow files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from yishi.cli.context import session
from yishi.cli.lazy import help_of
from yishi.cli.output import console, emit_json, jsonable, t, table, title
from yishi.errors import Problem

if TYPE_CHECKING:
    from yishi.definition import Catalog, Loaded, Workflow

app = typer.Typer(help=help_of("workflows"), no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """The installed workflows (newest version of each) and problems in installed files."""
    s = session(ctx)
    library = s.library()
    loaded = library.latest()
    problems = library.problems
    if as_json:
        emit_json({"workflows": [_summary(item) for item in loaded],
                   "problems": [_problem(p) for p in problems]})
        return
    out = console()
    if loaded:
        grid = table(s.lang, "h_id", "h_version", "h_title", "h_from_plugin", right=("h_version",))
        for item in loaded:
            wf = item.workflow
            grid.add_row(wf.id, str(wf.version), wf.title.get(s.lang), library.plugin_of(item))
        out.print(grid)
    else:
        out.print(t("no_workflows", s.lang))
    if problems:
        err = console(stderr=True)
        err.print(t("wf_installed_problems", s.lang), style="yellow")
        for p in problems:
            err.print(p.localized(s.lang), soft_wrap=True)


@app.command()
def show(ctx: typer.Context, workflow_id: Annotated[str, typer.Argument(metavar="ID")],
         version: Annotated[int | None, typer.Option(help="A given version (default: newest).")] = None,
         as_json: JsonFlag = False) -> None:
    """One workflow: roles, params with defaults, states with their forms, transitions."""
    s = session(ctx)
    library = s.library()
    loaded = library.get(workflow_id, version)
    sources = library.param_sources(workflow_id, version)
    if as_json:
        emit_json({**_summary(loaded), "plugin": library.plugin_of(loaded),
                   "params": {name: {"default": jsonable(default), "value": jsonable(value), "from": where}
                              for name, (default, value, where) in sources.items()},
                   "definition": loaded.workflow.model_dump(mode="json")})
        return
    _render_workflow(loaded, s.lang, sources)


@app.command()
def validate(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Workflow YAML files.")],
    as_json: JsonFlag = False,
) -> None:
    """Check workflow files against the registered guards and actions; print every problem
    as file:line:col: message; hint. Exits 1 if any file has a problem. Opens no database."""
    from yishi.definition import check_text
    from yishi.engine.library import catalog_of, collect_registry
    from yishi.plugin_manager import make_manager

    lang = session(ctx).lang
    catalog: Catalog = catalog_of(collect_registry(make_manager()))
    results: list[tuple[Path, Workflow | None, list[Problem]]] = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            results.append((path, None, [Problem(str(path), 0, 0,
                                                 t("wf_cannot_read", lang, why=exc.strerror),
                                                 code="io")]))
            continue
        workflow, problems = check_text(data, str(path), catalog)
        results.append((path, workflow, problems))
    failed = any(problems for _, _, problems in results)
    if as_json:
        emit_json([{"file": str(path), "ok": not problems,
                    "id": wf.id if wf is not None and not problems else None,
                    "version": wf.version if wf is not None and not problems else None,
                    "problems": [_problem(p) for p in problems]} for path, wf, problems in results])
    else:
        out = console()
        for path, wf, problems in results:
            if not problems and wf is not None:
                out.print(t("wf_valid", lang, file=path, id=wf.id, version=wf.version), soft_wrap=True)
            for p in problems:
                out.print(p.localized(lang), soft_wrap=True)
        total = sum(len(problems) for _, _, problems in results)
        if total:
            out.print(t("wf_problems", lang, n=total))
    if failed:
        raise typer.Exit(1)


@app.command()
def graph(ctx: typer.Context, workflow_id: Annotated[str, typer.Argument(metavar="ID")],
          fmt: Annotated[str, typer.Option("--format", help="mermaid (stateDiagram-v2) or dot.")] = "mermaid",
          lang: Annotated[str | None, typer.Option("--lang", help="Titles in zh or en (default: yishi --lang).")]
          = None) -> None:
    """The workflow as a diagram: Mermaid or Graphviz DOT text. Opens no database."""
    from yishi.graph import FORMATS, render

    s = session(ctx)
    if fmt not in FORMATS or (lang is not None and lang not in ("zh", "en")):
        raise typer.BadParameter(f"--format is one of {', '.join(FORMATS)}; --lang is zh or en")
    sys.stdout.write(render(s.library().get(workflow_id).workflow, fmt, lang or s.lang))


@app.command()
def migrate(ctx: typer.Context, workflow_id: Annotated[str, typer.Argument(metavar="ID")],
            to: Annotated[int, typer.Option("--to", metavar="VERSION", help="The version to move open cases to.")],
            maps: Annotated[list[str] | None, typer.Option(
                "--map", metavar="OLD=NEW", help="A state renamed in the new version; repeat for several.")] = None,
            dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every open case; change nothing.")] = False,
            as_json: JsonFlag = False) -> None:
    """Move the open cases of ID onto version VERSION: each is checked first (its state exists,
    its recorded data fits, its timers have a place) and moved in its own transaction with a
    'migrate' event. Exits 1 when a case could not be moved (it stays on its version)."""
    s = session(ctx)
    mapping: dict[str, str] = {}
    for item in maps or ():
        old, eq, new = item.partition("=")
        if not eq or not old.strip() or not new.strip():
            raise typer.BadParameter(f"{item!r}: write OLD=NEW, e.g. --map notice=posted", param_hint="'--map'")
        mapping[old.strip()] = new.strip()
    report = s.engine(ctx).migrate(workflow_id, to, mapping, dry_run=dry_run)
    zh = s.lang.startswith("zh")
    if as_json:
        emit_json({"workflow": workflow_id, "to_version": to, "dry_run": dry_run, "ok": report.ok,
                   "cases": [{"id": c.case_id, "from_version": c.from_version, "state": c.state,
                              "new_state": c.new_state, "migrated": c.migrated,
                              "problems": [{"zh": z, "en": e} for z, e in c.problems]} for c in report.cases]})
    else:
        out = console()
        for c in report.cases:
            mark = "✓" if c.ok else "✗"
            out.print(f"{mark} #{c.case_id} {c.subject}  v{c.from_version} → v{to}  {c.state} → {c.new_state}",
                      soft_wrap=True)
            for z, e in c.problems:
                out.print(f"    {z if zh else e}", soft_wrap=True)
        if dry_run:
            out.print(f"试运行：{len(report.cases)} 件办理中的案件已检查，未作改动" if zh
                      else f"dry run: {len(report.cases)} open case(s) checked, nothing changed")
        else:
            out.print(f"已迁移 {report.migrated} / {len(report.cases)} 件" if zh
                      else f"migrated {report.migrated} of {len(report.cases)} case(s)")
    if not report.ok:
        raise typer.Exit(1)


@app.command("revert-migration")
def revert_migration(ctx: typer.Context,
                     case_id: Annotated[int, typer.Argument(metavar="CASE", help="The case number.")]) -> None:
    """Move a migrated case back to its earlier version, state and record, while nothing has
    happened to it since the migration."""
    s = session(ctx)
    event = s.engine(ctx).revert_migration(case_id)
    before = event.data["_to"]
    console().print(f"案件 #{case_id} 已退回第 {before['version']} 版（{before['state']}）" if s.lang.startswith("zh")
                    else f"case #{case_id} is back on version {before['version']} ({before['state']})")


@app.command()
def schema() -> None:
    """The JSON Schema of a workflow file, for editors to autocomplete. Opens no database."""
    from yishi.definition import workflow_schema

    sys.stdout.write(json.dumps(workflow_schema(), ensure_ascii=False, indent=2) + "\n")


# ---------------------------------------------------------------- rendering
def _summary(item: Loaded) -> dict[str, Any]:
    wf = item.workflow
    return {"id": wf.id, "version": wf.version, "title": wf.title.model_dump(),
            "file": item.file, "sha256": item.sha256}


def _problem(p: Problem) -> dict[str, Any]:
    return {"file": p.file, "line": p.line, "col": p.col, "message": p.message, "hint": p.hint,
            "code": p.code}


def _render_workflow(item: Loaded, lang: str, sources: dict[str, tuple[Any, Any, str]]) -> None:
    wf: Workflow = item.workflow
    out = console()
    out.print(f"{wf.title.get(lang)}  ({wf.id} v{wf.version})", style="bold")
    out.print(wf.description.get(lang), soft_wrap=True)
    out.print(f"{t('h_file', lang)}: {item.file}", style="dim", soft_wrap=True)
    if wf.start_roles:
        out.print(f"{t('h_start_roles', lang)}: " + ", ".join(
            f"{wf.roles[r].title.get(lang)} ({r})" if r in wf.roles else r for r in wf.start_roles))

    roles = table(lang, "h_id", "h_title", title=t("h_roles", lang), title_justify="left")
    for name, role in wf.roles.items():
        roles.add_row(name, role.title.get(lang))
    out.print(roles)

    if wf.params:
        params = table(lang, "h_name", "h_title", "h_type", "h_default", "h_in_force", title=t("h_params", lang),
                       title_justify="left")
        for name, param in wf.params.items():
            _default, value, where = sources[name]
            shown = str(jsonable(value)) + ("" if where == "default" else f" ({t('from_deployment', lang)})")
            params.add_row(f"${name}", param.title.get(lang), param.type, str(param.default), shown)
        out.print(params)

    states = table(lang, "h_id", "h_title", "h_form", "h_timers", title=t("h_states", lang),
                   title_justify="left", show_lines=True)
    initial = wf.initial_state()
    for name, state in wf.states.items():
        marks = [t("initial", lang)] if name == initial else []
        marks += [t("final", lang)] if state.final else []
        label = state.title.get(lang) + (f" [{', '.join(marks)}]" if marks else "")
        form = "\n".join(f"{f.name}{'*' if f.required else ''} {f.label.get(lang)}" for f in state.form)
        timers = "\n".join(
            t("timer_fire" if tm.fire else "timer_remind", lang, after=tm.after,
              target=tm.fire or ", ".join(tm.remind or [])) for tm in state.timers)
        states.add_row(name, label, form, timers)
    out.print(states)
    out.print(t("required_note", lang), style="dim")

    moves = table(lang, "h_trigger", "h_title", "h_move", "h_roles", "h_guards",
                  title=t("h_transitions", lang), title_justify="left", show_lines=True)
    for tr in wf.transitions:
        move = ", ".join(title(wf.states[s].title, lang, s) if s in wf.states else s for s in tr.source)
        move += " → " + (title(wf.states[tr.dest].title, lang) if tr.dest in wf.states else tr.dest)
        guards = "\n".join(g.name for g in tr.guards)
        if tr.actions:
            guards += ("\n" if guards else "") + "\n".join(f"{t('h_actions', lang)}: {a.name}" for a in tr.actions)
        moves.add_row(tr.trigger, tr.title.get(lang), move, ", ".join(tr.roles), guards)
    out.print(moves)
