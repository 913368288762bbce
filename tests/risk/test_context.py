"""Specification of ``RiskContext.after``: the cycle's context once our orders changed since its snapshot (what a
re-priced order is re-checked against). Hand-computed on the SOL baseline of tests/risk/factories.py."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from bot.domain import Order, OrderStatus, Side
from bot.errors import DataError
from tests.risk.factories import SOL, resting, sell, sol_context, sol_position

D = Decimal
OLD = "hbold1x0"
NEW = "hbnew1x0"


def cancelled(order: Order, filled: str = "0", average: str | None = None) -> Order:
    """``order`` as the venue reports it after our cancel, ``filled`` contracts having filled before it."""
    return replace(order, status=OrderStatus.CANCELED, filled=D(filled), average_price=D(average) if average else None)


SELL_20 = resting(Side.SELL, "20", "150.00", client_order_id=OLD)
BUY_20 = resting(Side.BUY, "20", "150.00", client_order_id=OLD)
PLACED = resting(Side.SELL, "5", "151.00", client_order_id=NEW)

CASES = {
    # name: (position, entry, our orders at the snapshot, their latest states,
    #        expected position, entry, remaining of each resting order by client id)
    "nothing changed": ("-60", "150", [SELL_20], [], "-60", "150", {OLD: "20"}),
    "cancelled untouched: no longer rests": ("-60", "150", [SELL_20], [cancelled(SELL_20)], "-60", "150", {}),
    "cancelled after 8 filled at 153: the fill is in the position, entry averaged": (
        "-60", "150", [SELL_20], [cancelled(SELL_20, "8", "153")], "-68", "150.3529411764705882352941176", {}
    ),
    "filled 8 at its limit, still open: the rest rests": (
        "-60", "150", [SELL_20], [replace(SELL_20, filled=D(8))], "-68", "150", {OLD: "12"}
    ),
    "a buy-back filled 20: entry kept": ("-60", "150", [BUY_20], [cancelled(BUY_20, "20", "140")], "-40", "150", {}),
    "sent this cycle: rests": ("-60", "150", [SELL_20], [PLACED], "-60", "150", {OLD: "20", NEW: "5"}),
    "sent this cycle and filled 2 at its limit": (
        "0", "150", [], [replace(PLACED, filled=D(2))], "-2", "151.00", {NEW: "3"}
    ),
    "bought back to flat: no entry": ("-20", "150", [BUY_20], [cancelled(BUY_20, "20")], "0", None, {}),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_after_when_our_orders_changed_then_what_rests_and_the_position_follow(case: str) -> None:
    position, entry, ours, latest, contracts, entry_after, remaining = CASES[case]
    snapshot_position = replace(sol_position(position), entry_price=D(entry))
    context = sol_context(position=snapshot_position, our_orders=ours).after(latest)
    assert context.position(SOL).contracts == D(contracts)
    assert context.position(SOL).entry_price == (D(entry_after) if entry_after is not None else None)
    assert {o.client_order_id: o.remaining for o in context.resting(SOL)} == {k: D(v) for k, v in remaining.items()}


def test_after_when_cancelled_then_the_hedge_ratio_check_no_longer_counts_it() -> None:
    stale = sol_context(position=sol_position("-80"), our_orders=[SELL_20])
    assert stale.projection(SOL, sell("20")).worst_short == D(-120)  # what issue 8's trial was denied on
    assert stale.after([cancelled(SELL_20)]).projection(SOL, sell("20")).worst_short == D(-100)


def test_after_when_an_order_on_an_instrument_without_position_data_filled_then_its_checks_still_fail() -> None:
    context = sol_context(our_orders=[SELL_20])
    context = replace(context, positions={})
    with pytest.raises(DataError):
        context.after([cancelled(SELL_20, "8", "150")]).position(SOL)
