"""``yishi case``: open, list, show, inspect and move cases."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from yishi.cli import views
from yishi.cli.context import parse_sets, session
from yishi.cli.identity import acting, viewer
from yishi.cli.lazy import help_of
from yishi.cli.output import console, emit_json, jsonable, t

app = typer.Typer(help=help_of("case"), no_args_is_help=True)

CaseId = Annotated[int, typer.Argument(metavar="ID", help="The case number.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
As = Annotated[str | None, typer.Option(
    "--as", metavar="NAME", help="Who acts (a person's name; demo, simulation and sandbox databases "
                                 "only: a real database takes your login).")]
Roles = Annotated[list[str] | None, typer.Option(
    "--role", metavar="ROLE", help="A role the person acts in; repeat for several (not on a real database).")]
Sets = Annotated[list[str] | None, typer.Option(
    "--set", metavar="FIELD=VALUE",
    help="A form field; the value is read as JSON if it is a number, list, object or "
         "true/false, else as text. Repeat for several fields.")]
ExpectRev = Annotated[int | None, typer.Option(
    "--expect-rev", metavar="N", help="Refuse (exit 1) unless the case is still at revision N.")]


@app.command()
def new(ctx: typer.Context,
        workflow: Annotated[str, typer.Argument(metavar="WORKFLOW", help="A workflow id.")],
        name: As = None, roles: Roles = None, sets: Sets = None,
        unit: Annotated[str | None, typer.Option(
            "--unit", metavar="UNIT", help="The organisation unit the case belongs to (name, path or #id).")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the case number.")] = False,
        as_json: JsonFlag = False) -> None:
    """Open a case of WORKFLOW, filling the first step's form with --set."""
    s = session(ctx)
    data = parse_sets(sets, s.lang)
    engine = s.engine(ctx)
    case = engine.start(workflow, acting(ctx, engine, name, roles), data, unit=unit)
    wf = engine.definition_of(case)
    if as_json:
        emit_json(views.case_json(case, wf))
    elif quiet:
        typer.echo(case.id)
    else:
        console().print(t("case_created", s.lang, id=case.id, subject=case.subject,
                          state=wf.states[case.state].title.get(s.lang)), soft_wrap=True)


@app.command("list")
def list_(ctx: typer.Context,
          open_: Annotated[bool, typer.Option("--open", help="Only open cases.")] = False,
          overdue: Annotated[bool, typer.Option("--overdue", help="Only open cases past their due time.")] = False,
          workflow: Annotated[str | None, typer.Option("--workflow", metavar="ID")] = None,
          search: Annotated[str | None, typer.Option("--search", metavar="TEXT",
                                                     help="In the subject, the opener, or #number.")] = None,
          limit: Annotated[int | None, typer.Option("--limit", metavar="N", min=1)] = None,
          as_json: JsonFlag = False) -> None:
    """Cases, most urgent first."""
    s = session(ctx)
    engine = s.engine(ctx)
    from yishi.engine.types import CaseFilter

    filt = CaseFilter(open=True if open_ else None, overdue_at=engine.now() if overdue else None,
                      workflow_id=workflow, search=search)
    who = viewer(ctx, engine)
    found = engine.cases(replace(filt, limit=limit), actor=who)
    if as_json:
        emit_json([views.case_json(c, engine.definition_of(c)) for c in found])
        return
    total = engine.count(filt, actor=who) if limit is not None else len(found)
    views.print_case_list(engine, found, total, s.lang)


@app.command()
def show(ctx: typer.Context, case_id: CaseId, as_json: JsonFlag = False) -> None:
    """One case: subject, workflow, step, revision, times (local) and the recorded data."""
    s = session(ctx)
    engine = s.engine(ctx)
    case = engine.case(case_id, viewer(ctx, engine))
    wf = engine.definition_of(case)
    links = engine.links(case_id)
    if as_json:
        emit_json({**views.case_json(case, wf), "links": [jsonable(link) for link in links]})
        return
    views.print_case(case, wf, links, engine.now(), s.lang)


@app.command()
def history(ctx: typer.Context, case_id: CaseId, as_json: JsonFlag = False) -> None:
    """Every event of a case, oldest first, with each rule's verdict."""
    s = session(ctx)
    engine = s.engine(ctx)
    case = engine.case(case_id, viewer(ctx, engine))
    events = engine.history(case_id)
    if as_json:
        emit_json([views.event_json(e) for e in events])
        return
    views.print_history(case, engine.definition_of(case), events, s.lang)


@app.command()
def actions(ctx: typer.Context, case_id: CaseId, name: As = None, roles: Roles = None,
            as_json: JsonFlag = False) -> None:
    """Every step possible from the case's current step, for this person: possible or refused, and why."""
    s = session(ctx)
    engine = s.engine(ctx)
    who = acting(ctx, engine, name, roles)
    case = engine.case(case_id, who)
    found = engine.available(case, who)
    wf = engine.definition_of(case)
    if as_json:
        emit_json([views.available_json(a, wf) for a in found])
        return
    views.print_actions(case, wf, found, s.lang)


@app.command()
def fire(ctx: typer.Context, case_id: CaseId,
         trigger: Annotated[str, typer.Argument(metavar="TRIGGER", help="The step to take.")],
         name: As = None, roles: Roles = None, sets: Sets = None, expect_rev: ExpectRev = None,
         as_json: JsonFlag = False) -> None:
    """Take the step TRIGGER, submitting the current step's form with --set."""
    s = session(ctx)
    data = parse_sets(sets, s.lang)
    engine = s.engine(ctx)
    result = engine.fire(case_id, trigger, acting(ctx, engine, name, roles), data, expected_rev=expect_rev)
    case = result.case
    wf = engine.definition_of(case)
    if as_json:
        emit_json({"case": views.case_json(case, wf), "event": views.event_json(result.event)})
        return
    trigger_title = next((tr.title.get(s.lang) for tr in wf.transitions if tr.trigger == trigger), trigger)
    out = console()
    out.print(t("case_fired", s.lang, id=case.id, trigger=trigger_title,
                state=wf.states[case.state].title.get(s.lang), rev=case.rev), soft_wrap=True)
    if not case.is_open:
        out.print(t("case_closed_now", s.lang))


@app.command()
def record(ctx: typer.Context, case_id: CaseId, name: As = None, roles: Roles = None, sets: Sets = None,
           expect_rev: ExpectRev = None, as_json: JsonFlag = False) -> None:
    """Save part of the current step's form (a draft others can see) without taking a step."""
    s = session(ctx)
    data = parse_sets(sets, s.lang)
    engine = s.engine(ctx)
    case = engine.record(case_id, acting(ctx, engine, name, roles), data, expected_rev=expect_rev)
    if as_json:
        emit_json(views.case_json(case, engine.definition_of(case)))
        return
    console().print(t("case_recorded", s.lang, id=case.id, rev=case.rev))


def _more_commands() -> None:
    from yishi.cli.documents import case_commands

    case_commands(app)  # export, attach, attachments: after the commands above, as listed in the help


_more_commands()
