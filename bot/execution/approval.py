"""Approvers: the last word before an order is sent. The automatic approver lives here; a human one plugs in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.domain import OrderIntent


class Verdict(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"  # by the approver (a person said no, or the request expired)


@dataclass(frozen=True, slots=True)
class Approval:
    intent: OrderIntent  # possibly edited by the approver (smaller amount, another price)
    verdict: Verdict
    approver: str  # "auto", or who approved at the terminal
    note: str = ""


class Approver(Protocol):
    name: str

    async def review(self, intents: Sequence[OrderIntent]) -> list[Approval]:
        """Decide on intents the risk gate already approved, in order; one Approval per intent."""
        ...


class AutoApprover:
    """Unattended mode: everything the risk gate approved goes out unchanged."""

    name = "auto"

    async def review(self, intents: Sequence[OrderIntent]) -> list[Approval]:
        return [Approval(intent, Verdict.APPROVED, self.name) for intent in intents]
