"""Rounding a Decimal onto a lot step or a price tick.

The simulator's own, kept apart from the bot's on purpose: the venue checks what a client sends against its own
arithmetic, so a rounding bug in a client shows up as a rejected order instead of being shared.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

_WHOLE = Decimal(1)


def to_step(value: Decimal, step: Decimal, rounding: str = ROUND_DOWN) -> Decimal:
    """``value`` as a whole number of ``step``s, rounded by one of the decimal module's modes.

    ROUND_DOWN (the default) rounds toward zero, so a quantity never grows; ROUND_FLOOR and ROUND_CEILING put a
    bid below and an ask above a price; ROUND_HALF_EVEN gives the nearest step.
    """
    if step <= 0:
        raise ValueError(f"a step must be positive, got {step}")
    return (value / step).quantize(_WHOLE, rounding=rounding) * step
