"""``yishi serve``: the TUI in a real headless browser (Debian's chromium, driven by playwright)
through the login and one step, recorded under the person who logged in; the refusals (a real
database without password logins, a taken port, textual-serve missing); loopback by default."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input
from typer.testing import CliRunner

from test_tui_app import pilot, running, settle
from yishi.cli import app as cli
from yishi.cli.serve import _loopback, offline_page
from yishi.engine import Actor, Engine
from yishi.org import auth
from yishi.tui.app import create_app
from yishi.tui.login import LoginScreen
from yishi.tui.screens.message import MessageDialog

CHROMIUM = Path("/usr/bin/chromium")
# never a browser of playwright's own (this machine's network is closed): Debian's, isolated
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
GRID = "grid_escalation"
EVENT = {"subject": "路灯不亮", "reporter": "李大爷", "place": "3号楼", "category": "environment",
         "urgency": "normal", "description": "路灯坏了三天"}
PASSWORD = "grid-secret-1"
PATIENCE = 120.0  # seconds to wait for anything: generous, since the machine is shared

# xterm.js keeps the screen in its buffer, which textual-serve's page does not expose: catch
# the Terminal as the page's script stores it (``this.terminal = new Terminal(...)``)
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, 'terminal', {
  configurable: true,
  get() { return undefined; },
  set(value) {
    if (value && value.buffer && value.buffer.active && !window.__yishiTerminal) window.__yishiTerminal = value;
    Object.defineProperty(this, 'terminal', {value, writable: true, configurable: true, enumerable: true});
  },
});
"""
READ_SCREEN = """() => {
  const term = window.__yishiTerminal;
  if (!term) return '';
  const buffer = term.buffer.active, rows = [];
  for (let y = 0; y < term.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    rows.push(line ? line.translateToString(true) : '');
  }
  return rows.join('\\n');
}"""


# ---------------------------------------------------------------- helpers


def real_password_db(url: str, *, method: str = "password") -> dict[str, Any]:
    """A real database (``yishi init``) whose grid member 李网格 (login li) logs in by password
    and has one grid event waiting to be dispatched."""
    with Engine.open(url) as engine:
        engine.org.init("张主任", "zhang", root="东街街道")
        admin = Actor("zhang")
        peace = engine.org.add_unit("社区", "和平社区", "东街街道", by=admin)
        grid = engine.org.add_unit("网格", "第一网格", peace, by=admin)
        li = engine.org.add_person("李网格", login="li", by=admin)
        engine.org.grant("li", "grid_member", grid, by=admin)
        if method != "os":
            auth.set_method(engine, method, by=admin)
        auth.set_password(engine, "li", PASSWORD, by=admin)
        case = engine.start(GRID, Actor("li"), {**EVENT, "subject": "李网格的事件"})
        return {"case": case.id, "person": li.id, "rev": case.rev}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Callable[[], Any], what: str, timeout: float = PATIENCE,
               seen: Callable[[], str] | None = None) -> Any:
    """Poll ``check`` until it returns something true; fail naming ``what`` (and what ``seen``
    says is there) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}" + (f"; the screen shows:\n{seen()}" if seen else ""))
        time.sleep(0.25)


@contextmanager
def serving(url: str, tmp_path: Path, *options: str, lang: str = "en") -> Iterator[dict[str, Any]]:
    """``yishi serve`` as a real process on a free loopback port, until the block ends."""
    port = free_port()
    out, err = tmp_path / "serve.out", tmp_path / "serve.err"
    command = [sys.executable, "-m", "yishi.cli", "--db", url, "--lang", lang, "serve", "--port", str(port), *options]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(command, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL,
                                start_new_session=True)  # its sessions are its process group

    def up() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"yishi serve exited {proc.returncode}: {err.read_text()}{out.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                return page.status == 200
        except OSError:
            return False

    try:
        wait_until(up, "yishi serve to answer")
        yield {"port": port, "url": f"http://127.0.0.1:{port}/", "proc": proc, "out": out, "err": err}
    finally:
        proc.send_signal(signal.SIGTERM)  # textual-serve stops every session, then exits
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # our own process group only
            proc.wait()


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc)."""
    out: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            kids = [int(k) for k in task.read_text().split()]
            out += kids
            todo += kids
    return out


