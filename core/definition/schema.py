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
        "description": "a duration: fixed ('7d', '36h', '90m', 'P7D'), calendar months ('1mo', 'P1M': "
                       "Civil Code arts. 201-203), working days ('3wd') or working hours ('1wh') on the "
                       "Chinese calendar with its make-up working days; a $param; or a number of seconds",
        "anyOf": [{"type": "integer", "minimum": 0},
                  {"type": "string", "pattern": r"^(\$[a-z_][a-z0-9_]*|\d+\s*(mo|wd|wh)|P\d+M|"
                                                r"(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?|"
                                                r"P(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?)$"}],
    }
    defs["Timer"]["properties"]["from"] = {
        "type": "string",
        "description": "the date field that 'after' counts from (default: entering the state), "
                       "e.g. the day the villagers' meeting was announced",
    }
    defs["Param"]["properties"]["default"]["description"] = (
        "the value; for type duration: '7d', '36h', 'P7D', '1mo' (calendar months), '3wd' (working days), "
        "'1wh' (working hours)")
    for name in ("Transition",):
        props = defs[name]["properties"]
        props["source"] = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                           "description": "the state(s) this transition leaves"}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "yishi workflow"
    return schema
