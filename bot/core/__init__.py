"""The pure core: holdings valuation, the composed hedge policy and the order planner, one cycle at a time.

No I/O, no clock, no logging: values in, values out. ``plan_cycle(settings, snapshot, state, now)`` is the one
entry point the loop, dry-run, replays and ``hedgebot plan`` share; its settings are plain values
(``bot.settings.CoreSettings``), never the configuration loader.
"""

from bot.core.cycle import CoreState, hedge_policy, plan_cycle
from bot.core.plan import HoldingDecision, InstrumentDecision, Plan

__all__ = ["CoreState", "HoldingDecision", "InstrumentDecision", "Plan", "hedge_policy", "plan_cycle"]
