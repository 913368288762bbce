"""`take_profit` modifier: after the hedged price falls far enough, close part of the hedge; re-arm on recovery."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import ClassVar

from bot.domain import ONE, HedgeTarget, PerpTicker
from bot.settings import PolicySettings
from policies.state import PolicyState, TakeProfitMemory


@dataclass(frozen=True, slots=True)
class TakeProfit:
    """Per instrument, on its mark price:

    - the first cycle with a hedge remembers the price as the anchor (where the hedge was built), armed;
    - armed, when the price is ``trigger_drop`` or more below the anchor: take profit, i.e. scale the hedge by
      ``1 - close_fraction`` (the planner buys back that part, locking in the gain) and disarm;
    - disarmed, when the price has recovered ``rearm_recovery`` from the lowest price since the anchor: re-arm
      with the full hedge and a new anchor at that price.
    The memory lives in ``PolicyState.take_profit``; it is dropped when the instrument no longer has a hedge.
    """

    name: ClassVar[str] = "take_profit"

    trigger_drop: Decimal
    close_fraction: Decimal
    rearm_recovery: Decimal

    @classmethod
    def from_settings(cls, policy: PolicySettings) -> TakeProfit:
        params = policy.take_profit
        return cls(params.trigger_drop, params.close_fraction, params.rearm_recovery)

    def apply(
        self, target: HedgeTarget, ticker: PerpTicker | None, state: PolicyState
    ) -> tuple[Decimal, str, PolicyState]:
        memory = state.take_profit.get(target.symbol)
        price = None if ticker is None else ticker.mark
        if target.contracts == 0 or price is None:
            if memory is None:
                return ONE, "not armed (no hedge or no price yet)", state
            return self._factor(memory), "no price this cycle: memory kept", state
        if memory is None:
            memory = TakeProfitMemory(anchor=price, low=price)
            note = f"armed at {price}"
        else:
            memory, note = self._step(replace(memory, low=min(memory.low, price)), price)
        memories = {**state.take_profit, target.symbol: memory}
        return self._factor(memory), note, replace(state, take_profit=memories)

    def _step(self, memory: TakeProfitMemory, price: Decimal) -> tuple[TakeProfitMemory, str]:
        drop = ONE - price / memory.anchor
        if memory.armed and drop >= self.trigger_drop:
            return replace(memory, armed=False), (
                f"price {drop:.1%} below the anchor {memory.anchor}: closing {self.close_fraction:.0%} of the hedge"
            )
        if memory.armed:
            where = f"{abs(drop):.1%} {'below' if drop >= 0 else 'above'} the anchor {memory.anchor}"
            return memory, f"armed: price {where} (trigger {self.trigger_drop:.0%} below)"
        recovery = price / memory.low - ONE
        if recovery >= self.rearm_recovery:
            return TakeProfitMemory(anchor=price, low=price), (
                f"price recovered {recovery:.1%} from the low {memory.low}: re-armed, full hedge, anchor {price}"
            )
        return memory, (
            f"profit taken; re-arms at {self.rearm_recovery:.0%} above the low {memory.low} (now {recovery:.1%} above)"
        )

    def _factor(self, memory: TakeProfitMemory) -> Decimal:
        return ONE if memory.armed else ONE - self.close_fraction
