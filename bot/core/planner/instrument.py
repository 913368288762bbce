"""Plan one hedge instrument: from its target, position, our resting orders and book to intents, or a reason.

Rules, in order:
1. Hold (no action) when its data this cycle cannot be trusted (``Snapshot.bad_data``), the policy put it on hold,
   it is not listed, or its book/ticker is unusable.
2. The target is rounded onto the lot (``rounding``; down by default: never over-hedge), kept within the
   hedge-ratio cap, and never long.
3. Our resting orders count toward the hedge (in flight). Each side's are kept, oldest first, while all of them
   filling would leave the position within band x hysteresis of the target (rule 5's band while orders rest),
   never past a cap: the hedge-ratio cap, flat, or the rounding's promise ("down" never over-hedges, "up" never
   under-hedges). A zero target leaves no room beyond it; a stray long may only be closed. So a target that
   moves a little keeps its orders (no churn); the rest are cancelled and nothing else happens on the
   instrument this cycle: the next cycle re-plans from what actually remains, so a late fill can never double
   the hedge.
4. Resting orders the touch has moved away from (``reprice_threshold_bps``), or older than ``order_ttl``, are
   cancelled and replaced at the new passive price for at most their remaining quantity (bounded per minute).
5. The gap not covered in flight is acted on when it leaves the band (relative to the target; any gap to a
   zero target), or, while rebalancing, until it is back within band x hysteresis; not when it is worth less
   than ``min_notional``, unless the target is zero: a hedge being closed is closed to the last lot.
6. Buys always shrink a short, so they are reduce-only and never exceed it (never flip); sells grow the short.
   A stray long (not ours to keep) is first closed with reduce-only sells of at most the long (resting sells
   beyond it are cancelled); the short is built from flat next cycle.
7. Every order is post-only at the passive price, split into even slices of at most ``max_order_notional``,
   with our resting total on that side at most ``max_depth_share`` of its visible depth; an order below the
   market minimum (quantity; notional too unless it is reduce-only, which the venues exempt) is dust, never placed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

from bot.core.plan import InstrumentDecision
from bot.core.planner.pricing import BookProblem, Touch, read_touch, reprice_reason
from bot.core.planner.sizing import (
    below_minimum,
    cap_contracts,
    max_order_contracts,
    out_of_band,
    rounded_target,
    slices,
)
from bot.core.planner.state import InstrumentState
from bot.domain import (
    ONE,
    ZERO,
    CancelIntent,
    HedgeTarget,
    Market,
    Order,
    OrderBook,
    OrderIntent,
    PerpTicker,
    ReasonCode,
    Rounding,
    Side,
    round_to_step,
)
from bot.settings import PlannerParams
from policies.base import InstrumentHold, ModifierEffect

REPRICE_WINDOW = timedelta(minutes=1)
_NEVER = datetime.max.replace(tzinfo=UTC)  # orders of unknown age sort last


@dataclass(frozen=True, slots=True)
class InstrumentInput:
    symbol: str
    target: HedgeTarget | None  # None: no holding maps here any more (target 0: unwind what is left)
    market: Market | None
    book: OrderBook | None
    ticker: PerpTicker | None
    position: Decimal
    orders: tuple[Order, ...] = ()  # ours, open, on this symbol
    hold: InstrumentHold | None = None
    effects: tuple[ModifierEffect, ...] = ()
    bad_data: str | None = None  # why this cycle's data about it cannot be trusted

    @property
    def raw_target(self) -> Decimal:
        return self.target.contracts if self.target else ZERO

    @property
    def full_contracts(self) -> Decimal:
        return self.target.full_contracts if self.target else ZERO

    @property
    def in_flight(self) -> Decimal:
        return _signed(self.orders)


@dataclass(frozen=True, slots=True)
class _Actions:
    reason: ReasonCode
    intents: tuple[OrderIntent, ...] = ()
    cancels: tuple[CancelIntent, ...] = ()
    notes: tuple[str, ...] = ()


def plan_instrument(
    inp: InstrumentInput, params: PlannerParams, state: InstrumentState, now: datetime
) -> tuple[InstrumentDecision, InstrumentState]:
    """The decision for one instrument this cycle, and its state for the next."""
    if inp.bad_data is not None:
        return _held(inp, ReasonCode.BAD_DATA, inp.bad_data), state
    if inp.hold is not None:
        return _held(inp, inp.hold.reason, inp.hold.note), state
    if inp.market is None:
        return _held(inp, ReasonCode.NO_PERP_NO_PROXY, f"{inp.symbol} is not listed"), state
    touch = read_touch(inp.book, inp.ticker, now, params.max_data_age)
    if isinstance(touch, BookProblem):
        return _held(inp, touch.reason, touch.note), state
    return _Planner(inp, inp.market, touch, params, now).plan(state)


def _held(inp: InstrumentInput, reason: ReasonCode, note: str) -> InstrumentDecision:
    return InstrumentDecision(
        symbol=inp.symbol,
        reason=reason,
        target=inp.raw_target,
        target_contracts=None,
        cap_contracts=None,
        full_contracts=inp.full_contracts,
        current=inp.position,
        in_flight=inp.in_flight,
        gap=None,
        price=inp.ticker.mark if inp.ticker else None,
        gap_notional=None,
        unhedged_notional=None,
        notes=(note,),
        effects=inp.effects,
    )


@dataclass(frozen=True, slots=True)
class _Planner:
    inp: InstrumentInput
    market: Market
    touch: Touch
    params: PlannerParams
    now: datetime

    def plan(self, state: InstrumentState) -> tuple[InstrumentDecision, InstrumentState]:
        inp, market, params = self.inp, self.market, self.params
        target = rounded_target(inp.raw_target, inp.full_contracts, market, params.rounding, params.max_hedge_ratio)
        cap = cap_contracts(inp.full_contracts, market, params.max_hedge_ratio)
        needed = target - inp.position
        # What orders may do this cycle: all of it, except that a stray long is only closed (the short comes next).
        reach = max(needed, -inp.position) if inp.position > ZERO else needed
        keep, drop = _split(inp.orders, self._room(target, cap)) if inp.orders else ((), ())  # mostly none rest
        if drop:
            actions = self._cancel_misfits(drop, target)
            next_state = InstrumentState(rebalancing=True, reprices=state.reprices)
        else:
            actions, next_state = self._act(target, needed - _signed(keep), reach - _signed(keep), keep, state)
        gap = target - inp.position - inp.in_flight
        decision = InstrumentDecision(
            symbol=inp.symbol,
            reason=actions.reason,
            target=inp.raw_target,
            target_contracts=target,
            cap_contracts=cap,
            full_contracts=inp.full_contracts,
            current=inp.position,
            in_flight=inp.in_flight,
            gap=gap,
            price=self.touch.mark,
            gap_notional=self._notional(gap),
            unhedged_notional=(target - inp.raw_target) * market.contract_size * self.touch.mark,
            intents=actions.intents,
            cancels=actions.cancels,
            notes=actions.notes,
            effects=inp.effects,
        )
        return decision, next_state

    def _room(self, target: Decimal, cap: Decimal) -> dict[Side, Decimal]:
        """Per side, the most contracts our resting orders may hold (rule 3): all of them filling leaves the
        position within band x hysteresis of the target and short of every cap; a stray long is only closed."""
        position = self.inp.position
        if position > ZERO:
            return {Side.SELL: position, Side.BUY: ZERO}
        slack = self._band(active=True) * abs(target)
        most_short, least_short = target - slack, target + slack
        exact = max(min(self.inp.raw_target, ZERO), cap)  # the target before rounding, within the cap
        if self.params.rounding is Rounding.DOWN:
            most_short = max(most_short, exact)  # never over-hedge
        elif self.params.rounding is Rounding.UP:
            least_short = min(least_short, exact)  # never under-hedge
        lowest, highest = max(most_short, cap), min(least_short, ZERO)
        return {Side.SELL: max(position - lowest, ZERO), Side.BUY: max(highest - position, ZERO)}

    def _band(self, *, active: bool) -> Decimal:
        """Rule 5's band, a fraction of the target: ``band``, or ``band x hysteresis`` while rebalancing."""
        return self.params.band * (self.params.hysteresis if active else ONE)

    def _cancel_misfits(self, drop: tuple[Order, ...], target: Decimal) -> _Actions:
        reason = ReasonCode.UNWIND if target == ZERO else ReasonCode.REBALANCE
        note = "no longer fits the target (beyond it by more than band x hysteresis, or past a cap)"
        cancels = tuple(CancelIntent(o.symbol, o.client_order_id, o.order_id, reason, note) for o in drop)
        summary = f"cancelling {len(drop)} resting order(s) that {note}; the rest is re-planned next cycle"
        return _Actions(reason, cancels=cancels, notes=(summary,))

    def _act(
        self, target: Decimal, gap: Decimal, reachable: Decimal, keep: tuple[Order, ...], state: InstrumentState
    ) -> tuple[_Actions, InstrumentState]:
        repriced, recent = self._reprice(keep, state.reprices)
        active = state.rebalancing or bool(keep)
        threshold = self._band(active=active)
        fresh = self._new_orders(target, gap, reachable, keep, threshold)
        next_state = InstrumentState(rebalancing=bool(fresh.intents or keep), reprices=recent)
        reason = fresh.reason
        if not fresh.intents and (repriced.intents or repriced.cancels):
            reason = ReasonCode.REPRICE
        actions = _Actions(
            reason,
            intents=repriced.intents + fresh.intents,
            cancels=repriced.cancels,
            notes=repriced.notes + fresh.notes,
        )
        return actions, next_state

    def _reprice(
        self, keep: tuple[Order, ...], reprices: tuple[datetime, ...]
    ) -> tuple[_Actions, tuple[datetime, ...]]:
        recent = [t for t in reprices if self.now - t < REPRICE_WINDOW]
        intents: list[OrderIntent] = []
        cancels: list[CancelIntent] = []
        notes: list[str] = []
        for order in keep:
            price = self._price(order.side)
            why = reprice_reason(order, price, self.now, self.params)
            if why is None:
                continue
            name = order.client_order_id or order.order_id or "?"
            if len(recent) >= self.params.max_reprices_per_minute:
                notes.append(f"{name}: {why}, but {len(recent)} re-prices in the last minute: kept")
                continue
            recent.append(self.now)
            cancels.append(CancelIntent(order.symbol, order.client_order_id, order.order_id, ReasonCode.REPRICE, why))
            amount = min(round_to_step(order.remaining, self.market.lot_step), self._largest(price))
            small = below_minimum(amount, price, self.market, reduce_only=self._reduces(order.side))
            if small is not None:
                notes.append(f"{name}: cancelled, not replaced: {small}")
                continue
            intents.append(self._intent(order.side, amount, price, ReasonCode.REPRICE, why, replaces=name))
        return _Actions(ReasonCode.REPRICE, tuple(intents), tuple(cancels), tuple(notes)), tuple(recent)

    def _new_orders(
        self, target: Decimal, uncovered: Decimal, reachable: Decimal, keep: tuple[Order, ...], threshold: Decimal
    ) -> _Actions:
        """Orders for the gap not covered in flight (``uncovered``), at most ``reachable`` of it this cycle."""
        market, params, position = self.market, self.params, self.inp.position
        if not out_of_band(uncovered, target, threshold):
            if keep:
                return _Actions(ReasonCode.WAITING_IN_FLIGHT, notes=(f"{len(keep)} resting order(s) cover the gap",))
            if uncovered == ZERO and target == ZERO and position == ZERO and self.inp.raw_target != ZERO:
                note = f"the target {self.inp.raw_target:.4f} contracts rounds to 0 on the lot step {market.lot_step}"
                return _Actions(ReasonCode.DUST, notes=(note,))
            if uncovered == ZERO:
                return _Actions(ReasonCode.HEDGED_WITHIN_BAND)
            note = f"gap {uncovered} contracts is within the band ({threshold:.2%} of the target)"
            return _Actions(ReasonCode.DRIFT_BELOW_BAND, notes=(note,))
        worth = self._notional(uncovered)
        if worth < params.min_notional and target != ZERO:
            note = f"gap worth {worth:.2f} is below execution.min_notional {params.min_notional}"
            return _Actions(ReasonCode.BELOW_MIN_NOTIONAL, notes=(note,))
        if reachable == ZERO:
            return _Actions(ReasonCode.WAITING_IN_FLIGHT, notes=("resting orders close the stray long first",))
        side = Side.BUY if uncovered > ZERO else Side.SELL
        price = self._price(side)
        minimum = partial(below_minimum, price=price, market=market, reduce_only=self._reduces(side))
        wanted = round_to_step(abs(reachable), market.lot_step)
        small = minimum(wanted)
        if small is not None:
            return _Actions(ReasonCode.DUST, notes=(f"the gap rounds to {wanted} contracts: {small}",))
        depth = self.touch.ask_depth if side is Side.SELL else self.touch.bid_depth
        room = round_to_step(params.max_depth_share * depth, market.lot_step) - abs(_signed(keep))
        allowed = min(wanted, max(room, ZERO))
        notes: list[str] = []
        if allowed < wanted:
            notes.append(f"limited to {allowed} of {wanted} contracts by max_depth_share {params.max_depth_share}")
            small = minimum(allowed)
            if small is not None:
                return _Actions(ReasonCode.BLOCKED_BY_LIMIT, notes=(*notes, f"visible depth too thin: {small}"))
        largest = self._largest(price)
        small = minimum(largest)
        if small is not None:
            note = f"max order notional {params.max_order_notional} buys {largest} contracts at {price}: {small}"
            return _Actions(ReasonCode.BLOCKED_BY_LIMIT, notes=(note,))
        reason = ReasonCode.UNWIND if target == ZERO else ReasonCode.REBALANCE
        sizes = slices(allowed, largest, market)
        intents = [self._intent(side, q, price, reason) for q in sizes if minimum(q) is None]
        if len(intents) < len(sizes):
            notes.append(f"{len(sizes) - len(intents)} slice(s) below the market minimum left as dust")
        return _Actions(reason, intents=tuple(intents), notes=tuple(notes))

    def _intent(
        self,
        side: Side,
        amount: Decimal,
        price: Decimal,
        reason: ReasonCode,
        note: str = "",
        replaces: str | None = None,
    ) -> OrderIntent:
        return OrderIntent(
            symbol=self.inp.symbol,
            side=side,
            amount=amount,
            price=price,
            reduce_only=self._reduces(side),
            reason=reason,
            post_only=True,
            notional=self.market.notional(amount, price),
            replaces=replaces,
            note=note,
        )

    def _reduces(self, side: Side) -> bool:
        """Whether an order on ``side`` only shrinks the position (rule 6): it goes out reduce-only."""
        position = self.inp.position
        return (side is Side.BUY and position < ZERO) or (side is Side.SELL and position > ZERO)

    def _price(self, side: Side) -> Decimal:
        return self.touch.passive_price(side, self.market.tick_size, self.params.passive_offset_ticks)

    def _largest(self, price: Decimal) -> Decimal:
        return max_order_contracts(self.params.max_order_notional, price, self.market)

    def _notional(self, contracts: Decimal) -> Decimal:
        return self.market.notional(contracts, self.touch.mark)


def _signed(orders: tuple[Order, ...]) -> Decimal:
    return sum((o.signed_remaining for o in orders), ZERO)


def _split(orders: tuple[Order, ...], room: Mapping[Side, Decimal]) -> tuple[tuple[Order, ...], tuple[Order, ...]]:
    """Resting orders to keep (oldest first, each side's in total at most its ``room``) and the rest."""
    keep: list[Order] = []
    drop: list[Order] = []
    covered = {Side.BUY: ZERO, Side.SELL: ZERO}
    for order in sorted(orders, key=lambda o: o.timestamp or _NEVER):
        if covered[order.side] + order.remaining <= room[order.side]:
            keep.append(order)
            covered[order.side] += order.remaining
        else:
            drop.append(order)
    return tuple(keep), tuple(drop)
