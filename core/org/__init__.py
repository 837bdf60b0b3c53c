"""Organisations, people, grants and authentication: who acts, with which role, where.

``engine.org`` (an ``Org``) administers the tree, the people and their grants; every change is
recorded in the append-only, hash-chained administration log. The engine resolves an actor's
roles from grants for the case's unit at the time of the step (``yishi.org.authority``).
"""

from __future__ import annotations

from yishi.org.admin import Org, OrgError, check_name
from yishi.org.model import ADMIN_ROLE, KINDS, Grant, LogEntry, Person, Unit

__all__ = ["ADMIN_ROLE", "KINDS", "Grant", "LogEntry", "Org", "OrgError", "Person", "Unit", "check_name"]
