"""The hash chain's canonical JSON takes json's C encoder when the value holds no float and only
text keys (yishi.engine.chain): both roads must write the same text for every value, or a
hash would change with the road taken (issue #13)."""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from yishi.engine import chain


def _slow(value: object) -> str:
    out: list[str] = []
    chain._write(value, out)
    return "".join(out)


class Level(enum.IntEnum):
    HIGH = 3


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([Level.HIGH, Decimal("1.50"), datetime(2026, 12, 1, tzinfo=timezone.utc)]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.tuples(inner, inner),
    st.dictionaries(st.one_of(st.text(max_size=5), st.integers(0, 20)), inner, max_size=4)), max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(values)
def test_both_roads_write_the_same_text(value: object) -> None:
    assert chain.canonical(value) == _slow(value)


def test_the_fast_road_is_taken_for_plain_data_and_not_for_floats() -> None:
    assert chain._plain_will_do({"a": [1, "二", {"b": None, "c": True}]})
    assert not chain._plain_will_do({"a": [1, {"b": 2.0}]})
    assert not chain._plain_will_do({1: "x"})
    assert chain.canonical({"b": 1, "a": "中"}) == '{"a":"中","b":1}'
