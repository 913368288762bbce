"""What the risk gate decides from: the cycle's market and account view plus history from the journal."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time
from decimal import Decimal

from bot.domain import (
    ZERO,
    HedgeTarget,
    MarginMode,
    Market,
    Order,
    OrderIntent,
    OrderStatus,
    PerpTicker,
    Position,
    Side,
    Snapshot,
    TradingState,
)
from bot.errors import DataError
from bot.risk.portfolio import VenueExposure


@dataclass(frozen=True, slots=True)
class RiskHistory:
    """Inputs that come from history; the loop fills them from the journal each cycle."""

    orders_last_minute: int = 0  # order requests written in the last 60 seconds (all instruments)
    turnover_today: Decimal = ZERO  # filled notional since 00:00 UTC, in quote currency
    funding_cost_today: Decimal = ZERO  # net funding paid since 00:00 UTC (> 0: we paid; received counts < 0)


@dataclass(frozen=True, slots=True)
class Projection:
    """Where one instrument's position could end up if every resting order of ours filled (contracts)."""

    position: Decimal
    buys: Decimal  # remaining contracts of our resting buys
    sells: Decimal  # remaining contracts of our resting sells

    @property
    def worst_long(self) -> Decimal:
        return self.position + self.buys

    @property
    def worst_short(self) -> Decimal:
        return self.position - self.sells

    @property
    def exposure(self) -> Decimal:
        """The largest absolute position the resting orders could leave."""
        return max(abs(self.worst_long), abs(self.worst_short))


@dataclass(frozen=True, slots=True)
class RiskContext:
    """One cycle's view for the gate. Only *our* resting orders belong in ``our_orders``.

    ``full_hedge`` is, per hedge instrument, the short (in contracts, positive) that hedges its holdings at
    ratio 1, beta-weighted for proxies (``HedgeTarget.full_contracts``, see ``full_hedge_of``). Counting in
    contracts rather than quote value keeps a direct hedge quantity-matched when the perp trades at a discount
    to spot (17 % on 10 Oct 2025): a notional comparison would let the short grow past the holdings' quantity.
    ``collateral`` is the settle-currency equity backing the hedges (wallet balance plus unrealised PnL);
    ``leverage`` is the leverage set on each instrument at the venue, as last read back (at preflight, from each
    cycle's positions, after setting it back). ``elsewhere`` is the hedge on every other venue of the process
    (``bot.risk.portfolio``): portfolio-wide limits add it to this account's.
    """

    now: datetime
    state: TradingState
    markets: Mapping[str, Market]
    tickers: Mapping[str, PerpTicker]
    positions: Mapping[str, Position]
    our_orders: tuple[Order, ...]
    full_hedge: Mapping[str, Decimal]
    collateral: Decimal
    margin_mode: MarginMode
    leverage: Mapping[str, Decimal]
    history: RiskHistory = field(default_factory=RiskHistory)
    elsewhere: tuple[VenueExposure, ...] = ()

    @classmethod
    def from_snapshot(
        cls,
        snapshot: Snapshot,
        *,
        now: datetime,
        state: TradingState,
        our_orders: Iterable[Order],
        full_hedge: Mapping[str, Decimal],
        collateral: Decimal,
        margin_mode: MarginMode,
        leverage: Mapping[str, Decimal],
        history: RiskHistory,
        elsewhere: Iterable[VenueExposure] = (),
    ) -> RiskContext:
        return cls(
            now=now,
            state=state,
            markets=snapshot.markets,
            tickers=snapshot.tickers,
            positions=snapshot.positions,
            our_orders=tuple(our_orders),
            full_hedge=full_hedge,
            collateral=collateral,
            margin_mode=margin_mode,
            leverage=leverage,
            history=history,
            elsewhere=tuple(elsewhere),
        )

    def market(self, symbol: str) -> Market:
        try:
            return self.markets[symbol]
        except KeyError:
            raise DataError(f"no market specification for {symbol}") from None

    def ticker(self, symbol: str) -> PerpTicker:
        try:
            return self.tickers[symbol]
        except KeyError:
            raise DataError(f"no ticker (mark price) for {symbol}") from None

    def mark(self, symbol: str) -> Decimal:
        mark = self.ticker(symbol).mark
        if mark <= 0:
            raise DataError(f"mark price of {symbol} is {mark}")
        return mark

    def position(self, symbol: str) -> Position:
        try:
            return self.positions[symbol]
        except KeyError:
            raise DataError(f"no position data for {symbol}") from None

    def instrument_leverage(self, symbol: str) -> Decimal:
        """The leverage set on ``symbol`` at the venue: as last read back, else as the position reports."""
        leverage = self.leverage.get(symbol) or self.position(symbol).leverage
        if leverage is None or leverage <= 0:
            raise DataError(f"the leverage set on {symbol} is unknown")
        return leverage

    def live_orders(self, intent: OrderIntent | None = None) -> tuple[Order, ...]:
        """Our orders not yet final, without the one ``intent`` replaces (the executor cancels that one first)."""
        replaced = intent.replaces if intent is not None else None
        return tuple(
            o for o in self.our_orders if not o.status.is_final and (replaced is None or o.client_order_id != replaced)
        )

    def resting(self, symbol: str, intent: OrderIntent | None = None) -> tuple[Order, ...]:
        return tuple(o for o in self.live_orders(intent) if o.symbol == symbol)

    def projection(self, symbol: str, intent: OrderIntent | None = None) -> Projection:
        """The instrument's worst cases with our resting orders, and ``intent`` if given, all filled."""
        orders = [*self.resting(symbol, intent), *([_as_order(intent)] if intent is not None else [])]
        return Projection(
            position=self.position(symbol).contracts,
            buys=sum((o.remaining for o in orders if o.side is Side.BUY), ZERO),
            sells=sum((o.remaining for o in orders if o.side is Side.SELL), ZERO),
        )

    def increases(self, intent: OrderIntent) -> bool:
        """Whether the intent pushes its side's worst case further from zero (grows the hedge or a long)."""
        after = self.projection(intent.symbol, intent)
        return after.worst_short < 0 if intent.side is Side.SELL else after.worst_long > 0

    def exposures(self, intent: OrderIntent | None = None) -> dict[str, Decimal]:
        """Per instrument, the worst-case absolute position at mark (quote value), with ``intent`` if given."""
        symbols = {*self.positions, *(o.symbol for o in self.our_orders)}
        if intent is not None:
            symbols.add(intent.symbol)
        exposures = {}
        for symbol in sorted(symbols):
            own = intent if intent is not None and intent.symbol == symbol else None
            contracts = self.projection(symbol, own).exposure
            if contracts:
                exposures[symbol] = self.market(symbol).notional(contracts, self.mark(symbol))
        return exposures

    def initial_margins(self, intent: OrderIntent | None = None) -> dict[str, Decimal]:
        """Per instrument, the initial margin its worst case holds at the leverage set (``exposures`` / leverage)."""
        return {
            symbol: notional / self.instrument_leverage(symbol) for symbol, notional in self.exposures(intent).items()
        }

    def exposure_notional(self, intent: OrderIntent | None = None) -> Decimal:
        """Sum over instruments of the worst-case absolute position at mark, with ``intent`` if given."""
        return sum(self.exposures(intent).values(), ZERO)

    def resting_notional(self, intent: OrderIntent | None = None) -> Decimal:
        """Remaining notional of our resting orders at their limit prices (without the one ``intent`` replaces)."""
        return sum(
            (
                self.market(o.symbol).notional(o.remaining, o.price or self.mark(o.symbol))
                for o in self.live_orders(intent)
            ),
            ZERO,
        )

    def after(self, latest: Iterable[Order]) -> RiskContext:
        """This context once our orders are in their ``latest`` states (learned since the snapshot: cancels,
        placements, fills): final ones no longer rest, new ones do, and what they filled since is in the position."""
        earlier = {o.client_order_id: o for o in self.our_orders if o.client_order_id is not None}
        updates = {o.client_order_id: o for o in latest if o.client_order_id is not None}
        positions = dict(self.positions)
        for cid, order in updates.items():
            gained = order.filled - (earlier[cid].filled if cid in earlier else ZERO)
            if gained > 0 and order.symbol in positions:  # a missing position stays missing: its checks deny
                fill_price = order.average_price or order.price
                positions[order.symbol] = _with_fill(positions[order.symbol], order.side, gained, fill_price)
        kept = tuple(updates.get(o.client_order_id, o) if o.client_order_id else o for o in self.our_orders)
        new = tuple(order for cid, order in updates.items() if cid not in earlier)
        return replace(self, our_orders=kept + new, positions=positions)

    def with_approved(self, intent: OrderIntent) -> RiskContext:
        """The context the next intent of the cycle is checked against: this one counts as resting."""
        history = replace(self.history, orders_last_minute=self.history.orders_last_minute + 1)
        return replace(self, our_orders=(*self.live_orders(intent), _as_order(intent)), history=history)


