"""What a plan's orders would do, per hedge instrument and in total: the figures a person approves them on (pure).

Built on the risk gate's own view and estimates (``RiskContext``, ``estimate_liquidation``), with the plan's orders
counted as resting the way the gate counts an approved intent (``RiskContext.with_approved``):

- **ratio** = the short / the short that hedges the holdings at ratio 1 (``full_hedge``, beta-weighted for a
  proxy); **net exposure** = (the full hedge + the signed position) x contract size x mark: the holdings' value the
  short leaves uncovered (< 0: over-hedged). *Now* is the position alone; *after* is the position once our resting
  orders and the plan's all fill.
- **margin** (initial, at the leverage set), **leverage** (the positions' notional / the collateral) and the
  **liquidation price** after are the gate's worst case: every resting and planned order on the side that grows
  the position filled. Orders that only shrink the short leave its liquidation where it is until they fill.
- **funding per day** after, at the instrument's current rate (> 0: received, < 0: paid), and the **fee** of the
  plan's orders at the account's maker rate on the instrument (what a post-only order pays) and, for comparison,
  its taker rate (``fees``: as the venue states them for the account).

A figure that cannot be known (no published rate, no position data, an unknown entry price) is ``None``: shown as
unknown, never as zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.core.status_values import sum_known
from bot.domain import ZERO, FeeRates, OrderIntent, Side
from bot.errors import DataError
from bot.risk.checks import estimate_liquidation
from bot.risk.context import RiskContext
from bot.risk.liquidation import liquidation_distance

HOURS_PER_DAY = Decimal(24)

_Compute = Callable[[str], Decimal]


@dataclass(frozen=True, slots=True)
class InstrumentWhatIf:
    """One hedge instrument before and after the plan's orders (quote currency unless said)."""

    symbol: str
    orders: int  # the plan's orders on it
    ratio_now: Decimal | None  # None: no holdings are hedged by it
    ratio_after: Decimal | None
    net_exposure_now: Decimal | None
    net_exposure_after: Decimal | None
    margin_after: Decimal | None
    leverage: Decimal | None  # set on the instrument at the venue
    liquidation_after: Decimal | None  # None: no short to liquidate, or unknown (``liquidation_known``)
    liquidation_distance_after: Decimal | None
    liquidation_known: bool
    funding_per_day_after: Decimal | None
    fee_maker: Decimal | None
    fee_taker: Decimal | None


@dataclass(frozen=True, slots=True)
class WhatIf:
    """Every instrument's what-if and the totals."""

    instruments: tuple[InstrumentWhatIf, ...]
    ratio_now: Decimal | None
    ratio_after: Decimal | None
    net_exposure_now: Decimal | None
    net_exposure_after: Decimal | None
    margin_after: Decimal | None
    leverage_after: Decimal | None  # on the account: the worst-case notional / the collateral
    nearest_liquidation_distance_after: Decimal | None
    funding_per_day_after: Decimal | None
    fee_maker: Decimal | None
    fee_taker: Decimal | None


def what_if(intents: Sequence[OrderIntent], ctx: RiskContext, fees: Mapping[str, FeeRates]) -> WhatIf:
    """The what-if of sending ``intents`` (the gate's approved ones), from the gate's view ``ctx``, with the account's
    ``fees`` per instrument (one missing: its fee is unknown)."""
    after = ctx
    for intent in intents:
        after = after.with_approved(intent)
    symbols = sorted(
        {*ctx.full_hedge, *(i.symbol for i in intents), *(s for s, p in ctx.positions.items() if p.contracts)}
    )
    rows = tuple(
        _instrument(symbol, [i for i in intents if i.symbol == symbol], ctx, after, fees.get(symbol))
        for symbol in symbols
    )
    full = sum_known(_known(lambda s: _value(ctx, s, ctx.full_hedge.get(s, ZERO)), symbols))
    shorts_now = sum_known(_known(lambda s: _value(ctx, s, -ctx.position(s).contracts), symbols))
    shorts_after = sum_known(_known(lambda s: _value(ctx, s, -_landing(after, s)), symbols))
    exposure = _known(lambda _: after.exposure_notional(), ["total"])[0]
    distances = [r.liquidation_distance_after for r in rows if r.liquidation_distance_after is not None]
    return WhatIf(
        instruments=rows,
        ratio_now=_ratio(shorts_now, full),
        ratio_after=_ratio(shorts_after, full),
        net_exposure_now=sum_known([r.net_exposure_now for r in rows]),
        net_exposure_after=sum_known([r.net_exposure_after for r in rows]),
        margin_after=sum_known([r.margin_after for r in rows]),
        leverage_after=exposure / ctx.collateral if exposure is not None and ctx.collateral > 0 else None,
        nearest_liquidation_distance_after=min(distances) if distances else None,
        funding_per_day_after=sum_known([r.funding_per_day_after for r in rows]),
        fee_maker=sum_known([r.fee_maker for r in rows]),
        fee_taker=sum_known([r.fee_taker for r in rows]),
    )


