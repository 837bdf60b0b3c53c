"""The hooks a yishi plugin may implement, grouped by phase. Every hook name starts ``yishi_``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from yishi.engine.engine import Engine
    from yishi.engine.types import Case, Event, Notification
    from yishi.rules import RegisterAction, RegisterGuard, RegisterNotifier
    from yishi.storage import Store

hookspec = pluggy.HookspecMarker("yishi")
hookimpl = pluggy.HookimplMarker("yishi")


# ---------------------------------------------------------------- registration
@hookspec
def yishi_workflow_files() -> Iterable[str | Path]:
    """Contribute workflow YAML files.

    Called once per engine (and by ``yishi workflows …`` without a database), the first time
    its workflows are needed; every plugin's result is used, in registration order.

    :return: an iterable of paths: files, or folders whose ``*.yaml`` files are all taken.
        Ship them as package data and return ``[Path(__file__).parent / "workflows"]``.

    A file that does not validate is reported by ``yishi workflows list`` and
    ``Engine.workflow_problems`` with file:line:col; it never stops the other files. Two
    files with the same ``id`` and ``version`` are a problem reported the same way.
    """


@hookspec
def yishi_register_guards(register: RegisterGuard) -> None:
    """Register guards: ``register(name, func, args=Model, description=Text)``.

    Called once per engine, before any workflow is validated (the validator checks every guard
    name and argument a workflow uses against what was registered here).

    :param register: a ``RegisterGuard``; call it once per guard.

    ``func(ctx: RuleContext, args: Model) -> Verdict`` decides whether a transition may be
    taken and says why, in zh and en, in the user's words (labels and titles, never ids or
    ``True``/``None``). It is called while a step is decided (``fire``) and whenever a front
    end lists the steps (``available``), so it must not write anything. ``ctx`` gives the
    case's fields (``ctx.field``), params (``ctx.param``, ``ctx.resolve`` for ``$name``), typed
    operands (``ctx.value``, ``ctx.fraction``, ``ctx.duration``), labels (``ctx.label``),
    the actor and the time (``ctx.now``). ``args`` is an instance of ``Model``, the pydantic
    model of the YAML arguments; annotate them with ``Operand``, ``FieldName``, ``FieldNames``,
    ``FractionArg`` or ``DurationArg`` so the validator checks the names they refer to, and
    with ``FieldName[int]`` (``FieldName[date | datetime]``, ``FieldNames[float]``, …) so it
    also checks the type of the field named.

    A guard that raises (or returns something other than a ``Verdict``) stops the step with
    ``PluginFailure`` naming the plugin, the guard and the case; nothing is written.
    Registering a name twice raises ``PluginError``.
    """


@hookspec
def yishi_register_actions(register: RegisterAction) -> None:
    """Register actions: ``register(name, func, args=Model, description=Text)``.

    Called once per engine, before any workflow is validated.

    :param register: a ``RegisterAction``; call it once per action.

    ``func(ctx: ActionContext, args: Model) -> None`` runs inside the step's transaction once
    its guards pass, before the event is written; it may ``ctx.set(field, value)`` (recorded
    in the event under ``_set``), ``ctx.notify(...)`` (outbox rows in the same transaction)
    and ``ctx.start_case(...)`` (a linked case). Raising a ``YishiError`` (e.g.
    ``RefusedError``) refuses the step and rolls everything back; any other exception does
    too and is reported as ``PluginFailure`` naming the plugin. Registering a name twice
    raises ``PluginError``.
    """


@hookspec
def yishi_register_notifiers(register: RegisterNotifier) -> None:
    """Register notifier channels: ``register(name, notifier)``.

    Called once per engine. Read your settings with ``configured(kind)`` (each
    ``[notifiers.NAME]`` table of your type) and ``Channel.from_settings``; register nothing
    when none is configured.

    :param register: a ``RegisterNotifier``; call it once per channel.

    Each notification is written to the outbox once per registered channel whose
    ``accepts(recipients)`` (if defined) is true, in the same transaction as its event. The
    worker later calls ``notifier.deliver(notification)`` outside any transaction; raising
    makes the outbox retry it with backoff. Delivery is separate from the step, so a channel
    that is down never blocks a transition. Registering a name twice raises ``PluginError``.
    """


@hookspec
def yishi_register_documents(register: Callable[..., None]) -> None:
    """Contribute document kinds (notices, minutes, agreements, forms) and their templates.

    Called once per engine.

    :param register: a callable; call ``register(kind)`` once per ``yishi.documents.DocumentKind``.

    For example::

        from pathlib import Path
        from yishi.definition.models import Text
        from yishi.documents import DocumentKind

        @hookimpl
        def yishi_register_documents(register):
            register(DocumentKind(
                name="wish_certificate",                  # what a workflow's ``documents:`` names
                title=Text(zh="微心愿认领证明", en="Micro-wish certificate"),
                template="wish_certificate.j2",           # looked up in template_dir
                template_dir=Path(__file__).parent / "templates",
                workflows=("micro_wish",),                # () = any workflow may name it
                fields=("wish", "claimed_by"),            # must exist in the workflow's forms
                issued="posted",                          # posted | signed | None (see below)
            ))

    A workflow lists the documents that belong to a state (``states.<name>.documents``);
    the validator refuses a kind nobody registered, a kind registered for other workflows,
    and a workflow that lacks one of the kind's ``fields``.

    The template is jinja2 written in document blocks (``{% import "_blocks.j2" as d %}``:
    ``d.title``, ``d.h``, ``d.fields``, ``d.table``, ``d.sign``, ``d.note``; every other
    non-empty line is a paragraph) and is rendered to DOCX (docxtpl, through ``base.docx``),
    PDF (typst, embedded CJK font) and HTML from that one source. Its context is described in
    ``yishi.documents.context``. A deployment's template folder (``[documents] templates`` in
    the config file, or ``$YISHI_TEMPLATES``) overrides any template by file name, the
    plugin's included.

    ``issued="posted"`` or ``"signed"``: producing the document as DOCX or PDF appends a
    ``document`` event with its sha256 to the case's hash chain (what was disclosed or signed,
    when, by whom). Registering a name twice raises ``PluginError``. Called once per engine.
    """


# ---------------------------------------------------------------- storage
@hookspec(firstresult=True)
def yishi_storage(url: str) -> Store | None:
    """Return a ``Store`` for the database ``url``, or None when this plugin does not serve it.

    Called once by ``Engine.open``. ``firstresult``: the first plugin that returns a store
    wins; the built-in SQL store (``sqlite:``, ``postgresql+psycopg:``) is tried last.

    :param url: the database URL as the user gave it (``--db``, ``$YISHI_DB`` or the config).
    :return: an object implementing ``yishi.storage.Store``, or None. Raise ``StorageError``
        when the URL is yours but the database cannot be opened.
    """


# ---------------------------------------------------------------- lifecycle
@hookspec
def yishi_event_committed(engine: Engine, case: Case, event: Event,
                          notifications: list[Notification]) -> None:
    """Observe an event after its transaction committed.

    Called once per event (start, fire, record, link, timer, remind), in order, in the process
    that wrote it, after the commit; a case started by a step's action is reported before the
    step's own event.

    :param engine: the engine that wrote it.
    :param case: the case as it is after the event.
    :param event: the event (``event.hash`` chains it to the case's previous event).
    :param notifications: the outbox rows written with it (not yet delivered).

    Exceptions propagate to the caller but cannot undo the committed event; for work that
    must not be lost, use a notifier (the outbox retries it) rather than this hook.
    """


@hookspec
def yishi_engine_opened(engine: Engine) -> None:
    """Called once after an engine opened its store and collected its guards, actions and
    notifiers (workflows load lazily, on first use).

    :param engine: the engine just opened; ``engine.store`` is ready.
    """
