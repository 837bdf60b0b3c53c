"""Settings files: a person's own config (language, keys, who I am) and, where an office shares one
deployment, the deployment file every client and worker reads (database, time zone, params,
notifier channels). Both are TOML, validated key by key with file:line and "did you mean"."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yishi.errors import YishiError


class ConfigError(YishiError):
    """A settings file cannot be read, or names a key it does not know, or has a value of the
    wrong kind; the message names the file and line."""


PERSONAL_KEYS: dict[str, type] = {"name": str, "roles": list, "lang": str, "keys": dict, "login": str,
                                  "deployment": str}
DEPLOYMENT_KEYS: dict[str, type] = {"db": str, "tz": str, "params": dict, "notifiers": dict,
                                    "calendar": dict, "documents": dict, "attachments": dict,
                                    "schedules": dict}
#: the keys of the deployment's [documents] and [attachments] tables (yishi.documents)
TABLE_KEYS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "documents": {"templates": str, "org": str, "out": str},
    "attachments": {"dir": str, "max_mb": (int, float)},
}
DEFAULT_DEPLOYMENT = Path("/etc/yishi/deployment.toml")


@dataclass
class Config:
    """Everything the settings files say; every key is optional.

    A person's file (``yishi config`` writes it; ``$YISHI_CONFIG`` or the user config dir)::

        name = "马书记"
        lang = "zh"              # zh | en
        login = "mashuji"        # the person to act as, where the deployment allows choosing
        deployment = "/srv/yishi/deployment.toml"
        [keys]                   # binding id = key
        fire = "f5"

    The deployment file (``$YISHI_DEPLOYMENT``, the personal ``deployment`` key, else
    ``/etc/yishi/deployment.toml`` when it exists), shared by every client and worker::

        db = "postgresql+psycopg://yishi@db.example/yishi"
        tz = "Asia/Shanghai"
        [params.four_discussions_two_disclosures]
        notice_period = "5d"
        [notifiers.office]       # one table per channel, read by the notifier of its ``type``
        type = "email"
        host = "smtp.example.org"
        password_env = "YISHI_SMTP_PASSWORD"     # secrets come from the worker's environment

    Without a deployment file (one person on one PC) the personal file may hold the
    deployment keys too. ``roles`` is honoured on sandbox and simulation databases only.
    """

    name: str | None = None
    roles: list[str] = field(default_factory=list)
    lang: str | None = None
    login: str | None = None
    db: str | None = None
    tz: str | None = None
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    notifiers: dict[str, dict[str, Any]] = field(default_factory=dict)
    calendar: dict[str, Any] = field(default_factory=dict)
    documents: dict[str, Any] = field(default_factory=dict)
    attachments: dict[str, Any] = field(default_factory=dict)
    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    deployment: Path | None = None


def config_path() -> Path:
    """``$YISHI_CONFIG`` if set, else ``config.toml`` in the user config directory."""
    env = os.environ.get("YISHI_CONFIG")
    if env:
        return Path(env)
    from platformdirs import user_config_path

    return user_config_path("yishi", appauthor=False) / "config.toml"


def deployment_path(personal: dict[str, Any] | None = None, personal_file: Path | None = None) -> Path | None:
    """The deployment file in use: ``$YISHI_DEPLOYMENT``, else the personal ``deployment`` key
    (relative to the personal file), else ``/etc/yishi/deployment.toml`` if it exists."""
    env = os.environ.get("YISHI_DEPLOYMENT")
    if env:
        return Path(env)
    named = (personal or {}).get("deployment")
    if named:
        path = Path(str(named)).expanduser()
        return path if path.is_absolute() or personal_file is None else personal_file.parent / path
    return DEFAULT_DEPLOYMENT if DEFAULT_DEPLOYMENT.exists() else None


def _read(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}; fix the TOML syntax there",
                          message_zh=f"{path}：{exc}；请修正该处的 TOML 语法") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}",
                          message_zh=f"无法读取 {path}：{exc.strerror}") from None


def line_of(text: str, dotted: str) -> int:
    """The line where ``dotted`` (``key``, ``table.key`` or ``table``) is written; 1 if not found."""
    parts = dotted.split(".")
    last = re.escape(parts[-1])
    header = re.escape(".".join(parts))
    patterns = [rf"^[ \t]*\[+[ \t]*{header}[ \t]*[\].]", rf"^[ \t]*{re.escape(dotted)}[ \t]*=",
                rf"^[ \t]*\"?{last}\"?[ \t]*="]
    for pattern in patterns:
        found = re.search(pattern, text, flags=re.M)
        if found:
            return text.count("\n", 0, found.start()) + 1
    return 1


def _unknown(path: Path, text: str, key: str, known: list[str], *, where: str = "") -> ConfigError:
    guess = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint_en = f"did you mean {guess[0]!r}?" if guess else f"known keys: {', '.join(known)}"
    hint_zh = f"是不是 {guess[0]!r}？" if guess else f"可用的键：{', '.join(known)}"
    line = line_of(text, f"{where}{key}")
    return ConfigError(f"{path}:{line}: unknown key {where}{key!r}; {hint_en} (every key: docs/config.md)",
                       message_zh=f"{path}:{line}：未知的键 {where}{key!r}；{hint_zh}（全部键见 docs/config.md）")


def _check(path: Path, text: str, raw: dict[str, Any], kinds: dict[str, type], *,
           also: dict[str, type] | None = None, other_file: str = "") -> dict[str, Any]:
    """The values of ``raw`` whose keys are in ``kinds``; ConfigError for any other key (naming
    the other file when the key belongs there) or a value of the wrong kind."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in kinds:
            if also and key in also:
                line = line_of(text, key)
                raise ConfigError(
                    f"{path}:{line}: {key!r} belongs in {other_file}, not here; move it there",
                    message_zh=f"{path}:{line}：{key!r} 应写在 {other_file} 中，而不是这里；请移过去")
            raise _unknown(path, text, key, sorted(kinds))
        kind = kinds[key]
        if not isinstance(value, kind):
            line = line_of(text, key)
            raise ConfigError(f"{path}:{line}: {key!r} should be a {_kind_name(kind)}",
                              message_zh=f"{path}:{line}：{key!r} 应为{_kind_name(kind, 'zh')}")
        out[key] = value
    if "lang" in out and out["lang"] not in ("zh", "en"):
        raise ConfigError(f"{path}:{line_of(text, 'lang')}: lang should be 'zh' or 'en', not {out['lang']!r}",
                          message_zh=f"{path}:{line_of(text, 'lang')}：lang 只能是 zh 或 en")
    for name, table in (out.get("notifiers") or {}).items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}:{line_of(text, f'notifiers.{name}')}: [notifiers.{name}] should be a table",
                              message_zh=f"{path}:{line_of(text, f'notifiers.{name}')}：[notifiers.{name}] 应为一个表")
    for table_name, known in TABLE_KEYS.items():
        for key, value in (out.get(table_name) or {}).items():
            if key not in known:
                raise _unknown(path, text, key, sorted(known), where=f"{table_name}.")
            if not isinstance(value, known[key]) or isinstance(value, bool):
                line = line_of(text, f"{table_name}.{key}")
                kind = known[key]
                en = "number" if isinstance(kind, tuple) else _kind_name(kind)
                zh = "数字" if isinstance(kind, tuple) else _kind_name(kind, "zh")
                raise ConfigError(f"{path}:{line}: [{table_name}] {key!r} should be a {en}",
                                  message_zh=f"{path}:{line}：[{table_name}] {key!r} 应为{zh}")
    for name, table in (out.get("params") or {}).items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}:{line_of(text, f'params.{name}')}: [params.{name}] should be a table of "
                              "param = value", message_zh=f"{path}：[params.{name}] 应为 参数 = 值 的表")
    return out


