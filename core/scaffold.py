"""``yishi plugin new NAME``: a complete plugin package (pyproject with the entry point, a guard, a
notifier, a workflow, tests with the testing kit) that installs and passes its tests as generated."""

from __future__ import annotations

import re
from pathlib import Path

from yishi.errors import YishiError

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")


class ScaffoldError(YishiError):
    """The plugin's name is unusable, or its folder exists already."""


def names(raw: str) -> tuple[str, str, str]:
    """``(distribution, package, short)`` for a plugin name: ``repair`` or ``yishi-repair`` →
    ``("yishi-repair", "yishi_repair", "repair")``. Raises ``ScaffoldError``."""
    text = raw.strip().lower()
    if not _NAME.match(text):
        raise ScaffoldError(
            f"{raw!r} is not a usable plugin name; use lower-case letters, digits and '-', "
            "starting with a letter, e.g. 'repair' or 'yishi-repair'",
            message_zh=f"{raw!r} 不能用作插件名；请用小写字母、数字和 '-'，以字母开头，例如 repair 或 yishi-repair")
    short = re.sub(r"^yishi[-_]", "", text).replace("-", "_")
    if not short:
        raise ScaffoldError("the name needs a part after 'yishi-', e.g. 'yishi-repair'",
                            message_zh="名称在 'yishi-' 之后还需要内容，例如 yishi-repair")
    return f"yishi-{short.replace('_', '-')}", f"yishi_{short}", short


def create(raw_name: str, parent: Path) -> Path:
    """Write the package into ``parent / <distribution>`` and return that folder.

    Raises ``ScaffoldError`` for a bad name or an existing folder (nothing is overwritten).
    """
    dist, package, short = names(raw_name)
    root = parent / dist
    if root.exists():
        raise ScaffoldError(f"{root} exists already; choose another name or folder",
                            message_zh=f"{root} 已存在；请换一个名称或目录")
    workflow = f"{short}_request"
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        f"{package}/__init__.py": PLUGIN,
        f"{package}/py.typed": "",
        f"{package}/workflows/{workflow}.yaml": WORKFLOW,
        "tests/test_plugin.py": TESTS,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("@DIST@", dist).replace("@PACKAGE@", package)
                        .replace("@SHORT@", short).replace("@WORKFLOW@", workflow), encoding="utf-8")
    return root


PYPROJECT = '''[build-system]
requires = ["setuptools>=68", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "@DIST@"
version = "0.1.0"
description = "A yishi plugin: a workflow, a guard and a notifier"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["yishi"]

[project.optional-dependencies]
test = ["pytest>=8", "freezegun>=1.5", "mypy>=1.10"]

# yishi finds the plugin through this entry point: the module's hook implementations are registered
[project.entry-points.yishi]
@SHORT@ = "@PACKAGE@"

[tool.setuptools]
packages = ["@PACKAGE@"]

[tool.setuptools.package-data]
@PACKAGE@ = ["workflows/*.yaml", "py.typed"]

[tool.pytest.ini_options]
testpaths = ["tests"]
'''

README = '''# @DIST@

A yishi plugin: the `@WORKFLOW@` workflow, the `min_length` guard and the `jsonlines` notifier.

```sh
pip install -e '.[test]'      # yishi finds it through the `yishi` entry point
yishi plugins                 # lists @SHORT@ with its version
pytest                        # the tests use yishi's testing kit (fixtures come with yishi)
mypy --strict @PACKAGE@       # yishi ships py.typed
```

To send notifications to a file, add to your yishi config:

```toml
[notifiers.@SHORT@_log]
type = "jsonlines"
path = "~/@SHORT@-notifications.jsonl"
```
'''

PLUGIN = '''"""@DIST@: the @WORKFLOW@ workflow, the ``min_length`` guard and the ``jsonlines`` notifier."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from yishi.api import (
    Channel, FieldName, Notification, RegisterGuard, RegisterNotifier, RuleContext, Text, Verdict,
    configured, hookimpl, required,
)

__version__ = "0.1.0"


# ---------------------------------------------------------------- workflows
@hookimpl
def yishi_workflow_files() -> list[Path]:
    """Every ``*.yaml`` in the package's ``workflows`` folder."""
    return [Path(__file__).parent / "workflows"]


# ---------------------------------------------------------------- a guard
class MinLengthArgs(BaseModel):
    """``min_length: {field: details, at_least: 10}``"""

    model_config = ConfigDict(extra="forbid")
    field: FieldName        # the validator checks that it names a form field
    at_least: int = 10


def min_length(ctx: RuleContext, args: MinLengthArgs) -> Verdict:
    """Pass when the text field holds at least ``at_least`` characters."""
    text = str(ctx.field(args.field) or "")
    label = ctx.label(args.field)
    ok = len(text) >= args.at_least
    return Verdict("min_length", ok,
                   f"{label.zh}须至少 {args.at_least} 个字（现有 {len(text)} 个）",
                   f"{label.en} needs at least {args.at_least} characters ({len(text)} so far)")


@hookimpl
def yishi_register_guards(register: RegisterGuard) -> None:
    register("min_length", min_length, args=MinLengthArgs,
             description=Text(zh="文字不少于若干字", en="a text is long enough"))


# ---------------------------------------------------------------- a notifier
class JsonLinesNotifier:
    """Appends each notification to a file as one JSON line."""

    def __init__(self, settings: Mapping[str, Any], *, name: str, default_lang: str | None = None) -> None:
        self.channel = Channel.from_settings(name, settings, default_lang=default_lang)
        self.policy = self.channel.policy
        self.path = Path(str(required(settings, "path", f"[notifiers.{name}]"))).expanduser()

    def deliver(self, note: Notification) -> None:
        text = self.channel.render(note)  # zh/en templates, phone numbers masked unless private
        line = {"id": note.id, "case_id": note.case_id, "kind": note.kind, "title": text.subject,
                "text": text.body}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\\n")


@hookimpl
def yishi_register_notifiers(register: RegisterNotifier) -> None:
    """One channel per ``[notifiers.NAME]`` table with ``type = "jsonlines"``."""
    for name, settings, lang in configured("jsonlines"):
        register(name, JsonLinesNotifier(settings, name=name, default_lang=lang))
'''