def yishi(url: str, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--db", url, "--lang", "en", *args])


# ---------------------------------------------------------------- the browser


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                                                  "(apt-get install chromium; .ci/run installs it)")
def test_a_browser_logs_in_and_takes_a_step_recorded_under_that_person(sqlite_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    made = real_password_db(sqlite_url)
    with serving(sqlite_url, tmp_path) as server, sync_playwright() as play:
        browser = play.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 800})
        try:
            page = browser.new_page()
            page.add_init_script(CATCH_TERMINAL)
            page.goto(server["url"], wait_until="domcontentloaded")

            def screen() -> str:
                return str(page.evaluate(READ_SCREEN))

            def shows(*needles: str) -> Callable[[], str | None]:
                def check() -> str | None:
                    text = screen()
                    return text if all(n in text for n in needles) else None
                return check

            def wait_for(what: str, *needles: str) -> str:
                return str(wait_until(shows(*needles), what, seen=screen))

            first = wait_for("the login screen", "Log in", "login", "password")
            assert "李网格的事件" not in first and "路灯" not in first  # nothing of the database before the login
            # a session runs as the server's account: its login is not offered to the browser
            assert auth.os_login() not in first.split("Log in", 1)[1]

            # the session's process carries no database URL on its command line
            sessions = [pid for pid in descendants(server["proc"].pid)
                        if b"yishi.cli.served" in Path(f"/proc/{pid}/cmdline").read_bytes()]
            assert sessions, "a session process runs yishi.cli.served"
            for pid in sessions:
                assert sqlite_url.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()

            page.focus("#terminal .xterm-helper-textarea")  # the terminal takes the keys (no click: Textual sees clicks)
            page.keyboard.type("li")
            page.keyboard.press("Enter")  # to the password
            page.keyboard.type("wrong-password")
            page.keyboard.press("Enter")
            wait_for("the wrong password refused", "wrong login or password")
            assert "李网格的事件" not in screen()

            page.keyboard.type(PASSWORD)
            page.keyboard.press("Enter")
            listed = wait_for("the case list after the login", "李网格的事件")
            assert "Log in" not in listed and "李网格" in listed  # the header names who is logged in

            def press_until(keys: list[str], what: str, needle: str, again_while: str) -> str:
                """Press ``keys`` until the screen shows ``needle``. A key pressed before the app
                has moved focus (F6, a dialog opening) goes to the widget it left, as a person's
                would who typed ahead; like them, press again, but only while ``again_while``
                shows that nothing happened."""
                deadline = time.monotonic() + PATIENCE
                while True:
                    for key in keys:
                        page.keyboard.press(key)
                    try:
                        return str(wait_until(shows(needle), what, timeout=10, seen=screen))
                    except pytest.fail.Exception:
                        if time.monotonic() > deadline or again_while not in screen():
                            return wait_for(what, needle)

            press_until(["Enter"], "the case and its steps", "Grid escalation · step: intake", again_while="1 my actions")
            # the steps (F6; the cursor starts on the first step forward), then its confirmation
            press_until(["F6", "Enter"], "the step's confirmation", "Confirm: file and dispatch",
                        again_while="step: intake")
            press_until(["Enter"], "the step taken", "done: file and dispatch", again_while="Confirm: file and dispatch")

            def dispatched() -> Any:
                with Engine.open(sqlite_url) as engine:
                    return next((e for e in engine.history(made["case"]) if e.trigger == "dispatch"), None)

            event = wait_until(dispatched, "the step in the record")
        finally:
            browser.close()
    assert event.actor == "李网格" and event.role == "grid_member"
    assert event.data["_auth"]["person"] == made["person"]
    err = server["err"].read_text()
    assert "warning" not in err.lower() and "Traceback" not in err + server["out"].read_text()


# ---------------------------------------------------------------- refusals and defaults


def test_serve_refuses_a_real_database_whose_people_log_in_by_os_login(sqlite_url: str) -> None:
    real_password_db(sqlite_url, method="os")
    result = yishi(sqlite_url, "serve", "--port", str(free_port()))
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "refusing to serve this real database" in said
    assert "operating-system login" in said and "every browser would act as this server's own account" in said
    assert "yishi org auth password" in said and "yishi org password PERSON" in said
    assert "Traceback" not in result.output


def test_serve_refuses_declared_identity_on_a_real_database(sqlite_url: str) -> None:
    real_password_db(sqlite_url)
    result = yishi(sqlite_url, "--as", "李网格", "--role", "grid_member", "serve", "--port", str(free_port()))
    assert result.exit_code == 1 and "--as and --role are refused" in " ".join(result.output.split())


