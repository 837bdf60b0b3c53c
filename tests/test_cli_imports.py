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
