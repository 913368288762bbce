"""Between the bot's domain values and the paper venue's (hedgesim's): instruments, observations, orders, fills.

The paper venue counts in base units like Bybit's linear contracts; the bot counts contracts. A market's contract
size converts one into the other (1 on Bybit and Binance, e.g. 0.01 BTC on OKX's BTC-USDT-SWAP). A paper
instrument is named ``<BASE>USDT``, as the simulator names every USDT perpetual.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal

from bot.clock import to_ms, utc_from_ms
from bot.domain import (
    ZERO,
    Balance,
    BookLevel,
    FeeRates,
    Fill,
    FundingPayment,
    MarginMode,
    Market,
    Order,
    OrderBook,
    OrderStatus,
    PerpTicker,
    Position,
    PublicTrade,
    Side,
)
from bot.errors import (
    DuplicateClientOrderId,
    ExchangeError,
    InsufficientMargin,
    InvalidOrderSpec,
    OrderNotFound,
    OrderRejected,
    ReduceOnlyRejected,
)
from bot.exchange.port import OrderRequest
from hedgesim.account import Fees
from hedgesim.balances import CoinBalance
from hedgesim.book import Level
from hedgesim.enums import MarginMode as SimMarginMode
from hedgesim.enums import Side as SimSide
from hedgesim.errors import SimReject
from hedgesim.instruments import THIN_BOOK, Category, Instrument, RiskTier
from hedgesim.live import Book, Ticker, Trade
from hedgesim.orders import ExecType, Execution, NewOrder, OrderType, SimOrder, TimeInForce
from hedgesim.orders import OrderStatus as SimStatus
from hedgesim.views import BookView, PositionView

QUOTE = "USDT"
UNLIMITED = Decimal(10) ** 12  # no size or risk limit of the paper venue's own: the real venue's are not listed
PRICE_BAND = (Decimal("0.05"), Decimal("0.1"))  # the simulator's usual price-limit ratios (X, Y)
POST_ONLY_WOULD_TAKE = "EC_PostOnlyWillTakeLiquidity"

# The paper venue answers as the simulator does, with Bybit's codes: what each means to the bot.
_REJECTIONS: Mapping[int, type[ExchangeError]] = {
    110001: OrderNotFound,
    110007: InsufficientMargin,
    110017: ReduceOnlyRejected,
    110072: DuplicateClientOrderId,
    110094: InvalidOrderSpec,
    10001: InvalidOrderSpec,
}
_STATUSES = {
    SimStatus.NEW: OrderStatus.OPEN,
    SimStatus.PARTIALLY_FILLED: OrderStatus.OPEN,
    SimStatus.FILLED: OrderStatus.FILLED,
    SimStatus.CANCELLED: OrderStatus.CANCELED,
    SimStatus.PARTIALLY_FILLED_CANCELED: OrderStatus.CANCELED,
    SimStatus.REJECTED: OrderStatus.REJECTED,
}


def paper_name(market: Market) -> str:
    return f"{market.base}{QUOTE}"


def instrument_for(market: Market) -> Instrument:
    """The paper venue's perpetual for a listed one: its tick, lot and minimums, leverage cap and maintenance rate."""
    size = market.contract_size
    return Instrument(
        name=paper_name(market),
        category=Category.LINEAR,
        base=market.base,
        quote=QUOTE,
        tick_size=market.tick_size,
        qty_step=market.lot_step * size,
        min_qty=market.min_qty * size,
        max_qty=UNLIMITED,
        min_notional=market.min_notional,
        price_limit_x=PRICE_BAND[0],
        price_limit_y=PRICE_BAND[1],
        book=THIN_BOOK,  # unused: the book is the one observed
        max_market_qty=UNLIMITED,
        max_leverage=market.max_leverage,
        tiers=(RiskTier(1, UNLIMITED, market.maintenance_margin_rate, market.max_leverage),),
    )


def fees_from(rates: Iterable[FeeRates]) -> Fees:
    """The paper account's linear fees: the venue's rates for the account (the highest where instruments differ);
    the simulator's (Bybit's base tier) until one is known."""
    rates = list(rates)
    if not rates:
        return Fees()
    return Fees(linear_maker=max(r.maker for r in rates), linear_taker=max(r.taker for r in rates))


# -- observations -------------------------------------------------------------------------------------------------


def book_of(book: OrderBook, market: Market, now: datetime) -> Book:
    size = market.contract_size
    return Book(
        to_ms(now),
        tuple(Level(level.price, level.size * size) for level in book.bids),
        tuple(Level(level.price, level.size * size) for level in book.asks),
    )


