"""Administering the organisation: units, people, grants and revocations, each recorded in the
append-only, hash-chained administration log in the same transaction as the change."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from yishi.clock import as_utc
from yishi.errors import NotFoundError, RefusedError, YishiError
from yishi.org.chain import GENESIS, LogReport, entry_hash, verify_log
from yishi.org.model import (
    ADMIN_ROLE, ADMIN_TITLE, KIND_WORDS, KINDS, Grant, LogEntry, Person, Unit, kind_rank, kind_title,
)

if TYPE_CHECKING:
    from yishi.engine.engine import Engine
    from yishi.engine.types import Actor
    from yishi.org.store import OrgTx

RESERVED_NAMES = {"system", "系统"}


class OrgError(YishiError):
    """Bad input for the organisation (a unit, person or grant); nothing was changed."""


def check_name(name: str | None) -> str:
    """A person's name, stripped. Raises ``OrgError`` for an empty name or a reserved one."""
    text = (name or "").strip()
    if not text:
        raise OrgError("a person's name cannot be empty", message_zh="姓名不能为空")
    if text.lower() in RESERVED_NAMES:
        raise OrgError(f"{text!r} is reserved for the engine's own timers; choose another name",
                       message_zh=f"“{text}”是系统保留名（用于自动计时），请换一个姓名")
    return text


def parse_kind(raw: str) -> str:
    kind = KIND_WORDS.get((raw or "").strip().lower()) or KIND_WORDS.get((raw or "").strip())
    if kind is None:
        zh = "、".join(z for z, _ in KINDS.values())
        raise OrgError(f"unknown kind of unit {raw!r}; use one of: {', '.join(KINDS)}",
                       message_zh=f"未知的单位类型“{raw}”；可用：{zh}")
    return kind


