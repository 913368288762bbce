"""SimExchange: the simulated venue replaying recorded market data, its Python API and its market faults."""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog

from hedgesim import balances, risk, trading, views
from hedgesim.clock import Clock, ManualClock, SystemClock, to_ms, utc_from_ms
from hedgesim.config import SimConfig, default_balances
from hedgesim.exchange import Exchange
from hedgesim.instruments import Category, Instrument, perp_instrument, spot_instrument
from hedgesim.jsonable import plain
from hedgesim.market import Market, Timeline, market_start
from hedgesim.marketdata import Sample, load_sample
from hedgesim.orders import ExecType, SimOrder

log = structlog.get_logger(__name__)


class SimExchange(Exchange):
    """A Bybit-like exchange replaying real market data: usable in-process, and served over HTTP by the
    Bybit v5 layer (``hedgesim.bybit``).

    Exchange time is the injected clock. Market (historical) time is mapped from it by the timeline; in the
    deterministic mode (``SimExchange.deterministic``) a ``ManualClock`` starts at the historical start, so the
    two coincide, and nothing happens until ``advance``. Every public method first brings the venue up to the
    clock's time (``sync``): prices move, resting orders fill, liquidations and funding settle, in time order.
    """

    def __init__(self, config: SimConfig, clock: Clock, sample: Sample | None = None) -> None:
        sample = sample or load_sample(config.sample)
        timeline = Timeline(to_ms(clock.now()), market_start(sample, config.start), config.speed)
        self.market = Market(sample, timeline)  # the replayed market, its faults and its history
        initial = config.balances if config.balances is not None else default_balances(sample)
        super().__init__(config, clock, self.market, _instruments(self.market, config), initial)
        self._ended_logged = False

    @classmethod
    def deterministic(cls, config: SimConfig | None = None, sample: Sample | None = None) -> SimExchange:
        """An exchange on a manual clock at the replay's historical start: time moves only with ``advance``."""
        config = config or SimConfig()
        sample = sample or load_sample(config.sample)
        return cls(config, ManualClock(utc_from_ms(market_start(sample, config.start))), sample)

    @classmethod
    def realtime(cls, config: SimConfig | None = None) -> SimExchange:
        """An exchange on the system clock, replaying from the start at ``config.speed``."""
        return cls(config or SimConfig(), SystemClock())

    # time ---------------------------------------------------------------------------------------------------

    def market_time(self) -> datetime:
        return utc_from_ms(self.market.market_time(self.now_ms()))

    @property
    def sample_ended(self) -> bool:
        return self.market.ended(self.now_ms())

    def sync(self) -> None:
        super().sync()
        if not self._ended_logged and self.market.ended(self.now_ms()):
            self._ended_logged = True
            log.info("sim.sample.ended", sample=self.market.sample.name, market_time=self.market_time())

    # market faults ------------------------------------------------------------------------------------------

    def gap(self, base: str, move: Decimal) -> None:
        """Jump every price of ``base`` by ``move`` (-0.30: a 30 % crash) in one step; resting orders the jump
        went through fill, and a position whose liquidation price it crossed is liquidated."""
        self.sync()
        now = self.now_ms()
        self.market.gap(base, move)
        log.warning("sim.market.gap", base=base, move=move)
        trading.fill_gap(self.venue, base, now)
        risk.liquidate_crossed(self.venue, now, now)

    def freeze(self, base: str | None = None) -> None:
        """Serve stale public market data for ``base`` (every asset for None) from now on; trading continues."""
        self.sync()
        self.market.freeze(base, self.now_ms())

    def unfreeze(self, base: str | None = None) -> None:
        self.market.unfreeze(base)

    # what the venue shows a client (the Bybit routes and an in-process port read the same views) ---------

    def ticker(self, category: Category, name: str) -> views.TickerView:
        """The 24 h ticker of one instrument now (as of the freeze moment when its public data is stale)."""
        self.sync()
        return views.ticker(self.venue, self.market, self.venue.instrument(category, name), self.now_ms())

    def quote(self, category: Category, name: str) -> views.QuoteView:
        """The ticker's prices without its 24 h figures (cheaper): last, the top of the book, mark and funding."""
        self.sync()
        return views.quote(self.venue, self.venue.instrument(category, name), self.now_ms())

    def order_book(self, category: Category, name: str, depth: int) -> views.BookView:
        """The top ``depth`` levels a side of one instrument's book now, our resting orders included."""
        self.sync()
        return views.book(self.venue, self.venue.instrument(category, name), self.now_ms(), depth)

    def bars(self, category: Category, name: str, interval_ms: int, limit: int) -> list[views.BarView]:
        """The last ``limit`` candles of ``interval_ms`` up to now (the last one forming), oldest first."""
        self.sync()
        instrument = self.venue.instrument(category, name)
        rows = self.market.bars(category, instrument.base, interval_ms, self.now_ms(), limit, None)
        return [
            views.BarView(start, _on_tick(instrument, ohlc), volume, turnover)
            for start, ohlc, volume, turnover in reversed(rows)
        ]

    def open_orders(self, category: Category | None = None, symbol: str | None = None) -> list[SimOrder]:
        """Open orders (of a category, of one instrument by venue name), newest first (by order of creation)."""
        self.sync()
        return sorted(self.venue.orders.open_orders(category, symbol), key=self.venue.orders.number, reverse=True)

    def find_orders(self, order_id: str | None, link_id: str | None, *, recent_only: bool) -> list[SimOrder]:
        """Orders by venue id or client id, newest first: open ones, and closed ones (only the account's most
        recent ones when ``recent_only``, as Bybit's /v5/order/realtime answers)."""
        self.sync()
        return self.venue.orders.find(order_id, link_id, recent_only)

    # inspection ---------------------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything the exchange holds, JSON-ready (Decimals as strings): for tests and the control API."""
        self.sync()
        now = self.now_ms()
        venue = self.venue
        rows = balances.coin_balances(venue, now)
        prices = {}
        for instrument in venue.instruments.values():
            entry = {"last": venue.last(instrument, now)}
            if instrument.category is Category.LINEAR:
                entry |= {"mark": venue.mark(instrument, now), "index": venue.index(instrument, now)}
            prices[instrument.symbol] = entry
        state: dict[str, Any] = plain(
            {
                "time": self.clock.now(),
                "market_time": self.market_time(),
                "sample": self.market.sample.name,
                "sample_ended": self.sample_ended,
                "margin_mode": venue.account.margin_mode,
                "hedge_mode": venue.account.hedge_mode,
                "prices": prices,
                "balances": {
                    r.coin: {"wallet": r.wallet, "locked": r.locked, "used": r.used, "free": r.free, "equity": r.equity}
                    for r in rows
                },
                "positions": [_as_dict(views.position_view(venue, s, now)) for s in venue.account.positions],
                "leverage": dict(venue.account.leverage),
                "open_orders": [_as_dict(o) for o in venue.orders.open_orders()],
                "orders": [_as_dict(o) for o in venue.orders],
                "executions": [_as_dict(e) for e in venue.executions if e.exec_type is ExecType.TRADE],
                "funding": [_as_dict(e) for e in venue.executions if e.exec_type is ExecType.FUNDING],
                "liquidations": [_as_dict(e) for e in venue.liquidations],
            }
        )
        return state


