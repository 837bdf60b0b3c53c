"""Who may act: the engine's side of yishi.org (a case's unit; roles from grants; what the
event records about the grant that authorised a step)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from yishi.engine.types import SYSTEM, Actor, Verdict
from yishi.org.mode import mode_of  # on every step: imported once, not in the function

if TYPE_CHECKING:
    from yishi.definition.models import Workflow
    from yishi.engine.engine import Engine
    from yishi.engine.types import Case
    from yishi.storage import Tx


def case_unit(tx: Tx, unit: Any, source: Case | None) -> int | None:
    """The id of the unit a new case belongs to: ``unit`` (a Unit, id, code, name or path),
    else the unit of the case it continues. Raises ``NotFoundError`` for an unknown unit."""
    if unit is None:
        return source.unit_id if source is not None else None
    from yishi.org.admin import find_unit

    return find_unit(tx.org(), unit).id


def _declared(engine: Engine, tx: Tx, actor: Actor) -> bool:
    """Declared roles on a sandbox or simulation database: honoured as they are, no lookup."""

    return bool(actor.roles) and actor.person_id is None and mode_of(engine, tx) != "real" \
        and bool(actor.name.strip()) and actor.name.strip().lower() not in ("system", "系统")


def authorise(engine: Engine, tx: Tx, actor: Actor, unit_id: int | None, now: datetime, *,
              case: Case | None = None) -> Actor:
    """``actor`` with the roles that count for a case of ``unit_id`` at ``now`` (see
    ``yishi.org.authority.resolve``). Raises ``RefusedError``; with ``case``, raises
    ``NotFoundError`` when the case lies outside the actor's units (not found, not refused)."""
    if actor is SYSTEM or _declared(engine, tx, actor):
        return actor
    from yishi.org.authority import resolve

    resolved = resolve(tx.org(), actor, unit_id, now, mode_of(engine, tx))
    if case is not None and resolved.person_id is not None and not resolved.grants \
            and case.unit_id is not None:
        from yishi.org.admin import role_titles
        from yishi.org.authority import lapsed_refusal

        titles = {**role_titles(engine), **{r: (role.title.zh, role.title.en)
                                            for r, role in engine.definition_of(case).roles.items()}}
        refusal = lapsed_refusal(tx.org(), resolved, case.unit_id, now, engine.tz, titles)
        if refusal is None:
            _not_found(case.id)
        raise refusal
    return resolved


def _not_found(case_id: int) -> None:
    from yishi.errors import NotFoundError

    raise NotFoundError(f"no case #{case_id}", message_zh=f"没有案件 #{case_id}")


def visible_units(engine: Engine, tx: Tx, actor: Actor, now: datetime) -> tuple[int, ...] | None:
    """The units whose cases ``actor`` may see (None: no limit; () on a real database for
    someone who holds no grant)."""
    if actor is SYSTEM or _declared(engine, tx, actor):
        return None
    from yishi.org.authority import scope

    return scope(tx.org(), actor, now, mode_of(engine, tx))


def in_scope(engine: Engine, tx: Tx, filt: Any, actor: Actor | None) -> Any:
    """``filt`` narrowed to the units ``actor`` may see."""
    if actor is None:
        return filt
    units = visible_units(engine, tx, actor, engine.now())
    if units is None:
        return filt
    from dataclasses import replace

    if filt.units is not None:
        units = tuple(u for u in filt.units if u in set(units))
    return replace(filt, units=units)


def sees(engine: Engine, tx: Tx, actor: Actor, case: Case, now: datetime) -> bool:
    units = visible_units(engine, tx, actor, now)
    return units is None or case.unit_id in units or (case.unit_id is None and not _real(engine, tx))


def _real(engine: Engine, tx: Tx) -> bool:

    return mode_of(engine, tx) == "real"


def start_unit(engine: Engine, tx: Tx, actor: Actor, wf: Workflow, unit_id: int | None,
               now: datetime) -> int | None:
    """On a real database a case must belong to a unit: when none is given, the one unit where
    the actor may start this procedure. Raises ``RefusedError`` when that is not one unit."""

    if unit_id is not None or actor is SYSTEM or mode_of(engine, tx) != "real":
        return unit_id
    from yishi.errors import RefusedError
    from yishi.org.authority import covering, person_of

    org = tx.org()
    person = person_of(org, actor)
    held = [g for g in covering(org.grants(person_id=person.id), None, now)
            if not wf.start_roles or g.role in wf.start_roles]
    units = sorted({g.unit_id for g in held})
    if len(units) == 1:
        return units[0]
    names = {u.id: u.name for u in org.units()}
    where = "、".join(names.get(u, "") for u in units)
    zh = f"请选择案件所属的单位（你在这些单位可以发起：{where}）" if units else None
    en = f"choose the unit the case belongs to (you may start it in: {', '.join(names.get(u, '') for u in units)})" if units else None
    if not units:
        v = role_verdict(wf, list(wf.start_roles), actor, start=True)
        raise RefusedError(v.reason_en, message_zh=v.reason_zh, verdicts=[v])
    v = Verdict("unit", False, zh or "", en or "")
    raise RefusedError(v.reason_en, message_zh=v.reason_zh, verdicts=[v])


def role_verdict(wf: Workflow, need: list[str], actor: Actor, *, start: bool = False) -> Verdict:
    from yishi.org.authority import role_refusal

    titles = {r: (role.title.zh, role.title.en) for r, role in wf.roles.items()}
    return role_refusal(titles, need, actor, start=start)


def with_grant(data: dict[str, Any], actor: Actor, role: str) -> dict[str, Any]:
    """The event's data with the grant that authorised it (``_auth``: person, role, unit,
    grant), when the actor's roles came from grants."""
    if actor.person_id is None:
        return data
    ref = next((g for g in actor.grants if g[0] == role), None)
    auth: dict[str, Any] = {"person": actor.person_id, "role": role}
    if ref is not None:
        auth.update(grant=ref[1], unit=ref[2], unit_name=ref[3])
    return {**data, "_auth": auth}


def address(tx: Tx, case: Case, recipients: dict[str, Any], now: datetime) -> dict[str, Any]:
    """``recipients`` with ``holders``: the people holding its roles for the case's unit (there,
    not everyone with the role); unchanged for a case outside the organisation."""
    if case.unit_id is None or not recipients.get("roles"):
        return recipients
    from yishi.org.authority import holders

    found = holders(tx.org(), case.unit_id, list(recipients["roles"]), now)
    return {**recipients, "holders": found} if found else recipients
