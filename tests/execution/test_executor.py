"""Specification of the executor against a scripted venue: the branches a real venue rarely shows on demand."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.domain import CancelIntent, Order, OrderIntent, OrderStatus, PerpTicker, ReasonCode, Side, TradingState
from bot.errors import (
    AmbiguousOrderOutcome,
    AuthenticationFailed,
    ExchangeUnavailable,
    InsufficientMargin,
    PostOnlyWouldTake,
)
from bot.exchange.port import OrderRequest
from bot.execution.executor import Executor, Outcome, Recheck
from bot.execution.ids import ClientOrderIds
from bot.journal.records import CycleRecord, HoldingDecisionRecord
from bot.journal.writer import Journal, open_journal
from bot.risk import RiskContext
from bot.risk.decision import Denial, DenialCode, RiskDecision
from bot.risk.gate import decide
from tests.exchange.fake_port import FakePort
from tests.factories import NOW, btc_perp_market, sol_perp_market
from tests.risk.factories import default_limits, resting, sol_context, sol_position

D = Decimal
SOL = "SOL/USDT:USDT"
BTC = "BTC/USDT:USDT"
Answer = Order | Exception


class ScriptedVenue(FakePort):
    """A venue whose answers to order requests are scripted, one per request, in order."""

    def __init__(self, answers: list[Callable[[OrderRequest], Answer]]) -> None:
        super().__init__(markets=[sol_perp_market()], prices={SOL: "150"})
        self.answers = answers
        self.sent: list[OrderRequest] = []
        self.confirmed: list[bool] = []  # per order sent: whether its state was to be read back with it
        self.cancelled: list[str] = []

    async def place_order(self, request: OrderRequest, *, confirm: bool = True) -> Order:
        self.sent.append(request)
        self.confirmed.append(confirm)
        answer = self.answers.pop(0)(request)
        if isinstance(answer, Exception):
            raise answer
        self.orders.append(answer)
        return answer

    async def cancel_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> None:
        self.cancelled.append(client_order_id or "")
        self.orders = [
            replace(o, status=OrderStatus.CANCELED) if o.client_order_id == client_order_id else o for o in self.orders
        ]


def rests(request: OrderRequest) -> Order:
    return Order(request.symbol, request.side, request.amount, request.price, OrderStatus.OPEN,
                 request.client_order_id, f"v-{request.client_order_id}", post_only=True)  # fmt: skip


def cancelled_post_only(request: OrderRequest) -> Order:
    """Accepted, then cancelled by the venue for taking liquidity, as the adapter reports it."""
    return replace(
        rests(request), status=OrderStatus.CANCELED, reject_reason="would take liquidity", post_only_rejected=True
    )


def raises(exc: Exception) -> Callable[[OrderRequest], Answer]:
    return lambda _: exc


# The two ways a venue refuses a post-only order that would take liquidity.
BOTH_POST_ONLY_REFUSALS = pytest.mark.parametrize(
    "first_answer",
    [raises(PostOnlyWouldTake("would take liquidity")), cancelled_post_only],
    ids=["rejected synchronously (Binance style)", "accepted then cancelled (Bybit style)"],
)


def approve(intent: OrderIntent, _: Sequence[Order], __: PerpTicker) -> RiskDecision:
    return RiskDecision(intent)


def deny(intent: OrderIntent, _: Sequence[Order], __: PerpTicker) -> RiskDecision:
    return RiskDecision(intent, (Denial(DenialCode.MAX_PRICE_DEVIATION, "too far from mark"),))


def real_gate(context: RiskContext) -> Recheck:
    """The risk gate as the loop re-checks with it: the cycle's context as the orders seen since changed it, with the
    ticker read with the re-price's book."""
    return lambda intent, seen, ticker: decide(
        intent, replace(context, tickers={**context.tickers, ticker.symbol: ticker}).after(seen), default_limits()
    )


def sell(amount: str = "10", price: str = "149.50", replaces: str | None = None) -> OrderIntent:
    return OrderIntent(SOL, Side.SELL, D(amount), D(price), False, ReasonCode.REBALANCE, replaces=replaces)


