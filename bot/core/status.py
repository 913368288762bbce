"""Where the hedge stands, as typed rows: both legs' PnL since the hedge opened and today, basis, liquidation (pure).

Definitions (the README's "hedgebot status" says the same):

1. A hedge **opens** on an instrument at the bot's first fill on it in the journal; a position adopted as found on
   the venue (``--adopt``) starts the history again, from its mark at the adoption. A holding's opening is its
   instrument's; a holding with no opened hedge of its own is measured from the portfolio's first opening.
2. **Spot-leg PnL** = the holding's quantity now x (its price now - its price at the opening), that price being the
   one the bot valued the holding at in its last cycle at or before the opening (the first cycle after, if none).
   Deposits and withdrawals change the quantity, never the PnL.
3. **Hedge-leg PnL** = the short's price PnL, realised and unrealised together, marked at the mark price: the
   position now x the mark now - the position at the opening x its mark then - what every fill since cost
   (contracts x price), times the contract size. Funding (signed: + received) and fees (as paid: a rebate is
   negative) are shown apart. **Combined** = spot + hedge + funding - fees.
4. **Today** is the same from 00:00 UTC, or from the opening if later; the position held at 00:00 is valued at the
   instrument's mark in the bot's last cycle before then.
5. An instrument several holdings share (a proxy) splits its figures between them in proportion to their shares
   of its target contracts (equally when those are all zero). Figures of an instrument no holding names any more
   count in the total only.
6. **Achieved ratio** = the short held / the short that hedges its holdings fully (ratio 1, x beta for a proxy).
   **Basis** = the perpetual's mark against its base asset's spot price (the valuation price, else the venue's
   index), in bps. **Liquidation distance** = |liquidation price - mark| / mark. **Margin ratio** (isolated
   margin) = maintenance margin / (position margin + unrealised PnL); liquidation comes at 1.

A figure that cannot be known (a price the journal lacks) is ``None``, and so is every sum it enters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from bot.core.cycle import is_ours
from bot.core.plan import HoldingDecision, Plan
from bot.domain import ZERO, Fill, FundingPayment, MarginMode, Order, ReasonCode, Snapshot
from bot.risk.liquidation import liquidation_distance

BPS = Decimal(10_000)


@dataclass(frozen=True, slots=True)
class LegHistory:
    """What the journal holds about the bot's hedge on one instrument, from its opening (rule 1) on."""

    symbol: str
    contract_size: Decimal
    opened_at: datetime | None  # None: the bot never held a hedge here
    start_contracts: Decimal = ZERO  # an adopted position the history starts from (signed)
    start_price: Decimal | None = None  # its mark when adopted
    fills: tuple[Fill, ...] = ()  # the bot's fills since the opening, oldest first
    funding: tuple[FundingPayment, ...] = ()  # settlements since the opening
    fee_currency: str = "USDT"  # fees in another currency are not counted (a note says so)
    day_start_mark: Decimal | None = None  # the mark in the bot's last cycle before 00:00 UTC today

    def contracts_at(self, moment: datetime) -> Decimal:
        """The position the history explains just before ``moment``."""
        moved = sum((f.side.sign * f.amount for f in self.fills if f.timestamp < moment), ZERO)
        return self.start_contracts + moved

    @property
    def contracts(self) -> Decimal:
        return self.start_contracts + sum((f.side.sign * f.amount for f in self.fills), ZERO)


@dataclass(frozen=True, slots=True)
class SpotHistory:
    """A holding's prices as the bot valued it at the start of each period (rules 2 and 4); None: not journaled."""

    asset: str
    at_open: Decimal | None
    at_day_start: Decimal | None


@dataclass(frozen=True, slots=True)
class LegPnl:
    """The hedge leg's figures for one period, in quote currency."""

    hedge: Decimal | None  # price PnL, realised + unrealised
    funding: Decimal = ZERO  # + received, - paid
    fees: Decimal = ZERO  # paid (a rebate is negative)

    @property
    def total(self) -> Decimal | None:
        return None if self.hedge is None else self.hedge + self.funding - self.fees

    def share(self, fraction: Decimal) -> LegPnl:
        hedge = None if self.hedge is None else self.hedge * fraction
        return LegPnl(hedge, self.funding * fraction, self.fees * fraction)

    def __add__(self, other: LegPnl) -> LegPnl:
        return LegPnl(_sum((self.hedge, other.hedge)), self.funding + other.funding, self.fees + other.fees)


NO_LEG = LegPnl(ZERO)


