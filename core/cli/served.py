"""One browser session of ``yishi serve`` (textual-serve runs ``python -m yishi.cli.served`` for
every browser that connects): the TUI on the served database. On a real database it starts on the
login screen and nothing else; elsewhere it acts as the person ``yishi serve`` named.

Everything comes from the environment ``yishi serve`` set (``YISHI_DB``, ``YISHI_LANG`` and
``YISHI_SERVED_AS``), so no database URL, password or secret appears on a command line.
"""

from __future__ import annotations

import json
import os


def main() -> None:
    """Run one served TUI session until the browser leaves or the user quits."""
    from yishi.cli.output import detect_lang
    from yishi.cli.serve import SERVED_AS
    from yishi.config import load_config
    from yishi.engine.types import Actor
    from yishi.errors import YishiError
    from yishi.tui.app import create_app

    declared = json.loads(os.environ.get(SERVED_AS) or "[]") or [""]
    actor = Actor.of(str(declared[0]), *[str(r) for r in declared[1:]])
    try:
        keys = dict(load_config().keys)
    except YishiError:  # a config broken since yishi serve started: the keys are only a preference
        keys = {}
    app = create_app(None, actor, detect_lang(), keys=keys)  # YISHI_DB, else the config's db
    app.served = True  # type: ignore[attr-defined]  # yishi.tui.login: password logins only
    app.run()


if __name__ == "__main__":
    main()
