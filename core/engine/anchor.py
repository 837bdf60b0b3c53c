"""Anchors: the latest event hash of every case, signed with an Ed25519 key kept outside the
database, written to an anchor file. ``verify`` checks the record against the newest anchor, so a
truncated tail or a recomputed chain is caught even by someone who can write the database.

Key file: a PEM private key created 0600 (``init_key``), with the public key next to it in
``<key>.pub``; verification needs only the ``.pub`` file. An anchor file is JSON: the signed
``payload`` (format, moment, database, ``{case id: [seq, hash]}``), the signer's public key and
the signature over the payload's canonical JSON.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any

from yishi.engine.chain import canonical
from yishi.errors import YishiError

FORMAT = "yishi-anchor/1"


class AnchorError(YishiError):
    """A key or anchor file is missing, unreadable, or its signature does not verify."""


def default_key_path() -> Path:
    """``$YISHI_ANCHOR_KEY``, else ``anchor.key`` in the user config directory."""
    found = os.environ.get("YISHI_ANCHOR_KEY")
    if found:
        return Path(found)
    from platformdirs import user_config_path

    return user_config_path("yishi", appauthor=False) / "anchor.key"


def default_anchor_dir() -> Path:
    """``$YISHI_ANCHOR_DIR``, else ``anchors`` in the user data directory."""
    found = os.environ.get("YISHI_ANCHOR_DIR")
    if found:
        return Path(found)
    from platformdirs import user_data_path

    return user_data_path("yishi", appauthor=False) / "anchors"


def public_path(key: Path) -> Path:
    return key.with_name(key.name + ".pub")


def init_key(key: Path) -> str:
    """Create a new Ed25519 key at ``key`` (mode 0600) and its public key at ``key.pub``;
    return the public key (hex). Raises ``AnchorError`` if ``key`` exists already."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    key.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise AnchorError(f"the key file {key} exists already; it was not replaced",
                          message_zh=f"密钥文件 {key} 已存在，未覆盖") from None
    except OSError as exc:
        raise AnchorError(f"cannot create the key file {key}: {exc.strerror}",
                          message_zh=f"无法创建密钥文件 {key}：{exc.strerror}") from None
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    public_path(key).write_text(public + "\n", encoding="ascii")
    return public


def _private(key: Path) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        loaded = serialization.load_pem_private_key(key.read_bytes(), password=None)
    except FileNotFoundError:
        raise AnchorError(f"no key file {key}; create one with 'yishi anchor --init-key'",
                          message_zh=f"没有密钥文件 {key}；请先运行 yishi anchor --init-key") from None
    except (OSError, ValueError, TypeError) as exc:
        raise AnchorError(f"cannot read the key file {key}: {exc}",
                          message_zh=f"无法读取密钥文件 {key}：{exc}") from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise AnchorError(f"{key} is not an Ed25519 key", message_zh=f"{key} 不是 Ed25519 密钥")
    return loaded


def trusted_public_key(key: Path) -> str:
    """The public key (hex) to check anchors with: ``key.pub``, else derived from ``key``."""
    pub = public_path(key)
    if pub.exists():
        try:
            text = pub.read_text(encoding="ascii").strip()
            bytes.fromhex(text)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise AnchorError(f"cannot read the public key {pub}: {exc}",
                              message_zh=f"无法读取公钥文件 {pub}：{exc}") from None
        return text
    from cryptography.hazmat.primitives import serialization

    return _private(key).public_key().public_bytes(serialization.Encoding.Raw,
                                                  serialization.PublicFormat.Raw).hex()


@dataclass(frozen=True)
class Anchor:
    """A verified anchor: when it was made, of which database, and each case's signed head."""

    made_at: datetime
    database: str
    cases: dict[int, tuple[int, str]]
    file: str

    def label(self, lang: str = "en", tz: tzinfo | None = None) -> str:
        """When it was made, in local time (``tz``) to the second."""
        return (self.made_at.astimezone(tz) if tz else self.made_at).strftime("%Y-%m-%d %H:%M:%S")


def make_anchor(heads: dict[int, tuple[int, str]], *, key: Path, database: str, now: datetime,
                directory: Path) -> Path:
    """Sign ``heads`` with ``key`` and write a new anchor file in ``directory``; return its path."""
    private = _private(key)
    from cryptography.hazmat.primitives import serialization

    payload = {"format": FORMAT, "made_at": now.astimezone(timezone.utc).isoformat(timespec="microseconds"),
               "database": database, "cases": {str(k): [s, h] for k, (s, h) in sorted(heads.items())}}
    signature = private.sign(canonical(payload).encode("utf-8")).hex()
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    directory.mkdir(parents=True, exist_ok=True)
    stamp = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = directory / f"anchor-{stamp}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"payload": payload, "public_key": public, "signature": signature},
                              ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_anchor(path: Path, public_key: str) -> Anchor:
    """Read an anchor file and check its signature against ``public_key`` (hex).

    Raises ``AnchorError`` when the file is unreadable, not an anchor, signed by another key,
    or its signature does not verify (it was altered)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        payload = doc["payload"]
        if payload.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file")
        cases = {int(k): (int(v[0]), str(v[1])) for k, v in payload["cases"].items()}
        made_at = datetime.fromisoformat(payload["made_at"])
        signature = bytes.fromhex(doc["signature"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise AnchorError(f"cannot read the anchor {path}: {exc}",
                          message_zh=f"无法读取锚点文件 {path}：{exc}") from None
    if doc.get("public_key") != public_key:
        raise AnchorError(f"the anchor {path} was signed with another key than {public_key[:16]}…",
                          message_zh=f"锚点文件 {path} 不是用本机密钥（{public_key[:16]}…）签署的")
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(
            signature, canonical(payload).encode("utf-8"))
    except (InvalidSignature, ValueError):
        raise AnchorError(f"the anchor {path} does not verify against its signature: it was altered",
                          message_zh=f"锚点文件 {path} 签名校验失败：文件已被改动") from None
    return Anchor(made_at=made_at, database=str(payload.get("database", "")), cases=cases, file=str(path))


def newest_anchor(directory: Path, database: str | None = None) -> Path | None:
    """The newest anchor file in ``directory`` (by the time in its name) made of ``database``
    (any database when None), or None."""
    if not directory.is_dir():
        return None
    for path in sorted(directory.glob("anchor-*.json"), reverse=True):
        if database is None:
            return path
        try:
            found = json.loads(path.read_text(encoding="utf-8")).get("payload", {}).get("database")
        except (OSError, ValueError, AttributeError):
            return path  # unreadable: let read_anchor say why
        if found == database:
            return path
    return None


def load_newest(directory: Path, key: Path, database: str) -> Anchor | None:
    """The newest verified anchor of ``database`` in ``directory``; None when there is none or no
    key to check it with. Raises ``AnchorError`` when the newest one does not verify."""
    path = newest_anchor(directory, database)
    if path is None or not (key.exists() or public_path(key).exists()):
        return None
    return read_anchor(path, trusted_public_key(key))