@dataclass(frozen=True, slots=True)
class Pnl:
    """Both legs' figures for one period: ``combined`` = spot + hedge + funding - fees."""

    spot: Decimal | None
    leg: LegPnl = NO_LEG

    @property
    def hedge(self) -> Decimal | None:
        return self.leg.hedge

    @property
    def funding(self) -> Decimal:
        return self.leg.funding

    @property
    def fees(self) -> Decimal:
        return self.leg.fees

    @property
    def combined(self) -> Decimal | None:
        total = self.leg.total
        return None if self.spot is None or total is None else self.spot + total

    def __add__(self, other: Pnl) -> Pnl:
        return Pnl(_sum((self.spot, other.spot)), self.leg + other.leg)


@dataclass(frozen=True, slots=True)
class Risk:
    """An instrument's distance from trouble: basis, liquidation and margin."""

    basis_bps: Decimal | None = None
    liquidation_price: Decimal | None = None
    liquidation_distance: Decimal | None = None
    margin_ratio: Decimal | None = None


@dataclass(frozen=True, slots=True)
class InstrumentStatus:
    symbol: str
    contracts: Decimal  # the venue's position, signed
    explained: Decimal  # what the journal's history explains
    mark: Decimal | None
    hedge_notional: Decimal
    full_contracts: Decimal  # the short at ratio 1 for its holdings now
    opened_at: datetime | None
    since_open: LegPnl
    today: LegPnl
    risk: Risk
    resting: tuple[Order, ...]  # the bot's resting orders
    holdings: tuple[str, ...]  # the holdings it hedges now

    @property
    def ratio(self) -> Decimal | None:
        """Rule 6: the short held / the short at ratio 1."""
        return None if self.full_contracts == ZERO else self.contracts / self.full_contracts


@dataclass(frozen=True, slots=True)
class HoldingStatus:
    asset: str
    quantity: Decimal
    price: Decimal | None
    spot_value: Decimal | None
    value_at_open: Decimal | None
    instrument: str | None
    share: Decimal  # of its instrument's figures (rule 5)
    hedge_notional: Decimal
    ratio: Decimal | None  # achieved (rule 6)
    target_ratio: Decimal | None
    opened_at: datetime | None
    since_open: Pnl
    today: Pnl
    risk: Risk
    reason: str  # the last reason the bot journaled for it, else this plan's


@dataclass(frozen=True, slots=True)
class StatusTotal:
    spot_value: Decimal | None
    value_at_open: Decimal | None
    hedge_notional: Decimal
    ratio: Decimal | None  # hedge notional / spot value
    target_ratio: Decimal | None  # the value-weighted target ratio
    since_open: Pnl
    today: Pnl

    @property
    def unhedged_change(self) -> Decimal | None:
        """The spot leg alone since the opening, as a fraction of the holdings' value then."""
        return _fraction(self.since_open.spot, self.value_at_open)

    @property
    def hedged_change(self) -> Decimal | None:
        """Both legs since the opening, as a fraction of the holdings' value then."""
        return _fraction(self.since_open.combined, self.value_at_open)


@dataclass(frozen=True, slots=True)
class StatusReport:
    at: datetime
    holdings: tuple[HoldingStatus, ...]
    instruments: tuple[InstrumentStatus, ...]
    total: StatusTotal
    notes: tuple[str, ...] = field(default=())


def openings(plan: Plan, legs: Mapping[str, LegHistory]) -> dict[str, datetime | None]:
    """Rule 1: when each holding's hedge opened (its instrument's, else the portfolio's first), by asset."""
    first = min((leg.opened_at for leg in legs.values() if leg.opened_at is not None), default=None)
    result: dict[str, datetime | None] = {}
    for decision in _hedgeable(plan):
        leg = legs.get(decision.hedge.instrument or "")
        result[decision.holding.asset] = leg.opened_at if leg is not None and leg.opened_at is not None else first
    return result


def status_report(
    plan: Plan,
    snapshot: Snapshot,
    legs: Mapping[str, LegHistory],
    spot: Mapping[str, SpotHistory],
    *,
    day_start: datetime,
    reasons: Mapping[str, str] | None = None,
) -> StatusReport:
    """The status at ``plan.at`` from this cycle's plan and snapshot and the journal's history (see the rules)."""
    now = plan.at
    instruments = tuple(
        _instrument(symbol, plan, snapshot, legs.get(symbol), day_start) for symbol in sorted(_symbols(plan, legs))
    )
    by_symbol = {i.symbol: i for i in instruments}
    opened = openings(plan, legs)
    holdings = tuple(
        _holding(d, by_symbol, spot.get(d.holding.asset), opened[d.holding.asset], plan, day_start, reasons or {})
        for d in _hedgeable(plan)
    )
    notes = [note for i in instruments for note in _instrument_notes(i, legs.get(i.symbol))]
    return StatusReport(now, holdings, instruments, _total(holdings, instruments), tuple(notes))


