"""Workflow definitions: the pydantic models, the safe loader and the validator."""

from yishi.definition.loader import Loaded, check_text, load_file, load_text, text_hash
from yishi.definition.models import (
    Call, Check, Choice, FormField, Param, Role, State, Text, Timer, Transition, Workflow,
    coerce_param, parse_fraction,
)
from yishi.definition.schema import workflow_schema
from yishi.definition.validate import Catalog

__all__ = [
    "Call", "Catalog", "Check", "Choice", "FormField", "Loaded", "Param", "Role", "State", "Text",
    "Timer", "Transition", "Workflow", "check_text", "coerce_param", "load_file", "load_text",
    "parse_fraction", "text_hash", "workflow_schema",
]
