"""Everything a plugin may use, in one typed import: ``from yishi.api import hookimpl, Verdict, …``.

The names below are the plugin API: they keep their meaning across minor versions. Each is
documented where it is defined; ``docs/reference.md`` is generated from those docstrings
(``python -m yishi.api > docs/reference.md``) and a test keeps it current.
"""

from __future__ import annotations

from yishi.definition.models import Text
from yishi.definition.operands import DurationArg, FieldName, FieldNames, FractionArg, Operand
from yishi.engine.types import Actor, Case, Event, Notification, Verdict
from yishi.errors import (
    ConflictError, FormError, NotFoundError, PluginError, PluginFailure, RefusedError, StorageError,
    YishiError,
)
from yishi.hookspecs import hookimpl
from yishi.plugins.notify_text import Channel, Rendered, configured, mask_data, required, secret
from yishi.rules import (
    ActionContext, ActionFunc, GuardFunc, Notifier, RegisterAction, RegisterGuard, RegisterNotifier,
    RuleContext,
)

__all__ = [
    # hooks
    "hookimpl",
    # guards and actions
    "RuleContext", "ActionContext", "Verdict", "GuardFunc", "ActionFunc", "RegisterGuard",
    "RegisterAction", "Operand", "FieldName", "FieldNames", "FractionArg", "DurationArg", "Text",
    # notifiers
    "Notifier", "RegisterNotifier", "Notification", "Channel", "Rendered", "configured", "required",
    "secret", "mask_data",
    # the record
    "Actor", "Case", "Event",
    # errors
    "YishiError", "RefusedError", "FormError", "NotFoundError", "ConflictError", "StorageError",
    "PluginError", "PluginFailure",
]
