"""Who may act: the engine's side of yishi.org (a case's unit; roles from grants)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yishi.engine.types import Case
    from yishi.storage import Tx


def case_unit(tx: Tx, unit: Any, source: Case | None) -> int | None:
    """The id of the unit a new case belongs to: ``unit`` (a Unit, id, code, name or path),
    else the unit of the case it continues. Raises ``NotFoundError`` for an unknown unit."""
    if unit is None:
        return source.unit_id if source is not None else None
    from yishi.org.admin import find_unit

    return find_unit(tx.org(), unit).id