def buy_back(amount: str = "10", price: str = "149") -> OrderIntent:
    """A reduce-only buy shrinking the short, as an unwind sends it."""
    return OrderIntent(SOL, Side.BUY, D(amount), D(price), True, ReasonCode.UNWIND)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def journal(tmp_path: Path, clock: ManualClock) -> Iterator[Journal]:
    journal = open_journal(tmp_path / "j.sqlite", clock)
    journal.start_run("abc123", mode="sim", config_hash="test", version="test")
    yield journal
    journal.close()


def executor(
    venue: ScriptedVenue,
    journal: Journal,
    reprices: int = 3,
    clock: ManualClock | None = None,
    offset_ticks: int = 0,
) -> Executor:
    ids = ClientOrderIds("abc123")
    ids.start_cycle(1)
    return Executor(
        venue,
        journal,
        ids,
        clock or ManualClock(NOW),
        run_id="abc123",
        max_post_only_retries_per_minute=reprices,
        passive_offset_ticks=offset_ticks,
    )


@BOTH_POST_ONLY_REFUSALS
async def test_post_only_when_it_would_take_then_repriced_at_the_fresh_touch_and_sent_once_more(
    journal: Journal, first_answer: Callable[[OrderRequest], Answer]
) -> None:
    venue = ScriptedVenue([first_answer, rests])
    placement = await executor(venue, journal).place(sell(price="149.50"), None, sol_perp_market(), approve)
    assert placement.outcome is Outcome.PLACED
    assert [r.price for r in venue.sent] == [D("149.50"), D("150.00")]  # the fresh book's best ask
    assert len({r.client_order_id for r in venue.sent}) == 2  # a new client id for the new order
    statuses = {o.client_order_id: o.status for o in journal.orders()}
    assert sorted(statuses.values()) == sorted([OrderStatus.OPEN, statuses[venue.sent[0].client_order_id]])
    assert statuses[venue.sent[0].client_order_id] in (OrderStatus.REJECTED, OrderStatus.CANCELED)


@pytest.mark.parametrize(
    ("slices", "confirmed"),
    [
        # the first is read back; the same price and a more passive one are not; a more aggressive one is again
        (
            [sell(price="150"), sell(price="150"), sell(price="150.10"), sell(price="149.90")],
            [True, False, False, True],
        ),
        # reduce-only slices are always read back: the venue may cut each to what is left of the position
        ([buy_back(price="149"), buy_back(price="149"), buy_back(price="148.90")], [True, True, True]),
    ],
    ids=["sells building the hedge", "reduce-only buys unwinding it"],
)
async def test_slices_when_an_earlier_one_rests_then_later_ones_at_its_price_or_behind_go_without_a_status_read(
    journal: Journal, slices: list[OrderIntent], confirmed: list[bool]
) -> None:
    venue = ScriptedVenue([rests] * len(slices))
    placements = await executor(venue, journal).execute(
        [], [(s, None) for s in slices], {SOL: sol_perp_market()}, approve
    )
    assert [p.outcome for p in placements] == [Outcome.PLACED] * len(slices)
    assert venue.confirmed == confirmed


async def test_slices_when_the_first_was_refused_for_crossing_then_its_reprice_is_read_back_and_later_ones_not(
    journal: Journal,
) -> None:
    venue = ScriptedVenue([cancelled_post_only, rests, rests])
    venue.prices[SOL] = "150.20"  # the book the re-price reads: the market rose through 150
    slices = [sell(price="150"), sell(price="150")]
    placements = await executor(venue, journal).execute(
        [], [(s, None) for s in slices], {SOL: sol_perp_market()}, approve
    )
    assert [p.outcome for p in placements] == [Outcome.PLACED] * 2
    # the refused first slice rested nowhere: its re-price is read back; the second, sent at that fresh price, is not
    assert venue.confirmed == [True, True, False]


