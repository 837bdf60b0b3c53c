"""The demo's organisation: one street with two communities and their grids, and the cast's
grants, so the demo's people act by their grants as they would in a real deployment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from yishi.engine.types import Actor

if TYPE_CHECKING:
    from yishi.engine.engine import Engine
    from yishi.org.model import Unit

ADMIN = "演示管理员"
#: (name, login, phone, [(role, unit key)])
CAST: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    ("马书记", "ma", "13800000001", [("secretary", "peace"), ("convener", "peace"),
                                    ("mediation_committee", "peace")]),
    ("王小燕", "wangxy", "13800000002", [("grid_member", "peace_1")]),
    ("张建国", "zhangjg", "13800000003", [("grid_leader", "peace")]),
    ("刘德明", "liudm", "13800000004", [("mediator", "peace")]),
    ("城东街道 李科长", "li", "13800000005", [("street_office", "street")]),
    ("区城管局 周科长", "zhou", "13800000006", [("district_department", "district")]),
    ("赵书记", "zhao", "13800000007", [("secretary", "joy"), ("convener", "joy")]),
    ("陈网格", "chen", "13800000008", [("grid_member", "joy_1")]),
]


def build_org(engine: Engine) -> dict[str, Unit]:
    """城东区 → 城东街道 → 和平社区 (第一、第二网格), 幸福社区 (第一网格); the cast and grants."""
    org = engine.org
    by = Actor.of(ADMIN)
    units: dict[str, Unit] = {}
    units["district"] = org.add_unit("district", "城东区", by=by)
    units["street"] = org.add_unit("street", "城东街道", units["district"], by=by)
    units["peace"] = org.add_unit("community", "和平社区", units["street"], by=by)
    units["peace_1"] = org.add_unit("grid", "第一网格", units["peace"], by=by)
    units["peace_2"] = org.add_unit("grid", "第二网格", units["peace"], by=by)
    units["joy"] = org.add_unit("community", "幸福社区", units["street"], by=by)
    units["joy_1"] = org.add_unit("grid", "第一网格", units["joy"], by=by)
    known = {r for loaded in engine.workflows() for r in loaded.workflow.roles}
    for name, login, phone, grants in CAST:
        person = org.add_person(name, login=login, phone=phone, by=by)
        for role, key in grants:
            if role in known:
                org.grant(person, role, units[key], by=by, valid_from=engine.now())
    return units