class Org:
    """The organisation of one engine's database. Every change is one transaction and one log entry.

    ``by`` names who makes a change: on a real database an administrator (a person holding the
    ``admin`` grant on the unit concerned or above it); elsewhere anyone.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------ reading
    def units(self) -> list[Unit]:
        with self.engine.store.read() as tx:
            return tx.org().units()

    def unit(self, unit_id: int) -> Unit:
        with self.engine.store.read() as tx:
            return _unit_or_raise(tx.org(), unit_id)

    def find_unit(self, text: str | int) -> Unit:
        """A unit by id ("12" or "#12"), code, name, or path of names ("东街街道/和平社区")."""
        with self.engine.store.read() as tx:
            return find_unit(tx.org(), text)

    def label(self, unit: Unit | int | None, *, units: dict[int, Unit] | None = None) -> str:
        """The unit's names from the top down, e.g. "东街街道/和平社区/第一网格"."""
        if unit is None:
            return ""
        if units is None:
            units = {u.id: u for u in self.units()}
        target = units.get(unit) if isinstance(unit, int) else unit
        if target is None:
            return ""
        return "/".join(units[i].name for i in target.ancestry if i in units)

    def people(self) -> list[Person]:
        with self.engine.store.read() as tx:
            return tx.org().people()

    def person(self, person_id: int) -> Person:
        with self.engine.store.read() as tx:
            found = tx.org().person(person_id)
        if found is None:
            raise NotFoundError(f"no person #{person_id}", message_zh=f"没有人员 #{person_id}")
        return found

    def find_person(self, text: str | int) -> Person:
        """A person by id ("#3"), login or (unique) name."""
        with self.engine.store.read() as tx:
            return find_person(tx.org(), text)

    def grants(self, person: Person | int | None = None, *, at: datetime | None = None) -> list[Grant]:
        """Grants (of one person), with revoked ones; with ``at``, only those valid then."""
        pid = person.id if isinstance(person, Person) else person
        with self.engine.store.read() as tx:
            found = tx.org().grants(person_id=pid)
        if at is not None:
            found = [g for g in found if g.valid_at(as_utc(at))]
        return found

    def log(self) -> list[LogEntry]:
        with self.engine.store.read() as tx:
            return tx.org().log()

    def verify(self) -> LogReport:
        return verify_log(self.log())

    def initialised(self) -> bool:
        with self.engine.store.read() as tx:
            return tx.org().log_tail(lock=False)[0] > 0

    # ------------------------------------------------------------ changing
    def init(self, name: str, login: str, *, root: str, kind: str = "street") -> tuple[Person, Unit, Grant]:
        """Make this database real: its first administrator ``name`` (logging in as ``login``)
        holds ``admin`` on the root unit ``root``. From now on roles come only from grants.

        Raises ``OrgError`` when the database has an organisation already.
        """
        name = check_name(name)
        login = (login or "").strip()
        if not login:
            raise OrgError("the first administrator needs a login", message_zh="首位管理员须有登录名")
        kind = parse_kind(kind)
        root = (root or "").strip()
        if not root:
            raise OrgError("name the top unit (e.g. the street office)", message_zh="请填写最上级单位名称（如街道）")
        if getattr(self.engine, "mode", None) == "simulation":
            raise OrgError("this is a simulation database (its history is made up); it cannot become real — "
                           "create a new database for yishi init",
                           message_zh="这是模拟数据库（其中的记录是虚构的），不能改为正式数据库；请为 yishi init 新建数据库")
        now = self.engine.now()
        with self.engine.store.write() as tx:
            org = tx.org()
            if org.log_tail(lock=True)[0] or org.units() or org.people():
                raise OrgError("this database has an organisation already; yishi init is for a new database",
                               message_zh="此数据库已有组织机构；yishi init 只用于新数据库")
            self._log(org, now, "init", name, {"mode": "real", "login": login})
            unit = org.add_unit(kind=kind, name=root, parent=None, code="", at=now)
            self._log(org, now, "unit", name, {"unit": unit.id, "kind": kind, "name": root, "parent": None,
                                               "code": ""})
            person = self._add_person(org, now, name, name, login, "", "", "")
            grant = self._grant(org, now, name, person, ADMIN_ROLE, unit, None, None)
        set_mode = getattr(self.engine, "set_mode", None)
        if callable(set_mode):  # the database mode (yishi.time): real from now on
            set_mode("real")
        from yishi.org.mode import forget_mode
        forget_mode(self.engine)
        return person, unit, grant

    def add_unit(self, kind: str, name: str, parent: Unit | int | str | None = None, *, by: Actor,
                 code: str = "") -> Unit:
        """Add a unit under ``parent``. Raises ``OrgError`` (bad kind, empty or duplicate name,
        a kind that cannot sit under the parent), ``NotFoundError`` or ``RefusedError``."""
        kind = parse_kind(kind)
        name = (name or "").strip()
        if not name:
            raise OrgError("a unit's name cannot be empty", message_zh="单位名称不能为空")
        now = self.engine.now()
        with self.engine.store.write() as tx:
            org = tx.org()
            up = find_unit(org, parent) if parent is not None and not isinstance(parent, Unit) else parent
            if isinstance(up, Unit) and kind_rank(kind) <= kind_rank(up.kind):
                raise OrgError(
                    f"a {kind_title(kind, 'en')} cannot be placed under a {kind_title(up.kind, 'en')} ({up.name})",
                    message_zh=f"{kind_title(kind)}不能设在{kind_title(up.kind)}（{up.name}）之下")
            siblings = [u for u in org.units() if u.parent_id == (up.id if up else None) and u.name == name]
            if siblings:
                raise OrgError(f"{name!r} exists already there", message_zh=f"“{name}”已存在")
            self._require_admin(org, by, up, now)
            return self._add_unit(org, now, by, kind, name, up, code)

    def _add_unit(self, org: OrgTx, now: datetime, by: Actor | str, kind: str, name: str,
                  up: Unit | None, code: str = "") -> Unit:
        unit = org.add_unit(kind=kind, name=name, parent=up, code=(code or "").strip(), at=now)
        self._log(org, now, "unit", by, {"unit": unit.id, "kind": kind, "name": name,
                                         "parent": up.id if up else None, "code": unit.code})
        return unit

    def add_person(self, name: str, *, by: Actor, login: str | None = None, phone: str = "",
                   wecom_id: str = "", dingtalk_id: str = "") -> Person:
        """Add a person. Raises ``OrgError`` (empty or reserved name, a login in use)."""
        name = check_name(name)
        login = (login or "").strip() or None
        now = self.engine.now()
        with self.engine.store.write() as tx:
            org = tx.org()
            self._require_admin(org, by, None, now)
            person = self._add_person(org, now, by, name, login, phone, wecom_id, dingtalk_id)
        return person

    def _add_person(self, org: OrgTx, now: datetime, by: Actor | str, name: str, login: str | None,
                    phone: str, wecom_id: str, dingtalk_id: str) -> Person:
        if login is not None and org.person_by(login=login):
            raise OrgError(f"the login {login!r} belongs to someone else already",
                           message_zh=f"登录名“{login}”已被他人使用")
        person = org.add_person(name=name, login=login, phone=(phone or "").strip(),
                                wecom_id=(wecom_id or "").strip(), dingtalk_id=(dingtalk_id or "").strip(),
                                at=now)
        self._log(org, now, "person", by, {"person": person.id, "name": name, "login": login,
                                           "phone": person.phone, "wecom_id": person.wecom_id,
                                           "dingtalk_id": person.dingtalk_id})
        return person

    def grant(self, person: Person | int | str, role: str, unit: Unit | int | str, *, by: Actor,
              valid_from: datetime | None = None, valid_until: datetime | None = None) -> Grant:
        """``person`` holds ``role`` in ``unit`` from ``valid_from`` (default now) until
        ``valid_until`` (default: open-ended). Raises ``OrgError`` (unknown role, a period that
        ends before it begins), ``NotFoundError`` or ``RefusedError`` (``by`` is no administrator)."""
        now = self.engine.now()
        with self.engine.store.write() as tx:
            org = tx.org()
            who = person if isinstance(person, Person) else find_person(org, person)
            where = unit if isinstance(unit, Unit) else find_unit(org, unit)
            self._require_admin(org, by, where, now)
            return self._grant(org, now, by, who, role, where, valid_from, valid_until)

    def _grant(self, org: OrgTx, now: datetime, by: Actor | str, who: Person, role: str, where: Unit,
               valid_from: datetime | None, valid_until: datetime | None) -> Grant:
        role = (role or "").strip()
        check_role(self.engine, role)
        start = as_utc(valid_from) if valid_from is not None else now
        until = as_utc(valid_until) if valid_until is not None else None
        if until is not None and until <= start:
            raise OrgError("a grant must end after it begins", message_zh="授权的结束时间须晚于开始时间")
        grant = org.add_grant(Grant(id=0, person_id=who.id, role=role, unit_id=where.id, valid_from=start,
                                    valid_until=until, granted_by=_name(by), granted_at=now))
        self._log(org, now, "grant", by, {"grant": grant.id, "person": who.id, "name": who.name,
                                          "role": role, "unit": where.id, "unit_name": where.name,
                                          "from": start.isoformat(),
                                          "until": until.isoformat() if until else None})
        return grant

    def revoke(self, grant_id: int, *, by: Actor) -> Grant:
        """End a grant now. Raises ``NotFoundError`` or ``RefusedError``."""
        now = self.engine.now()
        with self.engine.store.write() as tx:
            org = tx.org()
            found = [g for g in org.grants() if g.id == grant_id]
            if not found:
                raise NotFoundError(f"no grant #{grant_id}", message_zh=f"没有授权 #{grant_id}")
            grant = found[0]
            if grant.revoked_at is not None:
                raise OrgError(f"grant #{grant_id} was revoked already", message_zh=f"授权 #{grant_id} 已撤销")
            self._require_admin(org, by, _unit_or_raise(org, grant.unit_id), now)
            org.revoke_grant(grant_id, at=now, by=_name(by))
            self._log(org, now, "revoke", by, {"grant": grant_id, "person": grant.person_id,
                                               "role": grant.role, "unit": grant.unit_id})
        return replace(grant, revoked_at=now, revoked_by=_name(by))

    def set_param(self, unit: Unit | int | str, workflow_id: str, name: str, value: Any, *, by: Actor) -> Unit:
        """Override the workflow's param ``name`` for ``unit`` and the units under it.

        Raises ``NotFoundError`` (unknown workflow or unit), ``OrgError`` (no such param, or a
        value of the wrong kind, e.g. "5x" for a duration) or ``RefusedError``.
        """
        wf = self.engine.workflow(workflow_id).workflow
        if name not in wf.params:
            known = ", ".join(wf.params) or "none"
            raise OrgError(f"{wf.title.en} has no param {name!r}; its params: {known}",
                           message_zh=f"“{wf.title.zh}”没有参数“{name}”；可用：{known}")
        try:
            wf.param_value(name, {name: value})
        except ValueError as exc:
            title = wf.params[name].title
            raise OrgError(f"{title.en}: {exc}", message_zh=f"{title.zh}：取值不对（{value!r}）") from None
        now = self.engine.now()
        with self.engine.store.write() as tx:
            org = tx.org()
            where = unit if isinstance(unit, Unit) else find_unit(org, unit)
            self._require_admin(org, by, where, now)
            org.set_unit_param(where.id, wf.id, name, value)
            self._log(org, now, "param", by, {"unit": where.id, "workflow": wf.id, "name": name, "value": value})
        from yishi.org.params import forget
        forget(self.engine)
        return where

    # ------------------------------------------------------------ internals
    def _require_admin(self, org: OrgTx, by: Actor | str, unit: Unit | None, now: datetime) -> None:
        """On a real database only an administrator of ``unit`` (or above; None: of anything) may
        change the organisation."""
        from yishi.org.mode import mode_of

        if isinstance(by, str) or mode_of(self.engine) != "real":
            return
        from yishi.org.authority import person_of

        person = person_of(org, by)
        admin = [g for g in org.grants(person_id=person.id, role=ADMIN_ROLE) if g.valid_at(now)]
        if unit is None and admin:
            return
        if unit is not None:
            covering = set(unit.ancestry)
            if any(g.unit_id in covering for g in admin):
                return
        where_zh = f"“{unit.name}”的" if unit else ""
        where_en = f" of {unit.name}" if unit else ""
        raise RefusedError(f"only an {ADMIN_TITLE[1]}{where_en} may change the organisation "
                           f"(missing grant: {ADMIN_TITLE[1]}{where_en})",
                           message_zh=f"只有{where_zh}{ADMIN_TITLE[0]}可以修改组织机构（缺少授权：{where_zh}{ADMIN_TITLE[0]}）")

    def _log(self, org: OrgTx, now: datetime, kind: str, by: Actor | str, data: dict[str, Any]) -> LogEntry:
        seq, prev = org.log_tail(lock=True)
        prev = prev or GENESIS
        actor = _name(by)
        entry = LogEntry(seq=seq + 1, at=now, kind=kind, actor=actor, data=data, prev_hash=prev,
                         hash=entry_hash(seq=seq + 1, at=now, kind=kind, actor=actor, data=data, prev_hash=prev))
        org.append_log(entry)
        return entry


