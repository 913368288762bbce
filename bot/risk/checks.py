"""The risk checks: one pure function per limit, each returning a ``Denial`` or ``None``.

Checks on exposure (hedge ratio, net long, total notional, leverage, liquidation distance, daily turnover and
funding) deny only intents that *grow* a position's worst case (``RiskContext.increases``): an order that shrinks
the hedge always lowers risk, so a limit already exceeded (prices moved, holdings were sold) never blocks the
way back. Order-level checks (trading state, validity, data age, price deviation, order notional, rate) apply
to every intent.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from bot.domain import ZERO, MarginMode, OrderIntent, Side, TradingState
from bot.risk.context import RiskContext, order_notional
from bot.risk.decision import Denial, DenialCode
from bot.risk.liquidation import liquidation_distance, liquidation_price
from bot.settings import RiskLimits

Check = Callable[[OrderIntent, RiskContext, RiskLimits], Denial | None]

BPS = Decimal(10000)


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _describe(intent: OrderIntent) -> str:
    return f"{intent.side} {intent.amount} {intent.symbol} @ {intent.price}"


def check_trading_state(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Denial | None:
    if ctx.state is TradingState.HALTED:
        return Denial(DenialCode.HALTED, f"trading is HALTED (cancels only): {_describe(intent)} is not allowed")
    if ctx.state is TradingState.REDUCING and not (intent.reduce_only and not ctx.increases(intent)):
        return Denial(
            DenialCode.REDUCING_ONLY,
            f"trading is REDUCING (only reduce-only orders that shrink the hedge): {_describe(intent)} is not one",
        )
    return None


def check_well_formed(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Denial | None:
    if intent.amount <= 0 or intent.price <= 0 or not intent.amount.is_finite() or not intent.price.is_finite():
        return Denial(
            DenialCode.INVALID_INTENT, f"amount {intent.amount} and price {intent.price} must be positive numbers"
        )
    if not intent.post_only:
        return Denial(
            DenialCode.INVALID_INTENT,
            f"{_describe(intent)} is not post-only: hedgebot sends post-only limit orders only (a hard limit)",
        )
    return None


def check_data_age(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Denial | None:
    sources = {"mark price": ctx.ticker(intent.symbol).timestamp, "position": ctx.position(intent.symbol).timestamp}
    what, seen_at = min(sources.items(), key=lambda item: item[1])
    age = Decimal(str((ctx.now - seen_at).total_seconds()))
    limit = Decimal(str(limits.max_data_age.total_seconds()))
    if age > limit:
        return Denial(
            DenialCode.MAX_DATA_AGE,
            f"the {what} of {intent.symbol} is {age} s old, above risk.max_data_age = {limit} s",
            age,
            limit,
        )
    return None


def check_price_deviation(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Denial | None:
    mark = ctx.mark(intent.symbol)
    bps = abs(intent.price - mark) / mark * BPS
    if bps > limits.max_price_deviation_bps:
        return Denial(
            DenialCode.MAX_PRICE_DEVIATION,
            f"price {intent.price} is {bps:.1f} bps from the mark {mark}, above risk.max_price_deviation_bps = "
            f"{limits.max_price_deviation_bps}",
            bps,
            limits.max_price_deviation_bps,
        )
    return None


def check_order_notional(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Denial | None:
    notional = order_notional(intent, ctx.market(intent.symbol))
    if notional > limits.max_order_notional:
        return Denial(
            DenialCode.MAX_ORDER_NOTIONAL,
            f"order notional {_money(notional)} is above risk.max_order_notional = {limits.max_order_notional}",
            notional,
            limits.max_order_notional,
        )
    return None


def check_order_rate(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Denial | None:
    count = ctx.history.orders_last_minute + 1
    if count > limits.max_orders_per_minute:
        return Denial(
            DenialCode.MAX_ORDERS_PER_MINUTE,
            f"this would be order {count} in the last minute, above risk.max_orders_per_minute = "
            f"{limits.max_orders_per_minute}",
            Decimal(count),
            Decimal(limits.max_orders_per_minute),
        )
    return None


def check_hedge_ratio(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Denial | None:
    if intent.side is not Side.SELL or not ctx.increases(intent):
        return None
    short = -ctx.projection(intent.symbol, intent).worst_short
    full = ctx.full_hedge.get(intent.symbol, ZERO)
    if full <= 0:
        return Denial(
            DenialCode.MAX_HEDGE_RATIO,
            f"no holdings are hedged by {intent.symbol}: a short of {short} contracts is above "
            f"risk.max_hedge_ratio x 0 contracts of holdings",
            short,
            ZERO,
        )
    ratio = short / full
    if ratio > limits.max_hedge_ratio:
        return Denial(
            DenialCode.MAX_HEDGE_RATIO,
            f"the short on {intent.symbol} could reach {short} contracts, {ratio:.4f} x the {full} that fully "
            f"hedge its holdings, above risk.max_hedge_ratio = {limits.max_hedge_ratio}",
            ratio,
            limits.max_hedge_ratio,
        )
    return None


def check_net_long(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Denial | None:
    if intent.side is not Side.BUY or not ctx.increases(intent):
        return None
    long = ctx.projection(intent.symbol, intent).worst_long
    return Denial(
        DenialCode.NET_LONG,
        f"{_describe(intent)} could leave {intent.symbol} {long} contracts net long: a hedge is only ever short",
        long,
        ZERO,
    )


def check_total_notional(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Denial | None:
    """The limit holds for the portfolio: this account's worst case plus every other venue's (``ctx.elsewhere``); an
    other venue's hedge that cannot be known blocks growth rather than count as zero."""
    if not ctx.increases(intent):
        return None
    unknown = [e for e in ctx.elsewhere if e.notional is None]
    if unknown:
        return Denial(
            DenialCode.MAX_TOTAL_HEDGE_NOTIONAL,
            f"the hedge is {'; '.join(e.describe() for e in unknown)}: risk.max_total_hedge_notional = "
            f"{limits.max_total_hedge_notional} holds for the whole portfolio, so no hedge grows until it is known",
            None,
            limits.max_total_hedge_notional,
        )
    here = ctx.exposure_notional(intent)
    total = here + sum((e.notional or ZERO for e in ctx.elsewhere), ZERO)
    if total > limits.max_total_hedge_notional:
        others = "".join(f", {e.describe()}" for e in ctx.elsewhere)
        return Denial(
            DenialCode.MAX_TOTAL_HEDGE_NOTIONAL,
            f"hedge notional after the order could reach {_money(total)} (positions + our resting orders + this "
            f"order: {_money(here)} here{others}), above risk.max_total_hedge_notional = "
            f"{limits.max_total_hedge_notional}",
            total,
            limits.max_total_hedge_notional,
        )
    return None


