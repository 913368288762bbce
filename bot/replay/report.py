"""The hedge-effectiveness report: how well a replayed hedge protected the portfolio, and what it cost (pure).

Computed from a ``Recording`` alone. Definitions (step i at time t_i; each step weighs until the next one, the last
weighs nothing):

- portfolio values: unhedged U_i = the holdings at spot; hedged H_i = U_i + perpetual PnL + funding - fees;
- max drawdown: the largest fall from a running peak, as a fraction of that peak;
- hedge effectiveness: 1 - Var(hedged step returns) / Var(unhedged step returns) (population variances of
  V_i / V_(i-1) - 1); 1 is a perfect hedge, 0 no better than none, below 0 worse; none if the unhedged value
  never moved;
- tracking error: the time-weighted mean of sum over instruments |short notional - target short notional| / U_i;
- out of band: a step where any instrument's gap to its target is beyond the band (the planner's own test:
  beyond band x |target|, or any gap to a zero target); the first episode, building the hedge from the start,
  is reported as the time to hedge, every later one as a shock and the time it took to re-enter the band;
- costs apart: fees, funding (received > 0) and slippage (each fill against the mid of its instrument's book
  when the order was decided: > 0 worse than that mid); maker share: the share of filled notional that was maker;
- the worst moment: the lowest hedged value against the start (its time and loss, and the unhedged loss then);
- the minimum liquidation distance: the closest any hedge position's liquidation price came to its mark.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from bot.core.planner.sizing import out_of_band
from bot.domain import ZERO
from bot.plain import plain
from bot.replay.record import Recording, Step

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")


SIGNS = {  # what a money figure's sign means, in the JSON as in the table and the plot
    "fees": "+ paid, - a maker rebate received",
    "funding": "+ received by the hedge, - paid by it",
    "slippage": "+ filled worse than the mid when the order was decided, - better",
    "cost": "fees + slippage - funding: + a cost",
    "hedged_loss": "- a loss against the start",
}


@dataclass(frozen=True, slots=True)
class Episode:
    """A stretch out of band: when it began, and how long until the hedge was back in band (None: it never was)."""

    start: datetime
    duration: timedelta | None


@dataclass(frozen=True, slots=True)
class Moment:
    """A value at a time, e.g. the worst hedged loss; ``symbol`` names the instrument when there is one."""

    at: datetime
    value: Decimal
    symbol: str | None = None
    unhedged: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Report:
    start: datetime
    end: datetime
    steps: int
    step: timedelta
    band: Decimal
    unhedged_start: Decimal
    unhedged_end: Decimal
    hedged_end: Decimal
    max_drawdown_unhedged: Decimal
    max_drawdown_hedged: Decimal
    hedge_effectiveness: Decimal | None
    tracking_error: Decimal
    time_out_of_band: timedelta
    time_to_hedge: timedelta | None  # from the start until the hedge was first in band (None: never)
    shocks: tuple[Episode, ...]
    fees: Decimal
    funding: Decimal
    slippage: Decimal
    maker_share: Decimal | None
    fills: int
    orders: int
    cancels: int
    post_only_rejections: int
    reprices: int
    worst: Moment | None
    min_liquidation_distance: Moment | None
    notes: tuple[str, ...] = ()
    synthetic_perpetuals: tuple[str, ...] = ()  # made up from spot: no basis, no funding (the notes say so)

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def unhedged_return(self) -> Decimal:
        return _ratio(self.unhedged_end - self.unhedged_start, self.unhedged_start)

    @property
    def hedged_return(self) -> Decimal:
        return _ratio(self.hedged_end - self.unhedged_start, self.unhedged_start)

    @property
    def synthetic_caption(self) -> str | None:
        """What a table or plot says when perpetuals were made up from spot (None when none were)."""
        if not self.synthetic_perpetuals:
            return None
        return f"synthetic perpetuals (spot price, no basis, no funding): {', '.join(self.synthetic_perpetuals)}"

    @property
    def cost(self) -> Decimal:
        """Execution cost: fees + slippage - funding received."""
        return self.fees + self.slippage - self.funding

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: money to the cent and fractions to 4 decimals as strings, times ISO 8601, durations in
        seconds."""
        data: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "steps": self.steps,
            "step_seconds": self.step.total_seconds(),
            "band": self.band,
            "portfolio_start": _cents(self.unhedged_start),
            "unhedged_end": _cents(self.unhedged_end),
            "hedged_end": _cents(self.hedged_end),
            "unhedged_return": _fraction(self.unhedged_return),
            "hedged_return": _fraction(self.hedged_return),
            "max_drawdown_unhedged": _fraction(self.max_drawdown_unhedged),
            "max_drawdown_hedged": _fraction(self.max_drawdown_hedged),
            "hedge_effectiveness": _fraction(self.hedge_effectiveness),
            "tracking_error": _fraction(self.tracking_error),
            "time_out_of_band": self.time_out_of_band.total_seconds(),
            "share_out_of_band": _fraction(_ratio(_seconds(self.time_out_of_band), _seconds(self.duration))),
            "time_to_hedge": _maybe_seconds(self.time_to_hedge),
            "shocks": [{"start": e.start, "reentered_after": _maybe_seconds(e.duration)} for e in self.shocks],
            "fees": _cents(self.fees),
            "funding": _cents(self.funding),
            "slippage": _cents(self.slippage),
            "cost": _cents(self.cost),
            "maker_share": _fraction(self.maker_share),
            "fills": self.fills,
            "orders": self.orders,
            "cancels": self.cancels,
            "post_only_rejections": self.post_only_rejections,
            "reprices": self.reprices,
            "worst_moment": None
            if self.worst is None
            else {
                "at": self.worst.at,
                "hedged_loss": _cents(self.worst.value),
                "unhedged_loss": _cents(self.worst.unhedged),
            },
            "min_liquidation_distance": None
            if self.min_liquidation_distance is None
            else {
                "at": self.min_liquidation_distance.at,
                "symbol": self.min_liquidation_distance.symbol,
                "distance": _fraction(self.min_liquidation_distance.value),
            },
            "synthetic_perpetuals": list(self.synthetic_perpetuals),
            "notes": list(self.notes),
            "signs": SIGNS,
        }
        result: dict[str, Any] = plain(data)
        return result


