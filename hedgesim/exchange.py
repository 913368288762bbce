"""A simulated venue over any market: the account, orders and fills, liquidations and funding as its clock moves.

``Exchange`` is the venue's Python API whatever the market it trades on (a ``hedgesim.source.MarketSource``):
``SimExchange`` (``hedgesim.engine``) replays recorded candles; hedgebot's dry-run runs one over a live venue's
observed book and trades (``hedgesim.live``). Every public method first brings the venue up to the clock's time
(``sync``): resting orders fill, liquidations and funding settle, in time order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

import structlog

from hedgesim import balances, risk, trading, views
from hedgesim.account import Account
from hedgesim.clock import Clock, ManualClock, to_ms
from hedgesim.config import SimConfig
from hedgesim.enums import MarginMode, Side
from hedgesim.errors import SimReject
from hedgesim.instruments import Category, Instrument
from hedgesim.keys import KeyPermissions
from hedgesim.orders import Execution, NewOrder, OrderType, SimOrder
from hedgesim.source import MarketSource
from hedgesim.state import Ids, Venue

log = structlog.get_logger(__name__)


class Exchange:
    """A Bybit-like unified account trading the instruments of ``market`` on ``clock``."""

    def __init__(
        self,
        config: SimConfig,
        clock: Clock,
        market: MarketSource,
        instruments: Mapping[tuple[Category, str], Instrument],
        balances: Mapping[str, Decimal],
    ) -> None:
        self.config = config
        self.clock = clock
        self.venue = Venue(
            instruments=dict(instruments),
            market=market,
            account=Account(balances, config.fees, config.default_leverage, config.margin_mode),
            ids=Ids(config.seed),
            participation=config.participation,
            collateral=config.collateral,
        )
        self.processed_ms = self.now_ms()  # the venue is up to date with the market until here
        self.key = config.key  # the API key's permissions (/v5/user/query-api), changeable with set_key

    # time ---------------------------------------------------------------------------------------------------

    def now_ms(self) -> int:
        return to_ms(self.clock.now())

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
        market = venue.market
        step = market.step_ms()
        while self.processed_ms < now:
            start = self.processed_ms
            settlements = {base: market.next_funding(base, start) for base in self._funded()}
            due = min((ms for ms, _ in settlements.values()), default=now)
            if not venue.account.positions and not venue.orders.open_orders():
                end = min(now, due)  # nothing can fill or be liquidated: jump to the next event
            else:
                end = min(now, due, start + step)
                trading.fill_resting(venue, start, end)
                risk.liquidate_crossed(venue, start, end)
            for base, (exchange_ms, rate) in settlements.items():
                if exchange_ms <= end:
                    risk.settle_funding(venue, base, rate, end)
            self.processed_ms = end
            venue.consumed.clear()  # the book refills as the market moves on

    def _funded(self) -> list[str]:
        """The perpetuals' base assets whose funding settles."""
        return sorted(i.base for i in self.venue.instruments.values() if i.category is Category.LINEAR)

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