def _kind_name(kind: type, lang: str = "en") -> str:
    names = {str: ("text", "文本"), list: ("list", "列表"), dict: ("table", "表")}
    en, zh = names.get(kind, (kind.__name__, kind.__name__))
    return zh if lang == "zh" else en


def load_config(path: Path | None = None) -> Config:
    """The effective settings: the personal file, and the deployment file if one is in use.
    Missing files are empty.

    Raises ``ConfigError`` naming the file and line for broken TOML, an unknown key (with a
    "did you mean"), a deployment key in a personal file while a deployment file is in use, or
    a value of the wrong kind.
    """
    path = path or config_path()
    personal: dict[str, Any] = {}
    if path.exists():
        raw, text = _read(path)
        deploy = deployment_path(raw, path)
        if deploy is None:  # one person on one PC: the personal file may hold everything
            personal = _check(path, text, raw, {**PERSONAL_KEYS, **DEPLOYMENT_KEYS})
        else:
            personal = _check(path, text, raw, PERSONAL_KEYS, also=DEPLOYMENT_KEYS, other_file=str(deploy))
    else:
        deploy = deployment_path()
    shared: dict[str, Any] = {}
    if deploy is not None:
        if not deploy.exists():
            raise ConfigError(f"the deployment file {deploy} does not exist; ask your administrator "
                              "for its path, or unset YISHI_DEPLOYMENT / the 'deployment' key",
                              message_zh=f"部署文件 {deploy} 不存在；请向管理员确认其路径，"
                                         "或取消 YISHI_DEPLOYMENT / 'deployment' 设置")
        raw, text = _read(deploy)
        shared = _check(deploy, text, raw, DEPLOYMENT_KEYS, also=PERSONAL_KEYS,
                        other_file="each person's own config (yishi config)")
    values = {**shared, **personal}
    values.pop("deployment", None)
    return Config(path=path, deployment=deploy, **values)


