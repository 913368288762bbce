"""Linear-perpetual margin arithmetic (Bybit's formulas): margins, PnL, bankruptcy and liquidation prices."""

from __future__ import annotations

from decimal import Decimal

from hedgesim.instruments import Instrument

ZERO = Decimal(0)


def unrealised(size: Decimal, entry: Decimal, mark: Decimal) -> Decimal:
    """Unrealised PnL of a signed position (short < 0) at ``mark``."""
    return (mark - entry) * size


def maintenance(instrument: Instrument, value: Decimal) -> Decimal:
    """Maintenance margin for a position of ``value`` USDT: value x MMR of its risk tier, less the tier deduction."""
    tier = instrument.tier_for(value)
    return max(ZERO, value * tier.mmr - tier.mm_deduction)


def isolated_prices(
    instrument: Instrument, size: Decimal, entry: Decimal, margin: Decimal
) -> tuple[Decimal | None, Decimal | None]:
    """(liquidation, bankruptcy) prices of an isolated position holding ``margin``; None when unreachable.

    Bankruptcy is where the loss eats the whole margin; liquidation where what is left equals the maintenance
    margin (taken at the entry value): long entry - (margin - MM)/qty, short entry + (margin - MM)/qty.
    """
    qty = abs(size)
    if qty == 0:
        return None, None
    mm = maintenance(instrument, qty * entry)
    direction = 1 if size > 0 else -1
    bust = entry - direction * margin / qty
    liquidation = entry - direction * (margin - mm) / qty
    return (liquidation if liquidation > 0 else None), (bust if bust > 0 else None)


def cross_liquidation(instrument: Instrument, size: Decimal, entry: Decimal, spare: Decimal) -> Decimal | None:
    """Estimated liquidation price of a cross position when ``spare`` equity backs it (the account's margin
    balance without this position's PnL, less every other position's maintenance margin).

    Solves spare + (P - entry) x size = |size| x P x MMR for P; None when no positive price reaches it.
    """
    qty = abs(size)
    if qty == 0:
        return None
    mmr = instrument.tier_for(qty * entry).mmr
    if size > 0:
        return _positive((entry * qty - spare) / (qty * (1 - mmr)))
    return _positive((spare + entry * qty) / (qty * (1 + mmr)))


def _positive(price: Decimal) -> Decimal | None:
    return price if price > 0 else None
