"""The policies' explicit memory between cycles: a frozen value in, a new one out, persisted by the loop."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class TakeProfitMemory:
    """Where one instrument's hedge was built (``anchor``), the lowest price since, and whether it is armed.

    Armed: the full hedge is wanted, and a fall of ``trigger_drop`` from the anchor takes profit. Disarmed: profit
    was taken (part of the hedge closed) and stays taken until the price recovers ``rearm_recovery`` from the low.
    """

    anchor: Decimal
    low: Decimal
    armed: bool = True


@dataclass(frozen=True, slots=True)
class PolicyState:
    take_profit: Mapping[str, TakeProfitMemory] = field(default_factory=dict)  # by instrument symbol

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data (Decimals as strings) for the journal."""
        return {
            "take_profit": {
                symbol: {"anchor": str(m.anchor), "low": str(m.low), "armed": m.armed}
                for symbol, m in sorted(self.take_profit.items())
            }
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicyState:
        memories = data.get("take_profit", {})
        return cls(
            take_profit={
                symbol: TakeProfitMemory(Decimal(m["anchor"]), Decimal(m["low"]), bool(m["armed"]))
                for symbol, m in memories.items()
            }
        )
