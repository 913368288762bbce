"""End to end: approval at the moment of sending, against the simulator on the bot's manual clock.

A person at a pseudo-terminal approves one order, edits one, skips one and rejects the rest: the venue sees exactly
the approved and the edited order. An approval that comes too late, or after the price moved, is never sent as it
was shown: the cycle is planned and asked again. An edit that breaks a risk limit is denied, and the journal says
why. A re-price within the limit a person approved goes out without asking again; beyond it, it is asked again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.cli.approve import TerminalApprover
from bot.cli.run import cycle_line
from bot.domain import ReasonCode, TradingState
from bot.execution.approval import Approval, Review, Verdict
from bot.execution.approving import HALTED_AT_PROMPT
from bot.execution.run import RunOptions
from bot.execution.summary import CycleOutcome
from bot.execution.supervisor import Ending
from bot.risk.state import Trigger
from hedgesim.enums import Side as VenueSide
from tests.e2e.harness import Harness, running_bot
from tests.keyboard import typist

pytestmark = pytest.mark.e2e
D = Decimal
HOLDINGS = {"USDT": D(60000), "SOL": D(100)}  # about 22,000 USDT of SOL: a dozen sell slices at ratio 1

Answer = Callable[[Review], list[Approval]]


def approve_all(review: Review) -> list[Approval]:
    """As a person approving the whole plan: each order with the limit shown."""
    return [
        Approval(replace(i, limit_price=limit), Verdict.APPROVED, "script")
        for i, limit in zip(review.intents, review.limits, strict=True)
    ]


@dataclass
class Script:
    """An approver answering each review with orders in it with its next step; a step may change the world before
    answering. A cycle with nothing to approve asks it nothing."""

    steps: list[Answer]
    reviews: list[Review] = field(default_factory=list)
    name: str = "script"

    async def review(self, review: Review) -> list[Approval]:
        if not review.intents:
            return []
        self.reviews.append(review)
        return self.steps.pop(0)(review)


def rows(journal: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"{journal.as_uri()}?mode=ro", uri=True) as conn:
        return list(conn.execute(query))


def venue_orders(bot: Harness) -> list[tuple[Decimal, Decimal]]:
    """Every order the venue ever saw: (contracts, price)."""
    return [(o.qty, o.price) for o in bot.engine.venue.orders]


async def test_approval_when_one_approved_one_edited_one_skipped_and_the_rest_rejected_then_the_venue_sees_exactly_those(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keyboard: int
) -> None:
    person = typist(monkeypatch, keyboard, "o", "y", "e", "1.5", "s", "r")
    async with running_bot(tmp_path, balances=HOLDINGS, approval={"mode": "ask"}) as bot:
        approver = TerminalApprover(timedelta(seconds=30))
        shown: list[Review] = []
        original = approver.review

        async def remembering(review: Review) -> list[Approval]:
            shown.append(review)
            return await original(review)

        approver.review = remembering  # type: ignore[method-assign]
        outcome = await bot.asking(approver).cycle(wait=timedelta(seconds=0))
        (review,) = shown
        assert len(review.intents) >= 4
        first, second = review.intents[0], review.intents[1]
        assert venue_orders(bot) == [(first.amount, first.price), (D("1.5"), second.price)]
        assert outcome.placed == 2
        table = person.shown.getvalue()
        for heading in ("hedge ratio", "net exposure", "margin after", "liquidation after", "funding/day after",
                        "fee maker (taker)"):  # fmt: skip
            assert heading in table, heading
        assert "0.00 -> " in table  # no hedge yet: the ratio before, and after
        notional = sum((i.amount * i.price for i in review.intents), D(0))
        assert review.what_if.fee_maker == notional * D("0.0002")  # the account's rate as the venue states it
    verdicts = rows(tmp_path / "journal.sqlite", "SELECT verdict, amount, note FROM approvals ORDER BY approval_id")
    assert verdicts[:3] == [
        ("approved", str(first.amount), ""),
        ("approved", "1.5", f"size edited: {second.amount} -> 1.5 contracts"),
        ("rejected", str(review.intents[2].amount), "skipped"),
    ]
    assert {v for v, _, _ in verdicts[3:]} == {"rejected"}


async def test_approval_when_an_edit_breaks_a_risk_limit_then_it_is_denied_unsent_and_the_journal_says_why(
    tmp_path: Path,
) -> None:
    def too_big(review: Review) -> list[Approval]:
        (first, *rest) = approve_all(review)
        edited = replace(first, intent=replace(first.intent, amount=D(40)))  # ~8,800 USDT: above 5,000 per order
        return [edited, *(replace(a, verdict=Verdict.REJECTED) for a in rest)]

    async with running_bot(tmp_path, balances=HOLDINGS) as bot:
        outcome = await bot.asking(Script([too_big])).cycle(wait=timedelta(seconds=0))
        assert venue_orders(bot) == []
        assert (outcome.placed, outcome.denied) == (0, 1)
        (latest,) = bot.journal.why("SOL", limit=1)  # `hedgebot journal why SOL` shows it
        assert any("risk.max_order_notional" in denial for denial in latest.denials)
    (denial,) = rows(
        tmp_path / "journal.sqlite",
        "SELECT d.code, d.message FROM risk_denials d JOIN risk_decisions r USING (risk_decision_id) "
        "WHERE r.stage = 'approval'",
    )
    assert denial[0] == "max_order_notional"
    assert "risk.max_order_notional = 5000" in str(denial[1])


def took_too_long(bot: Harness) -> None:
    """The person answers after approval.max_plan_age (60 s)."""
    bot.sim.advance(timedelta(seconds=61))


def price_gapped(bot: Harness) -> None:
    """The person answers after risk.max_data_age (the venue is read again), and the price fell 2 % meanwhile."""
    bot.sim.advance(timedelta(seconds=16))
    bot.engine.gap("SOL", D("-0.02"))


@pytest.mark.parametrize(
    ("world", "why"),
    [(took_too_long, "approval.max_plan_age"), (price_gapped, "approval.max_price_move_bps")],
    ids=["plan too old", "price gapped"],
)
async def test_approval_when_stale_then_planned_and_asked_again_never_sent_as_shown(
    tmp_path: Path, world: Callable[[Harness], object], why: str
) -> None:
    async with running_bot(tmp_path, balances=HOLDINGS) as bot:

        def late(review: Review) -> list[Approval]:
            world(bot)
            return approve_all(review)

        script = Script([late, approve_all])
        await bot.asking(script).run_cycles(RunOptions(cycles=1))
        first, second = script.reviews
        assert first.intents != second.intents  # planned again from the market as it is now
        assert sorted(venue_orders(bot)) == sorted((i.amount, i.price) for i in second.intents)
    expired = rows(tmp_path / "journal.sqlite", "SELECT note FROM approvals WHERE verdict = 'expired'")
    assert len(expired) == len(first.intents)
    assert all(why in str(note) and "not sent" in str(note) for (note,) in expired)


@pytest.mark.parametrize(
    ("max_move_bps", "asked_again"),
    [(D(200), False), (D(50), True)],
    ids=["within the approved limit: not asked again", "beyond it: asked again"],
)
async def test_approval_when_the_market_moves_away_from_approved_orders_then_re_prices_follow_the_approved_limit(
    tmp_path: Path, max_move_bps: Decimal, asked_again: bool
) -> None:
    async with running_bot(tmp_path, balances=HOLDINGS, approval={"max_price_move_bps": max_move_bps}) as bot:
        script = Script([approve_all, approve_all])
        await bot.asking(script).cycle(wait=timedelta(seconds=1))  # the whole plan approved; the sells rest
        bot.engine.gap("SOL", D("-0.01"))  # the market falls 100 bps away from them: they are re-priced
        outcome = await bot.cycle(wait=timedelta(seconds=1))
        assert outcome.cancels > 0
        repriced = [o for o in bot.engine.venue.orders.open_orders() if o.side is VenueSide.SELL]
        assert len(script.reviews) == (2 if asked_again else 1)
        if asked_again:
            assert {i.reason for i in script.reviews[1].intents} == {ReasonCode.REPRICE}
        assert len(repriced) == len(script.reviews[0].intents)  # every sell rests again, re-priced
    covered = rows(tmp_path / "journal.sqlite", "SELECT approver FROM approvals WHERE approver LIKE '%earlier%'")
    assert bool(covered) is not asked_again


async def test_approval_when_the_person_halts_then_nothing_is_sent_and_the_run_ends_halted_by_the_operator(
    tmp_path: Path,
) -> None:
    def halt(review: Review) -> list[Approval]:
        return [replace(a, verdict=Verdict.HALT) for a in approve_all(review)]

    async with running_bot(tmp_path, balances=HOLDINGS, start_loop=False) as bot:
        end = await bot.asking(Script([halt])).supervised(RunOptions(cycles=3))
        assert venue_orders(bot) == []
        latest = bot.journal.latest_risk_state()
    assert (end.code, end.ending) == (3, Ending.HALTED)
    assert latest is not None
    assert (latest.trading, latest.cause, latest.detail) == (
        TradingState.HALTED,
        Trigger.OPERATOR_HALT,
        HALTED_AT_PROMPT,
    )


def test_cycle_line_when_the_approval_went_stale_then_it_says_nothing_was_sent_and_why() -> None:
    why = "answered 75 s after the plan was shown, beyond approval.max_plan_age = 60 s"
    outcome = CycleOutcome(4, TradingState.ACTIVE, D(0), D(0), (), intents=3, replanned_because=why)
    line = cycle_line(outcome, datetime(2025, 10, 10, 21, 0, tzinfo=UTC))
    assert line == f"21:00:00 #4 active: nothing sent, planning again: {why} [0 placed]"
