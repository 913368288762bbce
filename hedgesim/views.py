"""Read-only views the venue publishes: tickers, order books, positions with their margin figures."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from hedgesim.account import Position
from hedgesim.book import Level, with_resting
from hedgesim.enums import MarginMode, Side
from hedgesim.instruments import Category, Instrument
from hedgesim.margin import position_im, position_mm
from hedgesim.market import Market
from hedgesim.paths import WindowStats
from hedgesim.risk import liquidation_price
from hedgesim.state import Venue

ZERO = Decimal(0)
HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class QuoteView:
    """A ticker's prices: last and the top of the book; perpetuals add mark, index and the next funding."""

    instrument: Instrument
    time_ms: int
    last: Decimal
    bid: Level
    ask: Level
    mark: Decimal | None = None
    index: Decimal | None = None
    funding_rate: Decimal | None = None
    next_funding_ms: int | None = None


@dataclass(frozen=True, slots=True)
class TickerView:
    """A 24 h ticker; perpetuals add mark, index, the next funding rate and its time."""

    instrument: Instrument
    time_ms: int
    last: Decimal
    bid: Level
    ask: Level
    day: WindowStats
    price_1h_ago: Decimal
    mark: Decimal | None = None
    index: Decimal | None = None
    funding_rate: Decimal | None = None
    next_funding_ms: int | None = None


@dataclass(frozen=True, slots=True)
class BookView:
    """The top of a book, as of ``time_ms``: bids best first, asks best first."""

    instrument: Instrument
    time_ms: int
    bids: list[Level]
    asks: list[Level]


@dataclass(frozen=True, slots=True)
class BarView:
    """One candle as the venue serves it: start (exchange ms), (open, high, low, close), volume, turnover."""

    start_ms: int
    ohlc: tuple[Decimal, Decimal, Decimal, Decimal]
    volume: Decimal
    turnover: Decimal


@dataclass(frozen=True, slots=True)
class PositionView:
    """A symbol's position row: flat (``position`` None) or open, with the figures Bybit reports."""

    instrument: Instrument
    position: Position | None
    leverage: Decimal
    margin_mode: MarginMode
    mark: Decimal
    cum_realised: Decimal
    touched_ms: int  # when the position last changed; 0 if the symbol was never traded
    created_ms: int  # when a position was first opened on the symbol; 0 if never
    seq: int  # the cross sequence of the symbol's last execution; -1 if never traded
    value: Decimal = ZERO  # at the entry price
    unrealised: Decimal = ZERO
    initial: Decimal = ZERO  # positionIM: the margin held plus the fee to close
    maintenance: Decimal = ZERO  # positionMM: maintenance margin on the entry value plus the fee to close
    liquidation: Decimal | None = None
    bankruptcy: Decimal | None = None


def quote(venue: Venue, instrument: Instrument, now_ms: int) -> QuoteView:
    """The ticker's prices without its 24 h figures, as of now (or the freeze moment when the data is stale)."""
    at = venue.market.public_ms(instrument.base, now_ms)
    top = book(venue, instrument, at, 1)
    last = instrument.on_tick(venue.last(instrument, at))
    if instrument.category is Category.SPOT:
        return QuoteView(instrument, at, last, top.bids[0], top.asks[0])
    next_ms, rate = venue.market.next_funding(instrument.base, at)
    mark, index = venue.mark(instrument, at), venue.index(instrument, at)
    return QuoteView(instrument, at, last, top.bids[0], top.asks[0], mark, index, rate, next_ms)


def ticker(venue: Venue, market: Market, instrument: Instrument, now_ms: int) -> TickerView:
    """The 24 h ticker of the replayed ``market`` as of now, or as of the freeze moment when the asset's public data
    is stale."""
    top = quote(venue, instrument, now_ms)
    at = top.time_ms
    return TickerView(
        instrument=instrument,
        time_ms=at,
        last=top.last,
        bid=top.bid,
        ask=top.ask,
        day=market.window(instrument.category, instrument.base, at),
        price_1h_ago=instrument.on_tick(market.last(instrument.category, instrument.base, at - HOUR_MS)),
        mark=top.mark,
        index=top.index,
        funding_rate=top.funding_rate,
        next_funding_ms=top.next_funding_ms,
    )


def book(venue: Venue, instrument: Instrument, now_ms: int, count: int) -> BookView:
    """``count`` levels a side: the market's book, less liquidity takers already took, plus our resting orders."""
    at = venue.market.public_ms(instrument.base, now_ms)
    bids, asks = (venue.market.top_levels(instrument, at, buy_side, count) for buy_side in (True, False))
    resting: dict[bool, dict[Decimal, Decimal]] = {True: {}, False: {}}
    for order in venue.orders.open_orders(instrument.category, instrument.name):
        side = resting[order.side is Side.BUY]
        side[order.price] = side.get(order.price, ZERO) + order.leaves_qty
    sides = []
    for buy_side, levels in ((True, bids), (False, asks)):
        taker = Side.SELL if buy_side else Side.BUY  # a taker sell eats bids
        taken = venue.consumed.get((instrument.category, instrument.name, taker))
        if taken:
            left = [Level(lv.price, lv.size - taken.get(lv.price, ZERO)) for lv in levels]
            levels = [lv for lv in left if lv.size > 0]
        sides.append(with_resting(levels, resting[buy_side], buy_side))
    return BookView(instrument, at, sides[0], sides[1])


def position_view(venue: Venue, symbol: str, now_ms: int) -> PositionView:
    instrument = venue.linear(symbol)
    account = venue.account
    position = account.positions.get(symbol)
    mark = venue.mark(instrument, now_ms)
    view = PositionView(
        instrument=instrument,
        position=position,
        leverage=account.leverage_of(symbol),
        margin_mode=account.margin_mode,
        mark=mark,
        cum_realised=account.cum_realised.get(symbol, ZERO),
        touched_ms=account.touched.get(symbol, 0),
        created_ms=account.first_opened.get(symbol, 0),
        seq=account.seq.get(symbol, -1),
    )
    if position is None:
        return view
    liquidation, bankruptcy = liquidation_price(venue, symbol, now_ms)
    taker = account.fees.rate(Category.LINEAR, maker=False)
    return replace(
        view,
        value=abs(position.size) * position.entry,
        unrealised=account.unrealised(symbol, mark),
        initial=position_im(position.margin, position.size, position.entry, view.leverage, taker),
        maintenance=position_mm(instrument, position.size, position.entry, view.leverage, taker),
        liquidation=instrument.on_tick(liquidation) if liquidation is not None else None,
        bankruptcy=instrument.on_tick(bankruptcy) if bankruptcy is not None else None,
    )