def check_channels(cfg: Config, handled: set[str]) -> None:
    """Every ``[notifiers.NAME]`` table must name (by ``type``, else by its name) a kind of
    channel some installed notifier plugin reads. Raises ``ConfigError`` otherwise."""
    for name, table in cfg.notifiers.items():
        if not table.get("enabled", True):
            continue
        kind = table.get("type", name)
        if kind in handled:
            continue
        where = cfg.deployment or cfg.path
        text = where.read_text(encoding="utf-8") if where is not None and where.exists() else ""
        line = line_of(text, f"notifiers.{name}")
        guess = difflib.get_close_matches(str(kind), sorted(handled), n=1, cutoff=0.5)
        hint = f"did you mean type = {guess[0]!r}?" if guess else f"the types are: {', '.join(sorted(handled))}"
        what = (f"[notifiers.{name}] has no 'type', and no installed notifier reads channels named {kind!r}"
                if "type" not in table else f"[notifiers.{name}]: no installed notifier reads type = {kind!r}")
        raise ConfigError(
            f"{where}:{line}: {what}; {hint}",
            message_zh=f"{where}:{line}：[notifiers.{name}] 的类型 {kind!r} 没有已安装的通知插件处理；"
                       + (f"是不是 type = {guess[0]!r}？" if guess else f"可用类型：{', '.join(sorted(handled))}"))


def mask_url(url: str | None) -> str | None:
    """A database URL with its password replaced by ``***``."""
    if not url:
        return url
    return re.sub(r"(?<=://)([^:/@]*):([^@]*)@", r"\1:***@", url)


def save_personal(updates: dict[str, Any], path: Path | None = None) -> Path:
    """Set ``updates`` (key → value; None removes the key) in the personal file, keeping the
    user's comments and layout (tomlkit), atomically, created and kept 0600 (it may name a
    database with a password). Returns the path. Raises ``ConfigError`` when it cannot be written."""
    import tomlkit

    path = path or config_path()
    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
        for key, value in updates.items():
            if value is None or value == [] or value == {}:
                document.pop(key, None)
            elif isinstance(value, dict) and key in document:
                table = document[key]
                for sub, sub_value in value.items():
                    table[sub] = sub_value  # type: ignore[index]
            else:
                document[key] = value
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(tomlkit.dumps(document))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}",
                          message_zh=f"无法写入 {path}：{exc.strerror}") from None
    return path


def save_config(config: Config, path: Path | None = None) -> Path:
    """Write the personal keys of ``config`` (kept 0600, comments kept). Returns the path."""
    updates: dict[str, Any] = {"name": config.name, "roles": config.roles, "lang": config.lang,
                               "login": config.login, "keys": dict(config.keys)}
    if config.deployment is None:
        updates.update(db=config.db, tz=config.tz)
    return save_personal(updates, path or config.path)