def build_report(recording: Recording) -> Report:
    """The report of one replay. Raises ``ValueError`` for a recording without steps."""
    steps = recording.steps
    if not steps:
        raise ValueError("a report needs at least one recorded step")
    weights = _weights(steps)
    unhedged = [s.spot_value for s in steps]
    hedged = [s.hedged_value for s in steps]
    out = [_out_of_band(s, recording.band) for s in steps]
    build, shocks = _episodes(steps, out)
    last = steps[-1]
    trades = recording.trades
    filled = sum((t.notional for t in trades), ZERO)
    maker = sum((t.notional for t in trades if t.maker), ZERO)
    counts = recording.counts
    return Report(
        start=steps[0].at,
        end=last.at,
        steps=len(steps),
        step=recording.step,
        band=recording.band,
        unhedged_start=unhedged[0],
        unhedged_end=unhedged[-1],
        hedged_end=hedged[-1],
        max_drawdown_unhedged=max_drawdown(unhedged),
        max_drawdown_hedged=max_drawdown(hedged),
        hedge_effectiveness=hedge_effectiveness(unhedged, hedged),
        tracking_error=tracking_error(steps, weights),
        time_out_of_band=sum((w for w, o in zip(weights, out, strict=True) if o), timedelta(0)),
        time_to_hedge=build,
        shocks=shocks,
        fees=last.fees,
        funding=last.funding,
        slippage=sum((t.slippage for t in trades), ZERO),
        maker_share=maker / filled if filled else None,
        fills=len(trades),
        orders=counts.orders,
        cancels=counts.cancels,
        post_only_rejections=counts.post_only_rejections,
        reprices=counts.reprices,
        worst=_worst(steps),
        min_liquidation_distance=_closest_liquidation(steps),
        notes=recording.notes,
        synthetic_perpetuals=recording.synthetic_perpetuals,
    )


