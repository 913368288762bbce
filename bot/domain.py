"""Domain values shared by every layer: markets, holdings, positions, orders, snapshots, targets, intents.

Conventions (see STYLE.md):
- Every price, quantity, notional, ratio and fee is a ``Decimal``.
- Perpetual quantities (positions, orders, fills, intents) are in **contracts**; ``Market.contract_size`` converts
  contracts to base units (1 on Bybit and Binance linear perps, 0.01 BTC on OKX's BTC-USDT-SWAP, ...).
- Signed quantities: a short is negative. Order amounts are positive; their direction is ``side``.
- Times are timezone-aware UTC ``datetime``s.
- Symbols are ccxt unified symbols: ``SOL/USDT`` (spot), ``SOL/USDT:USDT`` (USDT-margined perpetual).

This module imports nothing from the rest of the project.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_UP, Decimal
from enum import StrEnum

ZERO = Decimal(0)
ONE = Decimal(1)

# Maintenance margin as a fraction of notional when the venue does not say: above the lowest tier of BTC/SOL on
# Bybit, Binance and OKX (0.5%), typical of alts; used to estimate liquidation.
DEFAULT_MAINTENANCE_MARGIN_RATE = Decimal("0.01")

# Every order the bot sends carries a client order id starting with this; anything else is foreign and is never
# touched, counted or cancelled by the bot.
OUR_ORDER_PREFIX = "hb"


def is_ours(client_order_id: str | None) -> bool:
    """Whether a client order id is one of the bot's own (the one test of ownership)."""
    return bool(client_order_id) and str(client_order_id).startswith(OUR_ORDER_PREFIX)


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for a buy (adds to a long / shrinks a short), -1 for a sell."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class MarketType(StrEnum):
    SPOT = "spot"
    PERP = "perp"


class MarginMode(StrEnum):
    ISOLATED = "isolated"
    CROSS = "cross"


class Rounding(StrEnum):
    """How a contract count is rounded onto the lot step."""

    DOWN = "down"  # toward zero: never over-hedge (the default)
    NEAREST = "nearest"
    UP = "up"  # away from zero: never under-hedge


class OrderStatus(StrEnum):
    OPEN = "open"  # resting, possibly partially filled
    FILLED = "filled"
    CANCELED = "canceled"  # by us, by the venue (post-only would take), or expired
    REJECTED = "rejected"
    UNKNOWN = "unknown"  # an ambiguous failure: we do not know yet whether the venue has it

    @property
    def is_final(self) -> bool:
        return self in (OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED)


class TradingState(StrEnum):
    """The risk engine's states: what kinds of orders may be sent."""

    ACTIVE = "active"  # any order the risk gate approves
    REDUCING = "reducing"  # only orders that shrink the hedge
    HALTED = "halted"  # cancels only


class ReasonCode(StrEnum):
    """Why the bot did, or did not, act for a holding or instrument in a cycle."""

    REBALANCE = "rebalance"  # outside the band: orders proposed
    HEDGED_WITHIN_BAND = "hedged_within_band"
    DRIFT_BELOW_BAND = "drift_below_band"
    BELOW_MIN_NOTIONAL = "below_min_notional"
    DUST = "dust"
    NO_PERP_NO_PROXY = "no_perp_no_proxy"
    STALE_PRICE = "stale_price"
    WAITING_IN_FLIGHT = "waiting_in_flight"
    BLOCKED_BY_LIMIT = "blocked_by_limit"
    EXCLUDED = "excluded"
    UNWIND = "unwind"
    REPRICE = "reprice"
    BETA_REFUSED = "beta_refused"  # a proxy's beta could not be estimated (poor fit or too little history)
    NO_BOOK = "no_book"  # the instrument's order book or ticker is missing, one-sided or crossed
    BAD_DATA = "bad_data"  # the venue's data about it is malformed or contradicts the journal: kept as it is
    STALE_ORDER = "stale_order"  # a resting order of ours older than execution.max_order_age: cancelled


