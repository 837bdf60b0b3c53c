"""The hooks a yishi plugin may implement, grouped by phase. Every hook name starts ``yishi_``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from yishi.engine.engine import Engine
    from yishi.engine.types import Case, Event, Notification
    from yishi.storage import Store

hookspec = pluggy.HookspecMarker("yishi")
hookimpl = pluggy.HookimplMarker("yishi")


# ---------------------------------------------------------------- registration
@hookspec
def yishi_workflow_files() -> Iterable[str | Path]:
    """Contribute workflow YAML files.

    Called once when an engine loads its workflows. Return an iterable of paths (files, or
    folders whose ``*.yaml`` files are all taken). A file that does not validate is reported
    by ``yishi workflows list`` and ``Engine.workflow_problems``; it never stops the others.
    """


@hookspec
def yishi_register_guards(register: Callable[..., None]) -> None:
    """Register guards: ``register(name, func, args=Model, description=Text)``.

    ``func(ctx: RuleContext, args: Model) -> Verdict`` decides whether a transition may be
    taken and says why (in zh and en). ``args`` is a pydantic model of the YAML arguments;
    annotate arguments with ``Operand``, ``FieldName``, ``FractionArg`` or ``DurationArg``
    (``yishi.definition.operands``) so the validator checks the names they refer to.
    Registering a name twice raises ``PluginError``.
    """


@hookspec
def yishi_register_actions(register: Callable[..., None]) -> None:
    """Register actions: ``register(name, func, args=Model, description=Text)``.

    ``func(ctx: ActionContext, args: Model) -> None`` runs inside the step's transaction once
    its guards pass; it may ``ctx.set(field, value)`` and ``ctx.notify(...)``. Raising any
    ``YishiError`` refuses the step and rolls everything back.
    """


@hookspec
def yishi_register_notifiers(register: Callable[..., None]) -> None:
    """Register notifier channels: ``register(name, notifier)``.

    Each notification is written to the outbox once per registered channel, in the same
    transaction as its event. ``notifier.deliver(notification)`` sends one; delivery is
    separate from the step, so a channel that is down never blocks a transition.
    """


# ---------------------------------------------------------------- storage
@hookspec(firstresult=True)
def yishi_storage(url: str) -> Store | None:
    """Return a ``Store`` for the database ``url``, or None when this plugin does not serve it.

    ``firstresult``: the first plugin that returns a store wins.
    """


# ---------------------------------------------------------------- lifecycle
@hookspec
def yishi_event_committed(engine: Engine, case: Case, event: Event,
                          notifications: list[Notification]) -> None:
    """Observe an event after its transaction committed.

    Called once per event (start, fire, record, timer, remind), in order, in the process that
    wrote it. Exceptions propagate to the caller but cannot undo the committed event.
    """


@hookspec
def yishi_engine_opened(engine: Engine) -> None:
    """Called once after an engine opened its store and loaded its workflows."""