def max_drawdown(values: Sequence[Decimal]) -> Decimal:
    """The largest fall from a running peak, as a fraction of the peak (0 if it never fell)."""
    peak, worst = None, ZERO
    for value in values:
        peak = value if peak is None or value > peak else peak
        if peak > 0:
            worst = max(worst, (peak - value) / peak)
    return worst


def returns(values: Sequence[Decimal]) -> list[Decimal]:
    """Step returns V_i / V_(i-1) - 1."""
    return [b / a - 1 for a, b in pairwise(values) if a != 0]


def variance(values: Sequence[Decimal]) -> Decimal:
    """Population variance (0 for fewer than two values)."""
    if len(values) < 2:
        return ZERO
    mean = sum(values, ZERO) / len(values)
    return sum(((v - mean) ** 2 for v in values), ZERO) / len(values)


def hedge_effectiveness(unhedged: Sequence[Decimal], hedged: Sequence[Decimal]) -> Decimal | None:
    """1 - Var(hedged returns) / Var(unhedged returns); None when the unhedged value never moved."""
    base = variance(returns(unhedged))
    if base == 0:
        return None
    return 1 - variance(returns(hedged)) / base


def tracking_error(steps: Sequence[Step], weights: Sequence[timedelta] | None = None) -> Decimal:
    """Time-weighted mean of sum |short notional - target short notional| / portfolio value (0 for no time)."""
    weights = list(weights) if weights is not None else _weights(steps)
    total = sum((_seconds(w) for w in weights), ZERO)
    if total == 0:
        return ZERO
    weighted = ZERO
    for step, weight in zip(steps, weights, strict=True):
        if weight and step.spot_value > 0:
            gap = sum((abs(i.notional - i.target_notional) for i in step.instruments), ZERO)
            weighted += _seconds(weight) * gap / step.spot_value
    return weighted / total


def _weights(steps: Sequence[Step]) -> list[timedelta]:
    return [b.at - a.at for a, b in pairwise(steps)] + [timedelta(0)]


def _out_of_band(step: Step, band: Decimal) -> bool:
    return any(out_of_band(i.target - i.contracts, i.target, band) for i in step.instruments)


def _episodes(steps: Sequence[Step], out: Sequence[bool]) -> tuple[timedelta | None, tuple[Episode, ...]]:
    """The time to hedge from the start, and every later stretch out of band with the time it took to re-enter."""
    episodes: list[Episode] = []
    began: datetime | None = None
    for step, outside in zip(steps, out, strict=True):
        if outside and began is None:
            began = step.at
        elif not outside and began is not None:
            episodes.append(Episode(began, step.at - began))
            began = None
    if began is not None:
        episodes.append(Episode(began, None))
    start = steps[0].at
    if episodes and episodes[0].start == start:
        return episodes[0].duration, tuple(episodes[1:])
    return timedelta(0), tuple(episodes)


def _worst(steps: Sequence[Step]) -> Moment | None:
    start_value = steps[0].hedged_value
    worst = min(steps, key=lambda s: s.hedged_value)
    loss = worst.hedged_value - start_value
    if loss >= 0:
        return None
    return Moment(worst.at, loss, unhedged=worst.spot_value - steps[0].spot_value)


def _closest_liquidation(steps: Sequence[Step]) -> Moment | None:
    closest: Moment | None = None
    for step in steps:
        for instrument in step.instruments:
            distance = instrument.liquidation_distance
            if distance is not None and (closest is None or distance < closest.value):
                closest = Moment(step.at, distance, instrument.symbol)
    return closest


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    return numerator / denominator if denominator else ZERO


def _seconds(delta: timedelta) -> Decimal:
    return Decimal(str(delta.total_seconds()))


def _maybe_seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds()


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT)


def _fraction(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(RATIO)
