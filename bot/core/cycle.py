"""One cycle's decision, shared by the loop, dry-run, replays and `hedgebot plan`: snapshot + state -> plan + state.

    valuation -> policy (targets per instrument) -> planner (per instrument) -> Plan

Instruments planned: every instrument with a target or on hold, plus instruments the settings name or the bot
has hedged on before (``PlannerState.managed``) that still hold a position or our orders, plus any instrument
with one of our orders. A position anywhere else is not ours: it is reported and left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.plan import HoldingDecision, InstrumentDecision, Plan
from bot.core.planner.instrument import InstrumentInput, plan_instrument
from bot.core.planner.state import InstrumentState, PlannerState
from bot.core.valuation import value_holdings
from bot.domain import ZERO, Order, OrderStatus, Snapshot, ValuedHolding, is_ours, our_resting
from bot.settings import CoreSettings
from policies.base import HoldingHedge, PolicyResult
from policies.hedge_policy import HedgePolicy
from policies.registry import build_policy
from policies.state import PolicyState


@dataclass(frozen=True, slots=True)
class CoreState:
    """Everything the core remembers between cycles; the loop journals it after every cycle."""

    policy: PolicyState = field(default_factory=PolicyState)
    planner: PlannerState = field(default_factory=PlannerState)

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy.to_dict(), "planner": self.planner.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CoreState:
        return cls(PolicyState.from_dict(data.get("policy", {})), PlannerState.from_dict(data.get("planner", {})))


def hedge_policy(settings: CoreSettings) -> HedgePolicy:
    """The composed policy the settings describe: ``[policy]`` with every ``[hedges.ASSET]`` as an override.

    Built once per settings value (a cycle asks for it several times, and settings never change): both are frozen,
    so the one built before is the one that would be built again."""
    built = _BUILT.get(id(settings))
    if built is None or built[0] is not settings:
        if len(_BUILT) >= _BUILT_MAX:
            _BUILT.clear()
        built = _BUILT[id(settings)] = (settings, build_policy(settings.policy, settings.hedges.values()))
    return built[1]


_BUILT: dict[int, tuple[CoreSettings, HedgePolicy]] = {}  # id -> the settings (kept, so the id is theirs) and policy
_BUILT_MAX = 16


def plan_cycle(settings: CoreSettings, snapshot: Snapshot, state: CoreState, now: datetime) -> tuple[Plan, CoreState]:
    """The plan for ``snapshot`` at ``now`` under ``settings``, and the state for the next cycle."""
    params = settings.planner
    valued = value_holdings(
        snapshot.holdings,
        snapshot.spot,
        exclude=settings.holdings.exclude,
        price_kind=settings.holdings.price_kind,
        max_age=params.max_data_age,
        now=now,
    )
    policy = hedge_policy(settings)
    result = policy.target(snapshot, valued, now, state.policy)
    ours = our_resting(snapshot.open_orders)
    symbols = _planned(policy, snapshot, state.planner, result, ours)
    decisions: list[InstrumentDecision] = []
    states: dict[str, InstrumentState] = {}
    for symbol in sorted(symbols):
        inp = InstrumentInput(
            symbol=symbol,
            target=result.targets.get(symbol),
            market=snapshot.markets.get(symbol),
            book=snapshot.books.get(symbol),
            ticker=snapshot.tickers.get(symbol),
            position=snapshot.position_contracts(symbol),
            orders=tuple(o for o in ours if o.symbol == symbol),
            hold=result.holds.get(symbol),
            effects=result.effects.get(symbol, ()),
            bad_data=snapshot.bad_data.get(symbol),
        )
        decision, states[symbol] = plan_instrument(inp, params, state.planner.of(symbol), now)
        decisions.append(decision)
    by_symbol = {d.symbol: d for d in decisions}
    holdings = tuple(
        _holding_decision(hedge, holding, by_symbol) for holding, hedge in zip(valued, result.hedges, strict=True)
    )
    managed = frozenset(d.symbol for d in decisions if d.target != ZERO or d.current != ZERO or d.in_flight != ZERO)
    plan = Plan(
        at=now,
        policy=policy.name,
        holdings=holdings,
        instruments=tuple(decisions),
        notes=_foreign(snapshot, symbols),
        targets=tuple(result.targets[s] for s in sorted(result.targets)),
    )
    return plan, CoreState(result.state, PlannerState(states, managed))


def _planned(
    policy: HedgePolicy, snapshot: Snapshot, state: PlannerState, result: PolicyResult, ours: tuple[Order, ...]
) -> set[str]:
    known = policy.instruments() | state.managed
    active = {s for s in known if snapshot.position_contracts(s) != ZERO}
    return set(result.targets) | set(result.holds) | active | {o.symbol for o in ours}


def _holding_decision(
    hedge: HoldingHedge, holding: ValuedHolding, by_symbol: Mapping[str, InstrumentDecision]
) -> HoldingDecision:
    if hedge.reason is not None:
        return HoldingDecision(holding, hedge, hedge.reason, hedge.note)
    decision = by_symbol[hedge.instrument or ""]  # a hedged holding's instrument has a target, so a decision
    return HoldingDecision(holding, hedge, decision.reason, "; ".join(decision.notes))


def _foreign(snapshot: Snapshot, planned: set[str]) -> tuple[str, ...]:
    notes = [
        f"position of {p.contracts} contracts on {s} is not a hedge of ours: left alone"
        for s, p in sorted(snapshot.positions.items())
        if s not in planned and p.contracts != ZERO
    ]
    foreign = [o for o in snapshot.open_orders if not is_ours(o.client_order_id) and o.status is OrderStatus.OPEN]
    if foreign:
        notes.append(f"{len(foreign)} open order(s) not placed by hedgebot: left alone and not counted")
    return tuple(notes)
