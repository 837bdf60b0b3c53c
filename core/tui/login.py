"""Who uses the TUI: the login screen of a password deployment, the operating-system or
database login otherwise, and on demo, simulation and sandbox databases a person picker to act
as another person of the cast (with their grants)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from yishi.tui.i18n import STRINGS

if TYPE_CHECKING:
    from yishi.engine.types import Actor
    from yishi.tui.app import YishiApp

STRINGS.update({
    "login.title": ("登录 · 议事", "Log in · yishi"),
    "login.login": ("登录名", "login"),
    "login.password": ("密码", "password"),
    "login.submit": ("登录", "log in"),
    "login.checking": ("正在核对…", "checking…"),
    "login.failed": ("无法确认你的身份", "who you are could not be established"),
    "person.title": ("以谁的身份办理（演示/模拟数据库）", "Act as (demo and simulation databases)"),
    "person.none": ("此数据库没有登记人员", "no people are registered in this database"),
    "person.switched": ("现在以 {name} 的身份办理", "now acting as {name}"),
    "person.real": ("正式数据库不能换人：请以自己的账号登录", "a real database has no person picker: log in as yourself"),
    "served.not_password": ("网页会话只能用密码登录，而此部署的登录方式是“{how}”：请管理员执行 yishi org auth password",
                            "a browser session logs in by password only, and this deployment uses the "
                            "{how}: an administrator runs yishi org auth password"),
})


def _t(key: str, lang: str, **values: Any) -> str:
    zh, en = STRINGS[key]
    return (zh if lang.startswith("zh") else en).format(**values)


def restale(app: YishiApp) -> None:
    """Every screen reads again when next shown (the person acting changed)."""
    for screen in app.screen_stack:
        if hasattr(screen, "stale"):
            screen.stale = True


def identify(app: YishiApp, then: Callable[[], None]) -> None:
    """Settle ``app.actor`` for the open engine, then call ``then`` (which loads the screens).
    A real database needs an authenticated person (a password deployment asks on the login
    screen); elsewhere the declared actor stays, and a person without declared roles gets the
    roles of their grants. Nothing loads until this succeeds.

    A session served to a browser (``app.served``, ``yishi serve``) runs as the server's account,
    so on a real database only a password proves who is there: another method is refused, and
    the login screen starts empty rather than with the server account's login."""
    from yishi.errors import YishiError
    from yishi.org.mode import mode_of

    engine = app.engine
    assert engine is not None
    try:
        if mode_of(engine) != "real":
            app.actor = engine.acting(app.actor)
            then()
            return
        from yishi.org import auth

        # a declared name and roles (--as/--role, the config's) count for nothing here: the login decides
        served = bool(getattr(app, "served", False))
        how = auth.method(engine)
        if how == "password":
            def done(actor: Actor | None) -> None:
                if actor is not None:
                    app.actor = engine.acting(actor)
                    restale(app)
                    then()
            app.push_screen(LoginScreen(login="" if served else None), done)
            return
        if served:
            names = auth.METHODS.get(how, (how, how))
            raise auth.AuthError(_t("served.not_password", "en", how=names[1]),
                                 message_zh=_t("served.not_password", "zh", how=names[0]))
        app.actor = engine.acting(auth.authenticate(engine))
    except YishiError as exc:
        app.show_error(exc, title=_t("login.failed", app.lang))
        return
    then()


