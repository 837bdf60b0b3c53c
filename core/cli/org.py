"""``yishi init``, ``yishi org …`` and ``yishi params``: the organisation, its people, grants,
logins and per-unit params."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from yishi.cli.context import session
from yishi.cli.identity import acting
from yishi.cli.lazy import help_of
from yishi.cli.output import console, emit_json, jsonable, local

app = typer.Typer(help=help_of("org"), no_args_is_help=True)
units_app = typer.Typer(help="Organisation units (district, street, community, grid). 组织单位。",
                        no_args_is_help=True)
people_app = typer.Typer(help="People. 人员。", no_args_is_help=True)
app.add_typer(units_app, name="unit")
app.add_typer(people_app, name="person")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

TEXT: dict[str, tuple[str, str]] = {
    "init_done": ("数据库已设为正式数据库。首位管理员：{name}（登录名 {login}），管理单位：{unit}；登录方式：{auth}。",
                  "the database is now real. First administrator: {name} (login {login}) of {unit}; "
                  "people log in by: {auth}."),
    "unit_added": ("已添加{kind}“{label}”（#{id}）", "added {kind} {label} (#{id})"),
    "person_added": ("已添加人员“{name}”（#{id}）", "added {name} (#{id})"),
    "granted": ("已授权：{name} 在“{unit}”任{role}（授权 #{id}，{period}）",
                "granted: {name} holds {role} in {unit} (grant #{id}, {period})"),
    "revoked": ("已撤销授权 #{id}", "revoked grant #{id}"),
    "imported": ("已导入 {rows} 行：新增人员 {people} 名、授权 {grants} 项、单位 {units} 个",
                 "imported {rows} rows: {people} people, {grants} grants, {units} units added"),
    "log_ok": ("管理记录完整：{n} 条，哈希链无误", "the administration log is intact: {n} entries, chain verified"),
    "password_set": ("已设置 {name} 的密码", "password set for {name}"),
    "passwords_differ": ("两次输入的密码不一致", "the two passwords differ"),
    "auth_set": ("登录方式已设为：{auth}", "people now log in by: {auth}"),
    "param_set": ("已为“{unit}”设置 {workflow} 的参数 {name} = {value}", "set {name} = {value} of {workflow} for {unit}"),
    "from_now": ("自即日起", "from now"),
    "period": ("{start} 至 {end}", "{start} to {end}"),
    "open_end": ("长期", "open-ended"),
    "none": ("（无）", "(none)"),
}


def m(key: str, lang: str, **values: Any) -> str:
    zh, en = TEXT[key]
    return (zh if lang.startswith("zh") else en).format(**values)


def _day(raw: str | None, lang: str, tz: Any, what: str) -> datetime | None:
    if raw is None:
        return None
    from yishi.org.roster import _day as parse

    try:
        return parse(raw, tz)
    except ValueError:
        raise typer.BadParameter(("不是日期（如 2026-12-01）：" if lang == "zh" else "not a date (e.g. 2026-12-01): ")
                                 + raw, param_hint=what) from None


def _table(*heads: str) -> Any:
    from rich.table import Table

    grid = Table()
    for head in heads:
        grid.add_column(head, overflow="fold")
    return grid


def _h(lang: str, zh: str, en: str) -> str:
    return zh if lang.startswith("zh") else en


# ---------------------------------------------------------------- yishi init
def init(ctx: typer.Context,
         name: Annotated[str, typer.Option("--name", metavar="NAME", help="The first administrator's name.")],
         root: Annotated[str, typer.Option("--root", metavar="UNIT",
                                           help="The top unit, e.g. the street office: 东街街道.")],
         kind: Annotated[str, typer.Option("--kind", metavar="KIND",
                                           help="The top unit's kind: district/区, street/街道 …")] = "street",
         login_: Annotated[str | None, typer.Option("--login", metavar="LOGIN",
                                                    help="The administrator's login (default: yours).")] = None,
         auth_: Annotated[str, typer.Option("--auth", metavar="METHOD",
                                            help="How people log in: os, password or database.")] = "os") -> None:
    """Make a new database real: name its first administrator (you), its top unit and how
    people log in. From then on roles come only from grants and time only from the clock."""
    from yishi.org import auth

    s = session(ctx)
    engine = s.engine(ctx)
    who = login_ or auth.os_login()
    if auth_ not in auth.METHODS:
        auth.set_method(engine, auth_, by="")  # raises the clear error
    person, unit, _grant = engine.org.init(name, who, root=root, kind=kind)
    admin = engine.org  # the administrator acts from here on
    from yishi.engine.types import Actor

    me = Actor(name=person.name, person_id=person.id)
    if auth_ != "os":
        auth.set_method(engine, auth_, by=me)
    if auth_ == "password":
        _ask_password(engine, person.login or who, s.lang, by=me)
    _ = admin
    text = auth.METHODS[auth_][0 if s.lang == "zh" else 1]
    console().print(m("init_done", s.lang, name=person.name, login=person.login, unit=unit.name, auth=text),
                    soft_wrap=True)


def _ask_password(engine: Any, who: str, lang: str, *, by: Any = None) -> None:
    from yishi.errors import YishiError
    from yishi.org import auth

    first = typer.prompt(_h(lang, f"为 {who} 设置密码", f"new password for {who}"), hide_input=True, err=True)
    again = typer.prompt(_h(lang, "再输入一次", "again"), hide_input=True, err=True)
    if first != again:
        raise YishiError(m("passwords_differ", "en"), message_zh=m("passwords_differ", "zh"))
    auth.set_password(engine, who, first, by=by)


# ---------------------------------------------------------------- units
@units_app.command("add")
def unit_add(ctx: typer.Context,
             kind: Annotated[str, typer.Argument(metavar="KIND", help="区/街道/社区/网格/楼栋 (or district, street …).")],
             name: Annotated[str, typer.Argument(metavar="NAME")],
             parent: Annotated[str | None, typer.Option("--parent", metavar="UNIT",
                                                        help="The unit above (name, path or #id).")] = None,
             code: Annotated[str, typer.Option("--code", metavar="CODE", help="An official code.")] = "",
             as_json: JsonFlag = False) -> None:
    """Add an organisation unit."""
    s = session(ctx)
    engine = s.engine(ctx)
    unit = engine.org.add_unit(kind, name, parent, by=acting(ctx, engine), code=code)
    if as_json:
        emit_json(jsonable(unit))
        return
    from yishi.org.model import kind_title

    console().print(m("unit_added", s.lang, kind=kind_title(unit.kind, s.lang), label=engine.org.label(unit),
                      id=unit.id), soft_wrap=True)


@units_app.command("list")
def unit_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Every unit, as a tree."""
    from yishi.org.model import kind_title

    s = session(ctx)
    engine = s.engine(ctx)
    units = engine.org.units()
    if as_json:
        emit_json([jsonable(u) for u in units])
        return
    grid = _table("#", _h(s.lang, "类型", "kind"), _h(s.lang, "名称", "name"), _h(s.lang, "代码", "code"))
    for u in units:
        grid.add_row(str(u.id), kind_title(u.kind, s.lang), "  " * (len(u.ancestry) - 1) + u.name, u.code)
    console().print(grid)


