"""Order price limits: the highest buy and lowest sell price an instrument accepts, from its risk parameters.

As docs/v5/account/set-price-limit gives them, with x = priceLimitRatioX and y = priceLimitRatioY of the
instrument (instruments-info ``riskParameters``):

    perpetual  highest buy  = min(mark x (1 + y), max(index, mark x (1 + x) + max(0, premium)))
               lowest sell  = max(mark x (1 - y), min(index, mark x (1 - x) + min(0, premium)))
    spot       highest buy  = min(max(index, index x (1 + x) + premium), index x (1 + y))
               lowest sell  = max(min(index, index x (1 - x) + premium), index x (1 - y))

where the premium is the order book's mid price less the mark (perpetual; Bybit averages it over 30 seconds) or
less the index (spot; over 2 minutes): the simulator takes the current mid, its synthetic book being centred on
the last price. By default a perpetual limit order beyond the limit is moved to it, and a spot one is refused
(170193, 170194); a market order fills no further than the limit.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from hedgesim.instruments import Category, Instrument
from hedgesim.rounding import to_step

ZERO = Decimal(0)


def price_limits(instrument: Instrument, last: Decimal, mark: Decimal, index: Decimal) -> tuple[Decimal, Decimal]:
    """(highest buy price, lowest sell price) on the instrument's tick, inside the band."""
    x, y = instrument.price_limit_x, instrument.price_limit_y
    if instrument.category is Category.LINEAR:
        premium = last - mark
        highest = min(mark * (1 + y), max(index, mark * (1 + x) + max(ZERO, premium)))
        lowest = max(mark * (1 - y), min(index, mark * (1 - x) + min(ZERO, premium)))
    else:
        premium = last - index
        highest = min(max(index, index * (1 + x) + premium), index * (1 + y))
        lowest = max(min(index, index * (1 - x) + premium), index * (1 - y))
    tick = instrument.tick_size
    return to_step(highest, tick, ROUND_FLOOR), to_step(lowest, tick, ROUND_CEILING)
