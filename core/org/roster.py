"""Importing people and their grants from a roster (CSV or xlsx, Chinese or English headers).

Every row is checked first; a roster with any bad row imports nothing and each bad row is
reported by its row number (as the spreadsheet shows it) with the reason. A good roster is
imported in one transaction, so a failure half-way leaves nothing half-imported.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yishi.errors import YishiError
from yishi.org.admin import OrgError, check_name, role_from_title
from yishi.org.model import Person, Unit

if TYPE_CHECKING:
    from yishi.engine.engine import Engine
    from yishi.engine.types import Actor

HEADERS: dict[str, str] = {
    "姓名": "name", "name": "name",
    "登录名": "login", "账号": "login", "login": "login",
    "手机": "phone", "手机号": "phone", "电话": "phone", "联系电话": "phone", "phone": "phone",
    "企业微信": "wecom_id", "企业微信号": "wecom_id", "wecom": "wecom_id", "wecom_id": "wecom_id",
    "钉钉": "dingtalk_id", "钉钉号": "dingtalk_id", "dingtalk": "dingtalk_id", "dingtalk_id": "dingtalk_id",
    "角色": "role", "职务": "role", "role": "role",
    "单位": "unit", "所属单位": "unit", "unit": "unit",
    "区": "district", "区县": "district", "district": "district",
    "街道": "street", "乡镇": "street", "街道/乡镇": "street", "street": "street",
    "社区": "community", "村": "community", "社区/村": "community", "community": "community",
    "网格": "grid", "grid": "grid",
    "楼栋": "building", "building": "building",
    "起始日期": "from", "开始日期": "from", "生效日期": "from", "from": "from",
    "截止日期": "until", "结束日期": "until", "到期日期": "until", "until": "until",
}
LEVELS = ("district", "street", "community", "grid", "building")
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")


class RosterError(YishiError):
    """The roster has bad rows (``problems``: row number, zh, en); nothing was imported."""

    def __init__(self, problems: list[tuple[int, str, str]], file: str) -> None:
        self.problems = problems
        en = "\n".join(f"row {n}: {why}" for n, _, why in problems)
        zh = "\n".join(f"第 {n} 行：{why}" for n, why, _ in problems)
        super().__init__(f"{file}: {len(problems)} bad rows; nothing was imported\n{en}",
                         message_zh=f"{file}：{len(problems)} 行有误，未导入任何内容\n{zh}")


@dataclass
class Imported:
    people: int = 0
    grants: int = 0
    units: int = 0
    rows: int = 0
    created: list[str] = field(default_factory=list)


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(row number, {column: value}) of every non-empty data row; raises ``OrgError`` for an
    unreadable file or headers none of which are known."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True, data_only=True)
            raw = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
            book.close()
        elif suffix in (".csv", ".txt"):
            text = path.read_bytes()
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    decoded = text.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            raw = [list(r) for r in csv.reader(decoded.splitlines())]
        else:
            raise OrgError(f"{path.name}: use a .csv or .xlsx roster", message_zh=f"{path.name}：请使用 .csv 或 .xlsx 名册")
    except OrgError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is the user's file, said plainly
        raise OrgError(f"cannot read {path.name}: {exc}", message_zh=f"无法读取 {path.name}：{exc}") from None
    if not raw:
        raise OrgError(f"{path.name} is empty", message_zh=f"{path.name} 是空的")
    header = [HEADERS.get(str(h or "").strip().lower()) or HEADERS.get(str(h or "").strip()) for h in raw[0]]
    if "name" not in header:
        raise OrgError(f"{path.name}: the first row must hold the headers, with 姓名 (name) among them",
                       message_zh=f"{path.name}：第一行须为表头，且包含“姓名”列")
    out = []
    for number, values in enumerate(raw[1:], start=2):
        row = {key: value for key, value in zip(header, values) if key is not None}
        if all(v in (None, "") or (isinstance(v, str) and not v.strip()) for v in row.values()):
            continue
        out.append((number, row))
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed into a number cell
    return str(value).strip()


def _day(value: Any, tz: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = _text(value)
        m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
        if not m:
            raise ValueError(text)
        day = date(int(m[1]), int(m[2]), int(m[3]))
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)


def import_roster(engine: Engine, path: Path | str, *, by: Actor) -> Imported:
    """Import ``path``. Raises ``RosterError`` listing every bad row (nothing imported),
    ``OrgError`` for an unreadable file, ``RefusedError`` when ``by`` is no administrator."""
    path = Path(path)
    rows = read_rows(path)
    org_api = engine.org
    now = engine.now()
    with engine.store.write() as tx:
        org = tx.org()
        org_api._require_admin(org, by, None, now)
        units = org.units()
        by_id = {u.id: u for u in units}

        def names(u: Unit) -> list[str]:
            return [by_id[i].name for i in u.ancestry if i in by_id]

        people_by_login = {p.login: p for p in org.people() if p.login}
        problems: list[tuple[int, str, str]] = []
        plan: list[tuple[int, dict[str, Any]]] = []
        seen_login: dict[str, tuple[int, str]] = {}
        for number, row in rows:
            try:
                plan.append((number, _check(engine, org, row, names, units, people_by_login, seen_login, number)))
            except _Bad as bad:
                problems.append((number, bad.zh, bad.en))
        if problems:
            raise RosterError(problems, path.name)
        result = Imported(rows=len(plan))
        made: dict[str, Person] = {}
        for _number, item in plan:
            unit = item["unit"]
            if isinstance(unit, list):  # levels to find or create, top down
                parent: Unit | None = None
                for kind, name in unit:
                    found = [u for u in org.units() if u.parent_id == (parent.id if parent else None)
                             and u.name == name]
                    if found:
                        parent = found[0]
                    else:
                        parent = org_api._add_unit(org, now, by, kind, name, parent)
                        result.units += 1
                unit = parent
            key = item["login"] or f"name:{item['name']}"
            person = made.get(key) or item["existing"]
            if person is None:
                person = org_api._add_person(org, now, by, item["name"], item["login"], item["phone"],
                                             item["wecom_id"], item["dingtalk_id"])
                result.people += 1
                result.created.append(item["name"])
            made[key] = person
            if item["role"] and unit is not None:
                org_api._grant(org, now, by, person, item["role"], unit, item["from"], item["until"])
                result.grants += 1
    from yishi.org.params import forget
    forget(engine)
    return result


class _Bad(Exception):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


def _check(engine: Engine, org: Any, row: dict[str, Any], names: Any, units: list[Unit],
           people_by_login: dict[str, Person], seen_login: dict[str, tuple[int, str]], number: int) -> dict[str, Any]:
    try:
        name = check_name(_text(row.get("name")))
    except OrgError as exc:
        raise _Bad(exc.message_zh, exc.message) from None
    login = _text(row.get("login")) or None
    phone = _text(row.get("phone"))
    if phone and not PHONE.match(phone):
        raise _Bad(f"手机号“{phone}”格式不对（应为数字，如 13800000000）",
                   f"the phone number {phone!r} is not a phone number (digits, e.g. 13800000000)")
    existing = None
    if login:
        if login in seen_login and seen_login[login][1] != name:
            first = seen_login[login][0]
            raise _Bad(f"登录名“{login}”已在第 {first} 行用于“{seen_login[login][1]}”",
                       f"the login {login!r} is used for {seen_login[login][1]!r} on row {first} already")
        seen_login.setdefault(login, (number, name))
        existing = people_by_login.get(login)
        if existing is not None and existing.name != name:
            raise _Bad(f"登录名“{login}”已属于“{existing.name}”", f"the login {login!r} belongs to {existing.name!r} already")
    role_raw = _text(row.get("role"))
    role = ""
    if role_raw:
        try:
            role = role_from_title(engine, role_raw)
        except OrgError:
            raise _Bad(f"未知角色“{role_raw}”", f"unknown role {role_raw!r}") from None
    unit: Any = None
    path = _text(row.get("unit"))
    levels = [(kind, _text(row.get(kind))) for kind in LEVELS if _text(row.get(kind))]
    if path:
        parts = [p.strip() for p in re.split(r"[/／]", path) if p.strip()]
        found = [u for u in units if names(u)[-len(parts):] == parts]
        if len(found) != 1:
            why = ("没有此单位", "no such unit") if not found else ("有多个同名单位，请写出上级", "several units have that name; give its path")
            raise _Bad(f"单位“{path}”：{why[0]}", f"unit {path!r}: {why[1]}")
        unit = found[0]
    elif levels:
        unit = levels
    if role and unit is None:
        raise _Bad("有角色但没有单位（填写“单位”，或“街道”“社区”“网格”列）",
                   "a role without a unit (fill in 单位, or the 街道/社区/网格 columns)")
    try:
        start = _day(row.get("from"), engine.tz)
    except ValueError as exc:
        raise _Bad(f"起始日期“{exc}”不是日期（如 2026-12-01）", f"the start date {str(exc)!r} is not a date (e.g. 2026-12-01)") from None
    try:
        until = _day(row.get("until"), engine.tz)
    except ValueError as exc:
        raise _Bad(f"截止日期“{exc}”不是日期（如 2026-12-31）", f"the end date {str(exc)!r} is not a date (e.g. 2026-12-31)") from None
    if start and until and until <= start:
        raise _Bad("截止日期早于起始日期", "the end date is before the start date")
    return {"name": name, "login": login, "phone": phone, "wecom_id": _text(row.get("wecom_id")),
            "dingtalk_id": _text(row.get("dingtalk_id")), "role": role, "unit": unit, "from": start,
            "until": until, "existing": existing}