def _instrument(
    symbol: str, intents: list[OrderIntent], ctx: RiskContext, after: RiskContext, fees: FeeRates | None
) -> InstrumentWhatIf:
    full = ctx.full_hedge.get(symbol, ZERO)
    now_contracts = _known(lambda s: ctx.position(s).contracts, [symbol])[0]
    after_contracts = _known(lambda s: _landing(after, s), [symbol])[0]
    liquidation, known = _liquidation(after, symbol)
    mark = _known(ctx.mark, [symbol])[0]
    return InstrumentWhatIf(
        symbol=symbol,
        orders=len(intents),
        ratio_now=None if now_contracts is None or full <= 0 else -now_contracts / full,
        ratio_after=None if after_contracts is None or full <= 0 else -after_contracts / full,
        net_exposure_now=None if now_contracts is None else _value(ctx, symbol, full + now_contracts),
        net_exposure_after=None if after_contracts is None else _value(ctx, symbol, full + after_contracts),
        margin_after=_known(lambda s: after.initial_margins().get(s, ZERO), [symbol])[0],
        leverage=_known(ctx.instrument_leverage, [symbol])[0],
        liquidation_after=liquidation,
        liquidation_distance_after=None if mark is None else liquidation_distance(liquidation, mark),
        liquidation_known=known,
        funding_per_day_after=None if after_contracts is None else _funding_per_day(ctx, symbol, after_contracts),
        fee_maker=None if fees is None else _fee(ctx, intents, fees.maker),
        fee_taker=None if fees is None else _fee(ctx, intents, fees.taker),
    )


def _landing(ctx: RiskContext, symbol: str) -> Decimal:
    """The position once every order of ours resting in ``ctx`` fills (signed contracts)."""
    projection = ctx.projection(symbol)
    return projection.position + projection.buys - projection.sells


def _value(ctx: RiskContext, symbol: str, contracts: Decimal) -> Decimal:
    """Signed quote value of ``contracts`` at the mark."""
    market = ctx.market(symbol)
    return market.base_qty(contracts) * ctx.mark(symbol)


def _liquidation(after: RiskContext, symbol: str) -> tuple[Decimal | None, bool]:
    """The short's worst-case liquidation price, and whether it could be estimated."""
    try:
        return estimate_liquidation(after, symbol, Side.SELL), True
    except (DataError, ValueError, ArithmeticError):
        return None, False


def _funding_per_day(ctx: RiskContext, symbol: str, contracts: Decimal) -> Decimal | None:
    ticker = ctx.ticker(symbol)
    if ticker.funding_rate is None or ticker.funding_interval_hours <= 0:
        return None
    settlements = HOURS_PER_DAY / ticker.funding_interval_hours
    return -_value(ctx, symbol, contracts) * ticker.funding_rate * settlements  # a short receives a positive rate


def _fee(ctx: RiskContext, intents: list[OrderIntent], rate: Decimal) -> Decimal:
    return sum((ctx.market(i.symbol).notional(i.amount, i.price) * rate for i in intents), ZERO)


def _known(compute: _Compute, keys: Iterable[str]) -> list[Decimal | None]:
    """``compute`` for each key, None where the gate's view lacks the data."""
    results: list[Decimal | None] = []
    for key in keys:
        try:
            results.append(compute(key))
        except (DataError, ValueError, ArithmeticError):
            results.append(None)
    return results


def _ratio(shorts: Decimal | None, full: Decimal | None) -> Decimal | None:
    return None if shorts is None or full is None or full <= 0 else shorts / full
