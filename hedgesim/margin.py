"""Linear-perpetual margin arithmetic (Bybit's formulas): margins, fees to close, PnL, bankruptcy and liquidation.

Position margin as the recorded replies show it (tests/fixtures/bybit/recorded.json, "position/list linear open":
positionIM 12.95542633 and positionMM 0.81072399 for 1.2 LTC long at 64.59947917, 6x, taker 0.055 %) and as the
help centre states it ("The New Margin Calculation", the entry-price column):

    positionIM = size x entry / leverage + fee to close
    positionMM = size x entry x MMR - MM deduction + fee to close
    fee to close = size x entry x (1 -+ 1 / leverage) x taker fee rate   (- long, + short: the bankruptcy price)

and an order's cost ("Order Cost (USDT Contract)"): qty x price / leverage + fee to open (qty x price x taker fee
rate) + fee to close at the order price. Since September 2025 Bybit values cross IM and MM, and isolated MM, at the
mark price instead (that help-centre article); the simulator keeps the entry price, which the recordings rest on.
"""

from __future__ import annotations

from decimal import Decimal

from hedgesim.instruments import Instrument

ZERO = Decimal(0)


def unrealised(size: Decimal, entry: Decimal, mark: Decimal) -> Decimal:
    """Unrealised PnL of a signed position (short < 0) at ``mark``."""
    return (mark - entry) * size


def maintenance(instrument: Instrument, value: Decimal) -> Decimal:
    """Maintenance margin for ``value`` USDT of position: value x MMR of its risk tier, less the tier deduction."""
    tier = instrument.tier_for(value)
    return max(ZERO, value * tier.mmr - tier.mm_deduction)


def fee_to_close(size: Decimal, price: Decimal, leverage: Decimal, taker: Decimal) -> Decimal:
    """The taker fee of closing ``size`` (signed: long > 0) opened at ``price`` at its bankruptcy price."""
    direction = 1 if size > 0 else -1
    return abs(size) * price * (1 - direction / leverage) * taker


def position_im(margin: Decimal, size: Decimal, entry: Decimal, leverage: Decimal, taker: Decimal) -> Decimal:
    """positionIM: the margin the position holds (size x entry / leverage, or an isolated position's balance)
    plus the fee to close."""
    return margin + fee_to_close(size, entry, leverage, taker)


def position_mm(instrument: Instrument, size: Decimal, entry: Decimal, leverage: Decimal, taker: Decimal) -> Decimal:
    """positionMM: maintenance margin on the entry value plus the fee to close."""
    return maintenance(instrument, abs(size) * entry) + fee_to_close(size, entry, leverage, taker)


def order_cost(signed_qty: Decimal, price: Decimal, leverage: Decimal, taker: Decimal) -> Decimal:
    """What an order opening ``signed_qty`` (buy > 0) at ``price`` reserves: its initial margin and the fees to
    open and to close."""
    value = abs(signed_qty) * price
    return value / leverage + value * taker + fee_to_close(signed_qty, price, leverage, taker)


def isolated_prices(
    instrument: Instrument, size: Decimal, entry: Decimal, margin: Decimal
) -> tuple[Decimal | None, Decimal | None]:
    """(liquidation, bankruptcy) prices of an isolated position holding ``margin``; None when unreachable.

    Bankruptcy is where the loss eats the whole margin; liquidation where what is left equals the maintenance
    margin on the entry value (the fee to close is in both the margin and the maintenance margin, so it cancels):
    long entry - (margin - MM)/qty, short entry + (margin - MM)/qty.
    """
    qty = abs(size)
    if qty == 0:
        return None, None
    mm = maintenance(instrument, qty * entry)
    direction = 1 if size > 0 else -1
    bust = entry - direction * margin / qty
    liquidation = entry - direction * (margin - mm) / qty
    return (liquidation if liquidation > 0 else None), (bust if bust > 0 else None)


def cross_liquidation(size: Decimal, entry: Decimal, spare: Decimal, own_mm: Decimal) -> Decimal | None:
    """Estimated liquidation price of a cross position when ``spare`` backs it (the account's margin balance
    without this position's PnL, less every other position's maintenance margin) and it needs ``own_mm``.

    Solves spare + (P - entry) x size = own_mm for P; None when no positive price reaches it.
    """
    if size == 0:
        return None
    price = entry + (own_mm - spare) / size
    return price if price > 0 else None
