"""Orders and executions as the simulated venue records them, the order rules (filters) and the order store."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from hedgesim.enums import Side
from hedgesim.errors import SimReject, params_error
from hedgesim.instruments import Category, Instrument

ZERO = Decimal(0)
RECENT_CLOSED = 500  # /v5/order/realtime finds closed orders by id among the account's most recent 500


class OrderType(StrEnum):
    LIMIT = "Limit"
    MARKET = "Market"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    POST_ONLY = "PostOnly"


class OrderStatus(StrEnum):
    NEW = "New"
    PARTIALLY_FILLED = "PartiallyFilled"
    FILLED = "Filled"
    CANCELLED = "Cancelled"
    REJECTED = "Rejected"
    PARTIALLY_FILLED_CANCELED = "PartiallyFilledCanceled"  # spot only

    @property
    def is_open(self) -> bool:
        return self in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)


class ExecType(StrEnum):
    TRADE = "Trade"
    FUNDING = "Funding"
    BUST = "BustTrade"  # the liquidation engine closing a position


@dataclass(frozen=True, slots=True)
class NewOrder:
    """An order request in venue terms. ``qty`` is in quote for a spot market buy by value (market_unit)."""

    category: Category
    symbol: str
    side: Side
    order_type: OrderType
    qty: Decimal
    price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    link_id: str | None = None
    market_unit: str | None = None  # spot market orders: "baseCoin" or "quoteCoin"


@dataclass(frozen=True, slots=True)
class SimOrder:
    """An order's current state; replaced (never mutated) as it fills or ends."""

    order_id: str
    link_id: str
    category: Category
    symbol: str
    side: Side
    order_type: OrderType
    price: Decimal  # limit price; a market order's protection price (linear) or 0 (spot)
    qty: Decimal
    time_in_force: TimeInForce
    reduce_only: bool
    status: OrderStatus
    created_ms: int
    updated_ms: int
    last_price_on_created: Decimal
    market_unit: str = ""
    cum_qty: Decimal = ZERO
    cum_value: Decimal = ZERO
    cum_fee: Decimal = ZERO
    fee_coin: str = ""
    reject_reason: str = "EC_NoError"
    cancel_type: str = "UNKNOWN"
    create_type: str = "CreateByUser"

    @property
    def leaves_qty(self) -> Decimal:
        if not self.status.is_open or self.market_unit == "quoteCoin":
            return ZERO
        return self.qty - self.cum_qty

    @property
    def avg_price(self) -> Decimal | None:
        return self.cum_value / self.cum_qty if self.cum_qty else None


@dataclass(frozen=True, slots=True)
class Execution:
    """One execution on the account: a trade, a funding settlement or a liquidation.

    ``fee`` is what the account paid (negative: received); for funding it is position value x rate, signed
    so that a long pays a positive rate, exactly as Bybit's execFee.
    """

    exec_id: str
    exec_type: ExecType
    category: Category
    symbol: str
    side: Side
    qty: Decimal
    price: Decimal
    time_ms: int
    seq: int
    fee: Decimal = ZERO
    fee_rate: Decimal = ZERO
    fee_coin: str = "USDT"
    order_id: str = ""
    link_id: str = ""
    order_type: str = "UNKNOWN"
    order_qty: Decimal = ZERO
    order_price: Decimal = ZERO
    is_maker: bool = False
    mark_price: Decimal | None = None
    index_price: Decimal | None = None
    closed_size: Decimal = ZERO
    leaves_qty: Decimal = ZERO
    create_type: str = "CreateByUser"  # CreateByLiq (laddered liquidation), CreateByTakeOver_PassThrough, "" (funding)

    @property
    def value(self) -> Decimal:
        return self.qty * self.price


def check_filters(order: NewOrder, instrument: Instrument, reference: Decimal) -> None:
    """Refuse an order breaking the instrument's rules, with Bybit's codes; ``reference`` prices a market order
    (the mark for a perpetual, the last price for spot). Price limits are ``hedgesim.bands``'."""
    price = order.price
    if order.order_type is OrderType.LIMIT and (price is None or price <= 0):
        raise params_error("price is required and must be positive for a limit order")
    if order.qty <= 0:
        raise params_error("qty must be positive")
    if instrument.category is Category.SPOT:
        _check_spot(order, instrument, reference)
    else:
        _check_linear(order, instrument, reference)


