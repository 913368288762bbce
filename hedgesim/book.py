"""The synthetic order book around the replayed price, and takers walking it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from itertools import islice

from hedgesim.instruments import Instrument
from hedgesim.rounding import to_step

BPS = Decimal(10_000)
MAX_WALK_LEVELS = 500  # Bybit's deepest linear book; a taker finding nothing within it gets no more


@dataclass(frozen=True, slots=True)
class Level:
    price: Decimal
    size: Decimal


@dataclass(frozen=True, slots=True)
class Take:
    """Part of a taker order filled at one level."""

    price: Decimal
    qty: Decimal


def touch(price: Decimal, instrument: Instrument) -> tuple[Decimal, Decimal]:
    """Best bid and best ask around ``price``: the profile's spread, on the tick, at least one tick apart."""
    half = price * instrument.book.spread_bps / BPS / 2
    tick = instrument.tick_size
    bid = to_step(price - half, tick, ROUND_FLOOR)
    ask = to_step(price + half, tick, ROUND_CEILING)
    if ask <= bid:
        ask = bid + tick
    return bid, ask


def levels(price: Decimal, instrument: Instrument, buy_side: bool) -> Iterator[Level]:
    """The synthetic levels of one side, best first: bids (``buy_side``) below the price, asks above."""
    profile = instrument.book
    tick, lot = instrument.tick_size, instrument.qty_step
    bid, ask = touch(price, instrument)
    step = max(tick, to_step(price * profile.step_bps / BPS, tick))
    if buy_side:
        step = -step
    level_price = bid if buy_side else ask
    notional, growth = profile.touch_notional, profile.touch_notional * profile.growth
    while level_price > 0:
        size = notional / level_price // lot * lot  # whole lots, rounded down
        yield Level(level_price, size if size > lot else lot)
        notional += growth
        level_price += step


def depth(price: Decimal, instrument: Instrument, count: int) -> tuple[list[Level], list[Level]]:
    """``count`` levels of bids and asks."""
    return list(islice(levels(price, instrument, True), count)), list(islice(levels(price, instrument, False), count))


def walk(
    price: Decimal,
    instrument: Instrument,
    buy: bool,
    amount: Decimal,
    limit: Decimal,
    consumed: MutableMapping[Decimal, Decimal],
    by_value: bool = False,
) -> list[Take]:
    """Fill up to ``amount`` against the synthetic book around ``price`` (see ``walk_levels``)."""
    return walk_levels(levels(price, instrument, not buy), instrument, buy, amount, limit, consumed, by_value)


def walk_levels(
    side: Iterable[Level],
    instrument: Instrument,
    buy: bool,
    amount: Decimal,
    limit: Decimal,
    consumed: MutableMapping[Decimal, Decimal],
    by_value: bool = False,
) -> list[Take]:
    """Fill up to ``amount`` (base quantity, or quote to spend when ``by_value``: whole lots only) against ``side``,
    the opposite side's levels best first, never beyond ``limit``.

    ``consumed`` holds what earlier takers already took from each level since the book last refreshed; it is
    updated, so liquidity taken once is not there for the next taker until the market moves on.
    """
    takes: list[Take] = []
    remaining = amount
    for level in islice(side, MAX_WALK_LEVELS):
        if level.price > limit if buy else level.price < limit:
            break
        wanted = to_step(remaining / level.price, instrument.qty_step) if by_value else remaining
        if wanted <= 0:
            break
        taken = min(level.size - consumed.get(level.price, Decimal(0)), wanted)
        if taken <= 0:
            continue
        consumed[level.price] = consumed.get(level.price, Decimal(0)) + taken
        takes.append(Take(level.price, taken))
        remaining -= taken * level.price if by_value else taken
    return takes


def with_resting(side: list[Level], resting: dict[Decimal, Decimal], buy_side: bool) -> list[Level]:
    """A displayed book side with the account's own resting orders added at their prices."""
    if not resting:
        return side
    merged = {level.price: level.size for level in side}
    for price, size in resting.items():
        merged[price] = merged.get(price, Decimal(0)) + size
    ordered = sorted(merged.items(), reverse=buy_side)
    return [Level(price, size) for price, size in ordered[: len(side)]]
