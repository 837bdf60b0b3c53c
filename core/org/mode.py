"""Which kind of database the engine is on: ``real``, ``simulation`` or ``sandbox``.

The ``meta`` table's ``mode`` (helper contract: ``Engine.mode``) decides. Until that lands, a
database whose administration log begins with ``init`` (``yishi init``) is real.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yishi.engine.engine import Engine
    from yishi.storage import Tx


def mode_of(engine: Engine, tx: Tx | None = None) -> str:
    mode = getattr(type(engine), "mode", None)
    if mode is not None:
        value = engine.mode  # type: ignore[attr-defined]
        if value in ("real", "simulation"):
            return value
    cached = engine.__dict__.get("_org_real")
    if cached is None:
        if tx is not None:
            log = tx.org().log(limit=1)
        else:
            with engine.store.read() as rtx:
                log = rtx.org().log(limit=1)
        cached = bool(log) and log[0].kind == "init"
        engine.__dict__["_org_real"] = cached
    return "real" if cached else "sandbox"


def forget_mode(engine: Engine) -> None:
    engine.__dict__.pop("_org_real", None)