WORKFLOW = '''id: @WORKFLOW@
version: 1
title: {zh: 居民诉求, en: a resident's request}
description: a resident's request is registered, handled by the grid member and closed
subject: subject
roles:
  grid_member: {title: {zh: 网格员, en: grid member}}
  secretary: {title: {zh: 书记, en: secretary}}
start_roles: [grid_member]
params:
  handling_time:
    type: duration
    default: 3d
    title: {zh: 办理时限, en: time to handle it}
initial: registered
states:
  registered:
    title: {zh: 已登记, en: registered}
    form:
      - {name: subject, type: text, required: true, label: {zh: 事由, en: subject}}
      - {name: details, type: longtext, required: true, label: {zh: 详细情况, en: details}}
  handling:
    title: {zh: 办理中, en: being handled}
    form:
      - {name: outcome, type: longtext, required: true, label: {zh: 办理结果, en: outcome}}
    timers:
      - {after: $handling_time, remind: [grid_member, secretary]}
  closed: {title: {zh: 已办结, en: closed}, final: true}
transitions:
  - trigger: accept
    source: registered
    dest: handling
    title: {zh: 受理, en: accept}
    roles: [grid_member]
    guards: [{min_length: {field: details, at_least: 10}}]
  - trigger: close
    source: handling
    dest: closed
    title: {zh: 办结, en: close}
    roles: [grid_member, secretary]
'''

TESTS = '''"""@DIST@'s tests, with the fixtures yishi installs as a pytest plugin (``yishi.testing``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import @PACKAGE@
from yishi.delivery import deliver_pending
from yishi.modeltest import explore, reachability_problems
from yishi.testing import Scenario, SimClock

GRID = "王网格员/grid_member"
REQUEST = {"subject": "楼道灯不亮", "details": "3号楼2单元楼道灯坏了一周，老人夜里看不清台阶。"}


@pytest.fixture
def scenario(make_engine: Any, sim_clock: SimClock) -> Scenario:
    """The plugin registered inline, so the tests pass before the package is installed too."""
    return Scenario(make_engine(@PACKAGE@), sim_clock)


def test_a_request_is_accepted_reminded_and_closed(scenario: Scenario) -> None:
    scenario.start("@WORKFLOW@", GRID, REQUEST)
    scenario.step(GRID, "accept")
    ticks = scenario.advance("3d")
    assert [t.outcome for t in ticks] == ["reminded"]
    scenario.step(GRID, "close", {"outcome": "已更换灯泡"})
    scenario.expect_state("closed")


def test_too_short_details_are_refused_with_the_reason(scenario: Scenario) -> None:
    scenario.start("@WORKFLOW@", GRID, {"subject": "灯", "details": "坏了"})
    refused = scenario.refused(GRID, "accept")
    assert refused.verdicts[-1].rule == "min_length"
    assert refused.verdicts[-1].reason("zh") == "详细情况须至少 10 个字（现有 2 个）"


def test_the_notifier_writes_one_line_per_notification(tmp_path: Path, make_engine: Any,
                                                       sim_clock: SimClock, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "notes.jsonl"
    config = tmp_path / "config.toml"
    config.write_text(f\'[notifiers.log]\\ntype = "jsonlines"\\npath = "{log.as_posix()}"\\n\', encoding="utf-8")
    monkeypatch.setenv("YISHI_CONFIG", str(config))
    engine = make_engine(@PACKAGE@)
    Scenario(engine, sim_clock).start("@WORKFLOW@", GRID, REQUEST)
    assert [a.outcome for a in deliver_pending(engine, channels=["log"])] == ["delivered"]
    line = json.loads(log.read_text(encoding="utf-8").splitlines()[0])
    assert line["kind"] == "start" and "楼道灯不亮" in line["title"]


def test_random_walks_keep_every_invariant(make_engine: Any, sim_clock: SimClock) -> None:
    engine = make_engine(@PACKAGE@)
    assert reachability_problems(engine.workflow("@WORKFLOW@").workflow) == []
    report = explore(engine, sim_clock, "@WORKFLOW@", walks=5, steps=30)
    assert report.finals_reached == {"closed"}
'''
