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
    "config_deployment": {"zh": "部署文件：{path}", "en": "deployment file: {path}"},
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
               "--role", metavar="ROLE", help="A role you act in on sandbox and simulation databases "
                                              "(e.g. secretary); repeat for several. Replaces the roles in the file.")] = None,
           lang: Annotated[str | None, typer.Option("--lang", metavar="zh|en",
                                                    help="The TUI's language.")] = None,
           keys: Annotated[list[str] | None, typer.Option(
               "--key", metavar="ID=KEY", help="Remap a TUI key binding, e.g. record=f4; repeat for several.")] = None,
           db: Annotated[str | None, typer.Option(
               "--db", metavar="URL", help="Set the database to use (kept in your file unless a "
                                               "deployment file sets it).")] = None,
           ) -> None:
    """Show your settings (who you are, language, database, keys, the deployment file in use), or
    change them. Your comments and layout in the file are kept; it stays readable by you only."""
    from yishi.config import ConfigError, load_config, mask_url, save_personal

    s = session(ctx)
    cfg = load_config()
    updates: dict[str, object] = {}
    if name is not None:
        updates["name"] = name.strip() or None
    if roles is not None:
        updates["roles"] = [r.strip() for item in roles for r in item.split(",") if r.strip()]
    if lang is not None:
        if lang not in ("zh", "en"):
            raise typer.BadParameter("zh | en", param_hint="'--lang'")
        updates["lang"] = lang
    new_keys: dict[str, str] = {}
    for item in keys or ():
        binding, eq, key = item.partition("=")
        if not eq or not binding.strip() or not key.strip():
            raise typer.BadParameter(t("config_bad_key", s.lang, value=item), param_hint="'--key'")
        new_keys[binding.strip()] = key.strip()
    if new_keys:
        updates["keys"] = {**cfg.keys, **new_keys}
    if db is not None:
        if cfg.deployment is not None:
            raise ConfigError(f"the database is set by the deployment file {cfg.deployment}; ask its administrator",
                              message_zh=f"数据库由部署文件 {cfg.deployment} 设定；请联系其管理员")
        updates["db"] = db.strip() or None
    out = console()
    if updates:
        path = save_personal(updates, cfg.path)
        out.print(t("config_saved", s.lang, path=path), soft_wrap=True)
        return
    unset = t("config_unset", s.lang)
    missing = "" if cfg.path is not None and cfg.path.exists() else t("config_missing", s.lang)
    out.print(t("config_path", s.lang, path=cfg.path, missing=missing), soft_wrap=True)
    if cfg.deployment is not None:
        out.print(t("config_deployment", s.lang, path=cfg.deployment), soft_wrap=True)
    out.print(t("config_name", s.lang, value=cfg.name or unset))
    out.print(t("config_roles", s.lang, value=", ".join(cfg.roles) or unset))
    out.print(t("config_lang", s.lang, value=cfg.lang or unset))
    out.print(t("config_db", s.lang, value=mask_url(cfg.db) or unset), soft_wrap=True)
    out.print(t("config_tz", s.lang, value=cfg.tz or unset))
    out.print(t("config_keys", s.lang))
    from yishi.tui.keys import default_keys

    for binding, (key, where) in default_keys().items():
        mine = cfg.keys.get(binding)
        out.print(f"  {binding:<16} {mine or key:<14} {where}" + (f"  (default {key})" if mine else ""))
    if not cfg.name:
        out.print(t("config_hint", s.lang), style="dim")