async def test_post_only_when_rejected_every_time_then_gives_up_within_the_per_minute_budget(journal: Journal) -> None:
    venue = ScriptedVenue([])

    def refused_as_the_market_rises(request: OrderRequest) -> Answer:
        venue.prices[SOL] = str(request.price + 1)  # each fresh book quotes better than the refused price
        return cancelled_post_only(request)

    venue.answers = [refused_as_the_market_rises] * 10
    placement = await executor(venue, journal, reprices=2).place(sell(), None, sol_perp_market(), approve)
    assert placement.outcome is Outcome.SKIPPED
    assert "re-pricing limit reached" in placement.detail
    assert [r.price for r in venue.sent] == [D("149.50"), D("150.50"), D("151.50")]  # the first try, two re-prices


@pytest.mark.parametrize(
    ("slices", "book"),
    [
        ([sell(price="150"), sell(price="150"), sell(price="149.90")], "150"),  # the fresh ask: the refused price
        ([sell(price="150"), sell(price="150")], "149.80"),  # the fresh ask is worse than the refused price
        ([buy_back(price="150"), buy_back(price="150")], "150"),  # a buy: the fresh bid is the refused price
    ],
    ids=["same price", "worse price", "reduce-only buy"],
)
async def test_reprice_when_the_fresh_book_quotes_no_better_than_the_refused_price_then_nothing_more_sent_this_cycle(
    journal: Journal, slices: list[OrderIntent], book: str
) -> None:
    venue = ScriptedVenue([cancelled_post_only] * 10)  # the venue's real book is ahead of the one it serves
    venue.prices[SOL] = book
    placements = await executor(venue, journal, reprices=5).execute(
        [], [(s, None) for s in slices], {SOL: sol_perp_market()}, approve
    )
    assert len(venue.sent) == 1  # the refused order alone: neither its re-price nor a later slice is sent
    assert [p.outcome for p in placements] == [Outcome.SKIPPED] * len(slices)
    assert all("the book is behind the venue" in p.detail for p in placements)
    assert len(venue.called("fetch_order_book")) == 1


async def test_reprice_when_the_book_was_behind_last_cycle_then_the_next_cycle_tries_again(journal: Journal) -> None:
    venue = ScriptedVenue([cancelled_post_only, cancelled_post_only, rests])
    venue.prices[SOL] = "150"
    run = executor(venue, journal, reprices=5)
    first = await run.execute([], [(sell(price="150"), None)], {SOL: sol_perp_market()}, approve)
    venue.prices[SOL] = "150.20"  # the book served has caught up with the venue's
    second = await run.execute([], [(sell(price="150"), None)], {SOL: sol_perp_market()}, approve)
    assert [p.outcome for p in first] == [Outcome.SKIPPED]
    assert [p.outcome for p in second] == [Outcome.PLACED]
    assert [r.price for r in venue.sent] == [D("150"), D("150"), D("150.20")]  # sent again, then re-priced to rest


@pytest.mark.parametrize(
    ("side", "offset_ticks", "price"),
    [
        (Side.BUY, 2, "149.98"),  # two ticks below the fresh bid
        (Side.SELL, 2, "150.02"),  # two ticks above the fresh ask
        (Side.BUY, 20_000, "0.01"),  # 200 USDT below a bid of 150 is no price at all: one tick, never zero or less
    ],
)
async def test_reprice_when_an_offset_is_set_then_the_planner_s_passive_price_behind_the_fresh_touch(
    journal: Journal, side: Side, offset_ticks: int, price: str
) -> None:
    venue = ScriptedVenue([cancelled_post_only, rests])
    refused = "150.10" if side is Side.BUY else "149.50"  # a price beyond the touch the re-price reads
    intent = replace(sell(price=refused), side=side, reduce_only=side is Side.BUY)
    await executor(venue, journal, offset_ticks=offset_ticks).place(intent, None, sol_perp_market(), approve)
    assert venue.sent[-1].price == D(price)


