"""Contributes the procedures shipped in ``yishi.workflows``."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from yishi.hookspecs import hookimpl


@hookimpl
def yishi_workflow_files() -> list[Path]:
    return [Path(str(files("yishi.workflows")))]