def _name(by: Actor | str) -> str:
    return by if isinstance(by, str) else by.name


def _unit_or_raise(org: OrgTx, unit_id: int) -> Unit:
    found = org.unit(unit_id)
    if found is None:
        raise NotFoundError(f"no organisation unit #{unit_id}", message_zh=f"没有组织单位 #{unit_id}")
    return found


def find_unit(org: OrgTx, text: Any) -> Unit:
    """A unit by id, "#id", code, unique name, or a path of names separated by "/"."""
    if isinstance(text, Unit):
        return text
    raw = str(text).strip()
    if isinstance(text, int) or raw.lstrip("#").isdigit():
        return _unit_or_raise(org, int(raw.lstrip("#")))
    units = org.units()
    by_id = {u.id: u for u in units}
    parts = [p.strip() for p in raw.split("/") if p.strip()]
    found = [u for u in units if u.code and u.code == raw]
    if not found and parts:
        def names(u: Unit) -> list[str]:
            return [by_id[i].name for i in u.ancestry if i in by_id]
        found = [u for u in units if names(u)[-len(parts):] == parts]
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFoundError(f"no organisation unit called {raw!r}", message_zh=f"没有名为“{raw}”的组织单位")
    paths = "; ".join("/".join(by_id[i].name for i in u.ancestry) for u in found)
    raise OrgError(f"several units are called {raw!r} ({paths}); give its path, e.g. 街道/社区",
                   message_zh=f"有多个单位名为“{raw}”（{paths}）；请写出上级，如“街道/社区”")


