"""The one exchange port: the async operations the bot needs from a venue, in domain values, in two halves.

``VenueReader`` is the read half: markets, prices, public trades, wallets, positions, orders and fills; nothing in
it changes the venue. ``ExchangePort`` adds the write half: orders, cancels, account settings (leverage, margin
mode, position mode) and the venue's own dead-man's switch. The ccxt adapter implements both for real venues and
for the local simulator (over HTTP); a dry run builds the reader alone and trades on a paper venue (``bot.paper``),
so no write reaches the venue.

Quantities are contracts for perpetuals and base units for spot; every method raises only
``bot.errors.ExchangeError`` subclasses (and ``ValueError`` for arguments that break this contract, before anything
is sent). Reads and cancels may be retried by the implementation; ``place_order`` never is: after an ambiguous
failure it raises ``AmbiguousOrderOutcome`` and the caller looks the order up by client id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from bot.domain import (
    Balance,
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
    SpotQuote,
)


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """An order to send: a post-only limit order, the only kind the port can express (a hard limit: ``bot.limits``)."""

    symbol: str
    side: Side
    amount: Decimal  # contracts, positive
    price: Decimal
    client_order_id: str  # alphanumeric, at most 32 characters (the strictest venue's rule), prefix "hb"
    reduce_only: bool

    @property
    def post_only(self) -> bool:
        """Always: no field, flag or parameter makes a request anything but post-only."""
        return True

    def as_open(self) -> Order:
        """The order this request asks for, open for all of its amount: what it is until the venue says otherwise
        (on its way, or acknowledged with ids only)."""
        return Order(
            self.symbol, self.side, self.amount, self.price, OrderStatus.OPEN, self.client_order_id, None,
            reduce_only=self.reduce_only, post_only=self.post_only,
        )  # fmt: skip


class SwitchScope(StrEnum):
    """Which resting orders a venue's dead-man's switch cancels when it fires."""

    OUR_ORDERS = "our_orders"  # only the orders the bot tagged as its own
    INSTRUMENT = "instrument"  # every open order on the instrument, foreign ones too


@dataclass(frozen=True, slots=True)
class CancelSwitch:
    """A venue's own dead-man's switch for ordinary accounts: armed with a timeout and refreshed before it runs out,
    it cancels resting orders at the venue when the bot stops refreshing it (the process died, the network is gone).
    Positions are never touched."""

    name: str  # what the venue calls it, for people: "cancel-all-after"
    scope: SwitchScope
    per_instrument: bool  # armed, refreshed and disarmed per instrument
    min_timeout: timedelta
    max_timeout: timedelta | None  # None: no upper bound

    def timeout_for(self, wanted: timedelta) -> timedelta:
        """``wanted`` brought within the venue's bounds."""
        longest = wanted if self.max_timeout is None else min(wanted, self.max_timeout)
        return max(self.min_timeout, longest)


@dataclass(frozen=True, slots=True)
class KeyPermissions:
    """What the API key may do, as the venue reports it (``VenueReader.fetch_key_permissions``)."""

    trade: bool  # may place orders on the perpetuals
    withdraw: bool  # may send funds off the account
    transfer: bool  # may move funds to other accounts or wallets (sub-accounts, universal transfer)
    ip_restricted: bool  # works only from the addresses it is bound to
    expires_at: datetime | None = None  # when the key (or its trading permission) stops working, if it does