def test_a_taken_port_is_said_plainly(sqlite_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = yishi(sqlite_url, "serve", "--port", str(port))
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_without_textual_serve_it_says_how_to_install_it(sqlite_url: str) -> None:
    code = ("import sys\nsys.modules['textual_serve'] = None  # as if it were not installed\n"
            "from yishi.cli import main\n"
            f"sys.argv = ['yishi', '--db', {sqlite_url!r}, '--lang', 'en', 'serve']\nmain()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=PATIENCE)
    assert done.returncode == 1
    assert "pip install 'yishi[serve]'" in done.stderr and "Traceback" not in done.stderr


def test_binding_every_address_needs_the_public_url(sqlite_url: str) -> None:
    result = yishi(sqlite_url, "serve", "--host", "0.0.0.0", "--port", str(free_port()))
    assert result.exit_code == 1 and "needs --public-url" in " ".join(result.output.split())


def test_only_loopback_addresses_count_as_loopback() -> None:
    assert _loopback("127.0.0.1") and _loopback("127.0.0.2") and _loopback("::1") and _loopback("localhost")
    assert not _loopback("0.0.0.0") and not _loopback("192.0.2.1") and not _loopback("::")


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the listening sockets from Linux /proc")
def test_serve_listens_on_loopback_only_by_default(sqlite_url: str, tmp_path: Path) -> None:
    """A sandbox database, no --host: one listening socket, on 127.0.0.1; the page it serves
    points its websocket there and loads nothing from the internet."""
    with serving(sqlite_url, tmp_path) as server:
        port = server["port"]
        listening = []
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for row in Path(table).read_text().splitlines()[1:]:
                local, state = row.split()[1], row.split()[3]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                    listening.append(local.rsplit(":", 1)[0])
        assert listening == ["0100007F"]  # 127.0.0.1, and nothing else
        with urllib.request.urlopen(server["url"], timeout=30) as response:
            page = response.read().decode()
        assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in page
        assert "googleapis" not in page
        said = server["out"].read_text()
    assert f"http://127.0.0.1:{port}" in said and "No login: every browser acts as 马书记" in " ".join(said.split())
    assert "warning" not in server["err"].read_text()


def test_the_page_loads_no_web_fonts_and_speaks_chinese() -> None:
    from importlib.resources import files

    template = (files("textual_serve") / "templates" / "app_index.html").read_text()
    assert "fonts.googleapis.com" in template  # what textual-serve ships
    page = offline_page(template, "zh")
    assert "fonts.googleapis.com" not in page and "会话已结束" in page and "xterm.css" in page


# ---------------------------------------------------------------- a served session


@pilot
async def test_a_served_session_starts_on_an_empty_login_and_shows_nothing_before(sqlite_url: str) -> None:
    real_password_db(sqlite_url)
    with Engine.open(sqlite_url) as engine:
        app = create_app(engine, Actor.of(""), "en", cursor_blink=False, tick_seconds=0)
        app.served = True  # type: ignore[attr-defined]
        async with running(app):
            assert isinstance(app.screen, LoginScreen)
            login = app.screen.query_one("#login", Input)
            assert login.value == "" and login.has_focus  # not the server account's login
            assert app.screen_stack[-2].query_one(DataTable).row_count == 0


@pilot
async def test_a_served_session_on_an_os_login_database_loads_nothing(sqlite_url: str) -> None:
    """Should the deployment leave passwords while ``yishi serve`` runs, a new session refuses
    rather than taking the server's own account for the person at the browser."""
    made = real_password_db(sqlite_url, method="os")
    with Engine.open(sqlite_url) as engine:
        engine.org.add_person("服务器账号", login=auth.os_login(), by=Actor("zhang"))
        app = create_app(engine, Actor.of(""), "en", cursor_blink=False, tick_seconds=0)
        app.served = True  # type: ignore[attr-defined]
        async with running(app):
            assert isinstance(app.screen, MessageDialog)
            assert "a browser session logs in by password only" in " ".join(str(w.render()) for w in app.screen.query("*"))
            assert app.actor.name == "" and app.screen_stack[-2].query_one(DataTable).row_count == 0
    assert made["case"]


@pilot
async def test_back_from_the_login_the_case_list_has_the_keys_even_if_the_browser_blurred_it(sqlite_url: str) -> None:
    """textual-serve's driver starts the app blurred (focus cleared); when the login screen
    closes, Enter must open the highlighted case rather than land on the tabs."""
    from textual import events

    real_password_db(sqlite_url)
    with Engine.open(sqlite_url) as engine:
        app = create_app(engine, Actor.of(""), "en", cursor_blink=False, tick_seconds=0)
        app.served = True  # type: ignore[attr-defined]
        async with running(app) as p:
            assert isinstance(app.screen, LoginScreen)
            app.screen_stack[-2].set_focus(None)  # what the driver's first AppBlur leaves behind
            app.post_message(events.AppBlur())
            app.post_message(events.AppFocus())
            await p.press(*"li", "enter", *PASSWORD, "enter")
            await settle(p)
            assert not isinstance(app.screen, LoginScreen)
            assert isinstance(app.focused, DataTable) and app.focused.id == "cases"


@pilot
async def test_keys_typed_ahead_on_the_login_screen_land_where_they_were_meant(sqlite_url: str) -> None:
    """A browser session's keys can arrive in one burst (typed fast, or held up on the network):
    "li⏎password⏎" all queued before the screen has moved focus. The login must still be "li",
    the password the whole password, and the person logged in."""
    from textual import events

    real_password_db(sqlite_url)
    with Engine.open(sqlite_url) as engine:
        app = create_app(engine, Actor.of(""), "en", cursor_blink=False, tick_seconds=0)
        app.served = True  # type: ignore[attr-defined]
        async with running(app) as p:
            assert isinstance(app.screen, LoginScreen)
            for char in f"li\r{PASSWORD}\r":
                key = "enter" if char == "\r" else ("minus" if char == "-" else char)
                app.post_message(events.Key(key, char))  # all at once, as a burst arrives
            await settle(p)
            await p.pause(0.5)
            await settle(p)
            assert not isinstance(app.screen, LoginScreen), app.screen.query_one("#login", Input).value
            assert app.actor.name == "李网格"
