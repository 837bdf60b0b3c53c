"""The user's config file (TOML, in the platformdirs config dir): who I am, language, database,
time zone, param overrides, notifier channels and key bindings."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yishi.errors import YishiError


class ConfigError(YishiError):
    """The config file cannot be read or has a value of the wrong kind."""


@dataclass
class Config:
    """Everything the config file can say; every key is optional.

    ```toml
    name = "马书记"
    roles = ["secretary", "committee_member"]
    lang = "zh"              # zh | en
    db = "sqlite:////path/to/yishi.db"
    tz = "Asia/Shanghai"

    [params.four_discussions_two_disclosures]
    notice_period = "5d"

    [notifiers.email]        # one table per channel, read by that notifier plugin
    host = "smtp.example.org"

    [keys]                   # binding id = key
    fire = "f5"
    ```
    """

    name: str | None = None
    roles: list[str] = field(default_factory=list)
    lang: str | None = None
    db: str | None = None
    tz: str | None = None
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    notifiers: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_toml(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("name", "roles", "lang", "db", "tz"):
            value = getattr(self, key)
            if value not in (None, [], ""):
                out[key] = value
        for key in ("params", "notifiers", "keys"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        out.update(self.extra)
        return out


def config_path() -> Path:
    """``$YISHI_CONFIG`` if set, else ``config.toml`` in the user config directory."""
    env = os.environ.get("YISHI_CONFIG")
    if env:
        return Path(env)
    from platformdirs import user_config_path

    return user_config_path("yishi", appauthor=False) / "config.toml"


_KINDS: dict[str, type | tuple[type, ...]] = {
    "name": str, "roles": list, "lang": str, "db": str, "tz": str,
    "params": dict, "notifiers": dict, "keys": dict,
}


def load_config(path: Path | None = None) -> Config:
    """Read the config file; a missing file is an empty config.

    Raises ``ConfigError`` naming the file (and line, for TOML syntax errors) when it is broken.
    """
    path = path or config_path()
    if not path.exists():
        return Config(path=path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}; fix the TOML syntax there",
                          message_zh=f"{path}：{exc}；请修正该处的 TOML 语法") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}",
                          message_zh=f"无法读取 {path}：{exc.strerror}") from None
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in raw.items():
        kind = _KINDS.get(key)
        if kind is None:
            extra[key] = value
            continue
        if not isinstance(value, kind):
            raise ConfigError(f"{path}: '{key}' should be a {getattr(kind, '__name__', kind)}",
                              message_zh=f"{path}：'{key}' 的类型不对")
        values[key] = value
    if "lang" in values and values["lang"] not in ("zh", "en"):
        raise ConfigError(f"{path}: lang should be 'zh' or 'en', not {values['lang']!r}",
                          message_zh=f"{path}：lang 只能是 zh 或 en")
    return Config(path=path, extra=extra, **values)


def save_config(config: Config, path: Path | None = None) -> Path:
    """Write ``config`` as TOML (atomically: a temp file renamed into place). Returns the path."""
    import tomli_w

    path = path or config.path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(tomli_w.dumps(config.as_toml()), encoding="utf-8")
    os.replace(tmp, path)
    return path
