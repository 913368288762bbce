"""The unwind plan (pure): buy back the hedge on chosen instruments, reduce-only and post-only, to flat."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.core.cycle import CoreState
from bot.core.plan import Plan
from bot.core.planner.instrument import InstrumentInput, plan_instrument
from bot.core.planner.state import PlannerState
from bot.domain import ZERO, Snapshot, our_resting
from bot.settings import CoreSettings


def plan_unwind(
    settings: CoreSettings,
    snapshot: Snapshot,
    state: CoreState,
    now: datetime,
    symbols: Iterable[str] | None = None,
) -> tuple[Plan, CoreState]:
    """A plan whose target is zero on ``symbols`` (default: every instrument in the snapshot with a position or
    our orders): the planner's rules apply (post-only at the passive touch, reduce-only buys never beyond the
    short, slicing, re-pricing, dust); holdings are not valued."""
    ours = our_resting(snapshot.open_orders)
    if symbols is None:
        symbols = {s for s, p in snapshot.positions.items() if p.contracts != ZERO} | {o.symbol for o in ours}
    decisions = []
    states = dict(state.planner.instruments)
    for symbol in sorted(set(symbols)):
        inp = InstrumentInput(
            symbol=symbol,
            target=None,
            market=snapshot.markets.get(symbol),
            book=snapshot.books.get(symbol),
            ticker=snapshot.tickers.get(symbol),
            position=snapshot.position_contracts(symbol),
            orders=tuple(o for o in ours if o.symbol == symbol),
            bad_data=snapshot.bad_data.get(symbol),
        )
        decision, states[symbol] = plan_instrument(inp, settings.planner, state.planner.of(symbol), now)
        decisions.append(decision)
    managed = frozenset(state.planner.managed | {d.symbol for d in decisions if d.current != ZERO})
    plan = Plan(at=now, policy="unwind", holdings=(), instruments=tuple(decisions))
    return plan, CoreState(state.policy, PlannerState(states, managed))