@pytest.mark.parametrize(
    ("limit", "outcome", "sent"),
    [
        (None, Outcome.PLACED, 2),  # approved automatically: no bound
        (D("149.80"), Outcome.PLACED, 2),  # the fresh ask, 150.00, is at or above what the person approved
        (D("150.50"), Outcome.SKIPPED, 1),  # below it: not sent; the next cycle plans and asks again
    ],
)
async def test_reprice_when_a_person_approved_a_limit_then_only_prices_within_it_are_sent(
    journal: Journal, limit: Decimal | None, outcome: Outcome, sent: int
) -> None:
    venue = ScriptedVenue([cancelled_post_only, rests])
    intent = replace(sell(price="149.50"), limit_price=limit)
    placement = await executor(venue, journal).place(intent, None, sol_perp_market(), approve)
    assert placement.outcome is outcome
    assert len(venue.sent) == sent


async def test_reprice_when_the_market_jumped_since_the_plan_then_checked_against_the_mark_read_with_the_new_book(
    journal: Journal,
) -> None:
    def jumps(request: OrderRequest) -> Answer:  # refused for taking liquidity as the market leaps 150 -> 160
        venue.prices[SOL] = "160"
        return cancelled_post_only(request)

    venue = ScriptedVenue([jumps, rests])
    gate = real_gate(sol_context(mark="150", position=sol_position("0")))  # the cycle's mark: 150
    placement = await executor(venue, journal).place(sell(price="150"), None, sol_perp_market(), gate)
    # 160 is 667 bps from the cycle's mark (max_price_deviation_bps 100), 0 from the mark read with the fresh book
    assert placement.outcome is Outcome.PLACED
    assert [r.price for r in venue.sent] == [D("150"), D("160.00")]


async def test_reprice_when_the_gate_denies_the_new_price_then_nothing_more_is_sent(journal: Journal) -> None:
    venue = ScriptedVenue([cancelled_post_only, rests])
    placement = await executor(venue, journal).place(sell(), None, sol_perp_market(), deny)
    assert placement.outcome is Outcome.DENIED
    assert len(venue.sent) == 1


async def test_replace_when_the_old_order_filled_partly_meanwhile_then_only_its_remainder_is_re_ordered(
    journal: Journal,
) -> None:
    venue = ScriptedVenue([rests, rests])
    run = executor(venue, journal)
    first = await run.place(sell("10"), None, sol_perp_market(), approve)
    assert first.client_order_id is not None
    venue.orders = [replace(o, filled=D(7)) for o in venue.orders]  # 7 filled after the plan was made
    second = await run.place(sell("10", replaces=first.client_order_id), None, sol_perp_market(), approve)
    assert venue.cancelled == [first.client_order_id]
    assert second.outcome is Outcome.PLACED
    assert venue.sent[-1].amount == D(3)


async def test_cancel_when_the_order_is_foreign_then_refused(journal: Journal) -> None:
    venue = ScriptedVenue([])
    result = await executor(venue, journal).cancel(CancelIntent(SOL, "web-123", "1", ReasonCode.UNWIND))
    assert result is None
    assert venue.cancelled == []


async def test_margin_refusal_when_it_happens_then_later_increases_skipped_but_buy_backs_sent(
    journal: Journal,
) -> None:
    venue = ScriptedVenue([raises(InsufficientMargin("110007")), rests])
    run = executor(venue, journal)
    buy_back = OrderIntent(SOL, Side.BUY, D(5), D("149.90"), True, ReasonCode.REBALANCE)
    placements = await run.execute(
        [], [(sell(), None), (sell(), None), (buy_back, None)], {SOL: sol_perp_market()}, approve
    )
    assert [p.outcome for p in placements] == [Outcome.REJECTED, Outcome.SKIPPED, Outcome.PLACED]


async def test_create_when_credentials_fail_then_journaled_and_raised(journal: Journal) -> None:
    venue = ScriptedVenue([raises(AuthenticationFailed("10003 invalid key"))])
    with pytest.raises(AuthenticationFailed):
        await executor(venue, journal).place(sell(), None, sol_perp_market(), approve)
    (order,) = journal.orders()
    assert order.status is OrderStatus.REJECTED