# -- instruments -------------------------------------------------------------------------------------------------


def _symbols(plan: Plan, legs: Mapping[str, LegHistory]) -> set[str]:
    """The instruments planned now, and every one the bot has a hedge history on (flat now or not)."""
    return {d.symbol for d in plan.instruments} | {symbol for symbol, leg in legs.items() if leg.opened_at}


def _instrument(
    symbol: str, plan: Plan, snapshot: Snapshot, leg: LegHistory | None, day_start: datetime
) -> InstrumentStatus:
    decision = plan.instrument(symbol)
    ticker = snapshot.tickers.get(symbol)
    mark = decision.price if decision is not None else ticker.mark if ticker is not None else None
    contracts = snapshot.position_contracts(symbol)
    market = snapshot.markets.get(symbol)
    size = market.contract_size if market is not None else leg.contract_size if leg is not None else ZERO
    return InstrumentStatus(
        symbol=symbol,
        contracts=contracts,
        explained=leg.contracts if leg is not None else ZERO,
        mark=mark,
        hedge_notional=abs(contracts) * size * mark if mark is not None else ZERO,
        full_contracts=decision.full_contracts if decision is not None else ZERO,
        opened_at=leg.opened_at if leg is not None else None,
        since_open=leg_since_open(leg, mark) if leg is not None else NO_LEG,
        today=leg_today(leg, mark, day_start) if leg is not None else NO_LEG,
        risk=_risk(symbol, mark, snapshot),
        resting=tuple(o for o in snapshot.open_orders if o.symbol == symbol and is_ours(o)),
        holdings=_names(plan, symbol),
    )


def leg_since_open(leg: LegHistory, mark: Decimal | None) -> LegPnl:
    """Rule 3: the hedge leg from its opening to now, marked at ``mark``."""
    if leg.opened_at is None:
        return NO_LEG
    return _leg(leg, mark, leg.opened_at, leg.start_contracts, leg.start_price)


def leg_today(leg: LegHistory, mark: Decimal | None, day_start: datetime) -> LegPnl:
    """Rule 4: the hedge leg from 00:00 UTC (``day_start``), or from its opening if later."""
    if leg.opened_at is None:
        return NO_LEG
    if leg.opened_at >= day_start:
        return leg_since_open(leg, mark)
    return _leg(leg, mark, day_start, leg.contracts_at(day_start), leg.day_start_mark)


def _leg(leg: LegHistory, mark: Decimal | None, start: datetime, held: Decimal, held_mark: Decimal | None) -> LegPnl:
    """From ``start``, when ``held`` contracts were valued at ``held_mark``, to now at ``mark``."""
    fills = [f for f in leg.fills if f.timestamp >= start]
    fees = sum((f.fee for f in fills if f.fee_currency == leg.fee_currency), ZERO)
    funding = sum((p.amount for p in leg.funding if p.timestamp >= start), ZERO)
    if (leg.contracts != ZERO and mark is None) or (held != ZERO and held_mark is None):
        return LegPnl(None, funding, fees)
    cost = sum((f.side.sign * f.amount * f.price for f in fills), ZERO)
    now_value = leg.contracts * mark if mark is not None else ZERO
    then = held * held_mark if held_mark is not None else ZERO
    return LegPnl((now_value - then - cost) * leg.contract_size, funding, fees)


def _risk(symbol: str, mark: Decimal | None, snapshot: Snapshot) -> Risk:
    market = snapshot.markets.get(symbol)
    ticker = snapshot.tickers.get(symbol)
    base = market.base if market is not None else symbol.split("/")[0]
    quote = snapshot.spot.get(base)
    spot = (quote.mid or quote.last) if quote is not None else None
    spot = spot or (ticker.index if ticker is not None else None)
    basis = (mark - spot) / spot * BPS if mark is not None and spot else None
    position = snapshot.positions.get(symbol)
    if position is None or position.contracts == ZERO or mark is None or market is None:
        return Risk(basis_bps=basis)
    liquidation = position.liquidation_price
    maintenance = position.maintenance_margin
    if maintenance is None:
        maintenance = market.notional(position.contracts, mark) * market.maintenance_margin_rate
    balance = None if position.margin is None else position.margin + position.unrealized_pnl
    ratio = None
    if position.margin_mode is MarginMode.ISOLATED and balance is not None and balance > ZERO:
        ratio = maintenance / balance
    return Risk(basis, liquidation, liquidation_distance(liquidation, mark), ratio)


