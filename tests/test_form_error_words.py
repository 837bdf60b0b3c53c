"""Form errors name the field by its label and show whole-number bounds as whole numbers
(issue #14, item 14): "Party members: must be at least 1", not "party_members: … 1.0"."""

from __future__ import annotations

import pytest

from yishi.engine import Actor, Engine
from yishi.errors import FormError

FOUR = "four_discussions_two_disclosures"
SEC = Actor.of("王书记", "secretary")


def test_form_errors_use_labels_and_whole_numbers(engine: Engine) -> None:
    case = engine.start(FOUR, SEC, {"subject": "修路", "matter_type": "other", "proposal": "修村道"})
    engine.fire(case.id, "submit_to_committees", SEC)
    engine.fire(case.id, "submit_to_party_members", SEC, {"meeting_date": "2026-11-02", "minutes": "同意"})
    with pytest.raises(FormError) as bad:
        engine.fire(case.id, "submit_to_representatives", SEC, {"party_members": -3})
    assert "Party members: must be at least 1" in str(bad.value)
    assert "应到党员：不能少于 1" in bad.value.message_zh
    assert "1.0" not in str(bad.value) and "party_members" not in str(bad.value)
    assert bad.value.errors["party_members"] == ("不能少于 1", "must be at least 1")  # keyed by name for the TUI
