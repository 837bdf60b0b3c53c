"""``yishi config``: show the config file, or set who I am (name, roles), the language and keys."""

from __future__ import annotations

from typing import Annotated

import typer

from yishi.cli.context import session
from yishi.cli.output import MESSAGES, console, t

MESSAGES.update({
    "config_path": {"zh": "配置文件：{path}{missing}", "en": "config file: {path}{missing}"},
    "config_missing": {"zh": "（尚未创建）", "en": " (not created yet)"},
    "config_saved": {"zh": "已保存：{path}", "en": "saved: {path}"},
    "config_name": {"zh": "姓名：{value}", "en": "name: {value}"},
    "config_roles": {"zh": "角色：{value}", "en": "roles: {value}"},
    "config_lang": {"zh": "语言：{value}", "en": "language: {value}"},
    "config_db": {"zh": "数据库：{value}", "en": "database: {value}"},
    "config_tz": {"zh": "时区：{value}", "en": "time zone: {value}"},
    "config_keys": {"zh": "按键（绑定编号 = 按键）：", "en": "keys (binding id = key):"},
    "config_unset": {"zh": "（未设置）", "en": "(not set)"},
    "config_bad_key": {"zh": "{value!r} 应写成 绑定编号=按键，例如 --key record=f4",
                       "en": "{value!r} should be binding-id=key, e.g. --key record=f4"},
    "config_hint": {"zh": "设置：yishi config --name 马书记 --role secretary --lang zh",
                    "en": "set: yishi config --name NAME --role secretary --lang en"},
})


def config(ctx: typer.Context,
           name: Annotated[str | None, typer.Option("--name", help="Your name, recorded on every step you take.")] = None,
           roles: Annotated[list[str] | None, typer.Option(
               "--role", metavar="ROLE", help="A role you act in (e.g. secretary); repeat for several. "
                                              "Replaces the roles in the file.")] = None,
           lang: Annotated[str | None, typer.Option("--lang", metavar="zh|en",
                                                    help="The TUI's language.")] = None,
           keys: Annotated[list[str] | None, typer.Option(
               "--key", metavar="ID=KEY", help="Remap a TUI key binding, e.g. record=f4; repeat for several.")] = None,
           ) -> None:
    """Show the config file (who you are, language, database, keys), or change it."""
    from yishi.config import ConfigError, load_config, save_config

    s = session(ctx)
    cfg = load_config()
    changed = False
    if name is not None:
        cfg.name, changed = name.strip() or None, True
    if roles is not None:
        cfg.roles = [r.strip() for item in roles for r in item.split(",") if r.strip()]
        changed = True
    if lang is not None:
        if lang not in ("zh", "en"):
            raise typer.BadParameter("zh | en", param_hint="'--lang'")
        cfg.lang, changed = lang, True
    for item in keys or ():
        binding, eq, key = item.partition("=")
        if not eq or not binding.strip() or not key.strip():
            raise typer.BadParameter(t("config_bad_key", s.lang, value=item), param_hint="'--key'")
        cfg.keys[binding.strip()] = key.strip()
        changed = True
    out = console()
    if changed:
        try:
            path = save_config(cfg)
        except OSError as exc:
            raise ConfigError(f"cannot write {cfg.path}: {exc.strerror}",
                              message_zh=f"无法写入 {cfg.path}：{exc.strerror}") from None
        out.print(t("config_saved", s.lang, path=path), soft_wrap=True)
        return
    unset = t("config_unset", s.lang)
    missing = "" if cfg.path is not None and cfg.path.exists() else t("config_missing", s.lang)
    out.print(t("config_path", s.lang, path=cfg.path, missing=missing), soft_wrap=True)
    out.print(t("config_name", s.lang, value=cfg.name or unset))
    out.print(t("config_roles", s.lang, value=", ".join(cfg.roles) or unset))
    out.print(t("config_lang", s.lang, value=cfg.lang or unset))
    out.print(t("config_db", s.lang, value=cfg.db or unset), soft_wrap=True)
    out.print(t("config_tz", s.lang, value=cfg.tz or unset))
    out.print(t("config_keys", s.lang))
    from yishi.tui.keys import default_keys

    for binding, (key, where) in default_keys().items():
        mine = cfg.keys.get(binding)
        out.print(f"  {binding:<16} {mine or key:<14} {where}" + (f"  (default {key})" if mine else ""))
    if not (cfg.name and cfg.roles):
        out.print(t("config_hint", s.lang), style="dim")