class VenueReader(Protocol):
    """What the bot reads from a venue, and nothing that changes it. One instance per venue account."""

    venue: str  # the configuration's venue name
    unified_wallet: bool  # spot holdings and perp margin share one wallet (then both balance reads are the same)

    async def load_markets(self) -> Mapping[str, Market]:
        """Every spot and linear-perpetual market the venue lists, by ccxt symbol."""
        ...

    async def server_time(self) -> datetime: ...

    async def fetch_key_permissions(self) -> KeyPermissions:
        """What the API key may do, where the venue exposes it; ``VenueUnsupported`` where it does not."""
        ...

    async def fetch_spot_balances(self) -> Mapping[str, Balance]:
        """Spot (or unified) wallet balances by asset: free, used (locked in orders) and total."""
        ...

    async def fetch_margin_balances(self) -> Mapping[str, Balance]:
        """Balances of the wallet that margins the perpetuals: the unified wallet where spot and derivatives share
        one (Bybit, OKX), the USD-M futures wallet on Binance."""
        ...

    async def fetch_spot_quotes(self, assets: Iterable[str]) -> Mapping[str, SpotQuote]:
        """Best bid/ask/last of ``<ASSET>/<QUOTE>`` spot markets, batched where the venue allows."""
        ...

    async def fetch_perp_tickers(self, symbols: Iterable[str]) -> Mapping[str, PerpTicker]:
        """Last, mark, index, bid/ask and funding of perpetuals, batched where the venue allows."""
        ...

    async def fetch_order_book(self, symbol: str, depth: int) -> OrderBook: ...

    async def fetch_price_history(self, symbol: str, timeframe: str, limit: int) -> tuple[Decimal, ...]:
        """The last ``limit`` candle closes of a spot or perp symbol (e.g. timeframe "1h"), oldest first."""
        ...

    async def fetch_fee_rates(self, symbol: str) -> FeeRates:
        """The account's maker and taker fee rates on the perpetual (what a dry run pays)."""
        ...

    async def fetch_public_trades(self, symbol: str, since: datetime | None = None) -> list[PublicTrade]:
        """The most recent trades on the perpetual's public tape (anyone's), oldest first; as many as the venue
        returns at once, from ``since`` on when given."""
        ...

    async def fetch_positions(self, symbols: Iterable[str]) -> Mapping[str, Position]:
        """Positions by symbol; a symbol with no position maps to a flat ``Position`` (contracts 0)."""
        ...

    async def fetch_open_orders(self, symbols: Iterable[str]) -> list[Order]:
        """Every open order on these perpetuals, ours and foreign."""
        ...

    async def fetch_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> Order | None:
        """One order, open or closed, by venue id or our client id; ``None`` if the venue has no such order."""
        ...

    async def fetch_my_trades(self, symbols: Iterable[str], since: datetime | None = None) -> list[Fill]:
        """Fills on these perpetuals since ``since``, every page: one request for all of them where the venue lists
        a whole category at once (Bybit v5), else one per symbol. A malformed row fails the whole read."""
        ...

    async def fetch_funding_payments(
        self, symbols: Iterable[str], since: datetime | None = None
    ) -> list[FundingPayment]:
        """Funding settled on these perpetuals since ``since``, read like ``fetch_my_trades``."""
        ...

    async def fetch_leverage(self, symbol: str) -> Decimal: ...

    async def close(self) -> None: ...


class ExchangePort(VenueReader, Protocol):
    """What the bot needs from a venue: the reads, and the writes (orders, cancels, account settings, the venue's
    dead-man's switch)."""

    cancel_switch: CancelSwitch | None  # the venue's own dead-man's switch, if ordinary accounts have one

    async def place_order(self, request: OrderRequest, *, confirm: bool = True) -> Order:
        """Send one limit order. Never retried. A post-only order that would take liquidity either raises
        ``PostOnlyWouldTake`` or comes back with status CANCELED and a reject reason, depending on the venue.
        Where the venue's acknowledgement carries no state (Bybit), ``confirm`` reads the order once to learn it;
        ``confirm=False`` takes the acknowledgement as open, unread (the next listing of open orders tells)."""
        ...

    async def cancel_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> None:
        """Cancel one order. Already gone (filled/cancelled) raises ``OrderNotFound``."""
        ...

    async def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        """Set leverage; the venue answering "not modified" counts as success."""
        ...

    async def set_margin_mode(self, symbol: str, mode: MarginMode) -> None: ...

    async def ensure_one_way_mode(self, symbol: str) -> None:
        """Make sure positions are in one-way (not hedge) mode; "not modified" counts as success."""
        ...

    async def arm_cancel_switch(self, symbols: Iterable[str], fires_after: timedelta) -> None:
        """Arm (or refresh) ``cancel_switch``: unless armed again within ``fires_after`` (within its bounds),
        the venue cancels resting orders in its scope (on ``symbols``, if it works per instrument). May be retried;
        ``VenueUnsupported`` where the venue has no switch."""
        ...

    async def disarm_cancel_switch(self, symbols: Iterable[str]) -> None:
        """Stop ``cancel_switch`` (a clean stop); ``VenueUnsupported`` where the venue has none."""
        ...