def round_to_step(value: Decimal, step: Decimal, mode: Rounding = Rounding.DOWN) -> Decimal:
    """Round ``value`` onto a multiple of ``step``; DOWN/UP are toward/away from zero, whatever the sign."""
    if step <= 0:
        raise ValueError(f"step must be positive, got {step}")
    return (value / step).quantize(ONE, rounding=_ROUNDING[mode]) * step


_ROUNDING = {Rounding.DOWN: ROUND_DOWN, Rounding.UP: ROUND_UP, Rounding.NEAREST: ROUND_HALF_EVEN}


def round_price_passive(price: Decimal, tick: Decimal, side: Side) -> Decimal:
    """Round a limit price onto the tick, away from the touch: buys down, sells up."""
    if tick <= 0:
        raise ValueError(f"tick must be positive, got {tick}")
    rounding = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
    return (price / tick).quantize(ONE, rounding=rounding) * tick


@dataclass(frozen=True, slots=True)
class Market:
    """A tradable instrument's specification, as the venue publishes it."""

    symbol: str
    base: str
    quote: str
    type: MarketType
    tick_size: Decimal
    lot_step: Decimal  # in contracts (perp) or base units (spot)
    min_qty: Decimal  # in contracts (perp) or base units (spot)
    min_notional: Decimal = ZERO  # in quote currency
    contract_size: Decimal = ONE  # base units per contract
    settle: str | None = None
    max_leverage: Decimal = ONE
    active: bool = True
    # Maintenance margin as a fraction of notional (lowest risk tier), used to estimate liquidation.
    maintenance_margin_rate: Decimal = DEFAULT_MAINTENANCE_MARGIN_RATE

    def base_qty(self, contracts: Decimal) -> Decimal:
        return contracts * self.contract_size

    def contracts_for(self, base_qty: Decimal) -> Decimal:
        return base_qty / self.contract_size

    def notional(self, contracts: Decimal, price: Decimal) -> Decimal:
        """Absolute quote value of ``contracts`` at ``price``."""
        return abs(contracts) * self.contract_size * price


class SourceKind(StrEnum):
    """Where a holding is kept."""

    EXCHANGE = "exchange"  # a venue's spot wallet, read every cycle (the label is the venue's name)
    STATIC = "static"  # listed in the configuration, e.g. a cold wallet (the label says where)


@dataclass(frozen=True, slots=True)
class HoldingSource:
    """Where one holding comes from; written ``kind:label`` (``exchange:main``, ``static:cold wallet``)."""

    kind: SourceKind
    label: str

    @classmethod
    def exchange(cls, venue: str) -> HoldingSource:
        return cls(SourceKind.EXCHANGE, venue)

    @classmethod
    def static(cls, label: str) -> HoldingSource:
        return cls(SourceKind.STATIC, label)

    @classmethod
    def parse(cls, text: str) -> HoldingSource:
        """The source written ``kind:label``; ``ValueError`` for anything else."""
        kind, separator, label = text.partition(":")
        if not separator or kind not in {k.value for k in SourceKind}:
            kinds = " or ".join(f"'{k.value}:LABEL'" for k in SourceKind)
            raise ValueError(f"{text!r} is not a holding source: write {kinds}")
        return cls(SourceKind(kind), label)

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.label}"


@dataclass(frozen=True, slots=True)
class Holding:
    """Spot inventory of one asset from one source, in base units (never negative)."""

    asset: str
    quantity: Decimal
    source: HoldingSource


@dataclass(frozen=True, slots=True)
class SpotQuote:
    """The spot price of one asset, as seen at ``timestamp``."""

    asset: str
    symbol: str
    bid: Decimal | None
    ask: Decimal | None
    last: Decimal | None
    timestamp: datetime

    @property
    def mid(self) -> Decimal | None:
        if self.bid is None or self.ask is None:
            return None
        return (self.bid + self.ask) / 2


