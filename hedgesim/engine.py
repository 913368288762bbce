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
from hedgesim.orders import ExecType

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