async def test_every_request_when_sent_then_its_journal_row_existed_first(journal: Journal) -> None:
    seen_in_journal: list[bool] = []

    def check(request: OrderRequest) -> Answer:
        seen_in_journal.append(journal.order(request.client_order_id) is not None)
        return rests(request)

    venue = ScriptedVenue([check, check])
    await executor(venue, journal).execute([], [(sell(), None), (sell(), None)], {SOL: sol_perp_market()}, approve)
    assert seen_in_journal == [True, True]


async def test_unknown_outcome_when_the_venue_never_got_it_then_released_after_the_grace_period(
    journal: Journal, clock: ManualClock
) -> None:
    venue = ScriptedVenue([raises(AmbiguousOrderOutcome("timeout", symbol=SOL, client_order_id="x"))])
    run = executor(venue, journal, clock=clock)  # the journal records times on the same clock
    placement = await run.place(sell(), None, sol_perp_market(), approve)
    assert placement.outcome is Outcome.UNKNOWN
    assert SOL in run.frozen
    assert (await run.place(sell(), None, sol_perp_market(), approve)).outcome is Outcome.SKIPPED
    clock.advance(timedelta(seconds=31))
    await run.resolve_unknown()
    assert SOL not in run.frozen


async def test_reprice_when_one_slice_was_rejected_then_the_next_slices_start_from_the_fresh_price(
    journal: Journal,
) -> None:
    venue = ScriptedVenue([cancelled_post_only, rests, rests, rests])
    slices = [(sell("5", price="149.50"), None) for _ in range(3)]
    placements = await executor(venue, journal, reprices=1).execute([], slices, {SOL: sol_perp_market()}, approve)
    assert [p.outcome for p in placements] == [Outcome.PLACED] * 3
    assert [r.price for r in venue.sent] == [D("149.50"), D("150.00"), D("150.00"), D("150.00")]
    assert len(venue.called("fetch_order_book")) == 1  # one fresh book served all three slices


# Re-checks through the real risk gate. The SOL hedge of tests/risk/factories.py: 100 contracts hedge the holdings
# fully, risk.max_hedge_ratio is 1, the mark and the fresh book's best ask are 150.00.


@BOTH_POST_ONLY_REFUSALS
async def test_reprice_when_the_order_it_replaces_was_cancelled_then_rechecked_without_it_and_sent(
    journal: Journal, first_answer: Callable[[OrderRequest], Answer]
) -> None:
    old = resting(Side.SELL, "20", "150.10", client_order_id="hbold1x0")  # with -80, exactly the full hedge
    venue = ScriptedVenue([first_answer, rests])
    venue.orders.append(old)
    journal.adopt_order(venue.venue, old, run_id="abc123")
    gate = real_gate(sol_context(position=sol_position("-80"), our_orders=[old]))
    replacement = sell("20", "149.50", replaces="hbold1x0")  # the market moved on: it would take liquidity
    placement = await executor(venue, journal).place(replacement, None, sol_perp_market(), gate)
    assert placement.outcome is Outcome.PLACED, placement.detail  # -80 - 20: the cancelled order no longer counts
    assert venue.cancelled == ["hbold1x0"]
    assert [r.price for r in venue.sent] == [D("149.50"), D("150.00")]


async def test_reprice_when_the_replaced_order_filled_partly_before_its_cancel_then_the_fill_counts(
    journal: Journal,
) -> None:
    old = resting(Side.SELL, "20", "150.10", client_order_id="hbold1x0")  # -85 - 20: 1.05 x, left from before
    venue = ScriptedVenue([cancelled_post_only, rests])
    venue.orders.append(replace(old, filled=D(8)))  # 8 filled after the snapshot: the position is -93 now
    journal.adopt_order(venue.venue, old, run_id="abc123")
    gate = real_gate(sol_context(position=sol_position("-85"), our_orders=[old]))
    replacement = sell("20", "149.50", replaces="hbold1x0")  # re-ordered for the 12 left
    placement = await executor(venue, journal).place(replacement, None, sol_perp_market(), gate)
    assert placement.outcome is Outcome.DENIED  # -93 - 12 = -105, not -85 - 12 = -97
    assert "could reach 105.0 contracts" in placement.detail


