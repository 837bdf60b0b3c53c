"""Attachments as evidence: photos and scans stored by their sha256, which joins the case's
hash chain, so a swapped or edited file is found out.

Files live in a content-addressed folder (``ab/cdef…``, like git's objects): ``$YISHI_FILES``,
else ``[attachments] dir`` in the config file, else beside a SQLite database
(``yishi.db`` → ``yishi.db-files``), else ``files`` in the user data directory. Several
machines sharing one PostgreSQL database must point ``YISHI_FILES`` at one shared folder.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yishi.engine.types import SYSTEM, Actor, Event, Verdict
from yishi.errors import RefusedError, YishiError

if TYPE_CHECKING:
    from yishi.engine.engine import Engine

DEFAULT_MAX_MB = 20

#: what may be attached: (magic bytes at offset, media type, zh and en names)
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
)
ALLOWED = "JPEG、PNG、GIF、WEBP、HEIC 照片，PDF、TIFF 扫描件"
ALLOWED_EN = "JPEG, PNG, GIF, WEBP or HEIC photos, PDF or TIFF scans"


class AttachmentError(YishiError):
    """A file cannot be attached (missing, empty, too large, not a photo or scan) or a stored
    attachment is missing or no longer matches its recorded sha256."""


@dataclass(frozen=True)
class Attachment:
    """One piece of evidence as recorded: its name, type, size, sha256, who filed it and when."""

    name: str
    media_type: str
    size: int
    sha256: str
    note: str
    seq: int
    actor: str
    at: Any  # datetime (UTC)


def media_type_of(head: bytes) -> str | None:
    """The media type of a photo or scan from its first bytes, or None if it is neither."""
    for offset, magic, media in _SIGNATURES:
        if head[offset:offset + len(magic)] == magic:
            return media
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heif"):
        return "image/heic"
    return None


def max_bytes() -> int:
    """``$YISHI_ATTACH_MAX_MB``, else ``[attachments] max_mb`` in the config file, else 20 MB."""
    raw = os.environ.get("YISHI_ATTACH_MAX_MB") or _section().get("max_mb") or DEFAULT_MAX_MB
    try:
        return int(float(raw) * 1024 * 1024)
    except (TypeError, ValueError):
        raise AttachmentError(f"the attachment size limit {raw!r} is not a number of megabytes",
                              message_zh=f"附件大小上限 {raw!r} 不是以 MB 计的数字") from None


def _section() -> dict[str, Any]:
    from yishi.config import load_config

    return load_config().attachments


def store_dir(engine: Engine) -> Path:
    """Where this engine's attachments are kept (see the module docstring)."""
    env = os.environ.get("YISHI_FILES") or _section().get("dir")
    if env:
        return Path(str(env)).expanduser()
    url = str(getattr(engine.store, "url", ""))
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        db = Path(url.removeprefix("sqlite:///").split("?")[0])
        return db.with_name(db.name + "-files")
    from platformdirs import user_data_path

    return user_data_path("yishi", appauthor=False) / "files"


def _blob(engine: Engine, sha256: str) -> Path:
    return store_dir(engine) / sha256[:2] / sha256[2:]


def _may_file(engine: Engine, case_id: int, actor: Actor) -> None:
    case = engine.case(case_id)
    wf = engine.definition_of(case)
    if actor is not SYSTEM and not (actor.roles & set(wf.roles)):
        verdict = Verdict("role", False, "只有本流程的角色可以附加证据材料",
                          "only a role of this procedure may attach evidence")
        raise RefusedError(verdict.reason_en, message_zh=verdict.reason_zh, verdicts=[verdict])


def attach(engine: Engine, case_id: int, path: str | Path, actor: Actor, *, note: str = "",
           name: str | None = None) -> tuple[Attachment, Event]:
    """Store the file at ``path`` under its sha256 and record it on the case.

    Raises ``AttachmentError`` (no such file, empty, over the size limit, not a photo or scan),
    ``NotFoundError`` (no such case) or ``RefusedError`` (the actor holds no role of the case's
    procedure). Nothing is recorded unless the file was stored.
    """
    source = Path(path)
    shown = name or source.name
    if not source.is_file():
        raise AttachmentError(f"{source}: no such file", message_zh=f"{source}：文件不存在")
    limit = max_bytes()
    size = source.stat().st_size
    if size == 0:
        raise AttachmentError(f"{shown} is empty; nothing was attached", message_zh=f"{shown} 是空文件，未附加")
    if size > limit:
        raise AttachmentError(f"{shown} is {size / 1048576:.1f} MB, over the limit of {limit / 1048576:.0f} MB; "
                              "scan at a lower resolution or split it",
                              message_zh=f"{shown} 大小为 {size / 1048576:.1f} MB，超过 {limit / 1048576:.0f} MB 的上限；"
                                         "请降低扫描分辨率或拆分后再附加")
    with source.open("rb") as fh:
        head = fh.read(16)
    media = media_type_of(head)
    if media is None:
        raise AttachmentError(f"{shown} is not a photo or a scan; attach {ALLOWED_EN}",
                              message_zh=f"{shown} 不是照片或扫描件；只能附加{ALLOWED}")
    _may_file(engine, case_id, actor)
    digest = hashlib.sha256()
    with source.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    sha = digest.hexdigest()
    target = _blob(engine, sha)
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    event = engine.note(case_id, actor, "attachment", {"_attachment": {
        "name": shown, "media_type": media, "size": size, "sha256": sha, "note": note}})
    return Attachment(shown, media, size, sha, note, event.seq, event.actor, event.at), event


def attachments(engine: Engine, case_id: int) -> list[Attachment]:
    """The case's attachments in the order they were filed."""
    out = []
    for e in engine.history(case_id):
        info = e.data.get("_attachment") if e.kind == "attachment" else None
        if isinstance(info, dict):
            out.append(Attachment(info["name"], info["media_type"], info["size"], info["sha256"],
                                  info.get("note", ""), e.seq, e.actor, e.at))
    return out


def read(engine: Engine, item: Attachment) -> bytes:
    """The stored file, checked against its recorded sha256.

    Raises ``AttachmentError`` when it is missing or does not match (it was changed).
    """
    path = _blob(engine, item.sha256)
    if not path.is_file():
        raise AttachmentError(f"attachment {item.name} (event {item.seq}) is missing from {store_dir(engine)}",
                              message_zh=f"附件 {item.name}（第 {item.seq} 条记录）在 {store_dir(engine)} 中不存在")
    content = path.read_bytes()
    if hashlib.sha256(content).hexdigest() != item.sha256:
        raise AttachmentError(f"attachment {item.name} (event {item.seq}) no longer matches its recorded sha256: "
                              "the stored file was changed",
                              message_zh=f"附件 {item.name}（第 {item.seq} 条记录）与记录的 sha256 不符：存储的文件已被改动")
    return content


__all__ = ["ALLOWED", "Attachment", "AttachmentError", "attach", "attachments", "max_bytes",
           "media_type_of", "read", "store_dir"]
