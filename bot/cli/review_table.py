"""The approval prompt's tables: a cycle's orders, and what sending them all would do (the what-if)."""

from __future__ import annotations

from decimal import Decimal

from rich.table import Table

from bot.cli.output import money
from bot.domain import OrderIntent, Side
from bot.execution.approval import Review
from bot.risk.whatif import InstrumentWhatIf, WhatIf

UNKNOWN = "unknown"


def orders_table(review: Review) -> Table:
    """One row per order: what it is, why, and the worst price an approval of it covers."""
    table = Table(title=f"cycle {review.cycle}: {len(review.intents)} order(s) to approve", title_justify="left")
    for name in (
        "#",
        "instrument",
        "side",
        "contracts",
        "price",
        "notional",
        "reduce-only",
        "reason",
        "approval covers",
    ):
        table.add_column(name, justify="right" if name in ("#", "contracts", "price", "notional") else "left")
    for index, (intent, limit) in enumerate(zip(review.intents, review.limits, strict=True), start=1):
        table.add_row(
            str(index), intent.symbol, intent.side.value, str(intent.amount), str(intent.price),
            money(review.markets[intent.symbol].notional(intent.amount, intent.price)),
            "yes" if intent.reduce_only else "no", _reason(intent), covers(intent, limit),
        )  # fmt: skip
    return table


def what_if_table(what_if: WhatIf) -> Table:
    """Per instrument and in total: the hedge now and after every order here (and ours resting) fills."""
    table = Table(title="what-if: if every order fills (liquidation, margin: the worst case)", title_justify="left")
    for name in ("instrument", "hedge ratio", "net exposure", "margin after", "leverage", "liquidation after",
                 "funding/day after", "fee maker (taker)"):  # fmt: skip
        table.add_column(name, justify="left" if name == "instrument" else "right")
    for row in what_if.instruments:
        table.add_row(
            row.symbol, _change(_ratio(row.ratio_now), _ratio(row.ratio_after)),
            _change(_money(row.net_exposure_now), _money(row.net_exposure_after)), _money(row.margin_after),
            f"{row.leverage}x set" if row.leverage is not None else UNKNOWN, _liquidation(row),
            _signed(row.funding_per_day_after), _fees(row.fee_maker, row.fee_taker),
        )  # fmt: skip
    table.add_row(
        "total", _change(_ratio(what_if.ratio_now), _ratio(what_if.ratio_after)),
        _change(_money(what_if.net_exposure_now), _money(what_if.net_exposure_after)), _money(what_if.margin_after),
        f"{what_if.leverage_after:.2f}x account" if what_if.leverage_after is not None else UNKNOWN,
        _nearest(what_if.nearest_liquidation_distance_after), _signed(what_if.funding_per_day_after),
        _fees(what_if.fee_maker, what_if.fee_taker),
    )  # fmt: skip
    return table


def covers(intent: OrderIntent, limit: Decimal) -> str:
    """The re-prices an approval covers, in words: "at or above 116500.0" for a sell."""
    return f"at or {'above' if intent.side is Side.SELL else 'below'} {limit}"


def _reason(intent: OrderIntent) -> str:
    return intent.reason.value + (f": {intent.note}" if intent.note else "")


def _ratio(value: Decimal | None) -> str:
    return UNKNOWN if value is None else f"{value:.2f}"


def _money(value: Decimal | None) -> str:
    return UNKNOWN if value is None else money(value)


def _change(before: str, after: str) -> str:
    return f"{before} -> {after}"


def _signed(value: Decimal | None) -> str:
    """Funding: + received, - paid."""
    if value is None:
        return UNKNOWN
    return ("+" if value > 0 else "") + money(value)


def _fees(maker: Decimal | None, taker: Decimal | None) -> str:
    return f"{_money(maker)} ({_money(taker)})"


def _liquidation(row: InstrumentWhatIf) -> str:
    if not row.liquidation_known:
        return UNKNOWN
    if row.liquidation_after is None or row.liquidation_distance_after is None:
        return "none"
    return f"{row.liquidation_after:,.2f} ({row.liquidation_distance_after:.1%} away)"


def _nearest(distance: Decimal | None) -> str:
    return "none" if distance is None else f"nearest {distance:.1%} away"
