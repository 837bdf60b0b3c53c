"""What the organisation needs from a store: one ``OrgTx`` inside the engine's transaction
(``Tx.org()``), so a step reads the grants it is authorised by in its own transaction."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

from yishi.org.model import Grant, LogEntry, Person, Unit


class OrgTx(ABC):
    # units
    @abstractmethod
    def units(self) -> list[Unit]: ...
    @abstractmethod
    def unit(self, unit_id: int) -> Unit | None: ...
    @abstractmethod
    def add_unit(self, *, kind: str, name: str, parent: Unit | None, code: str, at: datetime) -> Unit: ...
    @abstractmethod
    def descendants(self, units: list[Unit]) -> list[int]:
        """Ids of ``units`` and every unit under them."""

    # people
    @abstractmethod
    def people(self) -> list[Person]: ...
    @abstractmethod
    def person(self, person_id: int) -> Person | None: ...
    @abstractmethod
    def person_by(self, *, login: str | None = None, name: str | None = None) -> list[Person]: ...
    @abstractmethod
    def add_person(self, *, name: str, login: str | None, phone: str, wecom_id: str,
                   dingtalk_id: str, at: datetime) -> Person: ...
    @abstractmethod
    def set_auth(self, person_id: int, **values: Any) -> None:
        """Change ``password_hash``, ``failed_logins``, ``locked_until`` or ``active``."""

    # grants
    @abstractmethod
    def grants(self, *, person_id: int | None = None, unit_ids: list[int] | None = None,
               role: str | None = None) -> list[Grant]: ...
    @abstractmethod
    def add_grant(self, grant: Grant) -> Grant: ...
    @abstractmethod
    def revoke_grant(self, grant_id: int, *, at: datetime, by: str) -> None: ...

    # the administration log
    @abstractmethod
    def log(self, *, limit: int | None = None) -> list[LogEntry]: ...
    @abstractmethod
    def last_log(self, kind: str) -> LogEntry | None:
        """The newest entry of ``kind`` (e.g. the deployment's ``auth`` setting), or None."""
    @abstractmethod
    def log_tail(self, *, lock: bool) -> tuple[int, str]:
        """(seq, hash) of the last entry, (0, '') when empty; ``lock`` serialises appenders."""
    @abstractmethod
    def append_log(self, entry: LogEntry) -> None: ...

    # params per unit
    @abstractmethod
    def unit_params(self, workflow_id: str | None = None) -> list[tuple[int, str, str, Any]]:
        """(unit_id, workflow_id, name, value) rows."""
    @abstractmethod
    def set_unit_param(self, unit_id: int, workflow_id: str, name: str, value: Any) -> None: ...
