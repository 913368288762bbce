"""Order entry and matching: validation, margin checks, takers walking the book, resting orders filling."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import structlog

from hedgesim.balances import available, coin_free
from hedgesim.bands import price_limits
from hedgesim.book import Level, Take, walk_levels
from hedgesim.enums import Side
from hedgesim.errors import SimReject, params_error
from hedgesim.instruments import Category, Instrument
from hedgesim.margin import order_cost
from hedgesim.orders import ExecType, NewOrder, OrderStatus, OrderType, SimOrder, TimeInForce, check_filters
from hedgesim.rounding import to_step
from hedgesim.state import Venue

log = structlog.get_logger(__name__)

ZERO = Decimal(0)
LINK_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
Limits = tuple[Decimal, Decimal]  # (highest buy, lowest sell) price


def place(venue: Venue, request: NewOrder, now_ms: int) -> SimOrder:
    """Accept (or refuse with Bybit's error) one order, then match it against the book as Bybit would."""
    instrument = venue.instrument(request.category, request.symbol)
    last = venue.last(instrument, now_ms)
    linear = instrument.category is Category.LINEAR
    request = replace(request, market_unit=_market_unit(request, linear))
    reference = venue.mark(instrument, now_ms) if linear else last
    check_filters(request, instrument, reference)
    if linear and venue.account.hedge_mode:
        raise SimReject(10001, "position idx not match position mode")
    if request.link_id is not None:
        if not LINK_ID.match(request.link_id):
            raise params_error("orderLinkId must be 1-36 letters, digits, '-' or '_'")
        if request.link_id in venue.orders.open_link_ids():
            raise (
                SimReject(110072, "OrderLinkedID is duplicate")
                if linear
                else SimReject(170141, "Duplicate clientOrderId.")
            )
    qty = _reduce_only_qty(venue, request, instrument) if linear and request.reduce_only else request.qty
    index = venue.index(instrument, now_ms) if linear else last
    limits = price_limits(instrument, last, venue.mark(instrument, now_ms) if linear else last, index)
    price = _order_price(request, instrument, limits)
    _check_funds(venue, request, instrument, qty, price, limits, now_ms)
    bid, ask = venue.market.touch(instrument, now_ms)
    crosses = request.order_type is OrderType.MARKET or (price >= ask if request.side is Side.BUY else price <= bid)
    order = venue.orders.put(
        SimOrder(
            order_id=venue.ids.for_category(instrument.category),
            link_id=request.link_id or ("" if linear else venue.ids.number()),
            category=instrument.category,
            symbol=instrument.name,
            side=request.side,
            order_type=request.order_type,
            price=price,
            qty=qty,
            time_in_force=TimeInForce.IOC if request.order_type is OrderType.MARKET else request.time_in_force,
            reduce_only=request.reduce_only and linear,
            status=OrderStatus.NEW,
            created_ms=now_ms,
            updated_ms=now_ms,
            last_price_on_created=instrument.on_tick(last),
            market_unit=request.market_unit or "",
        )
    )
    if crosses and request.time_in_force is TimeInForce.POST_ONLY:
        # spot and linear alike: "If the order would be filled immediately when submitted, it will be cancelled"
        # (docs/v5/order/create-order, timeInForce PostOnly)
        return _end(venue, order, now_ms, "EC_PostOnlyWillTakeLiquidity")
    if crosses:
        order = _take(venue, order, instrument, limits, now_ms)
    if order.status.is_open and order.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
        order = _end(venue, order, now_ms, "EC_CancelForNoFullFill")
    log.debug("sim.order.placed", order_id=order.order_id, symbol=order.symbol, side=order.side, status=order.status)
    return order


def cancel(
    venue: Venue, category: Category, symbol: str, order_id: str | None, link_id: str | None, now_ms: int
) -> SimOrder:
    """Cancel one open order by id or client id; an unknown or finished order is Bybit's 110001 / 170213."""
    if order_id is None and link_id is None:
        raise params_error("orderId or orderLinkId is required")
    for order in venue.orders.open_orders(category, symbol):
        if (order_id is None or order.order_id == order_id) and (link_id is None or order.link_id == link_id):
            return _end(venue, order, now_ms, "EC_NoError", cancel_type="CancelByUser")
    if category is Category.SPOT:
        raise SimReject(170213, "Order does not exist.")
    raise SimReject(110001, "order not exists or too late to cancel")


def fill_resting(venue: Venue, ms0: int, ms1: int) -> None:
    """Fill resting orders the market traded through between two moments (a touch is not enough).

    Each order gets at most the venue's participation share of the volume traded beyond its price, so a
    large order in a thin market fills partially over several steps.
    """
    for order_id in [o.order_id for o in sorted(venue.orders.open_orders(), key=lambda o: o.created_ms)]:
        order = venue.orders.get(order_id)
        if order is None or not order.status.is_open:
            continue  # an earlier fill in this step ended it (a reduce-only order clamped away)
        instrument = venue.instrument(order.category, order.symbol)
        buy = order.side is Side.BUY
        low, high = venue.market.range(instrument.category, instrument.base, ms0, ms1)
        if not (low < order.price if buy else high > order.price):
            continue
        volume = venue.market.volume_through(instrument.category, instrument.base, ms0, ms1, order.price, buy)
        qty = to_step(min(order.leaves_qty, volume * venue.participation), instrument.qty_step)
        if qty > 0:
            _fill(venue, order, instrument, [Take(order.price, qty)], True, ms1)


def fill_gap(venue: Venue, base: str, now_ms: int) -> None:
    """After a price gap on ``base``, fill whole every resting order the jump went through (resting buys sit
    below the market and sells above, so an order is through when the new price is beyond it)."""
    for order_id in [o.order_id for o in venue.orders.open_orders()]:
        order = venue.orders.get(order_id)
        if order is None or not order.status.is_open:
            continue
        instrument = venue.instrument(order.category, order.symbol)
        if instrument.base != base:
            continue
        after = venue.last(instrument, now_ms)
        if after < order.price if order.side is Side.BUY else after > order.price:
            _fill(venue, order, instrument, [Take(order.price, order.leaves_qty)], True, now_ms)


def end_order(venue: Venue, order: SimOrder, now_ms: int, reason: str, cancel_type: str) -> SimOrder:
    return _end(venue, order, now_ms, reason, cancel_type)


def clamp_reduce_only(venue: Venue, symbol: str, now_ms: int) -> None:
    """Shrink or cancel resting reduce-only orders that would now exceed (or grow) the position."""
    size = venue.account.size_of(symbol)
    for order in venue.orders.open_orders(Category.LINEAR, symbol):
        if not order.reduce_only:
            continue
        closes = (size > 0 and order.side is Side.SELL) or (size < 0 and order.side is Side.BUY)
        if not closes:
            _end(venue, order, now_ms, "EC_NoError", cancel_type="CancelByReduceOnly")
        elif order.leaves_qty > abs(size):
            venue.orders.update(order, qty=order.cum_qty + abs(size), updated_ms=now_ms)


def _take(venue: Venue, order: SimOrder, instrument: Instrument, limits: Limits, now_ms: int) -> SimOrder:
    """Walk the book for a crossing order up to its limit (a market order: the price limit)."""
    buy = order.side is Side.BUY
    limit = order.price if order.order_type is OrderType.LIMIT else limits[0 if buy else 1]
    consumed = venue.consumed.setdefault((instrument.category, instrument.name, order.side), {})

    def side() -> Iterator[Level]:  # the opposite side of the book, best first
        return venue.market.levels(instrument, now_ms, not buy)

    if order.market_unit == "quoteCoin":
        takes = walk_levels(side(), instrument, buy, order.qty, limit, consumed, by_value=True)
    else:
        if order.time_in_force is TimeInForce.FOK:
            trial = walk_levels(side(), instrument, buy, order.qty, limit, dict(consumed))
            if sum((t.qty for t in trial), ZERO) < order.qty:
                return order
        takes = walk_levels(side(), instrument, buy, order.qty, limit, consumed)
    return _fill(venue, order, instrument, takes, False, now_ms) if takes else order


def _fill(
    venue: Venue, order: SimOrder, instrument: Instrument, takes: list[Take], maker: bool, now_ms: int
) -> SimOrder:
    """Book executions for ``order`` at the given levels and update the account and the order."""
    mark = venue.mark(instrument, now_ms) if instrument.category is Category.LINEAR else None
    for take in takes:
        if instrument.category is Category.SPOT:
            fill = venue.account.spot_fill(instrument, order.side, take.qty, take.price, maker)
        else:
            fill = venue.account.linear_fill(instrument, order.side, take.qty, take.price, maker, now_ms)
        cum_qty = order.cum_qty + take.qty
        cum_value = order.cum_value + take.qty * take.price
        if order.market_unit == "quoteCoin":  # qty is the quote to spend: done when no further lot is affordable
            done = order.qty - cum_value < take.price * instrument.qty_step
        else:
            done = cum_qty >= order.qty
        order = venue.orders.update(
            order,
            cum_qty=cum_qty,
            cum_value=cum_value,
            cum_fee=order.cum_fee + fill.fee,
            fee_coin=fill.fee_coin,
            status=OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED,
            updated_ms=now_ms,
        )
        venue.record(
            ExecType.TRADE,
            instrument,
            order.side,
            take.qty,
            take.price,
            now_ms,
            fee=fill.fee,
            fee_rate=fill.fee_rate,
            fee_coin=fill.fee_coin,
            order_id=order.order_id,
            link_id=order.link_id,
            order_type=order.order_type.value,
            order_qty=order.qty,
            order_price=order.price,
            is_maker=maker,
            mark_price=mark,
            index_price=venue.index(instrument, now_ms) if mark is not None else None,
            closed_size=fill.closed,
            leaves_qty=order.leaves_qty,
        )
    if instrument.category is Category.LINEAR:
        clamp_reduce_only(venue, instrument.name, now_ms)
    return venue.orders.get(order.order_id) or order


def _end(venue: Venue, order: SimOrder, now_ms: int, reason: str, cancel_type: str = "UNKNOWN") -> SimOrder:
    partial_spot = order.category is Category.SPOT and order.cum_qty > 0
    status = OrderStatus.PARTIALLY_FILLED_CANCELED if partial_spot else OrderStatus.CANCELLED
    return venue.orders.put(
        replace(order, status=status, reject_reason=reason, cancel_type=cancel_type, updated_ms=now_ms)
    )


def _reduce_only_qty(venue: Venue, request: NewOrder, instrument: Instrument) -> Decimal:
    size = venue.account.size_of(instrument.name)
    if size == 0:
        raise SimReject(110017, "current position is zero, cannot fix reduce-only order qty")
    if (size > 0) == (request.side is Side.BUY):
        raise SimReject(110017, "Reduce-only rule not satisfied")
    return min(request.qty, abs(size))


def _market_unit(request: NewOrder, linear: bool) -> str | None:
    """Spot market orders count qty in quote for a buy and in base for a sell unless told (Bybit's default)."""
    if linear or request.order_type is OrderType.LIMIT:
        return None
    return request.market_unit or ("quoteCoin" if request.side is Side.BUY else "baseCoin")


def _order_price(request: NewOrder, instrument: Instrument, limits: Limits) -> Decimal:
    """A limit order's price, a perpetual's moved within the price limits and a spot one beyond them refused
    (docs/v5/account/set-price-limit, the default behaviour); a market order shows its price limit (linear) or
    0 (spot)."""
    highest, lowest = limits
    buy = request.side is Side.BUY
    linear = instrument.category is Category.LINEAR
    if request.order_type is OrderType.MARKET:
        return (highest if buy else lowest) if linear else ZERO
    assert request.price is not None
    if buy and request.price > highest:
        if not linear:
            raise SimReject(170193, f"Buy order price cannot be higher than {highest}.")
        return highest
    if not buy and request.price < lowest:
        if not linear:
            raise SimReject(170194, f"Sell order price cannot be lower than {lowest}.")
        return lowest
    return request.price


def _check_risk_limit(venue: Venue, instrument: Instrument, side: Side, adding: Decimal, leverage: Decimal) -> None:
    """Refuse (110090) an order that would take the position, with the orders growing it on the same side, past
    the risk tier its leverage allows, or past the instrument's last tier (docs/v5/error, 110090)."""
    position = venue.account.positions.get(instrument.name)
    held = abs(position.size) * position.entry if position is not None and position.side is side else ZERO
    resting = sum(
        (o.leaves_qty * o.price for o in venue.orders.open_orders(Category.LINEAR, instrument.name)
         if o.side is side and not o.reduce_only),
        ZERO,
    )  # fmt: skip
    tier = instrument.tier_within(held + resting + adding)
    if tier is None or tier.max_leverage < leverage:
        allowed = tier.max_leverage if tier is not None else instrument.tiers[-1].max_leverage
        raise SimReject(
            110090,
            "Order placement failed as your position may exceed the max limit. Please adjust your leverage to "
            f"{allowed} or below to increase the max. position limit",
        )


def _check_funds(
    venue: Venue, request: NewOrder, instrument: Instrument, qty: Decimal, price: Decimal, limits: Limits, now_ms: int
) -> None:
    if instrument.category is Category.LINEAR:
        if request.reduce_only:
            return
        size = venue.account.size_of(instrument.name)
        offset = max(ZERO, -size) if request.side is Side.BUY else max(ZERO, size)
        opening = max(ZERO, qty - offset)
        if not opening:
            return
        leverage = venue.account.leverage_of(instrument.name)
        _check_risk_limit(venue, instrument, request.side, opening * price, leverage)
        taker = venue.account.fees.rate(Category.LINEAR, maker=False)
        if order_cost(request.side.sign * opening, price, leverage, taker) > available(venue, now_ms):
            raise SimReject(110007, "ab not enough for new order")
        return
    last = venue.last(instrument, now_ms)
    if request.side is Side.BUY:
        cost = qty if request.market_unit == "quoteCoin" else qty * (price or limits[0])
        enough = cost <= coin_free(venue, instrument.quote, now_ms)
    else:
        amount = qty / last if request.market_unit == "quoteCoin" else qty
        enough = amount <= coin_free(venue, instrument.base, now_ms)
    if not enough:
        raise SimReject(170131, "Insufficient balance.")