@dataclass(frozen=True, slots=True)
class ValuedHolding:
    """One asset's holdings from every source, valued at its spot price, saying which price and how old.

    ``value`` is None when the holding cannot be valued this cycle; ``reason`` then says why (STALE_PRICE), or
    the holding is not to be hedged at all (EXCLUDED).
    """

    asset: str
    quantity: Decimal  # base units, summed over ``sources``
    sources: tuple[HoldingSource, ...]
    price_kind: str  # "mid" or "last": the price the configuration chose
    price: Decimal | None
    priced_at: datetime | None
    price_age_seconds: Decimal | None
    value: Decimal | None
    reason: ReasonCode | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class BookLevel:
    price: Decimal
    size: Decimal  # contracts (perp) or base units (spot)


@dataclass(frozen=True, slots=True)
class OrderBook:
    """Top levels of a book; bids best (highest) first, asks best (lowest) first."""

    symbol: str
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    timestamp: datetime

    @property
    def best_bid(self) -> BookLevel | None:
        return self.bids[0] if self.bids else None

    @property
    def best_ask(self) -> BookLevel | None:
        return self.asks[0] if self.asks else None

    @property
    def mid(self) -> Decimal | None:
        if not self.bids or not self.asks:
            return None
        return (self.bids[0].price + self.asks[0].price) / 2


@dataclass(frozen=True, slots=True)
class PerpTicker:
    """A perpetual's prices and funding at ``timestamp``. ``funding_rate`` > 0: longs pay shorts."""

    symbol: str
    last: Decimal
    mark: Decimal
    index: Decimal | None
    bid: Decimal | None
    ask: Decimal | None
    funding_rate: Decimal | None
    next_funding_time: datetime | None
    timestamp: datetime
    funding_interval_hours: Decimal = Decimal(8)


@dataclass(frozen=True, slots=True)
class FeeRates:
    """The account's fee rates on one instrument, as fractions of notional (negative: a rebate)."""

    maker: Decimal
    taker: Decimal