def check_leverage(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Denial | None:
    if not ctx.increases(intent):
        return None
    setting = ctx.instrument_leverage(intent.symbol)
    if setting > limits.max_leverage:
        return Denial(
            DenialCode.MAX_LEVERAGE,
            f"the leverage set on {intent.symbol} is {setting}x, above risk.max_leverage = {limits.max_leverage}",
            setting,
            limits.max_leverage,
        )
    total = ctx.exposure_notional(intent)
    if ctx.collateral <= 0:
        return Denial(
            DenialCode.MAX_LEVERAGE,
            f"collateral is {ctx.collateral}: no position can be margined",
            None,
            limits.max_leverage,
        )
    leverage = total / ctx.collateral
    if leverage > limits.max_leverage:
        return Denial(
            DenialCode.MAX_LEVERAGE,
            f"account leverage after the order could reach {leverage:.2f}x ({_money(total)} of hedge on "
            f"{_money(ctx.collateral)} collateral), above risk.max_leverage = {limits.max_leverage}",
            leverage,
            limits.max_leverage,
        )
    return None


def check_initial_margin(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Denial | None:
    """At the leverage set on each instrument, the worst-case positions' initial margin must fit the collateral:
    otherwise the venue refuses the order anyway (or, in cross margin, eats into other capital)."""
    if not ctx.increases(intent):
        return None
    required = sum(ctx.initial_margins(intent).values(), ZERO)
    if required > ctx.collateral:
        return Denial(
            DenialCode.INSUFFICIENT_MARGIN,
            f"initial margin after the order could reach {_money(required)} at the leverage set, above the "
            f"{_money(ctx.collateral)} of collateral: deposit more, or hedge less",
            required,
            ctx.collateral,
        )
    return None


def check_liquidation_distance(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Denial | None:
    if not ctx.increases(intent):
        return None
    mark = ctx.mark(intent.symbol)
    liquidation = estimate_liquidation_after(intent, ctx)
    distance = liquidation_distance(liquidation, mark)
    if distance is not None and distance < limits.min_liquidation_distance:
        return Denial(
            DenialCode.MIN_LIQUIDATION_DISTANCE,
            f"estimated liquidation price after the order {liquidation:.4f} is {distance:.2%} from the mark {mark}, "
            f"below risk.min_liquidation_distance = {limits.min_liquidation_distance:.0%}",
            distance,
            limits.min_liquidation_distance,
        )
    return None


def estimate_liquidation_after(intent: OrderIntent, ctx: RiskContext) -> Decimal | None:
    """The liquidation price of the intent's instrument if the intent and our same-side resting orders fill."""
    return estimate_liquidation(ctx, intent.symbol, intent.side, intent)


def estimate_liquidation(
    ctx: RiskContext, symbol: str, side: Side, intent: OrderIntent | None = None
) -> Decimal | None:
    """The liquidation price of ``symbol`` if our resting orders on ``side`` (and ``intent``, if given) fill: the
    worst case the gate checks, and what the approval's what-if shows."""
    market = ctx.market(symbol)
    mark = ctx.mark(symbol)
    position = ctx.position(symbol).contracts
    sign = side.sign
    adding = [o for o in ctx.resting(symbol, intent) if o.side is side]
    extra_amount, extra_cost = (intent.amount, intent.amount * intent.price) if intent is not None else (ZERO, ZERO)
    added = extra_amount + sum((o.remaining for o in adding), ZERO)
    added_cost = extra_cost + sum((o.remaining * (o.price or mark) for o in adding), ZERO)
    if position * sign >= 0:  # flat, or adding to the same side
        if ctx.margin_mode is MarginMode.CROSS:
            reference = mark  # cross collateral is equity at the mark: the position enters at the mark
        else:
            entry = ctx.position(symbol).entry_price
            if position and entry is None:
                raise ValueError(f"the entry price of the {symbol} position is unknown")
            reference = entry or mark
        contracts = position + sign * added
        cost = abs(position) * reference + added_cost
    elif added > abs(position):  # the orders close the position and open the other side: only the opened part
        opened = added - abs(position)
        contracts = sign * opened
        cost = opened * added_cost / added
    else:  # the orders only shrink the position (or nothing is added): its risk is what it is
        return estimate_liquidation(ctx, symbol, side.opposite)
    return liquidation_price(
        size=market.base_qty(contracts),
        cost=market.base_qty(cost),
        maintenance_margin_rate=market.maintenance_margin_rate,
        margin_mode=ctx.margin_mode,
        leverage=ctx.instrument_leverage(symbol),
        equity=ctx.collateral - _others_maintenance(symbol, ctx),
    )


def _others_maintenance(symbol: str, ctx: RiskContext) -> Decimal:
    """Maintenance margin the other instruments' worst cases hold on the shared (cross) collateral."""
    if ctx.margin_mode is MarginMode.ISOLATED:
        return ZERO
    symbols = {*ctx.positions, *(o.symbol for o in ctx.our_orders)} - {symbol}
    total = ZERO
    for other in sorted(symbols):
        exposure = ctx.projection(other).exposure
        if exposure:
            market = ctx.market(other)
            total += market.maintenance_margin_rate * market.notional(exposure, ctx.mark(other))
    return total


def check_daily_turnover(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Denial | None:
    if not ctx.increases(intent):
        return None
    elsewhere = sum((e.resting for e in ctx.elsewhere), ZERO)  # the other venues' resting orders: one portfolio
    projected = (
        ctx.history.turnover_today
        + ctx.resting_notional(intent)
        + elsewhere
        + order_notional(intent, ctx.market(intent.symbol))
    )
    if projected > limits.max_daily_turnover:
        return Denial(
            DenialCode.MAX_DAILY_TURNOVER,
            f"turnover today could reach {_money(projected)} (filled + our resting orders on every venue + this "
            f"order), above risk.max_daily_turnover = {limits.max_daily_turnover}",
            projected,
            limits.max_daily_turnover,
        )
    return None


def check_daily_funding(intent: OrderIntent, ctx: RiskContext, limits: RiskLimits) -> Denial | None:
    if not ctx.increases(intent):
        return None
    cost = ctx.history.funding_cost_today
    if limits.daily_funding_reached(cost):
        return Denial(
            DenialCode.MAX_DAILY_FUNDING_COST,
            f"funding paid today is {_money(cost)}, at or above risk.max_daily_funding_cost = "
            f"{limits.max_daily_funding_cost}: no increases until tomorrow (UTC)",
            cost,
            limits.max_daily_funding_cost,
        )
    return None


# Every check, in the order their denials are listed.
CHECKS: tuple[Check, ...] = (
    check_trading_state,
    check_well_formed,
    check_data_age,
    check_price_deviation,
    check_order_notional,
    check_order_rate,
    check_hedge_ratio,
    check_net_long,
    check_total_notional,
    check_leverage,
    check_initial_margin,
    check_liquidation_distance,
    check_daily_turnover,
    check_daily_funding,
)