class LoginScreen(ModalScreen["Actor | None"]):
    """Login and password; Enter logs in. Wrong passwords count towards the lock-out."""

    BINDINGS = [
        Binding("ctrl+q", "app.quit", "quit", id="quit", priority=True),
        # priority: acted on as each key arrives, so keys typed ahead (a burst through a browser
        # session) land in the field the user moved to, not in the one they left
        Binding("enter", "enter", "log in", show=False, priority=True),
        Binding("tab", "move(1)", "next", show=False, priority=True),
        Binding("shift+tab", "move(-1)", "previous", show=False, priority=True),
    ]

    def __init__(self, login: str | None = None) -> None:
        """``login``: the login field's first value (None: ``auth.default_login()``)."""
        super().__init__()
        self.initial_login = login

    def compose(self) -> ComposeResult:
        from yishi.org.auth import default_login

        lang = getattr(self.app, "lang", "zh")
        with Vertical(classes="dialog-box", id="login-box"):
            yield Label(Text(_t("login.title", lang), style="bold"), classes="dialog-title")
            yield Label(_t("login.login", lang))
            yield Input(value=default_login() if self.initial_login is None else self.initial_login, id="login")
            yield Label(_t("login.password", lang))
            yield Input(password=True, id="password")
            yield Static("", id="login-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_t("login.submit", lang), variant="primary", id="submit")

    def on_mount(self) -> None:
        self.add_class("dialog")
        login = self.query_one("#login", Input)
        (self.query_one("#password", Input) if login.value else login).focus()

    def _fields(self) -> list[Any]:
        return [self.query_one("#login", Input), self.query_one("#password", Input), self.query_one("#submit", Button)]

    def action_enter(self) -> None:
        """Enter in the login field moves to the password; anywhere else it logs in."""
        login, password, _ = self._fields()
        if self.focused is login:
            self.set_focus(password)  # now, not after the keys already on their way
        else:  # once each field has taken the keys typed before this Enter (each has its own queue)
            login.call_later(password.call_later, self._submit)

    def action_move(self, step: int) -> None:
        fields = self._fields()
        at = fields.index(self.focused) if self.focused in fields else -1
        self.set_focus(fields[(at + step) % len(fields)])

    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        self.query_one("#login-error", Static).update(_t("login.checking", self.app.lang))  # type: ignore[attr-defined]
        self._check(self.query_one("#login", Input).value, self.query_one("#password", Input).value)

    @work(thread=True, exclusive=True, group="login")
    def _check(self, login: str, password: str) -> None:
        from yishi.errors import YishiError
        from yishi.org.auth import check_password

        engine = self.app.engine  # type: ignore[attr-defined]
        try:
            actor = check_password(engine, login, password)
        except YishiError as exc:
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self.dismiss, actor)

    def _failed(self, exc: Any) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        self.query_one("#login-error", Static).update(Text(exc.localized(lang), style="bold red"))
        field = self.query_one("#password", Input)
        field.value = ""
        field.focus()


class PersonPicker(ModalScreen["Actor | None"]):
    """The people of a demo, simulation or sandbox database with the roles they hold now;
    choosing one acts as them (their grants decide what they may do)."""

    BINDINGS = [Binding("escape", "cancel", "close", id="close")]

    def __init__(self, rows: list[tuple[int, str, str]]) -> None:
        super().__init__(classes="dialog")
        self.rows = rows

    def compose(self) -> ComposeResult:
        lang = getattr(self.app, "lang", "zh")
        with Vertical(classes="dialog-box"):
            yield Label(Text(_t("person.title", lang), style="bold"), classes="dialog-title")
            if self.rows:
                yield OptionList(*[Option(f"{name} · {grants}", id=str(pid)) for pid, name, grants in self.rows],
                                 id="people")
            else:
                yield Static(_t("person.none", lang))

    def on_mount(self) -> None:
        if self.rows:
            self.query_one("#people", OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        from yishi.engine.types import Actor

        pid = int(event.option.id or 0)
        name = next(n for p, n, _ in self.rows if p == pid)
        self.dismiss(Actor(name=name, person_id=pid))


def people_rows(app: YishiApp) -> list[tuple[int, str, str]]:
    """(person id, name, "role · unit; …") of everyone in the organisation, for the picker."""
    from yishi.org.admin import role_titles

    engine = app.engine
    assert engine is not None
    org = engine.org
    units = {u.id: u for u in org.units()}
    titles = role_titles(engine)
    lang = app.lang
    now = engine.now()
    out = []
    for person in org.people():
        held = org.grants(person, at=now)
        text = "；".join(f"{titles.get(g.role, (g.role, g.role))[0 if lang == 'zh' else 1]}（"
                        f"{units[g.unit_id].name if g.unit_id in units else ''}）" for g in held)
        out.append((person.id, person.name, text or "—"))
    return out


def may_pick(app: YishiApp) -> bool:
    """Whether p (person picker) is offered: an open engine on a database that is not real and has people."""
    engine = app.engine
    if engine is None:
        return False
    cached = app.__dict__.get("_may_pick")
    if cached is None or cached[0] is not engine:
        from yishi.errors import YishiError
        from yishi.org.mode import mode_of

        try:
            with engine.store.read() as tx:
                has_people = bool(tx.org().people())
            cached = (engine, mode_of(engine) != "real" and has_people)
        except YishiError:
            cached = (engine, False)
        app.__dict__["_may_pick"] = cached
    return cached[1]


def pick_person(app: YishiApp) -> None:
    """Open the person picker (not on a real database)."""
    from yishi.org.mode import mode_of

    if app.engine is None:
        return
    if mode_of(app.engine) == "real":
        app.notify(_t("person.real", app.lang), severity="warning")
        return

    def chosen(actor: Actor | None) -> None:
        if actor is None or app.engine is None:
            return
        app.actor = app.engine.acting(actor)
        app.acted_as_changed()
        app.notify(_t("person.switched", app.lang, name=actor.name), timeout=4)

    app.push_screen(PersonPicker(people_rows(app)), chosen)