@dataclass(frozen=True, slots=True)
class PublicTrade:
    """One trade on a perpetual's public tape (anyone's): what a dry run fills its paper orders from."""

    trade_id: str
    symbol: str
    price: Decimal
    amount: Decimal  # contracts
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class Position:
    """A perpetual position in one-way mode. ``contracts`` < 0 is a short."""

    symbol: str
    contracts: Decimal
    entry_price: Decimal | None
    mark_price: Decimal | None
    liquidation_price: Decimal | None
    leverage: Decimal | None
    margin_mode: MarginMode | None
    unrealized_pnl: Decimal
    timestamp: datetime
    margin: Decimal | None = None  # initial margin held for it
    maintenance_margin: Decimal | None = None  # as the venue reports it

    @property
    def is_flat(self) -> bool:
        return self.contracts == 0


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the venue (or the journal) knows it. ``amount`` and ``filled`` are positive contracts."""

    symbol: str
    side: Side
    amount: Decimal
    price: Decimal | None
    status: OrderStatus
    client_order_id: str | None
    order_id: str | None
    filled: Decimal = ZERO
    average_price: Decimal | None = None
    reduce_only: bool = False
    post_only: bool = False
    timestamp: datetime | None = None
    reject_reason: str | None = None  # the venue's words for a cancel or reject it made itself
    # Cancelled by the venue because, post-only, it would have taken liquidity (the adapter reads the venue's way of
    # saying so); a post-only order the venue refuses outright raises PostOnlyWouldTake instead.
    post_only_rejected: bool = False

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.filled

    @property
    def signed_remaining(self) -> Decimal:
        """The position change still to come if the order fills: negative for a sell."""
        return self.side.sign * self.remaining


def our_resting(orders: Iterable[Order]) -> tuple[Order, ...]:
    """The bot's own orders (``is_ours``) among ``orders`` that still rest at the venue."""
    return tuple(o for o in orders if is_ours(o.client_order_id) and o.status is OrderStatus.OPEN)


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of one of our orders."""

    trade_id: str
    order_id: str | None
    client_order_id: str | None
    symbol: str
    side: Side
    amount: Decimal  # contracts
    price: Decimal
    fee: Decimal  # in fee_currency; negative is a rebate
    fee_currency: str
    maker: bool | None
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class FundingPayment:
    """One funding settlement on one position. ``amount`` > 0: we received funding."""

    payment_id: str
    symbol: str
    amount: Decimal
    currency: str
    rate: Decimal | None
    position_contracts: Decimal | None
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class Balance:
    asset: str
    free: Decimal
    used: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one cycle decides from, read at ``taken_at``. Keys: asset for spot, symbol for perps."""

    taken_at: datetime
    holdings: tuple[Holding, ...]
    spot: Mapping[str, SpotQuote]
    markets: Mapping[str, Market]
    tickers: Mapping[str, PerpTicker]
    books: Mapping[str, OrderBook]
    positions: Mapping[str, Position]
    open_orders: tuple[Order, ...] = ()
    balances: Mapping[str, Balance] = field(default_factory=dict)
    # Close prices for beta estimation, oldest first, keyed by asset (spot) or symbol (perp).
    history: Mapping[str, tuple[Decimal, ...]] = field(default_factory=dict)
    # Instruments whose data this cycle cannot be trusted (a malformed reply, a position read as flat that the
    # journal explains, a hedged holding missing from the wallet), each with why: nothing is traded on them.
    bad_data: Mapping[str, str] = field(default_factory=dict)

    def position_contracts(self, symbol: str) -> Decimal:
        position = self.positions.get(symbol)
        return position.contracts if position else ZERO


@dataclass(frozen=True, slots=True)
class TargetComponent:
    """One holding's contribution to a hedge target."""

    asset: str
    value: Decimal  # spot value in quote currency
    ratio: Decimal
    beta: Decimal
    hedge_notional: Decimal  # value x ratio x beta
    contracts: Decimal = ZERO  # this holding's share of the target, signed (a short is negative)


@dataclass(frozen=True, slots=True)
class HedgeTarget:
    """The position a policy wants in one hedge instrument. ``contracts`` < 0 is a short."""

    symbol: str
    contracts: Decimal  # unrounded; the planner rounds onto the lot step
    notional: Decimal  # absolute quote value of the target at the reference price
    components: tuple[TargetComponent, ...] = ()
    notes: tuple[str, ...] = ()
    # The short that hedges the components at ratio 1 (x beta for proxies): a position p has hedge ratio
    # p / full_contracts, and the most short risk.max_hedge_ratio allows is full_contracts x max_hedge_ratio.
    full_contracts: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """An order the planner proposes: not yet approved, not yet sent."""

    symbol: str
    side: Side
    amount: Decimal  # contracts, positive
    price: Decimal
    reduce_only: bool
    reason: ReasonCode
    post_only: bool = True
    notional: Decimal = ZERO
    replaces: str | None = None  # client order id of the resting order this one replaces
    note: str = ""
    # The worst price a person's approval covers (a sell at or above it, a buy at or below it): a re-price beyond
    # it is not sent, and the order is planned and asked again. None: no bound (approved automatically).
    limit_price: Decimal | None = None

    def within_limit(self, price: Decimal) -> bool:
        """Whether ``price`` is one the approval covers (always, without a limit)."""
        if self.limit_price is None:
            return True
        return price >= self.limit_price if self.side is Side.SELL else price <= self.limit_price


@dataclass(frozen=True, slots=True)
class CancelIntent:
    """A resting order of ours the planner wants gone, and why."""

    symbol: str
    client_order_id: str | None
    order_id: str | None
    reason: ReasonCode
    note: str = ""
