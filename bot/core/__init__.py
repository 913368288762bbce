"""The pure core: holdings valuation, the composed hedge policy and the order planner, one cycle at a time.

No I/O, no clock, no logging: values in, values out. ``plan_cycle(config, snapshot, state, now)`` is the one
entry point the loop, dry-run, replays and ``hedgebot plan`` share.
"""

from bot.core.cycle import CoreState, plan_cycle, plan_with
from bot.core.plan import HoldingDecision, InstrumentDecision, Plan

__all__ = ["CoreState", "HoldingDecision", "InstrumentDecision", "Plan", "plan_cycle", "plan_with"]