def _instrument_notes(instrument: InstrumentStatus, leg: LegHistory | None) -> list[str]:
    notes = []
    if instrument.contracts != instrument.explained:
        notes.append(
            f"{instrument.symbol}: the venue holds {instrument.contracts} contracts, the journal explains "
            f"{instrument.explained}: the hedge figures count the bot's own fills only"
        )
    if leg is not None and any(f.fee_currency != leg.fee_currency for f in leg.fills):
        notes.append(f"{instrument.symbol}: fees paid in other currencies than {leg.fee_currency} are not counted")
    return notes


# -- holdings ----------------------------------------------------------------------------------------------------


def _holding(
    decision: HoldingDecision,
    instruments: Mapping[str, InstrumentStatus],
    spot: SpotHistory | None,
    opened_at: datetime | None,
    plan: Plan,
    day_start: datetime,
    reasons: Mapping[str, str],
) -> HoldingStatus:
    holding, hedge = decision.holding, decision.hedge
    instrument = instruments.get(hedge.instrument or "")
    share = _share(plan, decision) if instrument is not None else ZERO
    price, quantity = holding.price, holding.quantity
    at_open = spot.at_open if spot else None
    at_day = spot.at_day_start if spot else None
    value = quantity * price if price is not None else None
    since = Pnl(_spot_pnl(quantity, price, at_open) if opened_at else None)
    today = Pnl(_spot_pnl(quantity, price, at_day))
    if instrument is not None:
        since = Pnl(since.spot, instrument.since_open.share(share))
        today = Pnl(today.spot, instrument.today.share(share))
    return HoldingStatus(
        asset=holding.asset,
        quantity=quantity,
        price=price,
        spot_value=value,
        value_at_open=quantity * at_open if at_open is not None and opened_at else None,
        instrument=hedge.instrument,
        share=share,
        hedge_notional=instrument.hedge_notional * share if instrument else ZERO,
        ratio=instrument.ratio if instrument else None,
        target_ratio=hedge.ratio if hedge.instrument else None,
        opened_at=opened_at,
        since_open=since,
        today=today,
        risk=instrument.risk if instrument else Risk(),
        reason=reasons.get(holding.asset, decision.reason.value),
    )


def _spot_pnl(quantity: Decimal, now: Decimal | None, then: Decimal | None) -> Decimal | None:
    return None if now is None or then is None else quantity * (now - then)


def _share(plan: Plan, decision: HoldingDecision) -> Decimal:
    """Rule 5: this holding's share of its instrument: its contracts of the target, else an equal split."""
    symbol = decision.hedge.instrument
    sharing = [d for d in _hedgeable(plan) if d.hedge.instrument == symbol]
    total = sum((abs(d.hedge.contracts) for d in sharing), ZERO)
    if total == ZERO:
        return Decimal(1) / len(sharing)
    return abs(decision.hedge.contracts) / total


# -- totals ------------------------------------------------------------------------------------------------------


def _total(holdings: Sequence[HoldingStatus], instruments: Sequence[InstrumentStatus]) -> StatusTotal:
    """Every holding's spot leg and every instrument's hedge leg, shared out or not (rule 5)."""
    value = _sum(h.spot_value for h in holdings)
    hedged = sum((i.hedge_notional for i in instruments), ZERO)
    weighted = _sum(_times(h.spot_value, h.target_ratio) for h in holdings if h.target_ratio is not None)
    return StatusTotal(
        spot_value=value,
        value_at_open=_sum(h.value_at_open for h in holdings if h.opened_at is not None),
        hedge_notional=hedged,
        ratio=_fraction(hedged, value),
        target_ratio=_fraction(weighted, value),
        since_open=Pnl(_sum(h.since_open.spot for h in holdings), _legs(i.since_open for i in instruments)),
        today=Pnl(_sum(h.today.spot for h in holdings), _legs(i.today for i in instruments)),
    )


def _legs(legs: Iterable[LegPnl]) -> LegPnl:
    total = NO_LEG
    for leg in legs:
        total = total + leg
    return total


def _hedgeable(plan: Plan) -> list[HoldingDecision]:
    """The holdings the status reports: every one but the excluded (e.g. the quote currency)."""
    return [d for d in plan.holdings if d.reason is not ReasonCode.EXCLUDED]


def _names(plan: Plan, symbol: str) -> tuple[str, ...]:
    return tuple(d.holding.asset for d in _hedgeable(plan) if d.hedge.instrument == symbol)


def _sum(values: Iterable[Decimal | None]) -> Decimal | None:
    total = ZERO
    for value in values:
        if value is None:
            return None
        total += value
    return total


def _times(value: Decimal | None, factor: Decimal | None) -> Decimal | None:
    return None if value is None or factor is None else value * factor


def _fraction(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    return None if part is None or not whole else part / whole