async def test_reprice_when_an_earlier_slice_was_placed_this_cycle_then_it_counts_against_the_limits(
    journal: Journal,
) -> None:
    venue = ScriptedVenue([rests, cancelled_post_only, rests])
    gate = real_gate(sol_context(position=sol_position("-70")))
    slices = [(sell("20", "150.00"), None), (sell("20", "149.50"), None)]  # the gate saw them one by one
    placements = await executor(venue, journal).execute([], slices, {SOL: sol_perp_market()}, gate)
    assert [p.outcome for p in placements] == [Outcome.PLACED, Outcome.DENIED]  # -70 - 20 - 20 = 1.1 x
    assert len(venue.sent) == 2


async def test_reprice_when_the_recheck_denies_then_journaled_like_the_cycles_denials_and_why_shows_it(
    journal: Journal,
) -> None:
    cycle = journal.record_cycle(CycleRecord("abc123", 1, NOW, TradingState.ACTIVE, D(15000), D(9000)))
    journal.record_decisions(cycle, [HoldingDecisionRecord("SOL", ReasonCode.REBALANCE, SOL)])
    intent = sell("10", "149.50")
    (intent_id,) = journal.record_intents(cycle, [intent])
    other = resting(Side.SELL, "40", "150.00", client_order_id="hbrest1x0")  # still resting: -60 - 40 - 10
    venue = ScriptedVenue([cancelled_post_only, rests])
    gate = real_gate(sol_context(position=sol_position("-60"), our_orders=[other]))
    placement = await executor(venue, journal).place(intent, intent_id, sol_perp_market(), gate)
    assert placement.outcome is Outcome.DENIED
    (why,) = journal.why("SOL")
    assert any("risk.max_hedge_ratio" in denial for denial in why.denials), why.denials
    (row,) = journal.last_cycles()
    assert (row.intents, row.denied) == (1, 1)


async def test_replace_when_the_cancelled_order_cannot_be_read_back_then_nothing_re_ordered_and_nothing_raised(
    journal: Journal,
) -> None:
    venue = ScriptedVenue([rests, rests])
    run = executor(venue, journal)
    first = await run.place(sell("10"), None, sol_perp_market(), approve)
    venue.failures["fetch_order"] = ExchangeUnavailable("503 while reading the cancelled order back")
    second = await run.place(sell("10", replaces=first.client_order_id), None, sol_perp_market(), approve)
    assert venue.cancelled == [first.client_order_id]
    assert second.outcome is Outcome.SKIPPED  # its remainder is unknown: the next cycle decides again
    assert len(venue.sent) == 1


async def test_reprice_when_the_fresh_book_cannot_be_read_then_the_order_is_skipped_not_the_cycle(
    journal: Journal,
) -> None:
    venue = ScriptedVenue([cancelled_post_only, rests])
    venue.failures["fetch_order_book"] = ExchangeUnavailable("503 on the order book")
    placement = await executor(venue, journal).place(sell(), None, sol_perp_market(), approve)
    assert placement.outcome is Outcome.SKIPPED
    assert len(venue.sent) == 1


class SlowOnBtc(ScriptedVenue):
    """Answers BTC orders a moment later than SOL ones."""

    async def place_order(self, request: OrderRequest, *, confirm: bool = True) -> Order:
        if request.symbol == BTC:
            await asyncio.sleep(0.05)
        return await super().place_order(request, confirm=confirm)


async def test_execute_when_one_symbol_fails_then_it_raises_only_once_every_other_symbol_is_done(
    journal: Journal,
) -> None:
    venue = SlowOnBtc([raises(AuthenticationFailed("10003 invalid key")), rests])
    venue.markets[BTC] = btc_perp_market()
    btc = OrderIntent(BTC, Side.SELL, D("0.01"), D(60000), False, ReasonCode.REBALANCE)
    markets = {SOL: sol_perp_market(), BTC: btc_perp_market()}
    with pytest.raises(AuthenticationFailed):
        await executor(venue, journal).execute([], [(sell(), None), (btc, None)], markets, approve)
    assert {o.symbol: o.status for o in journal.orders()} == {SOL: OrderStatus.REJECTED, BTC: OrderStatus.OPEN}
