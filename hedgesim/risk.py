"""The venue's risk engine: liquidation as Bybit runs it, and funding settlement.

Liquidation ("Trading Rules: Liquidation Process (Unified Trading Account)", help centre):
- isolated margin, a position at a time, when the mark reaches its liquidation price: cancel the symbol's active
  orders; above the first risk tier, close part of the position (a laddered liquidation, createType CreateByLiq)
  down to the tier below while that moves its liquidation price out of reach; then the liquidation engine takes
  over what is left at the bankruptcy price (execType BustTrade): the position's whole margin is lost, the fee
  to close it that the margin reserved included;
- cross margin, the account, when its margin balance no longer covers the maintenance margin (account MM rate
  100 %): cancel active orders, the laddered liquidation of positions above their first tier, and then the
  takeover of every position at bankruptcy prices that leave the account no margin balance: what was left of it
  is forfeited (to the insurance fund). A liability left in USDT stays (no auto-repayment is simulated).
"""

from __future__ import annotations

from decimal import ROUND_UP, Decimal

import structlog

from hedgesim.balances import margin_balance, position_figures
from hedgesim.enums import MarginMode, Side
from hedgesim.instruments import Category, Instrument
from hedgesim.margin import cross_liquidation, isolated_prices, position_mm
from hedgesim.orders import ExecType, Execution
from hedgesim.rounding import to_step
from hedgesim.state import Venue
from hedgesim.trading import end_order

log = structlog.get_logger(__name__)

ZERO = Decimal(0)


def liquidation_price(venue: Venue, symbol: str, now_ms: int) -> tuple[Decimal | None, Decimal | None]:
    """(liquidation, bankruptcy) prices of an open position; cross positions have an estimate and no bankruptcy."""
    position = venue.account.positions[symbol]
    instrument = venue.linear(symbol)
    if venue.account.margin_mode is MarginMode.ISOLATED:
        return isolated_prices(instrument, position.size, position.entry, position.margin)
    _, mm, _ = position_figures(venue, now_ms)
    own_mm = _mm(venue, symbol)
    own_upnl = venue.account.unrealised(symbol, venue.mark(instrument, now_ms))
    spare = margin_balance(venue, now_ms) - own_upnl - (mm - own_mm)
    return cross_liquidation(position.size, position.entry, spare, own_mm), None


def liquidate_crossed(venue: Venue, ms0: int, ms1: int) -> None:
    """Liquidate what the mark prices between two moments put into liquidation (see the module docstring)."""
    if venue.account.margin_mode is MarginMode.ISOLATED:
        for symbol in list(venue.account.positions):
            _liquidate_isolated(venue, symbol, ms0, ms1)
    elif venue.account.positions:
        _liquidate_cross(venue, ms0, ms1)


def settle_funding(venue: Venue, base: str, rate: Decimal, now_ms: int) -> None:
    """Settle one funding interval of ``base``'s perpetual on the open position, at the mark price."""
    symbol = f"{base}USDT"
    if symbol not in venue.account.positions:
        return
    instrument = venue.linear(symbol)
    mark = venue.mark(instrument, now_ms)
    position = venue.account.positions[symbol]
    payment = venue.account.settle_funding(symbol, rate, mark, now_ms)
    venue.record(
        ExecType.FUNDING,
        instrument,
        position.side,
        abs(position.size),
        mark,
        now_ms,
        fee=payment,
        fee_rate=rate,
        mark_price=mark,
        create_type="",
    )
    log.debug("sim.funding.settled", symbol=symbol, rate=rate, mark=mark, paid=payment)


def _liquidate_isolated(venue: Venue, symbol: str, ms0: int, ms1: int) -> None:
    instrument = venue.linear(symbol)
    low, high = venue.market.mark_range(instrument.base, ms0, ms1)
    position = venue.account.positions[symbol]
    worst = low if position.size > 0 else high
    liquidation, bust = liquidation_price(venue, symbol, ms1)
    if liquidation is None or (worst > liquidation if position.size > 0 else worst < liquidation):
        return
    _cancel_orders(venue, ms1, symbol)
    while _tier_index(venue, symbol) > 0:
        _ladder(venue, symbol, worst, ms1)
        liquidation, bust = liquidation_price(venue, symbol, ms1)
        position = venue.account.positions[symbol]
        if liquidation is None or (worst > liquidation if position.size > 0 else worst < liquidation):
            return
    # the whole position margin goes: the initial margin at the bankruptcy price, the fee to close it reserved
    price = bust if bust is not None else liquidation
    _take_over(venue, symbol, price, ms1, abs(position.size) * price * _taker(venue))