def _instruments(market: Market, config: SimConfig) -> dict[tuple[Category, str], Instrument]:
    listed: dict[tuple[Category, str], Instrument] = {}
    for base in market.listed(Category.SPOT):
        instrument = spot_instrument(base, market.first_price(Category.SPOT, base))
        listed[instrument.key] = instrument
    for base in market.listed(Category.LINEAR):
        interval = market.funding_schedule(base).interval_minutes
        instrument = perp_instrument(base, market.first_price(Category.LINEAR, base), interval)
        listed[instrument.key] = instrument
    return {k: replace(i, book=config.books.get(i.base, i.book)) for k, i in listed.items()}


def _on_tick(
    instrument: Instrument, ohlc: tuple[Decimal, Decimal, Decimal, Decimal]
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return (
        instrument.on_tick(ohlc[0]),
        instrument.on_tick(ohlc[1]),
        instrument.on_tick(ohlc[2]),
        instrument.on_tick(ohlc[3]),
    )


def _as_dict(value: Any) -> dict[str, Any]:
    """A record's fields, nested records too; an instrument is shown by its ccxt symbol."""
    out: dict[str, Any] = {}
    for field in fields(value):
        item = getattr(value, field.name)
        if isinstance(item, Instrument):
            out["symbol"] = item.symbol
        elif is_dataclass(item) and not isinstance(item, type):
            out[field.name] = _as_dict(item)
        else:
            out[field.name] = item
    return out
