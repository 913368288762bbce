"""Specification of the terminal approver, answered through a pseudo-terminal like a person at the keyboard.

A ``Typist`` (tests/keyboard.py) types each answer when its prompt appears, however slow the machine is.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.cli.approve import TerminalApprover, parse_size
from bot.errors import HedgebotError
from bot.execution.approval import Review, Verdict, covered_limit
from bot.risk.whatif import what_if
from tests.factories import NOW, sol_perp_market
from tests.keyboard import typist
from tests.risk.factories import SOL, base_tier_fees, sell, sol_context

D = Decimal
APPROVED, REJECTED, HALT = Verdict.APPROVED, Verdict.REJECTED, Verdict.HALT


def review_of(*amounts: str) -> Review:
    """Sells of ``amounts`` @ 150 on the risk gate's baseline (-60 of 100 hedged, 20,000 collateral, 1x)."""
    intents = tuple(sell(amount) for amount in amounts)
    market = sol_perp_market()
    return Review(
        cycle=7,
        intents=intents,
        limits=tuple(covered_limit(i, D(50), market.tick_size) for i in intents),
        what_if=what_if(intents, sol_context(market=market), base_tier_fees()),
        markets={SOL: market},
        shown_at=NOW,
        timeout_seconds=D(5),
        max_plan_age_seconds=D(60),
    )


@pytest.mark.parametrize(
    ("answers", "verdicts", "amounts"),
    [
        (["a"], [APPROVED] * 3, ["1", "2", "3"]),
        (["r"], [REJECTED] * 3, ["1", "2", "3"]),
        (["maybe"], [REJECTED] * 3, ["1", "2", "3"]),  # anything else is a no
        (["h"], [HALT] * 3, ["1", "2", "3"]),
        (["o", "y", "s", "r"], [APPROVED, REJECTED, REJECTED], ["1", "2", "3"]),
        (["o", "e", "2.5", "y", "n"], [APPROVED, APPROVED, REJECTED], ["2.5", "2", "3"]),
        (["o", "e", "0.05", "abc", "-1", "4", "r"], [APPROVED, REJECTED, REJECTED], ["4", "2", "3"]),  # re-asked
        (["o", "y", "h"], [HALT] * 3, ["1", "2", "3"]),  # a halt sends nothing, not even what was approved
    ],
    ids=["all", "reject all", "unknown", "halt", "yes skip reject-rest", "edit", "edit re-asked", "halt midway"],
)
async def test_approver_when_answers_typed_then_each_order_gets_its_verdict(
    monkeypatch: pytest.MonkeyPatch, keyboard: int, answers: list[str], verdicts: list[Verdict], amounts: list[str]
) -> None:
    typist(monkeypatch, keyboard, *answers)
    review = review_of("1", "2", "3")
    approvals = await TerminalApprover(timedelta(seconds=5)).review(review)
    assert [a.verdict for a in approvals] == verdicts
    assert [a.intent.amount for a in approvals] == [D(a) for a in amounts]
    for approval, limit in zip(approvals, review.limits, strict=True):
        assert approval.intent.limit_price == (limit if approval.verdict is APPROVED else None)


async def test_approver_when_a_size_is_edited_then_the_notional_follows_and_the_note_says_so(
    monkeypatch: pytest.MonkeyPatch, keyboard: int
) -> None:
    typist(monkeypatch, keyboard, "o", "e", "2.5")
    (approval,) = await TerminalApprover(timedelta(seconds=5)).review(review_of("1"))
    assert (approval.intent.amount, approval.intent.notional) == (D("2.5"), D("375.0"))
    assert approval.note == "size edited: 1 -> 2.5 contracts"


async def test_approver_when_the_plan_is_shown_then_one_table_has_every_order_and_the_what_if(
    monkeypatch: pytest.MonkeyPatch, keyboard: int
) -> None:
    person = typist(monkeypatch, keyboard, "r")
    await TerminalApprover(timedelta(seconds=5)).review(review_of("10", "10"))
    shown = person.shown.getvalue()
    assert shown.count("approve? ") == 1  # one prompt for the cycle, not one per order
    assert "at or above 149.25" in shown  # 150 less 50 bps, on the tick: what an approval covers
    # hand-computed (tests/risk/test_whatif.py): ratio 0.6 -> 0.8, uncovered 6,000 -> 3,000, margin 12,000,
    # liquidation 150 x 2 / 1.01, funding 80 x 150 x 0.0001 x 3 received, fees on 3,000 at 0.02 % and 0.055 %
    for figure in ("0.60 -> 0.80", "6,000.00 -> 3,000.00", "12,000.00", "297.03 (98.0% away)", "+3.60",
                   "0.60 (1.65)", "0.60x account"):  # fmt: skip
        assert figure in shown, figure


async def test_approver_when_the_cycle_has_nothing_to_approve_then_nothing_is_shown_or_asked(
    monkeypatch: pytest.MonkeyPatch, keyboard: int
) -> None:
    person = typist(monkeypatch, keyboard)
    assert await TerminalApprover(timedelta(seconds=5)).review(review_of()) == []
    assert person.shown.getvalue() == ""


async def test_approver_when_nobody_answers_then_rejected_after_the_timeout(keyboard: int) -> None:
    (approval,) = await TerminalApprover(timedelta(seconds=0.2)).review(review_of("1"))
    assert approval.verdict is Verdict.REJECTED
    assert approval.note == "timed out"


@pytest.mark.parametrize(
    ("typed", "size", "problem"),
    [
        ("2.5", D("2.5"), ""),
        ("0.05", None, "not a multiple of the lot step 0.1"),
        ("0", None, "positive"),
        ("nan", None, "positive"),
        ("two", None, "not a number"),
    ],
)
def test_parse_size_when_typed_then_only_a_size_the_venue_takes_is_accepted(
    typed: str, size: Decimal | None, problem: str
) -> None:
    parsed, why = parse_size(typed, sol_perp_market())
    assert parsed == size
    assert problem in why


def test_approver_when_stdin_is_not_a_terminal_then_refused_with_the_alternative(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read, write = os.pipe()
    with os.fdopen(read) as pipe:
        monkeypatch.setattr(sys, "stdin", pipe)
        with pytest.raises(HedgebotError, match="--approve auto"):
            TerminalApprover(timedelta(seconds=5))
    os.close(write)
