"""``yishi serve``: the TUI in a web browser (textual-serve), one process per browser session,
each starting on the login screen of a password deployment; demo, simulation and sandbox
databases are served as the demo's person without a login."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shlex
import socket
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from yishi.cli.context import session
from yishi.cli.output import MESSAGES, console, t
from yishi.errors import YishiError

if TYPE_CHECKING:
    from yishi.engine.engine import Engine
    from yishi.engine.types import Actor

MESSAGES.update({
    "serve_missing": {
        "zh": "yishi serve 需要 textual-serve，但它没有安装：pip install 'yishi[serve]'（或 pip install textual-serve）",
        "en": "yishi serve needs textual-serve, which is not installed: pip install 'yishi[serve]' "
              "(or pip install textual-serve)"},
    "serve_not_password": {
        "zh": "不能在网页上提供此正式数据库：它的登录方式是“{how}”，而网页会话只能靠密码确认身份——"
              "否则每个浏览器都会以本服务器账号（{login}）的身份办理。请管理员改为密码登录："
              "yishi org auth password，并为每个人设置密码：yishi org password 姓名",
        "en": "refusing to serve this real database: it logs people in by {how}, and a browser session "
              "can only prove who it is by password; otherwise every browser would act as this "
              "server's own account ({login}). An administrator switches to passwords with "
              "`yishi org auth password` and gives each person one with `yishi org password PERSON`"},
    "serve_declared": {
        "zh": "正式数据库不接受 --as 和 --role：网页上每个人以自己的登录名和密码登录",
        "en": "--as and --role are refused on a real database: in the browser everyone logs in "
              "with their own login and password"},
    "serve_no_passwords": {
        "zh": "提示：还没有任何人设置密码，没人能登录；管理员执行：yishi org password 姓名",
        "en": "note: nobody has a password yet, so nobody can log in; an administrator runs: "
              "yishi org password PERSON"},
    "serve_real": {
        "zh": "议事 yishi 网页版：{url}（数据库 {db}）。每个浏览器会话先登录（登录名和密码；连续 {n} 次错误锁定 "
              "{minutes} 分钟），登录前不显示任何数据。Ctrl-C 停止。",
        "en": "yishi in the browser: {url} (database {db}). Every browser session first logs in (login "
              "and password; {n} failures in a row lock the login for {minutes} minutes); nothing of "
              "the database is shown before. Ctrl-C stops it."},
    "serve_demo": {
        "zh": "议事 yishi 网页版：{url}（{mode}数据库 {db}）。不需要登录：每个浏览器都以 {name}（{roles}）的身份办理，"
              "可按 p 换人。Ctrl-C 停止。",
        "en": "yishi in the browser: {url} ({mode} database {db}). No login: every browser acts as "
              "{name} ({roles}) and may switch person with p. Ctrl-C stops it."},
    "mode_simulation": {"zh": "模拟", "en": "simulation"},
    "mode_sandbox": {"zh": "试用", "en": "sandbox"},
    "serve_unencrypted": {
        "zh": "警告：{host} 不是本机回环地址，其他电脑可以连到它；这些连接（包括密码）没有加密，除非前面有一个 "
              "HTTPS（TLS）反向代理。建议绑定 127.0.0.1，由反向代理对外提供 HTTPS。",
        "en": "warning: {host} is not a loopback address, so other computers reach it directly, and "
              "that traffic (passwords included) is unencrypted unless a TLS (HTTPS) reverse proxy "
              "stands in front of it. Bind 127.0.0.1 and let the proxy serve HTTPS instead."},
    "serve_wildcard": {
        "zh": "绑定 {host}（所有地址）时必须用 --public-url 指明浏览器访问的地址，例如 --public-url https://yishi.example.org",
        "en": "binding {host} (every address) needs --public-url, the address browsers use, e.g. "
              "--public-url https://yishi.example.org"},
    "serve_bad_url": {
        "zh": "--public-url 必须以 http:// 或 https:// 开头：{url}",
        "en": "--public-url must start with http:// or https://: {url}"},
    "serve_port_busy": {
        "zh": "无法在 {host}:{port} 监听：端口已被占用（另一个 yishi serve？）；用 --port 换一个端口",
        "en": "cannot listen on {host}:{port}: the port is in use (another yishi serve?); choose another with --port"},
    "serve_cannot_bind": {
        "zh": "无法在 {host}:{port} 监听：{reason}",
        "en": "cannot listen on {host}:{port}: {reason}"},
    "serve_stopped": {"zh": "已停止。", "en": "stopped."},
})

TITLE = "议事 yishi"
#: the environment variable naming who a session acts as on a database that is not real
SERVED_AS = "YISHI_SERVED_AS"


def serve(ctx: typer.Context,
          host: Annotated[str, typer.Option(
              "--host", metavar="ADDRESS",
              help="The address to listen on. Keep the default (loopback) behind a TLS reverse proxy; "
                   "any other address carries unencrypted traffic.")] = "127.0.0.1",
          port: Annotated[int, typer.Option("--port", min=1, max=65535, help="The port to listen on.")] = 8000,
          public_url: Annotated[str | None, typer.Option(
              "--public-url", metavar="URL",
              help="The address browsers use, e.g. https://yishi.example.org behind a reverse proxy "
                   "(default: http://HOST:PORT).")] = None,
          ) -> None:
    """Serve the TUI to web browsers (textual-serve), on the configured database.

    Every browser gets its own TUI process. A real database is served only when people log in by
    password, and each session starts on the login screen; a demo, simulation or sandbox
    database is served without a login, as the demo's person (or --as/--role, or the config's).
    """
    s = session(ctx)
    server_cls = _server_class(s.lang)  # before the database: a missing extra is said first
    url = _public_url(host, port, public_url)
    engine = s.engine(ctx)
    message, env = _plan(ctx, engine, s.lang, url)
    s._close()  # every browser session opens its own engine
    _check_port(host, port)
    err = console(stderr=True)
    if not _loopback(host):
        err.print(t("serve_unencrypted", s.lang, host=host), style="yellow", soft_wrap=True)
    for warning in message[1:]:
        err.print(warning, style="yellow", soft_wrap=True)
    if s.db:
        env["YISHI_DB"] = s.db  # the URL travels in the environment, never on a command line
    os.environ.update(env)  # textual-serve gives each session a copy of this environment
    console().print(message[0], soft_wrap=True)
    command = f"{shlex.quote(sys.executable)} -m yishi.cli.served"
    server = server_cls(command, host=host, port=port, title=TITLE, public_url=url)
    import asyncio

    asyncio.set_event_loop(asyncio.new_event_loop())
    try:
        server.serve()
    except OSError as exc:  # lost the port between the check and the bind
        raise YishiError(t("serve_cannot_bind", "en", host=host, port=port, reason=exc.strerror or exc),
                         message_zh=t("serve_cannot_bind", "zh", host=host, port=port,
                                      reason=exc.strerror or exc)) from None
    console(stderr=True).print(t("serve_stopped", s.lang))


def _error(key: str, **values: Any) -> YishiError:
    return YishiError(t(key, "en", **values), message_zh=t(key, "zh", **values))


def _plan(ctx: typer.Context, engine: Engine, lang: str, url: str) -> tuple[list[str], dict[str, str]]:
    """The startup message with any warnings after it, and the environment
    the sessions need. Raises ``AuthError`` for a real database that does not log in by password."""
    from yishi.cli import tui_settings
    from yishi.cli.identity import is_real
    from yishi.org import auth

    settings = tui_settings(ctx)
    env = {"YISHI_LANG": settings["lang"]}
    db = _safe_url(engine)
    if is_real(engine):
        opts = ctx.find_root().meta.get("yishi.tui", {})
        if opts.get("as") or opts.get("roles"):
            raise auth.AuthError(t("serve_declared", "en"), message_zh=t("serve_declared", "zh"))
        how = auth.method(engine)
        if how != "password":
            names = auth.METHODS.get(how, (how, how))
            raise auth.AuthError(
                t("serve_not_password", "en", how=names[1], login=auth.os_login()),
                message_zh=t("serve_not_password", "zh", how=names[0], login=auth.os_login()))
        lines = [t("serve_real", lang, url=url, db=db, n=auth.MAX_FAILURES,
                   minutes=int(auth.LOCK_FOR.total_seconds() // 60))]
        if not _anyone_has_a_password(engine):
            lines.append(t("serve_no_passwords", lang))
        return lines, {**env, SERVED_AS: ""}
    from yishi.demo import DEMO_ACTOR

    actor = tui_settings(ctx, default_actor=DEMO_ACTOR)["actor"]
    acting = engine.acting(actor)
    mode = "mode_simulation" if getattr(engine, "mode", "") == "simulation" else "mode_sandbox"
    roles = _role_names(engine, acting, lang)
    line = t("serve_demo", lang, url=url, mode=t(mode, lang), db=db, name=acting.name, roles=roles)
    return [line], {**env, SERVED_AS: json.dumps([actor.name, *actor.roles], ensure_ascii=False)}


def _role_names(engine: Engine, actor: Actor, lang: str) -> str:
    from yishi.tui.data import role_titles

    titles = role_titles(engine, lang)
    return ("、" if lang == "zh" else ", ").join(titles.get(r, r) for r in actor.roles) or "—"


def _anyone_has_a_password(engine: Engine) -> bool:
    with engine.store.read() as tx:
        return any(getattr(p, "password_hash", None) for p in tx.org().people() if p.active)


def _safe_url(engine: Engine) -> str:
    from yishi.config import mask_url

    store = engine.store
    return str(getattr(store, "safe_url", None) or mask_url(getattr(store, "url", "")) or "")


def _server_class(lang: str) -> type:
    """textual-serve's ``Server``, made to print nothing of its own, log no local variables
    (a session's environment holds the database URL) and load no web fonts from outside."""
    try:
        import aiohttp_jinja2
        import jinja2
        from textual_serve.server import Server
    except ImportError:
        raise _error("serve_missing") from None

    class YishiServer(Server):  # type: ignore[misc]
        def initialize_logging(self) -> None:
            import logging

            from rich.logging import RichHandler

            logging.basicConfig(level="INFO", format="%(message)s", handlers=[
                RichHandler(show_path=False, show_time=True, rich_tracebacks=True,
                            tracebacks_show_locals=False, console=self.console)])

        async def on_startup(self, app: Any) -> None:
            pass  # yishi serve has said where it listens

        async def _make_app(self) -> Any:
            app = await super()._make_app()
            aiohttp_jinja2.setup(app, loader=_OfflinePage(str(self.templates_path), lang))
            return app

    class _OfflinePage(jinja2.FileSystemLoader):
        """textual-serve's page without its Google Fonts stylesheet (unreachable from many
        offices, and the page waits for it before connecting), its two English words in ``lang``."""

        def __init__(self, path: str, lang: str) -> None:
            super().__init__(path)
            self.lang = lang

        def get_source(self, environment: Any, template: str) -> Any:
            source, filename, uptodate = super().get_source(environment, template)
            return offline_page(source, self.lang), filename, uptodate

    return YishiServer


def offline_page(source: str, lang: str) -> str:
    """The page's HTML with no stylesheet from fonts.googleapis.com, and in Chinese its
    "Session ended." and "Restart" (the browser shows them when a session ends)."""
    source = re.sub(r"<link\b[^>]*fonts\.googleapis\.com[^>]*>", "", source, flags=re.DOTALL)
    if lang.startswith("zh"):
        source = source.replace("Session ended.", "会话已结束。").replace(">Restart<", ">重新开始<")
    return source


def _public_url(host: str, port: int, public_url: str | None) -> str:
    """Where browsers find the server (textual-serve builds the websocket address from it).
    Raises ``YishiError`` for a URL that is no web address, or a wildcard host without one."""
    if public_url:
        if not public_url.startswith(("http://", "https://")):
            raise _error("serve_bad_url", url=public_url)
        return public_url.rstrip("/")
    if host in ("0.0.0.0", "::", ""):
        raise _error("serve_wildcard", host=host or "''")
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _loopback(host: str) -> bool:
    """Whether every address ``host`` names is a loopback one (127.0.0.0/8, ::1, localhost)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def _check_port(host: str, port: int) -> None:
    """Bind and release ``host:port`` as the server will, so a taken port is said plainly
    before anything else. Raises ``YishiError``."""
    import errno

    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise _error("serve_cannot_bind", host=host, port=port, reason=exc.strerror or exc) from None
    for family, kind, proto, _name, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise _error("serve_port_busy", host=host, port=port) from None
                raise _error("serve_cannot_bind", host=host, port=port, reason=exc.strerror or exc) from None


def register(app: typer.Typer) -> None:
    app.command()(serve)
