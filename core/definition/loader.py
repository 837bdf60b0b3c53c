"""Load workflow files: read safely, validate, and hash the text a case will be pinned to."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from yishi.definition.models import Workflow
from yishi.definition.source import SourceError, read_source
from yishi.definition.validate import Catalog, validate
from yishi.errors import DefinitionError, Problem


@dataclass(frozen=True)
class Loaded:
    """A valid workflow with the exact text it came from and that text's sha256."""

    workflow: Workflow
    text: str
    sha256: str
    file: str

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.workflow.id, self.workflow.version, self.sha256)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_text(text: str | bytes, file: str = "<string>",
               catalog: Catalog | None = None) -> tuple[Workflow | None, list[Problem]]:
    """Return the workflow in ``text`` (or None) and every problem found, without raising."""
    try:
        source = read_source(text, file)
        return validate(source, catalog)
    except SourceError as exc:
        return None, exc.problems
    except RecursionError:
        return None, [Problem(file, 1, 1, "the file is nested too deeply to be read",
                              "flatten the structure; a workflow needs few levels", "depth")]
    except Exception as exc:  # noqa: BLE001 - no input may crash the loader: it becomes a problem
        return None, [Problem(file, 1, 1, f"the file cannot be read as a workflow ({type(exc).__name__}: {exc})",
                              "check it against 'yishi workflows schema'; this is a bug in yishi too: "
                              "please report the file", "internal")]


def load_text(text: str | bytes, file: str = "<string>", catalog: Catalog | None = None) -> Loaded:
    """Return the valid workflow in ``text``.

    Raises ``DefinitionError`` listing every problem (``file:line:col``, what, how to fix).
    """
    if isinstance(text, bytes):
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError:
            decoded = ""
    else:
        decoded = text
    workflow, problems = check_text(text, file, catalog)
    if problems or workflow is None:
        raise DefinitionError(problems)
    return Loaded(workflow=workflow, text=decoded, sha256=text_hash(decoded), file=file)


def load_file(path: str | Path, catalog: Catalog | None = None) -> Loaded:
    """Read and validate the workflow file at ``path``.

    Raises ``DefinitionError`` for an unreadable or invalid file.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DefinitionError([Problem(str(path), 0, 0, f"cannot read the file: {exc.strerror}",
                                       "check the path", "io")]) from None
    return load_text(data, str(path), catalog)