# ---------------------------------------------------------------- people
@people_app.command("add")
def person_add(ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME")],
               login_: Annotated[str | None, typer.Option("--login", metavar="LOGIN")] = None,
               phone: Annotated[str, typer.Option("--phone", metavar="PHONE")] = "",
               wecom: Annotated[str, typer.Option("--wecom", metavar="ID", help="WeCom user id.")] = "",
               dingtalk: Annotated[str, typer.Option("--dingtalk", metavar="ID", help="DingTalk user id.")] = "",
               as_json: JsonFlag = False) -> None:
    """Add a person."""
    s = session(ctx)
    engine = s.engine(ctx)
    person = engine.org.add_person(name, by=acting(ctx, engine), login=login_, phone=phone, wecom_id=wecom,
                                   dingtalk_id=dingtalk)
    if as_json:
        emit_json({k: v for k, v in jsonable(person).items() if k != "password_hash"})
        return
    console().print(m("person_added", s.lang, name=person.name, id=person.id))


@people_app.command("list")
def person_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Every person with the roles they hold now."""
    s = session(ctx)
    engine = s.engine(ctx)
    people = engine.org.people()
    units = {u.id: u for u in engine.org.units()}
    now = engine.now()
    from yishi.org.admin import role_titles

    titles = role_titles(engine)
    rows = []
    for p in people:
        held = [g for g in engine.org.grants(p, at=now)]
        rows.append((p, [(titles.get(g.role, (g.role, g.role))[0 if s.lang == "zh" else 1],
                          engine.org.label(g.unit_id, units=units)) for g in held]))
    if as_json:
        emit_json([{"id": p.id, "name": p.name, "login": p.login, "phone": p.phone,
                    "grants": [{"role": r, "unit": u} for r, u in held]} for p, held in rows])
        return
    grid = _table("#", _h(s.lang, "姓名", "name"), _h(s.lang, "登录名", "login"), _h(s.lang, "手机", "phone"),
                  _h(s.lang, "当前授权", "grants now"))
    for p, held in rows:
        grid.add_row(str(p.id), p.name, p.login or "", p.phone,
                     "\n".join(f"{r} · {u}" for r, u in held) or m("none", s.lang))
    console().print(grid)


# ---------------------------------------------------------------- grants
@app.command()
def grant(ctx: typer.Context,
          person: Annotated[str, typer.Argument(metavar="PERSON", help="Login, name or #id.")],
          role: Annotated[str, typer.Argument(metavar="ROLE", help="A role id or its title, e.g. 网格员.")],
          unit: Annotated[str, typer.Argument(metavar="UNIT", help="Name, path (街道/社区) or #id.")],
          valid_from: Annotated[str | None, typer.Option("--from", metavar="DATE")] = None,
          valid_until: Annotated[str | None, typer.Option("--until", metavar="DATE")] = None,
          as_json: JsonFlag = False) -> None:
    """Give PERSON the ROLE in UNIT (and the units under it) for a period."""
    from yishi.org.admin import role_from_title, role_titles

    s = session(ctx)
    engine = s.engine(ctx)
    start = _day(valid_from, s.lang, engine.tz, "'--from'")
    until = _day(valid_until, s.lang, engine.tz, "'--until'")
    g = engine.org.grant(person, role_from_title(engine, role), unit, by=acting(ctx, engine),
                         valid_from=start, valid_until=until)
    if as_json:
        emit_json(jsonable(g))
        return
    who = engine.org.person(g.person_id)
    title = role_titles(engine).get(g.role, (g.role, g.role))[0 if s.lang == "zh" else 1]
    period = m("period", s.lang, start=local(g.valid_from, s.lang) if start else m("from_now", s.lang),
               end=local(g.valid_until, s.lang) if g.valid_until else m("open_end", s.lang))
    console().print(m("granted", s.lang, name=who.name, unit=engine.org.label(g.unit_id), role=title, id=g.id,
                      period=period), soft_wrap=True)


@app.command()
def revoke(ctx: typer.Context, grant_id: Annotated[int, typer.Argument(metavar="GRANT", help="The grant number.")]) -> None:
    """End a grant now."""
    s = session(ctx)
    engine = s.engine(ctx)
    engine.org.revoke(grant_id, by=acting(ctx, engine))
    console().print(m("revoked", s.lang, id=grant_id))


@app.command("grants")
def grants_(ctx: typer.Context, person: Annotated[str | None, typer.Argument(metavar="PERSON")] = None,
            as_json: JsonFlag = False) -> None:
    """Every grant (of one person), revoked ones too."""
    from yishi.org.admin import role_titles

    s = session(ctx)
    engine = s.engine(ctx)
    who = engine.org.find_person(person) if person else None
    found = engine.org.grants(who)
    if as_json:
        emit_json([jsonable(g) for g in found])
        return
    units = {u.id: u for u in engine.org.units()}
    names = {p.id: p.name for p in engine.org.people()}
    titles = role_titles(engine)
    grid = _table("#", _h(s.lang, "人员", "person"), _h(s.lang, "角色", "role"), _h(s.lang, "单位", "unit"),
                  _h(s.lang, "起", "from"), _h(s.lang, "止", "until"), _h(s.lang, "授权人", "granted by"),
                  _h(s.lang, "撤销", "revoked"))
    for g in found:
        grid.add_row(str(g.id), names.get(g.person_id, ""), titles.get(g.role, (g.role, g.role))[0 if s.lang == "zh" else 1],
                     engine.org.label(g.unit_id, units=units), local(g.valid_from, s.lang),
                     local(g.valid_until, s.lang), g.granted_by,
                     f"{local(g.revoked_at, s.lang)} {g.revoked_by}" if g.revoked_at else "")
    console().print(grid)


@app.command("import")
def import_(ctx: typer.Context, path: Annotated[Path, typer.Argument(metavar="FILE", help="A .xlsx or .csv roster.")],
            as_json: JsonFlag = False) -> None:
    """Import people and grants from a roster (headers such as 姓名 登录名 手机 角色 街道 社区 网格
    起始日期 截止日期). Any bad row: nothing is imported and each bad row is listed."""
    from yishi.org.roster import import_roster

    s = session(ctx)
    engine = s.engine(ctx)
    result = import_roster(engine, path, by=acting(ctx, engine))
    if as_json:
        emit_json(jsonable(result))
        return
    console().print(m("imported", s.lang, rows=result.rows, people=result.people, grants=result.grants,
                      units=result.units))


@app.command()
def log(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """The administration log: every unit, person, grant, revocation and setting, in order."""
    s = session(ctx)
    engine = s.engine(ctx)
    entries = engine.org.log()
    if as_json:
        emit_json([jsonable(e) for e in entries])
        return
    grid = _table("#", _h(s.lang, "时间", "time"), _h(s.lang, "类别", "kind"), _h(s.lang, "操作人", "by"),
                  _h(s.lang, "内容", "what"))
    for e in entries:
        what = ", ".join(f"{k}={v}" for k, v in e.data.items() if v not in (None, ""))
        grid.add_row(str(e.seq), local(e.at, s.lang), e.kind, e.actor, what)
    console().print(grid)


@app.command()
def verify(ctx: typer.Context) -> None:
    """Recompute the administration log's hash chain (exit 1 if it was changed)."""
    from yishi.errors import YishiError

    s = session(ctx)
    report = s.engine(ctx).org.verify()
    if not report.ok:
        seq, en, zh = report.broken[0]
        raise YishiError(en, message_zh=zh)
    console().print(m("log_ok", s.lang, n=report.entries))