def find_person(org: OrgTx, text: Any) -> Person:
    """A person by id ("#3"), login, or name when only one person has it."""
    if isinstance(text, Person):
        return text
    raw = str(text).strip()
    if isinstance(text, int) or (raw.startswith("#") and raw[1:].isdigit()):
        found = org.person(int(raw.lstrip("#")))
        if found is None:
            raise NotFoundError(f"no person #{raw.lstrip('#')}", message_zh=f"没有人员 #{raw.lstrip('#')}")
        return found
    people = org.person_by(login=raw) or org.person_by(name=raw)
    if len(people) == 1:
        return people[0]
    if not people:
        raise NotFoundError(f"no person with the login or name {raw!r}", message_zh=f"没有登录名或姓名为“{raw}”的人员")
    ids = ", ".join(f"#{p.id}" for p in people)
    raise OrgError(f"several people are called {raw!r} ({ids}); use their login or #id",
                   message_zh=f"有多人名为“{raw}”（{ids}）；请用登录名或 #编号")


def check_role(engine: Engine, role: str) -> None:
    """Raise ``OrgError`` unless some workflow declares ``role`` (or it is ``admin``)."""
    if role == ADMIN_ROLE:
        return
    known = role_titles(engine)
    if role not in known:
        zh = "、".join(f"{k}（{v[0]}）" for k, v in known.items())
        en = ", ".join(f"{k} ({v[1]})" for k, v in known.items())
        raise OrgError(f"no workflow has the role {role!r}; known roles: {en}",
                       message_zh=f"没有流程使用角色“{role}”；可用角色：{zh}")


def role_titles(engine: Engine) -> dict[str, tuple[str, str]]:
    """Every role the loaded workflows declare (and ``admin``): id → (zh, en) title."""
    out: dict[str, tuple[str, str]] = {ADMIN_ROLE: ADMIN_TITLE}
    for loaded in engine.workflows():
        for rid, role in loaded.workflow.roles.items():
            out.setdefault(rid, (role.title.zh, role.title.en))
    return out


def role_from_title(engine: Engine, text: str) -> str:
    """A role id from its id or its title in either language (the roster says 网格员)."""
    raw = (text or "").strip()
    titles = role_titles(engine)
    if raw in titles:
        return raw
    for rid, (zh, en) in titles.items():
        if raw in (zh, en) or raw.lower() == en.lower():
            return rid
    for loaded in engine.workflows():  # any workflow's title for the role (they differ a little)
        for rid, role in loaded.workflow.roles.items():
            zh = role.title.zh
            if raw in (zh, role.title.en) or raw == zh.split("（")[0] or raw.lower() == role.title.en.lower():
                return rid
    check_role(engine, raw)
    return raw
