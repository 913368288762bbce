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
6. **Achieved ratio** = the short held / the short that hedges its holdings fully (ratio 1, x beta for a proxy),
   in contracts, so neither the basis nor the proxy's price enters it. The total's achieved and target ratios are
   the holdings' own, weighted by their spot values (a holding without a hedge counts as 0); an instrument no
   holding names counts in the total's hedge notional and PnL, not in its ratio.
   **Basis** = the perpetual's mark against its base asset's spot price (its valuation price if it is a holding,
   else its spot quote, else the venue's index), in bps. **Liquidation distance** = |liquidation price - mark| / mark. **Margin ratio** (isolated
   margin: as the venue reports the position, else as configured) = maintenance margin / (position margin +
   unrealised PnL); liquidation comes at 1. Cross margin shares the account's equity: no ratio is claimed.

A figure that cannot be known (a price the journal lacks) is ``None``, and so is every sum it enters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from bot.core.plan import HoldingDecision, Plan
from bot.core.status_values import (
    NO_LEG,
    HoldingStatus,
    InstrumentStatus,
    LegHistory,
    LegPnl,
    Pnl,
    Risk,
    SpotHistory,
    StatusReport,
    StatusTotal,
    fraction,
    sum_known,
)
from bot.domain import ZERO, MarginMode, ReasonCode, Snapshot, our_resting
from bot.risk.liquidation import liquidation_distance

__all__ = [
    "HoldingStatus",
    "InstrumentStatus",
    "LegHistory",
    "LegPnl",
    "Pnl",
    "Risk",
    "SpotHistory",
    "StatusReport",
    "StatusTotal",
    "instrument_risk",
    "leg_since_open",
    "leg_today",
    "openings",
    "status_report",
]

BPS = Decimal(10_000)


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
    margin_mode: MarginMode,
    reasons: Mapping[str, str] | None = None,
) -> StatusReport:
    """The status at ``plan.at`` from this cycle's plan and snapshot and the journal's history (see the rules);
    ``margin_mode``: the configured one, for positions whose margin mode the venue does not report."""
    now = plan.at
    instruments = tuple(
        _instrument(symbol, plan, snapshot, legs.get(symbol), day_start, margin_mode)
        for symbol in sorted(_symbols(plan, legs))
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
    symbol: str, plan: Plan, snapshot: Snapshot, leg: LegHistory | None, day_start: datetime, margin_mode: MarginMode
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
        risk=instrument_risk(symbol, mark, plan, snapshot, margin_mode),
        resting=tuple(o for o in our_resting(snapshot.open_orders) if o.symbol == symbol),
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


def instrument_risk(symbol: str, mark: Decimal | None, plan: Plan, snapshot: Snapshot, margin_mode: MarginMode) -> Risk:
    """Rule 6: the instrument's basis, liquidation price and distance, and margin ratio at ``mark``."""
    market = snapshot.markets.get(symbol)
    spot = _spot_price(market.base if market is not None else symbol.split("/")[0], symbol, plan, snapshot)
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
    isolated = (position.margin_mode or margin_mode) is MarginMode.ISOLATED
    if isolated and balance is not None and balance > ZERO:
        ratio = maintenance / balance
    return Risk(basis, liquidation, liquidation_distance(liquidation, mark), ratio)


def _spot_price(base: str, symbol: str, plan: Plan, snapshot: Snapshot) -> Decimal | None:
    """Rule 6: the base asset's valuation price if it is a holding, else its spot quote, else the perp's index."""
    holding = plan.holding(base)
    if holding is not None and holding.holding.price is not None:
        return holding.holding.price
    quote = snapshot.spot.get(base)
    if quote is not None and (quote.mid or quote.last):
        return quote.mid or quote.last
    ticker = snapshot.tickers.get(symbol)
    return ticker.index if ticker is not None else None


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
    value = sum_known(h.spot_value for h in holdings)
    hedged = sum((i.hedge_notional for i in instruments), ZERO)
    hedging = [h for h in holdings if h.target_ratio is not None]  # the rest count as ratio 0, achieved and target
    achieved = sum_known(_times(h.spot_value, h.ratio) for h in hedging)
    weighted = sum_known(_times(h.spot_value, h.target_ratio) for h in hedging)
    return StatusTotal(
        spot_value=value,
        value_at_open=sum_known(h.value_at_open for h in holdings if h.opened_at is not None),
        hedge_notional=hedged,
        ratio=fraction(achieved, value),
        target_ratio=fraction(weighted, value),
        since_open=Pnl(sum_known(h.since_open.spot for h in holdings), _legs(i.since_open for i in instruments)),
        today=Pnl(sum_known(h.today.spot for h in holdings), _legs(i.today for i in instruments)),
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


def _times(value: Decimal | None, factor: Decimal | None) -> Decimal | None:
    return None if value is None or factor is None else value * factor
