"""The risk gate (pure checks of every order intent against the limits) and the trading states.

limits = settings.risk                                 # bot.settings.RiskLimits, from [risk]
context = RiskContext.from_snapshot(snapshot, now=..., state=..., our_orders=..., full_hedge=...,
                                    collateral=..., margin_mode=..., leverage=..., history=...)
decisions = evaluate(plan_intents, context, limits)   # one RiskDecision per intent, in order
state, changes = apply_events(state, [*daily_limit_events(history, limits), ...])
"""

from bot.risk.context import Projection, RiskContext, RiskHistory, full_hedge_of, order_notional, utc_day_start
from bot.risk.decision import Denial, DenialCode, RiskDecision
from bot.risk.gate import decide, evaluate
from bot.risk.kill_switch import check_kill_switch
from bot.risk.state import RiskState, StateEvent, Transition, Trigger, apply_events, daily_limit_events, transition
from bot.settings import RiskLimits

__all__ = [
    "Denial",
    "DenialCode",
    "Projection",
    "RiskContext",
    "RiskDecision",
    "RiskHistory",
    "RiskLimits",
    "RiskState",
    "StateEvent",
    "Transition",
    "Trigger",
    "apply_events",
    "check_kill_switch",
    "daily_limit_events",
    "decide",
    "evaluate",
    "full_hedge_of",
    "order_notional",
    "transition",
    "utc_day_start",
]
