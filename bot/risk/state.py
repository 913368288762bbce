"""Trading states ACTIVE / REDUCING / HALTED: a pure transition function over events.

    event                      ACTIVE        REDUCING                     HALTED
    kill_switch                HALTED        HALTED                       HALTED
    fatal_error                HALTED        HALTED                       HALTED
    reconciliation_failed      HALTED        HALTED                       HALTED
    leverage_changed           HALTED        HALTED                       HALTED
    operator_halt              HALTED        HALTED                       HALTED (operator's)
    daily_turnover_reached     REDUCING      REDUCING (cause kept)        HALTED
    daily_funding_reached      REDUCING      REDUCING (cause kept)        HALTED
    new_trading_day            ACTIVE        ACTIVE if a daily limit      HALTED
                                             caused it, else unchanged
    operator_reduce            REDUCING      REDUCING (operator's)        REDUCING
    operator_resume            ACTIVE        ACTIVE                       ACTIVE

Automatic events only ever make trading stricter (or undo their own daily REDUCING at the next UTC day);
only the operator loosens a state. The kill switch is re-polled every cycle, so resuming while the file
still exists halts again at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.domain import TradingState
from bot.risk.context import RiskHistory
from bot.settings import RiskLimits


class Trigger(StrEnum):
    KILL_SWITCH = "kill_switch"  # the kill-switch file exists or the halt signal arrived
    FATAL_ERROR = "fatal_error"  # unexpected exception, lost credentials, journal failure
    RECONCILIATION_FAILED = "reconciliation_failed"  # the exchange holds what the journal cannot explain
    LEVERAGE_CHANGED = "leverage_changed"  # set outside the bot on a hedge position, and it cannot be set back
    DAILY_TURNOVER_REACHED = "daily_turnover_reached"
    DAILY_FUNDING_REACHED = "daily_funding_reached"
    NEW_TRADING_DAY = "new_trading_day"  # 00:00 UTC passed: daily counters start again
    OPERATOR_HALT = "operator_halt"
    OPERATOR_REDUCE = "operator_reduce"
    OPERATOR_RESUME = "operator_resume"


_SEVERITY = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}
_ESCALATIONS = {
    Trigger.KILL_SWITCH: TradingState.HALTED,
    Trigger.FATAL_ERROR: TradingState.HALTED,
    Trigger.RECONCILIATION_FAILED: TradingState.HALTED,
    Trigger.LEVERAGE_CHANGED: TradingState.HALTED,
    Trigger.DAILY_TURNOVER_REACHED: TradingState.REDUCING,
    Trigger.DAILY_FUNDING_REACHED: TradingState.REDUCING,
}
_OPERATOR = {
    Trigger.OPERATOR_HALT: TradingState.HALTED,
    Trigger.OPERATOR_REDUCE: TradingState.REDUCING,
    Trigger.OPERATOR_RESUME: TradingState.ACTIVE,
}
_DAILY = frozenset({Trigger.DAILY_TURNOVER_REACHED, Trigger.DAILY_FUNDING_REACHED})


@dataclass(frozen=True, slots=True)
class StateEvent:
    trigger: Trigger
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RiskState:
    """The trading state and the event that put the bot in it."""

    trading: TradingState = TradingState.ACTIVE
    cause: Trigger | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Transition:
    before: RiskState
    after: RiskState
    event: StateEvent

    @property
    def changed(self) -> bool:
        return self.before != self.after


def transition(state: RiskState, event: StateEvent) -> Transition:
    """The state after ``event``; see the module's table."""
    after = state
    if event.trigger in _OPERATOR:
        after = RiskState(_OPERATOR[event.trigger], event.trigger, event.detail)
    elif event.trigger in _ESCALATIONS:
        target = _ESCALATIONS[event.trigger]
        if _SEVERITY[target] > _SEVERITY[state.trading]:
            after = RiskState(target, event.trigger, event.detail)
    elif event.trigger is Trigger.NEW_TRADING_DAY and state.trading is TradingState.REDUCING and state.cause in _DAILY:
        after = RiskState(TradingState.ACTIVE, event.trigger, event.detail)
    return Transition(state, after, event)


def apply_events(state: RiskState, events: Iterable[StateEvent]) -> tuple[RiskState, tuple[Transition, ...]]:
    """Apply events in order; returns the final state and the transitions that changed something."""
    changes: list[Transition] = []
    for event in events:
        step = transition(state, event)
        if step.changed:
            changes.append(step)
        state = step.after
    return state, tuple(changes)


def daily_limit_events(history: RiskHistory, limits: RiskLimits) -> tuple[StateEvent, ...]:
    """Events for the daily limits today's history has reached (filled turnover, funding paid)."""
    events: list[StateEvent] = []
    if history.turnover_today >= limits.max_daily_turnover:
        events.append(
            StateEvent(
                Trigger.DAILY_TURNOVER_REACHED,
                f"turnover today {history.turnover_today} >= risk.max_daily_turnover = {limits.max_daily_turnover}",
            )
        )
    cost = history.funding_cost_today
    if limits.daily_funding_reached(cost):
        events.append(
            StateEvent(
                Trigger.DAILY_FUNDING_REACHED,
                f"funding paid today {cost} >= risk.max_daily_funding_cost = {limits.max_daily_funding_cost}",
            )
        )
    return tuple(events)
