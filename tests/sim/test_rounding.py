"""Specification of the simulator's own rounding onto a lot step or a price tick."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

import pytest

from hedgesim.rounding import to_step

D = Decimal


@pytest.mark.parametrize(
    ("value", "step", "rounding", "expected"),
    [
        ("1.2349", "0.01", ROUND_DOWN, "1.23"),  # a quantity: toward zero, never more than asked
        ("-1.2349", "0.01", ROUND_DOWN, "-1.23"),  # toward zero whatever the sign
        ("7", "0.1", ROUND_DOWN, "7.0"),  # already on the step: unchanged
        ("183.456", "0.01", ROUND_FLOOR, "183.45"),  # a bid: down onto the tick
        ("183.451", "0.01", ROUND_CEILING, "183.46"),  # an ask: up onto the tick
        ("183.455", "0.01", ROUND_HALF_EVEN, "183.46"),  # a published price: the nearest tick, ties to even
        ("183.445", "0.01", ROUND_HALF_EVEN, "183.44"),
        ("123.4", "5", ROUND_DOWN, "120"),  # a step above one
    ],
)
def test_to_step_when_rounded_then_a_whole_number_of_steps_in_the_asked_direction(
    value: str, step: str, rounding: str, expected: str
) -> None:
    result = to_step(D(value), D(step), rounding)
    assert result == D(expected)
    assert str(result) == expected  # as many decimals as the step: what the venue prints


@pytest.mark.parametrize("step", ["0", "-0.01"])
def test_to_step_when_step_is_not_positive_then_refused(step: str) -> None:
    with pytest.raises(ValueError, match="step must be positive"):
        to_step(D("1.5"), D(step))