def _check_linear(order: NewOrder, instrument: Instrument, reference: Decimal) -> None:
    if order.qty % instrument.qty_step:
        raise params_error(f"qty {order.qty} is not a multiple of qtyStep {instrument.qty_step}")
    if order.qty < instrument.min_qty:
        raise SimReject(10001, "The number of contracts exceeds minimum limit allowed")
    cap = instrument.max_market_qty if order.order_type is OrderType.MARKET else instrument.max_qty
    if order.qty > cap:
        raise SimReject(
            10001,
            f"The number of contracts exceeds maximum limit allowed: too large, order_qty:{order.qty} > max_qty:{cap}",
        )
    if order.price is not None and order.price % instrument.tick_size:
        raise params_error(f"price {order.price} is not a multiple of tickSize {instrument.tick_size}")
    notional = order.qty * (order.price or reference)
    if notional < instrument.min_notional and not order.reduce_only:
        raise SimReject(110094, f"Order does not meet minimum order value {instrument.min_notional}USDT")


def _check_spot(order: NewOrder, instrument: Instrument, reference: Decimal) -> None:
    by_value = order.market_unit == "quoteCoin"
    if not by_value:
        if order.qty % instrument.qty_step:
            raise SimReject(170137, "Order quantity has too many decimals.")
        if order.qty < instrument.min_qty:
            raise SimReject(170136, "Order quantity lower than the minimum.")
        if order.qty > instrument.max_qty:
            raise SimReject(170135, "Order quantity too large.")
    if order.price is not None and order.price % instrument.tick_size:
        raise SimReject(170134, "Order price has too many decimals.")
    notional = order.qty if by_value else order.qty * (order.price or reference)
    if notional < instrument.min_notional:
        raise SimReject(170140, "Order value exceeded lower limit.")


class OrderStore:
    """Every order of the account by id; open orders indexed; the most recent closed ones remembered."""

    def __init__(self) -> None:
        self._orders: dict[str, SimOrder] = {}
        self._open: dict[str, SimOrder] = {}
        self._recent_closed: deque[str] = deque(maxlen=RECENT_CLOSED)
        self._numbers: dict[str, int] = {}

    def put(self, order: SimOrder) -> SimOrder:
        self._numbers.setdefault(order.order_id, len(self._numbers) + 1)
        self._orders[order.order_id] = order
        if order.status.is_open:
            self._open[order.order_id] = order
        elif self._open.pop(order.order_id, None) is not None or order.order_id not in self._recent_closed:
            self._recent_closed.append(order.order_id)
        return order

    def update(self, order: SimOrder, **changes: object) -> SimOrder:
        return self.put(replace(order, **changes))  # type: ignore[arg-type]

    def get(self, order_id: str) -> SimOrder | None:
        return self._orders.get(order_id)

    def number(self, order: SimOrder) -> int:
        """The order's place in the order of creation (1, 2, ...): newer orders have higher numbers, even when
        several are created in one millisecond."""
        return self._numbers[order.order_id]

    def open_orders(self, category: Category | None = None, symbol: str | None = None) -> list[SimOrder]:
        return [
            o
            for o in self._open.values()
            if (category is None or o.category is category) and (symbol is None or o.symbol == symbol)
        ]

    def open_link_ids(self) -> set[str]:
        return {o.link_id for o in self._open.values() if o.link_id}

    def find(self, order_id: str | None, link_id: str | None, recent_only: bool) -> list[SimOrder]:
        """Orders by id or client id: open ones, plus closed ones (only the recent ones when ``recent_only``)."""
        closed_ids: Iterable[str] = self._recent_closed if recent_only else self._orders
        candidates = [*self._open.values(), *(self._orders[i] for i in closed_ids if i not in self._open)]
        found = [
            o
            for o in candidates
            if (order_id is None or o.order_id == order_id) and (link_id is None or o.link_id == link_id)
        ]
        return sorted(found, key=self.number, reverse=True)

    def __iter__(self) -> Iterator[SimOrder]:
        return iter(self._orders.values())
