"""A composed hedge policy: a base ratio policy, the proxy routing layer and modifiers, applied to holdings.

Sizing (the choice, and why):
- A direct hedge is quantity-matched: 100 SOL held at ratio 1 wants -100 SOL of the SOL perpetual, whatever the
  perp's price. Sizing by notional / perp price would inflate the short exactly when the perp trades at a
  discount (SOL's perp was 17% below spot on 10 Oct 2025: a notional-sized hedge would have shorted 1.2x the
  holding, into the rebound). Quantity matching hedges the coins, which is what the holder owns.
- A proxy hedge is notional-based: value x ratio x beta / (proxy mark price x contract size), since the holding
  and the proxy are different coins and only their values relate.
Every holding routed to an instrument contributes one ``TargetComponent``; an instrument's target is their sum,
then each modifier scales it in order. A holding whose input is unusable now (stale price, no mark price) puts
its instrument on hold: no order on it this cycle, so a hedge shared by several holdings never shrinks because
one of them could not be valued for a moment; so does bad data about the instrument, or about the holding's own
perpetual (which decides whether the holding is hedged directly or by proxy). A refused beta is a decision, not a glitch: that holding is
unhedged (BETA_REFUSED) and the rest of the instrument's target stands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from bot.domain import ONE, ZERO, HedgeTarget, ReasonCode, Snapshot, TargetComponent, ValuedHolding
from policies.base import (
    HedgeKind,
    HoldingHedge,
    InstrumentHold,
    Modifier,
    ModifierEffect,
    PolicyResult,
    RatioPolicy,
)
from policies.proxy import NoRoute, Route, Router
from policies.state import PolicyState


@dataclass(frozen=True, slots=True)
class _Sized:
    hedge: HoldingHedge
    component: TargetComponent | None = None
    full_contracts: Decimal = ZERO
    hold: InstrumentHold | None = None


@dataclass(frozen=True, slots=True)
class HedgePolicy:
    ratio_policy: RatioPolicy
    router: Router
    modifiers: tuple[Modifier, ...] = ()

    @property
    def name(self) -> str:
        return " + ".join([self.ratio_policy.name, *(m.name for m in self.modifiers)])

    def instruments(self, assets: Iterable[str] = ()) -> frozenset[str]:
        """Instruments the settings name (managed even when no holding maps to them this cycle), and the own
        perpetuals ``assets`` may be hedged on."""
        return self.router.candidates(assets)

    def target(
        self, snapshot: Snapshot, holdings: Sequence[ValuedHolding], now: datetime, state: PolicyState
    ) -> PolicyResult:
        """Targets for ``holdings`` (valued from ``snapshot``) at ``now``, given last cycle's ``state``."""
        sized = [self._size(holding, snapshot, now) for holding in holdings]
        holds: dict[str, InstrumentHold] = {}
        for item in sized:
            if item.hold is not None:
                holds.setdefault(item.hold.symbol, item.hold)
        targets: dict[str, HedgeTarget] = {}
        effects: dict[str, tuple[ModifierEffect, ...]] = {}
        factors: dict[str, Decimal] = {}
        for symbol, components, full in _group(sized):
            target = _target(symbol, components, full, snapshot)
            target, effects[symbol], state = self._modify(target, snapshot, state)
            targets[symbol] = target
            factors[symbol] = _product(e.factor for e in effects[symbol])
        hedged = {symbol for symbol, target in targets.items() if target.contracts != ZERO}
        state = replace(state, take_profit={s: m for s, m in state.take_profit.items() if s in hedged})
        hedges = tuple(_scaled(item.hedge, factors) for item in sized)
        return PolicyResult(targets=targets, hedges=hedges, holds=holds, effects=effects, state=state)

    def _size(self, holding: ValuedHolding, snapshot: Snapshot, now: datetime) -> _Sized:
        asset = holding.asset
        if holding.reason is ReasonCode.EXCLUDED:
            return _Sized(_unhedged(asset, ReasonCode.EXCLUDED, holding.note))
        if not self.router.enabled(asset):
            return _Sized(_unhedged(asset, ReasonCode.EXCLUDED, "hedging disabled for this holding"))
        route = self.router.route(asset, snapshot)
        if isinstance(route, NoRoute):
            return _Sized(_unhedged(asset, route.reason, route.note, route.instrument))
        ratio, ratio_note = self.ratio_policy.ratio(asset, now)
        if bad := snapshot.bad_data.get(route.instrument) or snapshot.bad_data.get(self.router.own(asset)):
            return _held(holding, route, ratio, ReasonCode.BAD_DATA, bad)  # the routing itself may be off
        ticker = snapshot.tickers.get(route.instrument)
        mark = ticker.mark if ticker is not None else None
        value = holding.value
        if value is None:
            return _held(holding, route, ratio, holding.reason or ReasonCode.STALE_PRICE, holding.note)
        if mark is None or mark <= ZERO:
            return _held(holding, route, ratio, ReasonCode.NO_BOOK, f"no mark price for {route.instrument}")
        size = snapshot.markets[route.instrument].contract_size
        # Direct: quantity-matched (the coins held). Proxy: value x beta in the proxy's coins (see above).
        full = -holding.quantity / size if route.kind is HedgeKind.DIRECT else -value * route.beta / (mark * size)
        contracts = full * ratio
        notional = value * ratio * route.beta
        hedge = HoldingHedge(
            asset,
            route.instrument,
            route.kind,
            ratio,
            route.beta,
            contracts,
            notional,
            note=f"{ratio_note}; {route.note}",
            fit=route.fit,
        )
        component = TargetComponent(asset, value, ratio, route.beta, notional, contracts)
        return _Sized(hedge, component, full)

    def _modify(
        self, target: HedgeTarget, snapshot: Snapshot, state: PolicyState
    ) -> tuple[HedgeTarget, tuple[ModifierEffect, ...], PolicyState]:
        ticker = snapshot.tickers.get(target.symbol)
        effects = []
        for modifier in self.modifiers:
            factor, note, state = modifier.apply(target, ticker, state)
            effects.append(ModifierEffect(modifier.name, factor, note))
            if factor != ONE:
                target = _scale_target(target, factor, f"{modifier.name}: {note}")
        return target, tuple(effects), state


