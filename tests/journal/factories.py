"""Named journal values: order requests, fills and funding payments on the SOL hedge, and a populated journal."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bot.clock import ManualClock
from bot.domain import (
    Fill,
    FundingPayment,
    HedgeTarget,
    Order,
    OrderIntent,
    OrderStatus,
    ReasonCode,
    Side,
    TradingState,
)
from bot.exchange.port import OrderRequest
from bot.journal import CycleRecord, HoldingDecisionRecord, InstrumentDecisionRecord, Journal, open_journal
from bot.risk import Denial, DenialCode, RiskDecision
from tests.factories import NOW, sol_perp_market
from tests.risk.factories import SOL, buy_back, sell

D = Decimal
VENUE = "main"
RUN = "r1run1"
MARKETS = {SOL: sol_perp_market()}
HOUR = NOW.replace(minute=0, second=0, microsecond=0)  # the top of a UTC hour: a run of unchanged cycles from there


def new_journal(tmp_path: Path, start: datetime = NOW) -> tuple[Journal, ManualClock, Path]:
    clock = ManualClock(start)
    path = tmp_path / "journal.sqlite"
    return open_journal(path, clock), clock, path


def order_request(
    client_order_id: str = "hbr1run11x0", side: Side = Side.SELL, amount: str = "10", price: str = "150.01"
) -> OrderRequest:
    return OrderRequest(
        symbol=SOL,
        side=side,
        amount=D(amount),
        price=D(price),
        client_order_id=client_order_id,
        reduce_only=side is Side.BUY,
    )


def venue_order(request: OrderRequest, status: OrderStatus, filled: str = "0", reason: str | None = None) -> Order:
    return Order(
        symbol=request.symbol,
        side=request.side,
        amount=request.amount,
        price=request.price,
        status=status,
        client_order_id=request.client_order_id,
        order_id="v-" + request.client_order_id,
        filled=D(filled),
        average_price=request.price if D(filled) else None,
        reduce_only=request.reduce_only,
        post_only=request.post_only,
        reject_reason=reason,
    )


def sol_fill(
    trade_id: str, side: Side, amount: str, price: str, at: datetime, client_order_id: str = "hbfill1x0"
) -> Fill:
    """A fill of one of our orders; ``client_order_id=""`` makes it a foreign one (a manual trade)."""
    return Fill(
        trade_id=trade_id,
        order_id="v-" + client_order_id if client_order_id else None,
        client_order_id=client_order_id or None,
        symbol=SOL,
        side=side,
        amount=D(amount),
        price=D(price),
        fee=D("-0.0003"),
        fee_currency="USDT",
        maker=True,
        timestamp=at,
    )


def sol_funding(at: datetime, amount: str, payment_id: str | None = None) -> FundingPayment:
    return FundingPayment(
        payment_id=payment_id or f"f-{at:%H%M}",
        symbol=SOL,
        amount=D(amount),
        currency="USDT",
        rate=D("0.0001"),
        position_contracts=D(-60),
        timestamp=at,
    )


def populate(journal: Journal, clock: ManualClock) -> None:
    """Two cycles of a SOL hedge: cycle 1 sells 10 (filled), cycle 2 is denied by the hedge-ratio limit and
    leaves a resting buy-back; two fills and two funding settlements."""
    journal.start_run(RUN, mode="sim", config_hash="c0ffee", version="0.1.0")
    first = journal.record_cycle(
        CycleRecord(RUN, 1, clock.now(), TradingState.ACTIVE, D("15000.00"), D("9000"), {"holdings": 1})
    )
    journal.record_decisions(
        first,
        [HoldingDecisionRecord("SOL", ReasonCode.REBALANCE, SOL, D("15000"), D("0.7"), D(-70), D(-60), D(0), D(-10))],
    )
    (intent_id,) = journal.record_intents(first, [sell()])
    journal.record_risk_decisions([intent_id], [RiskDecision(sell())])
    ticket = journal.record_order(VENUE, order_request(), run_id=RUN, intent_id=intent_id)
    journal.record_acknowledged(ticket, venue_order(ticket.request, OrderStatus.OPEN))
    journal.record_order_update(venue_order(ticket.request, OrderStatus.FILLED, "10"))
    journal.record_fills(
        VENUE,
        [
            sol_fill("t1", Side.SELL, "4", "150.01", clock.now(), ticket.client_order_id),
            sol_fill("t2", Side.SELL, "6", "150.01", clock.now(), ticket.client_order_id),
        ],
        MARKETS,
    )
    journal.record_funding(VENUE, [sol_funding(NOW - timedelta(hours=4), "-0.9"), sol_funding(NOW, "0.3")])

    clock.advance(timedelta(seconds=30))
    second = journal.record_cycle(CycleRecord(RUN, 2, clock.now(), TradingState.ACTIVE, D("15000"), D("10500")))
    journal.record_decisions(
        second,
        [HoldingDecisionRecord("SOL", ReasonCode.BLOCKED_BY_LIMIT, SOL, D("15000"), D("1.1"), note="over the ratio")],
    )
    denied = RiskDecision(
        sell("40"), (Denial(DenialCode.MAX_HEDGE_RATIO, "the short could reach 110 contracts", D("1.1"), D(1)),)
    )
    ids = journal.record_intents(second, [sell("40"), buy_back("5")])
    journal.record_risk_decisions(ids, [denied, RiskDecision(buy_back("5"))])
    rest = order_request("hbr1run12x0", Side.BUY, "5", "149.90")
    journal.record_acknowledged(
        journal.record_order(VENUE, rest, run_id=RUN, intent_id=ids[1]), venue_order(rest, OrderStatus.OPEN)
    )


def hedged_cycle(
    journal: Journal,
    clock: ManualClock,
    number: int,
    *,
    sol: str = "150",
    current: str = "-75",
    target: str = "-75",
    reason: ReasonCode = ReasonCode.HEDGED_WITHIN_BAND,
    state: TradingState = TradingState.ACTIVE,
    intents: tuple[OrderIntent, ...] = (),
    cancels: bool = False,
    run_id: str = RUN,
) -> int | None:
    """A cycle at the clock's time (then the clock moves on 30 s): 100 SOL worth ``sol`` each, hedged at 75 % on the
    SOL perp (``current`` contracts, ``target`` wanted), marked at ``sol`` too; its cycle id (None: it extended a
    run)."""
    price, position, wanted = D(sol), D(current), D(target)
    decisions = [
        HoldingDecisionRecord(
            "SOL", reason, SOL, D(100) * price, D("0.75"), wanted, position, D(0), wanted - position,
            price=price, quantity=D(100), note=f"gap {wanted - position} contracts is within the band",
        ),
        InstrumentDecisionRecord(SOL, reason, wanted, position, D(0), wanted - position, price=price),
    ]  # fmt: skip
    target = HedgeTarget(SOL, D("-75.0003"), D(75) * price, full_contracts=D(-100))
    cycle = CycleRecord(run_id, number, clock.now(), state, D(100) * price, -position * price)
    cycle_id, _ = journal.record_decided(cycle, [target], decisions, intents, cancels=cancels)
    clock.advance(timedelta(seconds=30))
    return cycle_id
