"""Compile a workflow into one cached ``transitions.Machine``; decide a step against it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from transitions import Machine

from yishi.definition.loader import Loaded
from yishi.definition.models import Transition, Workflow
from yishi.engine.types import Verdict


class _Row:
    """The stand-in model a case row lends to the Machine for one trigger."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


class Decision:
    """Carries one step's evaluation through the Machine's conditions.

    ``evaluate(transition) -> list[Verdict]`` is supplied by the engine; the Machine calls
    ``check`` on each candidate transition in definition order and takes the first that passes.
    """

    def __init__(self, evaluate: Callable[[Transition], list[Verdict]]) -> None:
        self.evaluate = evaluate
        self.verdicts: dict[int, list[Verdict]] = {}
        self.chosen: int | None = None


class Compiled:
    """A loaded workflow with its Machine, built once per (id, version, sha256) and cached."""

    def __init__(self, loaded: Loaded, params: dict[str, Any]) -> None:
        self.loaded = loaded
        self.workflow: Workflow = loaded.workflow
        self.params = params
        wf = self.workflow
        self.machine = Machine(model=None, states=list(wf.states), initial=wf.initial_state(),
                               auto_transitions=False, send_event=True, queued=False)
        for index, t in enumerate(wf.transitions):
            self.machine.add_transition(
                t.trigger, t.source, t.dest,
                conditions=[partial(self._check, index)],
                before=[partial(self._chosen, index)],
            )

        self._actors: dict[str, tuple[str, ...]] = {}
        self._titles: dict[str, dict[str, str]] = {}

    def actors(self, state: str) -> tuple[str, ...]:
        """The roles that may take a step from ``state``, in definition order (cached)."""
        found = self._actors.get(state)
        if found is None:
            roles: list[str] = []
            for t in self.workflow.transitions_from(state):
                roles.extend(r for r in t.roles if r not in roles)
            found = self._actors[state] = tuple(roles)
        return found

    def title(self, kind: str, name: str | None, source: str | None = None) -> dict[str, str] | None:
        """``{"zh": …, "en": …}`` of a state, role, trigger (from ``source``) or the workflow,
        built once; callers must not change the dict."""
        key = f"{kind}:{name}:{source}"
        found = self._titles.get(key)
        if found is None:
            wf = self.workflow
            text = None
            if kind == "workflow":
                text = wf.title
            elif kind == "state" and name in wf.states:
                text = wf.states[name].title
            elif kind == "role" and name in wf.roles:
                text = wf.roles[name].title
            elif kind == "trigger":
                text = next((t.title for t in wf.transitions_from(source or "") if t.trigger == name), None)
            if text is None:
                return None
            found = self._titles[key] = text.model_dump()
        return found

    def _check(self, index: int, event_data: Any) -> bool:
        decision: Decision = event_data.kwargs["decision"]
        verdicts = decision.evaluate(self.workflow.transitions[index])
        decision.verdicts[index] = verdicts
        return all(v.ok for v in verdicts)

    @staticmethod
    def _chosen(index: int, event_data: Any) -> None:
        event_data.kwargs["decision"].chosen = index

    def decide(self, state: str, trigger: str, decision: Decision) -> str | None:
        """Run ``trigger`` from ``state``; return the destination, or None when every candidate was refused."""
        row = _Row(state)
        if not self.machine.events[trigger].trigger(row, decision=decision):
            return None
        return row.state