def _held(holding: ValuedHolding, route: Route, ratio: Decimal, reason: ReasonCode, note: str) -> _Sized:
    note = note or "no usable spot price"
    hedge = HoldingHedge(holding.asset, route.instrument, route.kind, ratio, route.beta, ZERO, ZERO, reason, note)
    return _Sized(hedge, hold=InstrumentHold(route.instrument, reason, f"{holding.asset}: {note}"))


def _unhedged(asset: str, reason: ReasonCode, note: str, instrument: str | None = None) -> HoldingHedge:
    return HoldingHedge(asset, instrument, None, ZERO, ONE, ZERO, ZERO, reason, note)


def _group(sized: Sequence[_Sized]) -> Iterable[tuple[str, list[TargetComponent], Decimal]]:
    groups: dict[str, tuple[list[TargetComponent], list[Decimal]]] = {}
    for item in sized:
        if item.component is not None and item.hedge.instrument is not None:
            components, fulls = groups.setdefault(item.hedge.instrument, ([], []))
            components.append(item.component)
            fulls.append(item.full_contracts)
    for symbol, (components, fulls) in sorted(groups.items()):
        yield symbol, components, sum(fulls, ZERO)


def _target(symbol: str, components: list[TargetComponent], full: Decimal, snapshot: Snapshot) -> HedgeTarget:
    contracts = sum((c.contracts for c in components), ZERO)
    market = snapshot.markets[symbol]
    mark = snapshot.tickers[symbol].mark
    return HedgeTarget(
        symbol=symbol,
        contracts=contracts,
        notional=market.notional(contracts, mark),
        components=tuple(components),
        full_contracts=full,
    )


def _scale_target(target: HedgeTarget, factor: Decimal, note: str) -> HedgeTarget:
    return replace(
        target,
        contracts=target.contracts * factor,
        notional=target.notional * factor,
        components=tuple(
            replace(c, ratio=c.ratio * factor, hedge_notional=c.hedge_notional * factor, contracts=c.contracts * factor)
            for c in target.components
        ),
        notes=(*target.notes, note),
    )


def _scaled(hedge: HoldingHedge, factors: Mapping[str, Decimal]) -> HoldingHedge:
    factor = factors.get(hedge.instrument or "", ONE)
    if hedge.reason is not None or factor == ONE:
        return hedge
    return replace(
        hedge,
        ratio=hedge.ratio * factor,
        contracts=hedge.contracts * factor,
        hedge_notional=hedge.hedge_notional * factor,
    )


def _product(values: Iterable[Decimal]) -> Decimal:
    result = ONE
    for value in values:
        result *= value
    return result
