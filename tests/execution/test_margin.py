"""Start-up margin arithmetic: what the plan's targets still need, counting the margin our resting sells hold once.

Figures by hand: SOLUSDT (1 SOL a contract) at a mark of 200, leverage 2, a target of -100 from a position of -40:
60 contracts more, 60 x 200 / 2 = 6000 USDT of initial margin, less what the resting sells the plan keeps will add.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from bot.core.plan import InstrumentDecision, Plan
from bot.domain import Balance, CancelIntent, Order, OrderStatus, ReasonCode, Side
from bot.errors import PreflightError
from bot.exchange.preflight import check_margin
from bot.execution.summary import MarginNeed, margin_need
from tests.factories import NOW, sol_perp_market

D = Decimal
SOL = "SOL/USDT:USDT"
MARKETS = {SOL: sol_perp_market()}
LEVERAGE = D(2)


def sol_decision(target: str | None = "-100", current: str = "-40") -> InstrumentDecision:
    """The planner's SOL decision at a mark of 200 (``target`` None: the instrument is on hold)."""
    return InstrumentDecision(
        symbol=SOL, reason=ReasonCode.REBALANCE, target=D(target or 0), target_contracts=D(target) if target else None,
        cap_contracts=None, full_contracts=D(-100), current=D(current), in_flight=D(0), gap=None, price=D(200),
        gap_notional=None, unhedged_notional=None,
    )  # fmt: skip


def plan(decision: InstrumentDecision, cancelled: tuple[str, ...] = ()) -> Plan:
    """A plan of one SOL decision, cancelling our resting orders ``cancelled`` (client order ids)."""
    cancels = tuple(CancelIntent(SOL, cid, None, ReasonCode.REPRICE) for cid in cancelled)
    return Plan(at=NOW, policy="fixed_ratio", holdings=(), instruments=(replace(decision, cancels=cancels),))


def resting_sell(amount: str, price: str, *, filled: str = "0", cid: str = "hbrun1x0", **changes: object) -> Order:
    """Our post-only SOL sell resting at the venue (``changes``: any other field)."""
    fields: dict[str, object] = {
        "symbol": SOL, "side": Side.SELL, "amount": D(amount), "price": D(price), "status": OrderStatus.OPEN,
        "client_order_id": cid, "order_id": f"id-{cid}", "filled": D(filled), "post_only": True,
    }  # fmt: skip
    return Order(**(fields | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("decision", "orders", "cancelled", "needed", "freed"),
    [
        pytest.param(sol_decision(), [], (), "6000", "0", id="no resting orders: 60 x 200 / 2"),
        pytest.param(sol_decision(), [resting_sell("30", "201")], (), "3000", "0", id="30 kept: 30 x 200 / 2"),
        pytest.param(
            sol_decision(), [resting_sell("30", "201"), resting_sell("10", "202", filled="4", cid="hbrun1x1")], (),
            "2400", "0", id="30 and the 6 left of 10 kept: 24 x 200 / 2",
        ),
        pytest.param(
            sol_decision(), [resting_sell("30", "201")], ("hbrun1x0",), "6000", "3015",
            id="30 cancelled: frees 30 x 201 / 2",
        ),
        pytest.param(
            sol_decision(), [resting_sell("30", "201"), resting_sell("20", "203", cid="hbrun1x1")], ("hbrun1x1",),
            "3000", "2030", id="30 kept, 20 cancelled",
        ),
        pytest.param(sol_decision(), [resting_sell("70", "201")], (), "0", "0", id="more than the target rests"),
        pytest.param(sol_decision(), [resting_sell("30", "201", cid="manual7")], (), "6000", "0", id="not ours"),
        pytest.param(
            sol_decision(), [resting_sell("30", "201", reduce_only=True)], (), "6000", "0", id="reduce-only"
        ),
        pytest.param(sol_decision(), [resting_sell("5", "199", side=Side.BUY)], (), "6000", "0", id="a buy"),
        pytest.param(
            sol_decision(), [resting_sell("30", "201", status=OrderStatus.CANCELED)], (), "6000", "0", id="ended"
        ),
        pytest.param(
            sol_decision(current="5"), [resting_sell("30", "201")], ("hbrun1x0",), "9500", "0",
            id="position long: its sells count neither way",
        ),
    ],
)  # fmt: skip
def test_margin_need_when_our_sells_rest_then_kept_ones_need_no_more_and_cancelled_ones_free_theirs(
    decision: InstrumentDecision, orders: list[Order], cancelled: tuple[str, ...], needed: str, freed: str
) -> None:
    assert margin_need(plan(decision, cancelled), orders, MARKETS, LEVERAGE) == MarginNeed(D(needed), D(freed))


def venue_balance(wallet: str) -> dict[str, Balance]:
    """The USDT wallet as the venue reports it with a 40 SOL short entered at 200 (initial margin 40 x 200 / 2 =
    4000) and our sells of 30 at 201 and 6 at 202 resting (order margin 3015 + 606 = 3621): free is what is left."""
    used = D(4000) + D(3621)
    return {"USDT": Balance("USDT", D(wallet) - used, used, D(wallet))}


RESTING = [resting_sell("30", "201"), resting_sell("10", "202", filled="4", cid="hbrun1x1")]


def test_check_margin_when_resting_sells_hold_most_of_the_margin_then_counted_once_and_trading_allowed() -> None:
    need = margin_need(plan(sol_decision()), RESTING, MARKETS, LEVERAGE)
    # free 10100 - 7621 = 2479; the 24 contracts still to place need 2400 (counting the 36 resting as needed
    # again, 6000, would refuse with "deposit 3521")
    assert check_margin(venue_balance("10100"), need.needed, freed=need.freed) == D(79)


def test_check_margin_when_the_rest_of_the_target_is_not_covered_then_refused_with_the_exact_shortfall() -> None:
    need = margin_need(plan(sol_decision()), RESTING, MARKETS, LEVERAGE)
    with pytest.raises(PreflightError, match=r"2379 USDT is available .* needs 2400 USDT more .* deposit 21 USDT"):
        check_margin(venue_balance("10000"), need.needed, freed=need.freed)


def test_check_margin_when_the_plan_cancels_resting_sells_then_their_margin_counts_as_available() -> None:
    need = margin_need(plan(sol_decision(), cancelled=("hbrun1x0", "hbrun1x1")), RESTING, MARKETS, LEVERAGE)
    assert need == MarginNeed(D(6000), D(3621))
    assert check_margin(venue_balance("10100"), need.needed, freed=need.freed) == D(100)
