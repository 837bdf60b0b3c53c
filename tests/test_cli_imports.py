"""``import yishi.cli`` (what ``yishi --help`` pays for) loads neither pydantic, YAML, SQLAlchemy,
the engine, the plugins nor Textual: each command imports what it needs when it runs (issue #13)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY_PACKAGES = ("pydantic", "yaml", "sqlalchemy", "sqlmodel", "transitions", "textual", "alembic",
                  "pluggy", "jinja2", "httpx", "psycopg")
HEAVY_YISHI = ("yishi.engine", "yishi.definition", "yishi.plugins", "yishi.tui", "yishi.plugin_manager",
               "yishi.config")


def _modules_after(statement: str) -> list[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_import_cli_loads_nothing_heavy() -> None:
    loaded = _modules_after("import yishi.cli")
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY_PACKAGES or m.startswith(HEAVY_YISHI)]
    assert heavy == [], f"import yishi.cli pulled in {heavy[:10]}: import them inside the command instead"


def test_help_runs_without_the_engine() -> None:
    code = ("import sys\nfrom typer.testing import CliRunner\nfrom yishi.cli import app\n"
            "r = CliRunner().invoke(app, ['--help'])\nassert r.exit_code == 0, r.output\n"
            "print('yishi.engine.engine' in sys.modules, 'sqlalchemy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


GROUP_MODULES = ("yishi.cli.cases", "yishi.cli.workflows", "yishi.cli.outbox", "yishi.cli.plugin")
UNUSED_RICH = ("rich.markdown", "markdown_it", "rich.traceback", "rich.pretty")


def _help(args: list[str], *, eager_rich: bool = False) -> tuple[str, list[str]]:
    """The help ``yishi ARGS`` prints (as the console script runs it) and the modules it loaded;
    ``eager_rich``: with ``typer.rich_utils`` imported the ordinary way first."""
    code = ("import sys, json, io, contextlib\n" + ("import typer.rich_utils\n" if eager_rich else "")
            + "from yishi.cli import main\nsys.argv = ['yishi', *json.loads(sys.argv[1])]\nout = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n    try:\n        main()\n    except SystemExit:\n        pass\n"
            "print(json.dumps([out.getvalue(), sorted(sys.modules)]))")
    done = subprocess.run([sys.executable, "-c", code, json.dumps(args)], capture_output=True, text=True, check=True,
                          env={**__import__("os").environ, "COLUMNS": "100"})
    text, modules = json.loads(done.stdout)
    return text, modules


def test_help_builds_no_command_group_and_loads_no_markdown() -> None:
    """``yishi --help`` lists the groups from their names and help alone (their modules are not
    imported) and renders without rich.markdown and rich.traceback (issue #13, goal 5)."""
    text, loaded = _help(["--help"])
    assert [m for m in loaded if m in GROUP_MODULES] == []
    assert [m for m in loaded if m.split(".")[0] == "markdown_it" or m in UNUSED_RICH] == []
    from yishi.cli.lazy import GROUPS

    for name, (_module, help_text) in GROUPS.items():
        assert f" {name} " in text and help_text.split(":")[0] in text


def test_help_reads_the_same_as_typers_own_rendering() -> None:
    for args in (["--help"], ["case", "--help"], ["org", "unit", "--help"], ["--lang", "zh", "case", "fire", "--help"]):
        assert _help(args)[0] == _help(args, eager_rich=True)[0], args


def test_a_group_loads_its_commands_when_used() -> None:
    text, loaded = _help(["case", "--help"])
    assert "yishi.cli.cases" in loaded and "yishi.cli.workflows" not in loaded
    listed = [line.split()[1] for line in text.splitlines() if line.startswith("│ ") and line[2] != " "]
    assert listed[-3:] == ["export", "attach", "attachments"]  # the document commands, after the case commands
    assert "rich.markdown" not in loaded


def test_the_deferred_rich_classes_are_the_real_ones_once_used() -> None:
    code = ("from yishi.cli.helpfast import load_rich_utils\nload_rich_utils()\nimport sys, typer.rich_utils as r\n"
            "assert 'rich.markdown' not in sys.modules\n"
            "from rich.markdown import Markdown\nfrom rich.traceback import Traceback\n"
            "m = r.Markdown('*x*')\nassert type(m) is Markdown and isinstance(m, r.Markdown)\n"
            "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    tb = r.Traceback.from_exception(type(e), e, e.__traceback__)\n"
            "assert type(tb) is Traceback\nprint('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["ok"]


def test_the_tuis_first_frame_needs_no_definition_models() -> None:
    """What ``yishi`` imports before the TUI's first frame (the actor and the case filter) loads
    neither pydantic nor YAML: the definitions load with the engine, after the frame."""
    loaded = _modules_after("import yishi.cli\nfrom yishi.engine.types import Actor, CaseFilter")
    assert [m for m in loaded if m.split(".")[0] in ("pydantic", "yaml", "sqlalchemy")] == []


def test_opening_the_store_needs_neither_sqlmodel_nor_the_orm() -> None:
    loaded = _modules_after("import yishi.plugins.sqlstore.store, yishi.plugins.sqlstore.migrate")
    assert [m for m in loaded if m.split(".")[0] == "sqlmodel" or m.startswith("sqlalchemy.orm")] == []


FIRST_FRAME = r"""
import sys, json
from yishi.engine.types import Actor
from yishi.tui.app import create_app
from yishi.tui.screens.cases import CasesScreen
seen = {}
mounted = CasesScreen.on_mount
def on_mount(self):
    mounted(self)
    def painted():
        seen.setdefault("modules", sorted(sys.modules))
        self.app.exit()
    self.app.call_after_refresh(painted)
CasesScreen.on_mount = on_mount
create_app(sys.argv[1], Actor.of("马书记", "secretary"), "zh", tick_seconds=0).run(headless=True, size=(100, 32))
print(json.dumps(seen["modules"]))
"""


def test_the_first_frame_is_painted_before_the_database_is_opened(tmp_path) -> None:  # noqa: ANN001
    """The engine opens in a worker thread after the first frame: its imports (SQLAlchemy,
    pydantic, YAML) do not hold the GIL while Textual draws it, nor does uniseg (issue #13)."""
    import os

    url = f"sqlite:///{tmp_path / 'y.db'}"
    out = subprocess.run([sys.executable, "-c", FIRST_FRAME, url], capture_output=True, text=True, check=True,
                         env={**os.environ, "YISHI_CONFIG": os.devnull})
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert sorted({m.split(".")[0] for m in loaded} & {"sqlalchemy", "pydantic", "yaml", "uniseg"}) == []
