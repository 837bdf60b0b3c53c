"""The organisation's plain value types: units, people, grants and administration log entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# unit kinds, from the top of the tree down; a unit's parent is of an earlier kind
KINDS: dict[str, tuple[str, str]] = {
    "district": ("区", "district"),
    "street": ("街道", "street"),
    "community": ("社区", "community"),
    "grid": ("网格", "grid"),
    "building": ("楼栋", "building"),
}
# what people type for a kind (the roster spreadsheets say 乡镇, 村 …)
KIND_WORDS: dict[str, str] = {
    "区": "district", "县": "district", "district": "district",
    "街道": "street", "乡镇": "street", "乡": "street", "镇": "street", "street": "street", "township": "street",
    "社区": "community", "村": "community", "community": "community", "village": "community",
    "网格": "grid", "grid": "grid",
    "楼栋": "building", "楼": "building", "building": "building",
}
ADMIN_ROLE = "admin"
ADMIN_TITLE = ("管理员", "administrator")


def kind_rank(kind: str) -> int:
    return list(KINDS).index(kind)


def kind_title(kind: str, lang: str = "zh") -> str:
    zh, en = KINDS.get(kind, (kind, kind))
    return zh if lang.startswith("zh") else en


@dataclass(frozen=True)
class Unit:
    """One organisation unit; ``path`` lists the ids from the root down to it ("/1/4/9/")."""

    id: int
    kind: str
    name: str
    parent_id: int | None = None
    code: str = ""
    path: str = ""

    @property
    def ancestry(self) -> list[int]:
        """Ids from the root to this unit, this unit last."""
        return [int(p) for p in self.path.strip("/").split("/") if p]


@dataclass(frozen=True)
class Person:
    """A real person: a name, a login for authentication, and contact ids for notifiers."""

    id: int
    name: str
    login: str | None = None
    phone: str = ""
    wecom_id: str = ""
    dingtalk_id: str = ""
    active: bool = True
    password_hash: str = field(default="", repr=False)
    failed_logins: int = 0
    locked_until: datetime | None = None


@dataclass(frozen=True)
class Grant:
    """``person_id`` holds ``role`` in ``unit_id`` (and the units under it) for a period."""

    id: int
    person_id: int
    role: str
    unit_id: int
    valid_from: datetime
    valid_until: datetime | None = None
    granted_by: str = ""
    granted_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str = ""

    def valid_at(self, moment: datetime) -> bool:
        if self.revoked_at is not None and self.revoked_at <= moment:
            return False
        if moment < self.valid_from:
            return False
        return self.valid_until is None or moment < self.valid_until


@dataclass(frozen=True)
class LogEntry:
    """One administration event: append-only and hash-chained like a case's events."""

    seq: int
    at: datetime
    kind: str  # init | unit | person | grant | revoke | param | password
    actor: str
    data: dict[str, Any]
    prev_hash: str
    hash: str
