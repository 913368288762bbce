"""The loop's period: ``execution.interval`` from one cycle's start to the next's, not a pause after each cycle."""

from __future__ import annotations

import pytest

from bot.execution.loop import pause_left


@pytest.mark.parametrize(
    ("interval", "took", "pause"),
    [
        (1.0, 0.0, 1.0),  # an instant cycle: the whole interval
        (1.0, 0.4, 0.6),  # a 0.4 s cycle: the next starts 1 s after this one started
        (30.0, 2.16, 27.84),
        (1.0, 1.0, 0.0),
        (1.0, 2.5, 0.0),  # a cycle longer than the interval: the next starts at once
    ],
)
def test_pause_left_when_a_cycle_took_some_time_then_the_pause_keeps_the_period(
    interval: float, took: float, pause: float
) -> None:
    assert pause_left(interval, took) == pytest.approx(pause)
