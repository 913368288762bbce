"""The planner's explicit memory between cycles: which instruments are rebalancing or managed, recent reprices."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class InstrumentState:
    rebalancing: bool = False  # acting since the gap left the band: keep going until band x hysteresis
    reprices: tuple[datetime, ...] = ()  # when this instrument's orders were re-priced in the last minute


@dataclass(frozen=True, slots=True)
class PlannerState:
    instruments: Mapping[str, InstrumentState] = field(default_factory=dict)
    # Instruments the bot has hedged on and still holds a position or orders in: a position there with no
    # target left (the holding was sold) is unwound rather than ignored.
    managed: frozenset[str] = frozenset()

    def of(self, symbol: str) -> InstrumentState:
        return self.instruments.get(symbol, InstrumentState())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data for the journal."""
        return {
            "instruments": {
                symbol: {"rebalancing": s.rebalancing, "reprices": [t.isoformat() for t in s.reprices]}
                for symbol, s in sorted(self.instruments.items())
            },
            "managed": sorted(self.managed),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlannerState:
        return cls(
            instruments={
                symbol: InstrumentState(
                    rebalancing=bool(s["rebalancing"]),
                    reprices=tuple(datetime.fromisoformat(t) for t in s["reprices"]),
                )
                for symbol, s in data.get("instruments", {}).items()
            },
            managed=frozenset(data.get("managed", ())),
        )