def _liquidate_cross(venue: Venue, ms0: int, ms1: int) -> None:
    worst = {}
    for symbol, position in venue.account.positions.items():
        low, high = venue.market.mark_range(venue.linear(symbol).base, ms0, ms1)
        worst[symbol] = low if position.size > 0 else high
    if _cross_safe(venue, worst, ms1):
        return
    _cancel_orders(venue, ms1)
    for symbol in sorted(venue.account.positions, key=lambda s: _tier_index(venue, s), reverse=True):
        while _tier_index(venue, symbol) > 0:
            _ladder(venue, symbol, worst[symbol], ms1)
            if _cross_safe(venue, worst, ms1):
                return
    balance = _balance_at(venue, worst, ms1)
    needs = {symbol: _mm(venue, symbol) for symbol in venue.account.positions}
    total = sum(needs.values(), ZERO)
    for symbol, position in list(venue.account.positions.items()):
        share = balance * needs[symbol] / total if total else balance / len(needs)
        bust = worst[symbol] - share / position.size  # the price at which its share of the balance is lost
        _take_over(venue, symbol, max(bust, venue.linear(symbol).tick_size), ms1, ZERO)  # the fee is in the balance


def _balance_at(venue: Venue, marks: dict[str, Decimal], now_ms: int) -> Decimal:
    """The cross margin balance with every position valued at ``marks``."""
    at_now = margin_balance(venue, now_ms)
    for symbol, position in venue.account.positions.items():
        mark = venue.mark(venue.linear(symbol), now_ms)
        at_now += (marks[symbol] - mark) * position.size
    return at_now


def _cross_safe(venue: Venue, marks: dict[str, Decimal], now_ms: int) -> bool:
    needed = sum((_mm(venue, symbol) for symbol in venue.account.positions), ZERO)
    return not venue.account.positions or _balance_at(venue, marks, now_ms) > needed


def _mm(venue: Venue, symbol: str) -> Decimal:
    position = venue.account.positions[symbol]
    leverage = venue.account.leverage_of(symbol)
    return position_mm(venue.linear(symbol), position.size, position.entry, leverage, _taker(venue))


def _taker(venue: Venue) -> Decimal:
    return venue.account.fees.rate(Category.LINEAR, maker=False)


def _tier_index(venue: Venue, symbol: str) -> int:
    position = venue.account.positions.get(symbol)
    if position is None:
        return 0
    instrument = venue.linear(symbol)
    return instrument.tiers.index(instrument.tier_for(abs(position.size) * position.entry))


def _ladder(venue: Venue, symbol: str, price: Decimal, now_ms: int) -> None:
    """Close as much of the position as takes it down to the risk tier below, at ``price`` as a taker."""
    instrument = venue.linear(symbol)
    position = venue.account.positions[symbol]
    below = instrument.tiers[_tier_index(venue, symbol) - 1]
    keep = to_step(below.limit / position.entry, instrument.qty_step)
    qty = to_step(abs(position.size) - keep, instrument.qty_step, ROUND_UP)
    side = Side.BUY if position.size < 0 else Side.SELL
    fill = venue.account.linear_fill(instrument, side, qty, price, False, now_ms)
    _record(venue, ExecType.TRADE, instrument, side, qty, price, now_ms, "CreateByLiq", fill.fee, fill.fee_rate)
    log.warning("sim.position.partly_liquidated", symbol=symbol, qty=qty, price=price, tier=below.risk_id)


def _cancel_orders(venue: Venue, now_ms: int, symbol: str | None = None) -> None:
    for order in venue.orders.open_orders(None if symbol is None else Category.LINEAR, symbol):
        end_order(venue, order, now_ms, "EC_NoError", cancel_type="CancelAllBeforeLiq")


def _take_over(venue: Venue, symbol: str, price: Decimal, now_ms: int, fee: Decimal) -> None:
    for order in venue.orders.open_orders(Category.LINEAR, symbol):
        end_order(venue, order, now_ms, "EC_NoError", cancel_type="CancelAllBeforeLiq")
    position, realised = venue.account.close_out(symbol, price, fee, now_ms)
    side = Side.BUY if position.size < 0 else Side.SELL
    instrument = venue.linear(symbol)
    rate = _taker(venue) if fee else ZERO
    record = _record(venue, ExecType.BUST, instrument, side, abs(position.size), price, now_ms, "", fee, rate)
    venue.liquidations.append(record)
    log.warning("sim.position.liquidated", symbol=symbol, size=position.size, price=price, realised=realised)


def _record(
    venue: Venue,
    exec_type: ExecType,
    instrument: Instrument,
    side: Side,
    qty: Decimal,
    price: Decimal,
    now_ms: int,
    create_type: str,
    fee: Decimal = ZERO,
    fee_rate: Decimal = ZERO,
) -> Execution:
    """One liquidation execution: a laddered trade (CreateByLiq) or the takeover (BustTrade)."""
    return venue.record(
        exec_type,
        instrument,
        side,
        qty,
        price,
        now_ms,
        order_type="Market",
        mark_price=venue.mark(instrument, now_ms),
        closed_size=qty,
        fee=fee,
        fee_rate=fee_rate,
        create_type=create_type or "CreateByTakeOver_PassThrough",
    )