def ticker_of(ticker: PerpTicker, now: datetime) -> Ticker:
    interval = ticker.funding_interval_hours * 3_600_000
    return Ticker(
        time_ms=to_ms(now),
        last=ticker.last,
        mark=ticker.mark,
        index=ticker.index,
        funding_rate=ticker.funding_rate,
        next_funding_ms=to_ms(ticker.next_funding_time) if ticker.next_funding_time else None,
        funding_interval_ms=int(interval),
    )


def trade_of(trade: PublicTrade, market: Market) -> Trade:
    return Trade(trade.trade_id, to_ms(trade.timestamp), trade.price, trade.amount * market.contract_size)


# -- the paper venue's answers --------------------------------------------------------------------------------------


def new_order(request: OrderRequest, market: Market) -> NewOrder:
    return NewOrder(
        category=Category.LINEAR,
        symbol=paper_name(market),
        side=SimSide.BUY if request.side is Side.BUY else SimSide.SELL,
        order_type=OrderType.LIMIT,
        qty=request.amount * market.contract_size,
        price=request.price,
        time_in_force=TimeInForce.POST_ONLY if request.post_only else TimeInForce.GTC,
        reduce_only=request.reduce_only,
        link_id=request.client_order_id,
    )


def order_from(order: SimOrder, market: Market) -> Order:
    size = market.contract_size
    return Order(
        symbol=market.symbol,
        side=_side(order.side),
        amount=order.qty / size,
        price=order.price,
        status=_STATUSES[order.status],
        client_order_id=order.link_id or None,
        order_id=order.order_id,
        filled=order.cum_qty / size,
        average_price=order.avg_price,
        reduce_only=order.reduce_only,
        post_only=order.time_in_force is TimeInForce.POST_ONLY,
        timestamp=utc_from_ms(order.created_ms),
        reject_reason=None if order.reject_reason == "EC_NoError" else order.reject_reason,
    )


def fill_from(execution: Execution, market: Market) -> Fill:
    return Fill(
        trade_id=execution.exec_id,
        order_id=execution.order_id or None,
        client_order_id=execution.link_id or None,
        symbol=market.symbol,
        side=_side(execution.side),
        amount=execution.qty / market.contract_size,
        price=execution.price,
        fee=execution.fee,
        fee_currency=execution.fee_coin,
        maker=execution.is_maker,
        timestamp=utc_from_ms(execution.time_ms),
    )


def funding_from(execution: Execution, market: Market) -> FundingPayment:
    """A settlement: the paper venue records what the account paid; the bot, what it received."""
    assert execution.exec_type is ExecType.FUNDING
    return FundingPayment(
        payment_id=execution.exec_id,
        symbol=market.symbol,
        amount=-execution.fee,
        currency=execution.fee_coin,
        rate=execution.fee_rate,
        position_contracts=_side(execution.side).sign * execution.qty / market.contract_size,
        timestamp=utc_from_ms(execution.time_ms),
    )


def position_from(view: PositionView, market: Market, now: datetime) -> Position:
    position = view.position
    mode = MarginMode.ISOLATED if view.margin_mode is SimMarginMode.ISOLATED else MarginMode.CROSS
    return Position(
        symbol=market.symbol,
        contracts=position.size / market.contract_size if position else ZERO,
        entry_price=position.entry if position else None,
        mark_price=view.mark,
        liquidation_price=view.liquidation,
        leverage=view.leverage,
        margin_mode=mode,
        unrealized_pnl=view.unrealised,
        timestamp=now,
        margin=view.initial if position else None,
    )


def balances_from(rows: Iterable[CoinBalance]) -> dict[str, Balance]:
    return {
        row.coin: Balance(asset=row.coin, free=row.free, used=row.used, total=row.wallet)
        for row in rows
        if row.coin == QUOTE or row.wallet != 0 or row.used != 0
    }


def book_from(view: BookView, market: Market, now: datetime) -> OrderBook:
    """The observed book with the paper orders resting in it, as the venue would show ours."""
    size = market.contract_size
    return OrderBook(
        symbol=market.symbol,
        bids=tuple(BookLevel(level.price, level.size / size) for level in view.bids),
        asks=tuple(BookLevel(level.price, level.size / size) for level in view.asks),
        timestamp=now,
    )


def rejection(exc: SimReject, what: str) -> ExchangeError:
    """The bot's exception for the paper venue's refusal."""
    ours = _REJECTIONS.get(exc.ret_code, OrderRejected)
    return ours(f"paper venue: {what}: {exc.message} ({exc.ret_code})")


def margin_mode_of(mode: MarginMode) -> SimMarginMode:
    return SimMarginMode.ISOLATED if mode is MarginMode.ISOLATED else SimMarginMode.CROSS


def _side(side: SimSide) -> Side:
    return Side.BUY if side is SimSide.BUY else Side.SELL
