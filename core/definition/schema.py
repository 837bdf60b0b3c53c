"""The JSON Schema of the workflow format, as written in YAML, for editors to autocomplete."""

from __future__ import annotations

from typing import Any

from yishi.definition.models import Workflow

_TEXT = {
    "anyOf": [
        {"type": ["string", "number"], "description": "the same text in both languages"},
        {
            "type": "object",
            "properties": {"zh": {"type": "string"}, "en": {"type": "string"}},
            "required": ["zh", "en"],
            "additionalProperties": False,
        },
    ]
}
_CALL = {
    "anyOf": [
        {"type": "string", "description": "a guard or action with no arguments"},
        {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "additionalProperties": {"type": ["object", "null"]},
            "description": "'name: {arg: value}' — a guard or action and its arguments",
        },
    ]
}


def workflow_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of a workflow YAML file."""
    schema = Workflow.model_json_schema()
    defs = schema.setdefault("$defs", {})
    defs["Text"] = _TEXT
    defs["Call"] = _CALL
    choice = defs.get("Choice")
    if choice:
        choice["properties"]["value"] = {"type": ["string", "number"]}
        defs["Choice"] = {"anyOf": [{"type": ["string", "number"]}, choice]}
    defs["Timer"]["properties"]["after"] = {
        "type": ["string", "integer"],
        "description": "a duration ('7d', '36h', '90m', 'P7D'), a $param, or a number of seconds",
    }
    for name in ("Transition",):
        props = defs[name]["properties"]
        props["source"] = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                           "description": "the state(s) this transition leaves"}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "yishi workflow"
    return schema
