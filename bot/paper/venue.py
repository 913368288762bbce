"""The paper venue: the simulator's Exchange over a LiveMarket, in the bot's terms, kept in its own file.

Its clock is the moment it last observed the market (``observed``): orders are placed and matched as of then, so
a trade is never missed because the paper venue ran ahead of what was read, and one read after an order was placed
can fill it. Every change is saved at once (``store``); a read-only paper venue (``hedgebot status --dry-run``)
shows the saved state valued at the prices it is given, and refuses every change.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import structlog

from bot.clock import Clock, to_ms, utc_from_ms
from bot.domain import (
    Balance,
    FeeRates,
    Fill,
    FundingPayment,
    MarginMode,
    Market,
    Order,
    OrderBook,
    PerpTicker,
    Position,
)
from bot.domain import PublicTrade as PublicTradeValue
from bot.errors import DataError, PostOnlyWouldTake, PreflightError, WriteRefused
from bot.exchange.convert import flat_position
from bot.exchange.port import OrderRequest
from bot.paper import convert, store
from hedgesim import MarketDataError, SimConfig, SimReject
from hedgesim.exchange import Exchange
from hedgesim.instruments import Category
from hedgesim.live import LiveMarket
from hedgesim.orders import ExecType, Execution
from hedgesim.persist import dump, load
from hedgesim.views import book as book_view
from hedgesim.views import position_view

log = structlog.get_logger(__name__)

FORMAT = 1
PARTICIPATION = Decimal("0.25")  # the share of the volume traded through a resting order that fills it


P = ParamSpec("P")
R = TypeVar("R")


def _priced(method: Callable[P, R]) -> Callable[P, R]:
    """A paper venue that cannot price something (nothing observed yet) says so as the bot's ``DataError``."""

    @functools.wraps(method)
    def priced(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except MarketDataError as exc:
            raise DataError(f"paper venue: {exc}") from exc

    return priced


class _Observed:
    """The paper venue's clock: the moment the market was last observed."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


class PaperVenue:
    """One dry run's venue: its instruments (the listed perpetuals it was asked about), account and records."""

    def __init__(
        self,
        path: Path,
        venue: str,
        exchange: Exchange,
        market: LiveMarket,
        observed: _Observed,
        markets: Mapping[str, Market],
        *,
        read_only: bool,
    ) -> None:
        self.path = path
        self.venue = venue
        self.exchange = exchange
        self.market = market
        self.read_only = read_only
        self._observed = observed
        self._markets = dict(markets)  # every listed perpetual, by symbol
        self._fees: dict[str, FeeRates] = {}  # the account's rates on each instrument, as the venue gave them
        self._by_name = {convert.paper_name(m): m for m in self._markets.values()}

    @classmethod
    def open(
        cls,
        path: Path,
        venue: str,
        markets: Mapping[str, Market],
        clock: Clock,
        *,
        initial: Mapping[str, Decimal],
        margin_mode: MarginMode,
        read_only: bool = False,
    ) -> PaperVenue:
        """The saved paper venue at ``path``, or a new one holding ``initial`` coins (the venue's margin wallet)."""
        perps = {s: m for s, m in markets.items() if m.settle == convert.QUOTE and ":" in s}
        saved = store.load(path)
        if saved is not None and saved.get("venue") != venue:
            raise PreflightError(f"{path} is the paper venue of {saved.get('venue')!r}, not of {venue!r}")
        market = LiveMarket()
        observed = _Observed(clock.now())
        config = SimConfig(
            margin_mode=convert.margin_mode_of(margin_mode),
            default_leverage=Decimal(1),
            participation=PARTICIPATION,
        )
        exchange = Exchange(config, observed, market, {}, initial if saved is None else {})
        paper = cls(path, venue, exchange, market, observed, perps, read_only=read_only)
        if saved is None:
            log.info("paper.opened", path=str(path), venue=venue, balances=dict(initial))
            return paper
        if saved.get("format") != FORMAT:
            raise PreflightError(f"{path} was written by another version (format {saved.get('format')!r})")
        for symbol in saved["instruments"]:
            paper.instrument(symbol)
        for symbol, rates in saved["fees"].items():
            paper.set_fees(symbol, FeeRates(Decimal(rates["maker"]), Decimal(rates["taker"])))
        market.load(saved["market"])
        load(exchange, saved["state"])
        observed.moment = utc_from_ms(exchange.processed_ms)
        log.info("paper.resumed", path=str(path), venue=venue, since=observed.moment)
        return paper

    # -- instruments and observations ---------------------------------------------------------------------------

    def market_of(self, symbol: str) -> Market | None:
        return self._markets.get(symbol)

    def instrument(self, symbol: str) -> Market:
        """The listed perpetual ``symbol``, made a paper instrument on first use; ``KeyError`` if not listed."""
        market = self._markets[symbol]
        instrument = convert.instrument_for(market)
        self.exchange.venue.instruments.setdefault(instrument.key, instrument)
        return market

    def knows_fees(self, symbol: str) -> bool:
        return symbol in self._fees

    def set_fees(self, symbol: str, rates: FeeRates) -> None:
        """The venue's fee rates for the account on ``symbol``; the paper account pays the highest it knows."""
        self._fees[symbol] = rates
        self.exchange.venue.account.fees = convert.fees_from(self._fees.values())
        log.info("paper.fees", symbol=symbol, maker=rates.maker, taker=rates.taker)

    def traded(self) -> list[str]:
        """The symbols with a paper position or resting order: what must be watched for fills and funding."""
        venue = self.exchange.venue
        names = set(venue.account.positions) | {o.symbol for o in venue.orders.open_orders()}
        return sorted(self._by_name[name].symbol for name in names)

    def observed_at(self) -> datetime:
        return self._observed.moment

    def observe_book(self, book: OrderBook, now: datetime) -> None:
        market = self._markets.get(book.symbol)
        if market is not None:
            self.market.observe_book(Category.LINEAR, market.base, convert.book_of(book, market, now))

    def observe_tickers(self, tickers: Iterable[PerpTicker], now: datetime) -> None:
        for ticker in tickers:
            market = self._markets.get(ticker.symbol)
            if market is not None:
                self.market.observe_ticker(market.base, convert.ticker_of(ticker, now))

    def ages(self, symbol: str, now: datetime) -> tuple[float | None, float | None]:
        """Seconds since the book and the ticker of ``symbol`` were observed; None if never."""
        base = self.instrument(symbol).base
        book = self.market.book(Category.LINEAR, base)
        ticker = self.market.last_tickers().get(base)

        def age(seen_ms: int | None) -> float | None:
            return None if seen_ms is None else (to_ms(now) - seen_ms) / 1000

        return age(book.time_ms if book else None), age(ticker.time_ms if ticker else None)

    @_priced
    def catch_up(self, trades: Mapping[str, list[PublicTradeValue]], now: datetime) -> None:
        """Everything the market did up to ``now``: the trades read since the last catch-up fill what they went
        through, funding settles, and the state is saved."""
        for symbol, rows in trades.items():
            market = self.instrument(symbol)
            self.market.observe_trades(Category.LINEAR, market.base, (convert.trade_of(t, market) for t in rows))
        if self.read_only:
            return
        self._observed.moment = max(self._observed.moment, now)
        self.exchange.sync()
        self.market.forget_before(self.exchange.processed_ms - 60_000)
        self.save()

    # -- the account --------------------------------------------------------------------------------------------

    @_priced
    def balances(self) -> dict[str, Balance]:
        return convert.balances_from(self.exchange.balances())

    @_priced
    def position(self, symbol: str) -> Position:
        market = self.instrument(symbol)
        if convert.paper_name(market) not in self.exchange.venue.account.positions:
            return flat_position(symbol, self.observed_at())
        view = position_view(self.exchange.venue, convert.paper_name(market), to_ms(self.observed_at()))
        return convert.position_from(view, market, self.observed_at())

    def open_orders(self, symbols: Iterable[str]) -> list[Order]:
        wanted = {convert.paper_name(m) for s in symbols if (m := self.market_of(s)) is not None}
        return [
            convert.order_from(o, self._by_name[o.symbol])
            for o in self.exchange.venue.orders.open_orders(Category.LINEAR)
            if o.symbol in wanted
        ]

    def order(self, symbol: str, order_id: str | None, client_order_id: str | None) -> Order | None:
        market = self.instrument(symbol)
        found = [
            o
            for o in self.exchange.venue.orders.find(order_id, client_order_id, recent_only=False)
            if o.symbol == convert.paper_name(market)
        ]
        return convert.order_from(found[0], market) if found else None

    def fills(self, symbol: str, since: datetime | None) -> list[Fill]:
        market = self.instrument(symbol)
        return [
            convert.fill_from(e, market)
            for e in self._executions(market, since)
            if e.exec_type in (ExecType.TRADE, ExecType.BUST)
        ]

    def funding(self, symbol: str, since: datetime | None) -> list[FundingPayment]:
        market = self.instrument(symbol)
        return [
            convert.funding_from(e, market) for e in self._executions(market, since) if e.exec_type is ExecType.FUNDING
        ]

    def leverage(self, symbol: str) -> Decimal:
        return self.exchange.venue.account.leverage_of(convert.paper_name(self.instrument(symbol)))

    @_priced
    def book(self, observed: OrderBook) -> OrderBook:
        """The book ``observed`` at the venue, with our paper orders resting in it."""
        market = self.instrument(observed.symbol)
        instrument = self.exchange.instrument(Category.LINEAR, convert.paper_name(market))
        depth = max(len(observed.bids), len(observed.asks))
        view = book_view(self.exchange.venue, instrument, to_ms(self.observed_at()), depth)
        return convert.book_from(view, market, observed.timestamp)

    # -- changes ------------------------------------------------------------------------------------------------

    @_priced
    def place(self, request: OrderRequest) -> Order:
        market = self.instrument(request.symbol)
        self._writable(f"place {request.side} {request.amount} {request.symbol}")
        try:
            placed = self.exchange.place_order(convert.new_order(request, market))
        except SimReject as exc:
            raise convert.rejection(exc, f"place_order {request.client_order_id}") from exc
        finally:
            self.save()
        order = convert.order_from(placed, market)
        log.info("paper.order.placed", symbol=order.symbol, client_order_id=order.client_order_id, status=order.status)
        if placed.reject_reason == convert.POST_ONLY_WOULD_TAKE:
            raise PostOnlyWouldTake(
                f"paper venue: post-only {request.side} {request.amount} {request.symbol} @ {request.price} would "
                "take liquidity: cancelled"
            )
        return order

    @_priced
    def cancel(self, symbol: str, order_id: str | None, client_order_id: str | None) -> None:
        market = self.instrument(symbol)
        self._writable(f"cancel {client_order_id or order_id}")
        try:
            self.exchange.cancel_order(Category.LINEAR, convert.paper_name(market), order_id, client_order_id)
        except SimReject as exc:
            raise convert.rejection(exc, f"cancel_order {client_order_id or order_id}") from exc
        self.save()

    def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        market = self.instrument(symbol)
        self._writable(f"set leverage {leverage} on {symbol}")
        try:
            self.exchange.set_leverage(convert.paper_name(market), leverage)
        except SimReject as exc:
            if exc.ret_code != 110043:  # not modified: already so
                raise convert.rejection(exc, f"set_leverage {symbol} {leverage}") from exc
        self.save()

    def set_margin_mode(self, mode: MarginMode) -> None:
        self._writable(f"set {mode.value} margin")
        try:
            self.exchange.set_margin_mode(convert.margin_mode_of(mode))
        except SimReject as exc:
            raise convert.rejection(exc, f"set_margin_mode {mode.value}") from exc
        self.save()

    def save(self) -> None:
        if self.read_only:
            return
        names = {convert.paper_name(m): s for s, m in self._markets.items()}
        instruments = sorted(names[i.name] for i in self.exchange.venue.instruments.values())
        state: dict[str, Any] = {
            "format": FORMAT,
            "venue": self.venue,
            "instruments": instruments,
            "fees": {s: {"maker": str(r.maker), "taker": str(r.taker)} for s, r in sorted(self._fees.items())},
            "market": self.market.dump(),
            "state": dump(self.exchange),
        }
        store.save(self.path, state)

    def _writable(self, what: str) -> None:
        if self.read_only:
            raise WriteRefused(f"a read-only paper venue refused to {what}")

    def _executions(self, market: Market, since: datetime | None) -> list[Execution]:
        name = convert.paper_name(market)
        start = to_ms(since) if since is not None else 0
        return [e for e in self.exchange.executions if e.symbol == name and e.time_ms >= start]
