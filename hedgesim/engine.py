"""The simulated exchange's engine: its Python API, and time moving the market, fills, liquidations and funding."""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import structlog

from hedgesim import balances, risk, trading, views
from hedgesim.account import Account
from hedgesim.clock import Clock, ManualClock, SystemClock, to_ms, utc_from_ms
from hedgesim.config import SimConfig, default_balances
from hedgesim.enums import MarginMode, Side
from hedgesim.errors import SimReject
from hedgesim.instruments import Category, Instrument, perp_instrument, spot_instrument
from hedgesim.jsonable import plain
from hedgesim.keys import KeyPermissions
from hedgesim.market import Market, Timeline, market_start
from hedgesim.marketdata import Sample, load_sample
from hedgesim.orders import ExecType, Execution, NewOrder, OrderType, SimOrder
from hedgesim.state import Ids, Venue

log = structlog.get_logger(__name__)


class SimExchange:
    """A Bybit-like exchange replaying real market data: usable in-process, and served over HTTP by the
    Bybit v5 layer (``hedgesim.bybit``).

    Exchange time is the injected clock. Market (historical) time is mapped from it by the timeline; in the
    deterministic mode (``SimExchange.deterministic``) a ``ManualClock`` starts at the historical start, so the
    two coincide, and nothing happens until ``advance``. Every public method first brings the venue up to the
    clock's time (``sync``): prices move, resting orders fill, liquidations and funding settle, in time order.
    """

    def __init__(self, config: SimConfig, clock: Clock, sample: Sample | None = None) -> None:
        self.config = config
        self.clock = clock
        sample = sample or load_sample(config.sample)
        now_ms = to_ms(clock.now())
        timeline = Timeline(now_ms, market_start(sample, config.start), config.speed)
        market = Market(sample, timeline)
        self.venue = Venue(
            instruments=_instruments(market, config),
            market=market,
            account=Account(
                config.balances if config.balances is not None else default_balances(sample),
                config.fees,
                config.default_leverage,
                config.margin_mode,
            ),
            ids=Ids(config.seed),
            participation=config.participation,
            collateral=config.collateral,
        )
        self._step_ms = max(1, round(market.shortest_interval_ms() / 3 / config.speed))
        self._processed_ms = now_ms
        self._funding: dict[str, tuple[int, Decimal]] = {  # each perpetual's next settlement: exchange ms, rate
            base: market.next_funding(base, now_ms) for base in market.listed(Category.LINEAR)
        }
        self._ended_logged = False
        self.key = config.key  # the API key's permissions (/v5/user/query-api), changeable with set_key

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

    def now_ms(self) -> int:
        return to_ms(self.clock.now())

    def market_time(self) -> datetime:
        return utc_from_ms(self.venue.market.market_time(self.now_ms()))

    @property
    def sample_ended(self) -> bool:
        return self.venue.market.ended(self.now_ms())

    def advance(self, delta: timedelta) -> None:
        """Move a deterministic exchange's clock forward and process everything that happens on the way."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance() needs a ManualClock; a real-time exchange follows the system clock")
        self.clock.advance(delta)
        self.sync()

    def sync(self) -> None:
        """Process the market from the last processed moment up to the clock's now, step by step."""
        now = self.now_ms()
        venue = self.venue
        while self._processed_ms < now:
            due = min(ms for ms, _ in self._funding.values()) if self._funding else now
            start = self._processed_ms
            if not venue.account.positions and not venue.orders.open_orders():
                end = min(now, due)  # nothing can fill or be liquidated: jump to the next event
            else:
                end = min(now, due, start + self._step_ms)
                trading.fill_resting(venue, start, end)
                risk.liquidate_crossed(venue, start, end)
            for base, (exchange_ms, rate) in list(self._funding.items()):
                if exchange_ms <= end:
                    risk.settle_funding(venue, base, rate, end)
                    self._funding[base] = venue.market.next_funding(base, exchange_ms)
            self._processed_ms = end
            venue.consumed.clear()  # the book refills as the market moves on
        if not self._ended_logged and venue.market.ended(now):
            self._ended_logged = True
            log.info("sim.sample.ended", sample=venue.market.sample.name, market_time=self.market_time())

    # trading ------------------------------------------------------------------------------------------------

    def instruments(self, category: Category) -> list[Instrument]:
        return sorted((i for i in self.venue.instruments.values() if i.category is category), key=lambda i: i.name)

    def instrument(self, category: Category, name: str) -> Instrument:
        return self.venue.instrument(category, name)

    def place_order(self, request: NewOrder) -> SimOrder:
        self.sync()
        return trading.place(self.venue, request, self.now_ms())

    def cancel_order(
        self, category: Category, symbol: str, order_id: str | None = None, link_id: str | None = None
    ) -> SimOrder:
        self.sync()
        self.venue.instrument(category, symbol)
        return trading.cancel(self.venue, category, symbol, order_id, link_id, self.now_ms())

    def cancel_all(self, category: Category, symbol: str | None = None, base: str | None = None) -> list[SimOrder]:
        self.sync()
        orders = [
            o
            for o in self.venue.orders.open_orders(category, symbol)
            if base is None or self.venue.instrument(category, o.symbol).base == base
        ]
        return [trading.cancel(self.venue, category, o.symbol, o.order_id, None, self.now_ms()) for o in orders]

    def trade(self, category: Category, symbol: str, side: str, qty: Decimal) -> SimOrder:
        """A market order placed outside the API (someone else on the same account, e.g. the web app)."""
        order = NewOrder(category, symbol, Side(side.lower()), OrderType.MARKET, qty)
        log.info("sim.external.trade", symbol=symbol, side=side, qty=qty)
        return self.place_order(order)

    def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        """Set a perpetual's leverage (1 .. the instrument's maximum); the same value again is Bybit's 110043."""
        self.sync()
        instrument = self.venue.linear(symbol)
        if not 1 <= leverage <= instrument.max_leverage:
            raise SimReject(10001, f"leverage invalid: must be between 1 and {instrument.max_leverage}")
        if leverage == self.venue.account.leverage_of(symbol):
            raise SimReject(110043, "leverage not modified")
        available = balances.available(self.venue, self.now_ms())
        self.venue.account.set_leverage(symbol, leverage, available)

    def set_margin_mode(self, mode: MarginMode) -> None:
        """Switch the unified account between isolated and cross margin; refused while perpetuals are open."""
        self.sync()
        if mode is self.venue.account.margin_mode:
            return
        if self.venue.account.positions or self.venue.orders.open_orders(Category.LINEAR):
            reason = {"reasonCode": "3400045", "reasonMsg": "You have open positions or active orders"}
            raise SimReject(3400045, "Set margin mode failed", {"reasons": [reason]})
        self.venue.account.margin_mode = mode

    def set_hedge_mode(self, hedged: bool) -> None:
        """Switch position mode (hedge mode is accepted but the simulator trades one-way mode only)."""
        self.sync()
        if hedged == self.venue.account.hedge_mode:
            raise SimReject(110025, "Position mode is not modified")
        if self.venue.account.positions:
            raise SimReject(110024, "You have an existing position, so position mode cannot be switched")
        if self.venue.orders.open_orders(Category.LINEAR):
            raise SimReject(110028, "Open orders exist, so you cannot change position mode")
        self.venue.account.hedge_mode = hedged

    def set_key(self, key: KeyPermissions) -> None:
        """Change what the API key may do (its owner editing it on the web site)."""
        self.key = key
        log.info("sim.key.changed", read_only=key.read_only, transfer=key.transfer, withdraw=key.withdraw, ips=key.ips)

    def deposit(self, coin: str, qty: Decimal) -> None:
        self.sync()
        self.venue.account.deposit(coin, qty)
        log.info("sim.account.deposit", coin=coin, qty=qty)

    def withdraw(self, coin: str, qty: Decimal) -> None:
        """A transfer out of the account; refused (131001) beyond what is free, or when in cross margin the
        collateral it takes would leave the account's margin short."""
        self.sync()
        now = self.now_ms()
        if qty > 0 and balances.collateral_loss(self.venue, coin, qty, now) > balances.available(self.venue, now):
            raise SimReject(131001, f"the available balance is not sufficient: {coin} backs open positions")
        self.venue.account.withdraw(coin, qty, balances.coin_free(self.venue, coin, now))
        log.info("sim.account.withdraw", coin=coin, qty=qty)

    # market faults ------------------------------------------------------------------------------------------

    def gap(self, base: str, move: Decimal) -> None:
        """Jump every price of ``base`` by ``move`` (-0.30: a 30 % crash) in one step; resting orders the jump
        went through fill, and a position whose liquidation price it crossed is liquidated."""
        self.sync()
        now = self.now_ms()
        self.venue.market.gap(base, move)
        log.warning("sim.market.gap", base=base, move=move)
        trading.fill_gap(self.venue, base, now)
        risk.liquidate_crossed(self.venue, now, now)

    def freeze(self, base: str | None = None) -> None:
        """Serve stale public market data for ``base`` (every asset for None) from now on; trading continues."""
        self.sync()
        self.venue.market.freeze(base, self.now_ms())

    def unfreeze(self, base: str | None = None) -> None:
        self.venue.market.unfreeze(base)

    # inspection ---------------------------------------------------------------------------------------------

    @property
    def executions(self) -> list[Execution]:
        return self.venue.executions

    def balances(self) -> list[balances.CoinBalance]:
        self.sync()
        return balances.coin_balances(self.venue, self.now_ms())

    def position(self, symbol: str) -> views.PositionView:
        self.sync()
        return views.position_view(self.venue, symbol, self.now_ms())

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
                "sample": venue.market.sample.name,
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
