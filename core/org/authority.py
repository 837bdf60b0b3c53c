"""Who may act: an actor's roles from grants for the case's unit at the time of the step.

On a real database roles come only from grants; declared roles are refused. On a sandbox or
simulation database declared roles are honoured (tests, the testing kit, the demo), and a
person who declares none gets their grants.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from yishi.engine.types import SYSTEM, Actor, Verdict
from yishi.errors import RefusedError
from yishi.org.admin import OrgError, check_name
from yishi.org.model import Grant, Person, Unit

if TYPE_CHECKING:
    from yishi.org.store import OrgTx


def _refuse(rule: str, zh: str, en: str) -> RefusedError:
    return RefusedError(en, message_zh=zh, verdicts=[Verdict(rule, False, zh, en)])


def person_of(org: OrgTx, actor: Actor) -> Person:
    """The person ``actor`` names (by id, else login, else unique name). Raises ``RefusedError``."""
    found = org.person(actor.person_id) if actor.person_id is not None else None
    if found is None:
        people = org.person_by(login=actor.name) or org.person_by(name=actor.name)
        if len(people) > 1:
            raise _refuse("person", f"有多人名为“{actor.name}”；请以登录名办理",
                          f"several people are called {actor.name!r}; act under your login")
        found = people[0] if people else None
    if found is None or not found.active:
        raise _refuse("person", f"“{actor.name}”不是本机构登记的人员",
                      f"{actor.name!r} is not a person registered in this organisation")
    return found


def covering(grants: list[Grant], unit: Unit | None, now: datetime) -> list[Grant]:
    """Grants valid at ``now`` for ``unit``: held there or on a unit above it (a street
    office's grant covers its communities). With no unit, every valid grant counts."""
    valid = [g for g in grants if g.valid_at(now)]
    if unit is None:
        return valid
    above = set(unit.ancestry)
    return [g for g in valid if g.unit_id in above]


def resolve(org: OrgTx, actor: Actor, unit_id: int | None, now: datetime, mode: str) -> Actor:
    """``actor`` with the roles they hold for ``unit_id`` at ``now``.

    Raises ``RefusedError`` for a reserved or empty name, declared roles on a real database, or
    (on a real database) someone who is not a registered person.
    """
    if actor is SYSTEM:
        return actor
    try:
        check_name(actor.name)
    except OrgError as exc:
        raise _refuse("person", exc.message_zh, exc.message) from None
    if actor.roles and actor.person_id is None:
        if mode == "real":
            raise _refuse("person", "正式数据库不接受自报的角色（--role）；角色只来自授权",
                          "declared roles are not accepted on a real database; roles come only from grants")
        return actor
    try:
        person = person_of(org, actor)
    except RefusedError:
        if mode == "real":
            raise
        return actor  # a sandbox name without roles, as before
    unit = org.unit(unit_id) if unit_id is not None else None
    held = covering(org.grants(person_id=person.id), unit, now)
    names = {u.id: u.name for u in org.units()} if held or unit else {}
    label = "/".join(names.get(i, "") for i in unit.ancestry) if unit else ""
    refs: dict[str, tuple[str, int, int, str]] = {}
    for g in held:
        refs.setdefault(g.role, (g.role, g.id, g.unit_id, names.get(g.unit_id, "")))
    return Actor(name=person.name, roles=frozenset(refs), person_id=person.id,
                 grants=tuple(refs.values()), where=label)


def all_roles(org: OrgTx, actor: Actor, now: datetime, mode: str) -> Actor:
    """``actor`` with every role they hold anywhere now (for headers and "my actions")."""
    return resolve(org, actor, None, now, mode)


def scope(org: OrgTx, actor: Actor, now: datetime, mode: str) -> tuple[int, ...] | None:
    """The units whose cases ``actor`` may see now (their grants' units and everything below),
    or None for no limit (a sandbox actor with declared roles, or the engine itself)."""
    if actor is SYSTEM or (actor.roles and actor.person_id is None and mode != "real"):
        return None
    try:
        person = person_of(org, actor)
    except RefusedError:
        if mode == "real":
            return ()
        return None
    held = covering(org.grants(person_id=person.id), None, now)
    units = [u for u in (org.unit(i) for i in sorted({g.unit_id for g in held})) if u is not None]
    return tuple(org.descendants(units))


def role_refusal(titles: dict[str, tuple[str, str]], need: list[str], actor: Actor, *,
                 start: bool = False) -> Verdict:
    """The role verdict: which grant is missing (resolved actors) or which role (declared)."""
    need_zh = "、".join(titles.get(r, (r, r))[0] for r in need)
    need_en = ", ".join(titles.get(r, (r, r))[1] for r in need)
    if actor.person_id is not None:
        need_zh = "或".join(titles.get(r, (r, r))[0] for r in need)
        need_en = " or ".join(titles.get(r, (r, r))[1] for r in need)
        where_zh = f"“{actor.where}”的" if actor.where else ""
        where_en = f" for {actor.where}" if actor.where else ""
        mine_zh = "、".join(titles.get(r, (r, r))[0] for r in sorted(actor.roles)) or "无"
        mine_en = ", ".join(titles.get(r, (r, r))[1] for r in sorted(actor.roles)) or "none"
        return Verdict("role", False,
                       f"缺少授权：{where_zh}{need_zh}（你在此的授权：{mine_zh}）",
                       f"missing grant: {need_en}{where_en} (your grants there: {mine_en})")
    mine = ", ".join(sorted(actor.roles)) or "none"
    if start:
        return Verdict("role", False, f"只有{need_zh}可以发起此流程", f"only {need_en} may start this procedure")
    return Verdict("role", False, f"此步骤须由{need_zh}办理（你的角色：{mine}）",
                   f"only {need_en} may take this step (your roles: {mine})")


def with_unit(actor: Actor, unit: Unit | None) -> Actor:
    return replace(actor, where=unit.name if unit else actor.where)


def holders(org: OrgTx, unit_id: int, roles: list[str], now: datetime) -> list[dict[str, object]]:
    """The people who hold ``roles`` for the unit ``unit_id`` at ``now``: on that unit or the
    units above it (tier 4 of a grid event is the street that its community belongs to, tier 5
    its district), each once per role with their contact ids for the notifiers."""
    unit = org.unit(unit_id)
    if unit is None or not roles:
        return []
    above = unit.ancestry
    grants = [g for g in org.grants(unit_ids=above) if g.role in roles and g.valid_at(now)]
    names = {u.id: u.name for u in org.units()} if grants else {}
    out: list[dict[str, object]] = []
    seen: set[tuple[int, str]] = set()
    for g in sorted(grants, key=lambda g: (roles.index(g.role), -above.index(g.unit_id), g.id)):
        if (g.person_id, g.role) in seen:
            continue
        person = org.person(g.person_id)
        if person is None or not person.active:
            continue
        seen.add((g.person_id, g.role))
        out.append({"id": person.id, "name": person.name, "login": person.login, "phone": person.phone,
                    "wecom_id": person.wecom_id, "dingtalk_id": person.dingtalk_id, "role": g.role,
                    "unit": g.unit_id, "unit_name": names.get(g.unit_id, "")})
    return out


def lapsed_refusal(org: OrgTx, actor: Actor, unit_id: int, now: datetime, tz: object,
                   titles: dict[str, tuple[str, str]]) -> RefusedError | None:
    """For someone with no grant valid now for ``unit_id``: a refusal naming the grant they
    hold there outside its period (not yet valid, expired, revoked), or None (not theirs to see)."""
    unit = org.unit(unit_id)
    if unit is None or actor.person_id is None:
        return None
    above = set(unit.ancestry)
    held = [g for g in org.grants(person_id=actor.person_id) if g.unit_id in above]
    if not held:
        return None
    g = held[-1]
    names = {u.id: u.name for u in org.units()}
    where = names.get(g.unit_id, "")

    def day(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d") if moment else ""  # type: ignore[arg-type]

    if g.revoked_at is not None and g.revoked_at <= now:
        zh, en = f"已于 {day(g.revoked_at)} 撤销", f"was revoked on {day(g.revoked_at)}"
    elif now < g.valid_from:
        zh, en = f"自 {day(g.valid_from)} 起生效", f"is valid only from {day(g.valid_from)}"
    else:
        zh, en = f"已于 {day(g.valid_until)} 到期", f"expired on {day(g.valid_until)}"
    title = titles.get(g.role, (g.role, g.role))
    return _refuse("role", f"缺少有效授权：你在“{where}”的{title[0]}授权{zh}",
                   f"missing grant: your grant as {title[1]} for {where} {en}")
