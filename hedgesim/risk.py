"""The venue's risk engine: liquidation when the mark price crosses the liquidation price, funding settlement."""

from __future__ import annotations

from decimal import Decimal

import structlog

from hedgesim.account import SETTLE
from hedgesim.balances import position_figures
from hedgesim.enums import MarginMode, Side
from hedgesim.instruments import Category
from hedgesim.margin import cross_liquidation, isolated_prices, maintenance
from hedgesim.orders import ExecType
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
    _, mm, upnl = position_figures(venue, now_ms)
    mark = venue.mark(instrument, now_ms)
    own_mm = maintenance(instrument, abs(position.size) * mark)
    spare = venue.account.coins[SETTLE] + upnl - venue.account.unrealised(symbol, mark) - (mm - own_mm)
    return cross_liquidation(instrument, position.size, position.entry, spare), None


def liquidate_crossed(venue: Venue, ms0: int, ms1: int) -> None:
    """Liquidate positions whose mark crossed the liquidation price between two moments.

    Isolated: each position on its own, taken over at its bankruptcy price (the whole margin is lost). Cross:
    when the margin balance at the worst marks no longer covers the maintenance margin, every position is
    closed at the current mark.
    """
    if venue.account.margin_mode is MarginMode.ISOLATED:
        for symbol in list(venue.account.positions):
            position = venue.account.positions[symbol]
            liquidation, bust = liquidation_price(venue, symbol, ms1)
            low, high = venue.market.mark_range(venue.linear(symbol).base, ms0, ms1)
            crossed = liquidation is not None and (low <= liquidation if position.size > 0 else high >= liquidation)
            if crossed:
                _take_over(venue, symbol, bust if bust is not None else liquidation or low, ms1)
        return
    if not venue.account.positions:
        return
    worst = venue.account.coins[SETTLE]
    mm = ZERO
    for symbol, position in venue.account.positions.items():
        instrument = venue.linear(symbol)
        low, high = venue.market.mark_range(instrument.base, ms0, ms1)
        mark = low if position.size > 0 else high
        worst += (mark - position.entry) * position.size
        mm += maintenance(instrument, abs(position.size) * mark)
    if worst <= mm:
        for symbol in list(venue.account.positions):
            _take_over(venue, symbol, venue.mark(venue.linear(symbol), ms1), ms1)


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
    )
    log.debug("sim.funding.settled", symbol=symbol, rate=rate, mark=mark, paid=payment)


def _take_over(venue: Venue, symbol: str, price: Decimal, now_ms: int) -> None:
    for order in venue.orders.open_orders(Category.LINEAR, symbol):
        end_order(venue, order, now_ms, "EC_NoError", cancel_type="CancelAllBeforeLiq")
    position, realised = venue.account.close_out(symbol, price, now_ms)
    side = Side.BUY if position.size < 0 else Side.SELL
    instrument = venue.linear(symbol)
    record = venue.record(
        ExecType.BUST,
        instrument,
        side,
        abs(position.size),
        price,
        now_ms,
        order_type="Market",
        mark_price=venue.mark(instrument, now_ms),
        closed_size=abs(position.size),
    )
    venue.liquidations.append(record)
    log.warning("sim.position.liquidated", symbol=symbol, size=position.size, price=price, realised=realised)
