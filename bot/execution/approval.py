"""Approvers: the last word before an order is sent. The automatic approver lives here; a person's plugs in.

An approver is shown a ``Review`` (the cycle's orders the risk gate allowed, the price each approval would cover,
and the what-if) and answers one ``Approval`` per order. Whatever it answers, edited or not, goes through the risk
gate again before anything is sent (``bot.execution.approving``): an approver can say no, never bypass the gate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from bot.domain import Market, OrderIntent, Side, round_price_passive
from bot.risk.whatif import WhatIf

BPS = Decimal(10000)


class Verdict(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"  # by the approver (a person said no or skipped it, or the request expired)
    EXPIRED = "expired"  # approved too late (the plan too old, the price moved): planned and asked again, not sent
    HALT = "halt"  # the person halted trading at the prompt: nothing is sent, the run ends HALTED


@dataclass(frozen=True, slots=True)
class Approval:
    intent: OrderIntent  # possibly edited by the approver (another size); gated again before it is sent
    verdict: Verdict
    approver: str  # "auto", or who approved at the terminal
    note: str = ""


@dataclass(frozen=True, slots=True)
class Review:
    """What an approver is shown: the orders, and for each the worst price its approval covers (``limits``: a
    person's approver sets it as the approved intent's ``limit_price``), and the what-if of sending them all."""

    cycle: int
    intents: tuple[OrderIntent, ...]
    limits: tuple[Decimal, ...]  # one per intent (``covered_limit``)
    what_if: WhatIf | None  # None when there is nothing to show (``intents`` empty)
    markets: Mapping[str, Market]  # the intents' instruments: lot steps and minimum sizes for an edit
    shown_at: datetime
    timeout_seconds: Decimal  # each answer is awaited this long
    max_plan_age_seconds: Decimal  # the plan may be sent this long after it was shown


class Approver(Protocol):
    name: str

    async def review(self, review: Review) -> list[Approval]:
        """Decide on the intents the risk gate allowed, in order; one Approval per intent."""
        ...


class AutoApprover:
    """Unattended mode: everything the risk gate approved goes out unchanged (and without a price limit)."""

    name = "auto"

    async def review(self, review: Review) -> list[Approval]:
        return [Approval(intent, Verdict.APPROVED, self.name) for intent in review.intents]


def covered_limit(intent: OrderIntent, max_move_bps: Decimal, tick: Decimal) -> Decimal:
    """The worst price an approval of ``intent`` covers: ``max_move_bps`` against the person from its price, on the
    tick and inside the bound (a sell at or above it, a buy at or below it)."""
    move = intent.price * max_move_bps / BPS
    if intent.side is Side.SELL:
        return round_price_passive(intent.price - move, tick, Side.SELL)  # rounded up: never below the bound
    return round_price_passive(intent.price + move, tick, Side.BUY)  # rounded down: never above it


def edited(shown: OrderIntent, answered: OrderIntent) -> bool:
    """Whether the approver changed what the order does (size, price, side or instrument)."""
    fields = ("symbol", "side", "amount", "price", "reduce_only", "post_only", "replaces")
    return any(getattr(shown, name) != getattr(answered, name) for name in fields)
