"""Private Bybit v5 trade endpoints: create, cancel, cancel-all, open and past orders, executions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hedgesim.bybit import wire
from hedgesim.bybit.params import Params, page
from hedgesim.engine import SimExchange
from hedgesim.enums import Side
from hedgesim.errors import params_error
from hedgesim.instruments import Category
from hedgesim.orders import NewOrder, OrderType, SimOrder, TimeInForce

UNSUPPORTED = ("triggerPrice", "takeProfit", "stopLoss", "tpslMode", "trailingStop", "slOrderType", "tpOrderType")
SIDES = {"Buy": Side.BUY, "Sell": Side.SELL}


def create(engine: SimExchange, params: Params) -> dict[str, Any]:
    category = params.trading_category()
    for key in UNSUPPORTED:
        if params.text(key) is not None:
            raise params_error(f"{key} (conditional and TP/SL orders) is not supported by the simulator")
    if params.text("orderFilter") not in (None, "Order"):
        raise params_error("only orderFilter=Order is supported by the simulator")
    if params.text("positionIdx") not in (None, "0"):
        raise params_error("position idx not match position mode")
    side = SIDES.get(params.required("side"))
    if side is None:
        raise params_error("side must be Buy or Sell")
    try:
        order_type = OrderType(params.required("orderType"))
        time_in_force = TimeInForce(params.text("timeInForce") or "GTC")
    except ValueError as exc:
        raise params_error(str(exc)) from exc
    qty = params.decimal("qty")
    if qty is None:
        raise params_error("qty is required")
    order = engine.place_order(
        NewOrder(
            category=category,
            symbol=params.required("symbol"),
            side=side,
            order_type=order_type,
            qty=qty,
            price=params.decimal("price") if order_type is OrderType.LIMIT else None,
            time_in_force=time_in_force,
            reduce_only=params.flag("reduceOnly"),
            link_id=params.text("orderLinkId"),
            market_unit=params.text("marketUnit"),
        )
    )
    return {"orderId": order.order_id, "orderLinkId": order.link_id}


def cancel(engine: SimExchange, params: Params) -> dict[str, Any]:
    category = params.trading_category()
    order = engine.cancel_order(category, params.required("symbol"), params.text("orderId"), params.text("orderLinkId"))
    return {"orderId": order.order_id, "orderLinkId": order.link_id}


def cancel_all(engine: SimExchange, params: Params) -> dict[str, Any]:
    category = params.trading_category()
    symbol, base, settle = params.text("symbol"), params.text("baseCoin"), params.text("settleCoin")
    if category is Category.LINEAR and symbol is None and base is None and settle is None:
        raise params_error("symbol, baseCoin or settleCoin is required")
    cancelled = [] if settle not in (None, "USDT") else engine.cancel_all(category, symbol, base)
    return {"list": [{"orderId": o.order_id, "orderLinkId": o.link_id} for o in cancelled], "success": "1"}


def realtime(engine: SimExchange, params: Params) -> dict[str, Any]:
    """Open orders; asked by orderId or orderLinkId, recent closed orders too."""
    category = params.trading_category()
    order_id, link_id = params.text("orderId"), params.text("orderLinkId")
    if category is Category.LINEAR and not _scoped(params) and order_id is None and link_id is None:
        raise params_error("symbol, baseCoin or settleCoin is required for linear")
    engine.sync()
    if params.text("orderFilter") not in (None, "Order"):
        orders: list[SimOrder] = []  # the simulator holds no conditional orders
    elif order_id is not None or link_id is not None:
        orders = engine.venue.orders.find(order_id, link_id, recent_only=True)
    else:
        orders = engine.venue.orders.open_orders()
    chunk, cursor = page(_filtered(engine, orders, category, params), params, 20, 50, _place(engine), True)
    return {"list": [wire.order(o) for o in chunk], "nextPageCursor": cursor, "category": category.value}


def history(engine: SimExchange, params: Params) -> dict[str, Any]:
    """Orders of any status in the query window (7 days by default), newest first."""
    category = params.trading_category()
    order_id, link_id = params.text("orderId"), params.text("orderLinkId")
    engine.sync()
    orders = engine.venue.orders.find(order_id, link_id, recent_only=False)
    if order_id is None and link_id is None:
        start, end = params.window(engine.now_ms())
        orders = [o for o in orders if start <= o.created_ms <= end]
    status = params.text("orderStatus")
    if status is not None:
        orders = [o for o in orders if o.status.value == status]
    chunk, cursor = page(_filtered(engine, orders, category, params), params, 20, 50, _place(engine), True)
    return {"list": [wire.order(o) for o in chunk], "nextPageCursor": cursor, "category": category.value}


def executions(engine: SimExchange, params: Params) -> dict[str, Any]:
    """Trades, funding settlements and liquidations in the query window (7 days by default), newest first."""
    category = params.trading_category()
    engine.sync()
    start, end = params.window(engine.now_ms())
    symbol, base = params.text("symbol"), params.text("baseCoin")
    order_id, link_id, kind = params.text("orderId"), params.text("orderLinkId"), params.text("execType")
    rows = [
        e
        for e in reversed(engine.executions)
        if e.category is category
        and start <= e.time_ms <= end
        and (symbol is None or e.symbol == symbol)
        and (base is None or engine.instrument(category, e.symbol).base == base)
        and (order_id is None or e.order_id == order_id)
        and (link_id is None or e.link_id == link_id)
        and (kind is None or e.exec_type.value == kind)
    ]
    chunk, cursor = page(rows, params, 50, 100, lambda e: (e.seq, e.exec_id), descending=True)
    return {"list": [wire.execution(e) for e in chunk], "nextPageCursor": cursor, "category": category.value}


def _scoped(params: Params) -> bool:
    return any(params.text(key) is not None for key in ("symbol", "baseCoin", "settleCoin"))


def _place(engine: SimExchange) -> Callable[[SimOrder], tuple[int, str]]:
    """An order's place in the lists, newest first: its number in the order of creation, and its id."""
    return lambda order: (engine.venue.orders.number(order), order.order_id)


def _filtered(engine: SimExchange, orders: list[SimOrder], category: Category, params: Params) -> list[SimOrder]:
    """The orders of the request's category and scope, newest first."""
    symbol, base, settle = params.text("symbol"), params.text("baseCoin"), params.text("settleCoin")
    if settle not in (None, "USDT"):
        return []
    return sorted(
        (
            o
            for o in orders
            if o.category is category
            and (symbol is None or o.symbol == symbol)
            and (base is None or engine.instrument(category, o.symbol).base == base)
        ),
        key=engine.venue.orders.number,
        reverse=True,
    )
