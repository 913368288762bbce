"""Specification of the terminal approver, answered through a pseudo-terminal like a person at the keyboard."""

from __future__ import annotations

import asyncio
import os
import pty
import sys
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.cli.approve import TerminalApprover
from bot.domain import OrderIntent, ReasonCode, Side
from bot.errors import HedgebotError
from bot.execution.approval import Verdict

SOL = "SOL/USDT:USDT"


def sell(amount: str) -> OrderIntent:
    return OrderIntent(SOL, Side.SELL, Decimal(amount), Decimal("150.00"), False, ReasonCode.REBALANCE)


@pytest.fixture
def keyboard(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """stdin becomes a terminal; write answers to the returned descriptor as if typed."""
    main, replica = pty.openpty()
    terminal = os.fdopen(replica, "r", buffering=1, closefd=False)
    monkeypatch.setattr(sys, "stdin", terminal)
    yield main
    terminal.close()
    os.close(main)
    os.close(replica)


def type_later(fd: int, text: str, delay: float = 0.05) -> None:
    asyncio.get_running_loop().call_later(delay, os.write, fd, text.encode())


@pytest.mark.parametrize(
    ("typed", "verdicts"),
    [
        ("y\nn\ny\n", [Verdict.APPROVED, Verdict.REJECTED, Verdict.APPROVED]),
        ("a\n", [Verdict.APPROVED] * 3),  # all remaining this cycle
        ("y\nq\n", [Verdict.APPROVED, Verdict.REJECTED, Verdict.REJECTED]),  # reject the rest
        ("maybe\nyes\nno\n", [Verdict.REJECTED, Verdict.APPROVED, Verdict.REJECTED]),  # anything else is a no
    ],
)
async def test_approver_when_answers_typed_then_each_order_gets_its_verdict(
    keyboard: int, typed: str, verdicts: list[Verdict]
) -> None:
    approver = TerminalApprover(timedelta(seconds=5))
    for index, line in enumerate(typed.splitlines(keepends=True)):
        type_later(keyboard, line, 0.05 * (index + 1))
    approvals = await approver.review([sell("1"), sell("2"), sell("3")])
    assert [a.verdict for a in approvals] == verdicts
    assert [a.intent.amount for a in approvals] == [Decimal(1), Decimal(2), Decimal(3)]


async def test_approver_when_nobody_answers_then_rejected_after_the_timeout(keyboard: int) -> None:
    approver = TerminalApprover(timedelta(seconds=0.2))
    (approval,) = await approver.review([sell("1")])
    assert approval.verdict is Verdict.REJECTED
    assert approval.note == "timed out"


def test_approver_when_stdin_is_not_a_terminal_then_refused_with_the_alternative(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read, write = os.pipe()
    with os.fdopen(read) as pipe:
        monkeypatch.setattr(sys, "stdin", pipe)
        with pytest.raises(HedgebotError, match="--approve auto"):
            TerminalApprover(timedelta(seconds=5))
    os.close(write)
