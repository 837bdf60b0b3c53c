"""The exception hierarchy: every error yishi raises on purpose is a ``YishiError``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yishi.engine.types import Verdict


class YishiError(Exception):
    """Root of every error yishi raises on purpose.

    ``message_zh`` carries the Chinese text where one exists; ``str(err)`` is English.
    """

    def __init__(self, message: str, *, message_zh: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh or message

    def localized(self, lang: str) -> str:
        return self.message_zh if lang.startswith("zh") else self.message


@dataclass(frozen=True)
class Problem:
    """One problem found in a workflow definition, positioned in its source file."""

    file: str
    line: int
    col: int
    message: str
    hint: str = ""
    code: str = "invalid"

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.col}: {self.message}"
        if self.hint:
            text += f"; {self.hint}"
        return text

    def localized(self, lang: str) -> str:
        """``str(self)`` in ``lang`` (zh: the message and hint in Chinese, names as written)."""
        if not lang.startswith("zh"):
            return str(self)
        from yishi.definition.messages_zh import translate

        text = f"{self.file}:{self.line}:{self.col}：{translate(self.message)}"
        if self.hint:
            text += f"；{translate(self.hint)}"
        return text


class DefinitionError(YishiError):
    """A workflow definition is invalid; ``problems`` lists every problem found in it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        text = "\n".join(str(p) for p in self.problems)
        super().__init__(text)


class NotFoundError(YishiError):
    """A case, workflow or timer that was asked for does not exist."""


class RefusedError(YishiError):
    """A step was refused by a rule; ``verdicts`` say which rule refused and why."""

    def __init__(self, message: str, *, message_zh: str | None = None,
                 verdicts: list[Verdict] | None = None) -> None:
        super().__init__(message, message_zh=message_zh)
        self.verdicts = list(verdicts or [])


class FormError(RefusedError):
    """Submitted data does not fit the step's form; ``errors`` maps field name to reason."""

    def __init__(self, errors: dict[str, tuple[str, str]],
                 labels: dict[str, tuple[str, str]] | None = None) -> None:
        self.errors = errors
        self.labels = labels or {}  # field name → (zh, en) label: messages name fields as people see them
        en = "; ".join(f"{self.label(name, 'en')}: {msgs[1]}" for name, msgs in errors.items())
        zh = "；".join(f"{self.label(name, 'zh')}：{msgs[0]}" for name, msgs in errors.items())
        super().__init__(f"the form is not valid: {en}", message_zh=f"表单有误：{zh}")

    def label(self, name: str, lang: str) -> str:
        """The field's label in ``lang``, or its name where no form declares it."""
        found = self.labels.get(name)
        return (found[0] if lang.startswith("zh") else found[1]) if found else name


class ConflictError(YishiError):
    """The case changed meanwhile (another user or process fired first); nothing was written."""


class StorageError(YishiError):
    """The database cannot be opened or used."""


class PluginError(YishiError):
    """A plugin is missing, misnamed or registers something twice."""


class PluginFailure(PluginError):
    """A plugin's guard or action raised (or returned something other than a ``Verdict``)
    while a step was decided or taken; nothing was written. ``plugin``, ``rule`` and
    ``case_id`` say whose code failed where; the original exception is the ``__cause__``."""

    def __init__(self, *, kind: str, rule: str, plugin: str, case_id: int, what: str) -> None:
        self.kind, self.rule, self.plugin, self.case_id = kind, rule, plugin, case_id
        kind_zh = {"guard": "规则", "action": "动作"}.get(kind, kind)
        super().__init__(
            f"the {kind} {rule!r} of plugin {plugin!r} failed on case #{case_id}: {what}; nothing was "
            f"saved. This is a fault in that plugin: report it to its author (run with "
            f"YISHI_TRACE_PLUGINS=1 to see every hook call)",
            message_zh=f"插件 {plugin!r} 的{kind_zh} {rule!r} 在处理案件 #{case_id} 时出错：{what}；本次未保存。"
                       f"这是该插件的缺陷，请告知其作者（设置 YISHI_TRACE_PLUGINS=1 可查看每次插件调用）")

