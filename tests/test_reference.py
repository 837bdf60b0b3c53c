"""The plugin API reference is generated from the docstrings and kept current (issue #14, item 1)."""

from __future__ import annotations

import inspect
from pathlib import Path

from yishi import api, hookspecs
from yishi.reference import reference

PAGE = Path(__file__).resolve().parent.parent / "docs" / "reference.md"


def test_the_committed_reference_is_current() -> None:
    assert PAGE.read_text(encoding="utf-8") == reference(), \
        "docs/reference.md is stale: run  python -m yishi.reference > docs/reference.md"


def test_every_public_name_and_hook_is_documented() -> None:
    undocumented = [name for name in api.__all__
                    if inspect.isclass(getattr(api, name)) or inspect.isfunction(getattr(api, name))
                    if not (getattr(api, name).__doc__ or "").strip()]
    assert undocumented == []
    for cls in (api.RuleContext, api.ActionContext, api.Channel):
        for name, member in vars(cls).items():
            if not name.startswith("_") and inspect.isfunction(member):
                assert (member.__doc__ or "").strip(), f"{cls.__name__}.{name} has no docstring"
    for name, func in inspect.getmembers(hookspecs, inspect.isfunction):
        if name.startswith("yishi_"):
            assert len(inspect.cleandoc(func.__doc__ or "").splitlines()) >= 3, f"{name}'s docstring is thin"