def order_notional(intent: OrderIntent, market: Market) -> Decimal:
    return market.notional(intent.amount, intent.price)


def full_hedge_of(targets: Iterable[HedgeTarget]) -> dict[str, Decimal]:
    """Per hedge instrument, the contracts that hedge its holdings at ratio 1: what ``max_hedge_ratio`` scales."""
    return {t.symbol: abs(t.full_contracts) for t in targets}


def utc_day_start(moment: datetime) -> datetime:
    """00:00 UTC of ``moment``'s UTC day: where daily turnover and funding are counted from."""
    return datetime.combine(moment.astimezone(UTC).date(), time(0), tzinfo=UTC)


def _with_fill(position: Position, side: Side, amount: Decimal, price: Decimal | None) -> Position:
    """``position`` after a fill of ``amount`` contracts at ``price``: adding averages the entry price, reducing
    keeps it, crossing zero starts again at ``price``; an entry that cannot be known is None (checks then deny)."""
    before = position.contracts
    after = before + side.sign * amount
    entry: Decimal | None
    if after == 0:
        entry = None
    elif before * after < 0:
        entry = price
    elif abs(after) < abs(before):
        entry = position.entry_price
    elif price is None or (before != 0 and position.entry_price is None):
        entry = None
    else:
        entry = (abs(before) * (position.entry_price or ZERO) + amount * price) / abs(after)
    return replace(position, contracts=after, entry_price=entry)


def _as_order(intent: OrderIntent) -> Order:
    return Order(
        symbol=intent.symbol,
        side=intent.side,
        amount=intent.amount,
        price=intent.price,
        status=OrderStatus.OPEN,
        client_order_id=None,
        order_id=None,
        reduce_only=intent.reduce_only,
        post_only=intent.post_only,
    )