@app.command()
def password(ctx: typer.Context, person: Annotated[str | None, typer.Argument(
        metavar="PERSON", help="Whose password (an administrator sets others'); default: yours.")] = None) -> None:
    """Set a password (asked twice, never echoed; stored as an Argon2 hash)."""
    from yishi.cli.identity import is_real

    s = session(ctx)
    engine = s.engine(ctx)
    me = acting(ctx, engine)
    target = engine.org.find_person(person) if person else engine.org.find_person(
        me.person_id if me.person_id is not None else me.name)
    own = me.person_id == target.id or (not is_real(engine) and person is None)
    _ask_password(engine, target.login or f"#{target.id}", s.lang, by=None if own else me)
    console().print(m("password_set", s.lang, name=target.name))


@app.command("auth")
def auth_(ctx: typer.Context, method: Annotated[str, typer.Argument(metavar="METHOD", help="os, password or database.")]) -> None:
    """Choose how people log in to this deployment."""
    from yishi.org import auth

    s = session(ctx)
    engine = s.engine(ctx)
    auth.set_method(engine, method, by=acting(ctx, engine))
    console().print(m("auth_set", s.lang, auth=auth.METHODS[method][0 if s.lang == "zh" else 1]))


@app.command("param")
def param(ctx: typer.Context, unit: Annotated[str, typer.Argument(metavar="UNIT")],
          workflow: Annotated[str, typer.Argument(metavar="WORKFLOW")],
          name: Annotated[str, typer.Argument(metavar="NAME")],
          value: Annotated[str, typer.Argument(metavar="VALUE", help="e.g. 5d, 2/3, 10")]) -> None:
    """Override a workflow's param for UNIT and the units under it."""
    from yishi.cli.context import parse_value

    s = session(ctx)
    engine = s.engine(ctx)
    where = engine.org.set_param(unit, workflow, name, parse_value(value), by=acting(ctx, engine))
    console().print(m("param_set", s.lang, unit=engine.org.label(where), workflow=workflow, name=name, value=value))


