"""Contract sizing: the target on the lot step within the hedge-ratio cap, the drift band, minimums, slices."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from bot.domain import ZERO, Market, Rounding, round_to_step


def rounded_target(raw: Decimal, full: Decimal, market: Market, rounding: Rounding, max_ratio: Decimal) -> Decimal:
    """The target on the lot step (``rounding``), never long, never shorter than the cap (``cap_contracts``)."""
    target = round_to_step(min(raw, ZERO), market.lot_step, rounding)
    return max(target, cap_contracts(full, market, max_ratio))


def cap_contracts(full: Decimal, market: Market, max_ratio: Decimal) -> Decimal:
    """The most short ``max_ratio`` allows (<= 0), rounded toward zero: rounding can never breach it."""
    return round_to_step(min(full, ZERO) * max_ratio, market.lot_step)


def out_of_band(gap: Decimal, target: Decimal, threshold: Decimal) -> bool:
    """Whether a gap (contracts) calls for action: beyond ``threshold`` of the target; any gap to a zero target."""
    if gap == ZERO:
        return False
    if target == ZERO:
        return True
    return abs(gap) > threshold * abs(target)


def below_minimum(contracts: Decimal, price: Decimal, market: Market, *, reduce_only: bool) -> str | None:
    """Why an order of ``contracts`` at ``price`` is below the market's minimum quantity or notional, or None.

    A reduce-only order is held to the minimum quantity only: the venues exempt it from the minimum notional, so
    a short worth less than that can still be closed (Bybit's Derivatives Trading Rules, "Minimum Notional
    Value/Order Size": closing orders are exempt from the minimum notional value, not from the minimum order size;
    Binance USD-M, error -4164: "Order's notional must be no smaller than 5 (unless you choose reduce only)").
    """
    if contracts < market.min_qty or contracts <= ZERO:
        return f"{contracts} contracts is below the minimum quantity {market.min_qty}"
    notional = market.notional(contracts, price)
    if notional < market.min_notional and not reduce_only:
        return f"{notional:.2f} is below the minimum order notional {market.min_notional}"
    return None


def max_order_contracts(max_notional: Decimal, price: Decimal, market: Market) -> Decimal:
    """The largest order (lot multiple) worth at most ``max_notional`` at ``price``."""
    return round_to_step(max_notional / (market.contract_size * price), market.lot_step)


def slices(contracts: Decimal, largest: Decimal, market: Market) -> list[Decimal]:
    """Split ``contracts`` (a lot multiple) into the fewest orders of at most ``largest``, as even as the lot allows.

    Even slices keep every remainder inside a full-size order: no tiny last slice below the market minimum.
    """
    if contracts <= ZERO or largest <= ZERO:
        return []
    count = int((contracts / largest).to_integral_value(rounding=ROUND_CEILING))
    lots = int(contracts / market.lot_step)
    base, extra = divmod(lots, count)
    return [(base + (1 if i < extra else 0)) * market.lot_step for i in range(count)]