# ---------------------------------------------------------------- yishi params
def params(ctx: typer.Context, workflow: Annotated[str, typer.Argument(metavar="WORKFLOW")],
           unit: Annotated[str | None, typer.Option("--unit", metavar="UNIT",
                                                    help="As this unit sees them (name, path or #id).")] = None,
           as_json: JsonFlag = False) -> None:
    """A workflow's params: the value in effect (for a unit) and where it comes from."""
    from yishi.cli.output import display  # noqa: F401 - keeps the output module's formatting rules
    from yishi.durations import format_duration
    from yishi.org.params import effective

    s = session(ctx)
    engine = s.engine(ctx)
    where = engine.org.find_unit(unit) if unit else None
    rows = effective(engine, workflow, where)

    def shown(value: Any) -> str:
        from datetime import timedelta

        return format_duration(value) if isinstance(value, timedelta) else str(value)

    if as_json:
        emit_json([{"name": r.name, "value": shown(r.value), "source": r.source, "unit": r.unit} for r in rows])
        return
    grid = _table(_h(s.lang, "参数", "param"), _h(s.lang, "名称", "title"), _h(s.lang, "取值", "value"),
                  _h(s.lang, "来源", "from"))
    for r in rows:
        grid.add_row(f"${r.name}", r.title_zh if s.lang == "zh" else r.title_en, shown(r.value), r.source_text(s.lang))
    console().print(grid)


def register(root: typer.Typer) -> None:
    root.command(name="init")(init)
    root.command(name="params")(params)  # the org group itself is registered lazily (yishi.cli.lazy)



