"""The execution benchmark's baselines: three other ways to steer the same short to the same targets.

Each baseline is a ``bot.replay.run.Hedger`` run by the replay's own driver (``replay``) on a fresh copy of the
simulator engine, on the same stepped clock, window and portfolio as the bot, and recorded by the replay's own
``Recorder``, so the one report module (``bot.replay.report``) scores the bot and every baseline alike. The targets
are the bot's own, read from its recording step by step (``targets_by_step``): the benchmark compares execution
alone, never two policies.

1. ``TakerHedger``: whenever an instrument's gap to its target leaves the band (the planner's own test,
   ``out_of_band``), a market order for the whole gap, at once.
2. ``MarketableLimitHedger``: Hummingbot's ``hedge`` strategy: at every interval (here every step), an instrument
   with no order of ours open and a gap the venue would take (its minimum quantity and notional) gets a limit order
   for the whole gap at the touch plus a slippage allowance (a buy at the best ask x (1 + slippage), a sell at the
   best bid x (1 - slippage); Hummingbot's defaults: 1 %, cancelled after 100 s).
3. ``ideal``: exactly at target at every step at zero cost (no fees, no slippage, no funding): the bot's recording
   with every position set to its target and the perpetuals' PnL rebuilt from the marks; the limit nobody can beat.

The two trading baselines send their orders to the engine directly (the bot's port can express post-only limit
orders only, by design) and read the account through the replay's in-process port; ``BaselinePort`` tells the
recorder the mid of each of their orders' books when they decided it, and what they sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count

from bot.clock import Clock
from bot.core.planner.sizing import below_minimum, out_of_band
from bot.domain import ZERO, MarginMode, Market, Rounding, round_to_step
from bot.exchange.port import ExchangePort
from bot.replay.observe import ObservedPort
from bot.replay.record import InstrumentStep, OrderCounts, Recording, Step
from hedgesim import SimExchange
from hedgesim.enums import Side as SimSide
from hedgesim.instruments import Category
from hedgesim.orders import NewOrder, OrderType, TimeInForce

Targets = Mapping[datetime, Mapping[str, Decimal]]  # step time -> hedge instrument -> target contracts

HUMMINGBOT_SLIPPAGE = Decimal("0.01")  # the hedge strategy's `slippage` default
HUMMINGBOT_MAX_ORDER_AGE = timedelta(seconds=100)  # its `max_order_age` default


def targets_by_step(recording: Recording) -> dict[datetime, dict[str, Decimal]]:
    """The target contracts of every hedge instrument at every step of a recording."""
    return {step.at: {i.symbol: i.target for i in step.instruments} for step in recording.steps}


class BaselinePort(ObservedPort):
    """The replay's observed port, told of the orders a baseline sends to the engine itself: their decision mids
    (the mid of the instrument's book when the order was decided) and the counts of orders and cancels."""

    def __init__(self, port: ExchangePort, clock: Clock) -> None:
        super().__init__(port, clock)
        self._mids: dict[str, Decimal] = {}
        self._sent = OrderCounts()

    def sent(self, client_order_id: str, mid: Decimal | None) -> None:
        if mid is not None:
            self._mids[client_order_id] = mid
        self._sent = replace(self._sent, orders=self._sent.orders + 1)

    def cancelled(self) -> None:
        self._sent = replace(self._sent, cancels=self._sent.cancels + 1)

    def decision_mid(self, client_order_id: str | None) -> Decimal | None:
        return self._mids.get(client_order_id or "")

    @property
    def counts(self) -> OrderCounts:
        return self._sent


@dataclass(frozen=True, slots=True)
class Seat:
    """Where a trading baseline sits: its engine, the port the recorder reads it through, the markets, the bot's
    targets, and the leverage and margin mode the bot's configuration sets."""

    engine: SimExchange
    port: BaselinePort
    markets: Mapping[str, Market]
    targets: Targets
    leverage: Decimal
    margin_mode: MarginMode


class _EngineHedger:
    """What both trading baselines share: the account set up as the bot sets it (margin mode, leverage), positions
    and books read through the port, orders sent to the engine by the instrument's venue name."""

    prefix = "bl"

    def __init__(self, seat: Seat) -> None:
        self.seat = seat
        self.engine = seat.engine
        self.port = seat.port
        self._names = {f"{i.base}/{i.quote}:{i.quote}": i.name for i in seat.engine.instruments(Category.LINEAR)}
        self._ids = count(1)

    async def start(self) -> None:
        for symbol in sorted({s for step in self.seat.targets.values() for s in step}):
            await self.port.inner.set_margin_mode(symbol, self.seat.margin_mode)
            await self.port.inner.set_leverage(symbol, self.seat.leverage)

    async def cycle(self) -> Mapping[str, Decimal]:
        targets = self.seat.targets.get(self.engine.clock.now(), {})
        positions = await self.port.inner.fetch_positions(sorted(targets))
        for symbol, target in sorted(targets.items()):
            position = positions.get(symbol)
            await self.steer(symbol, target, position.contracts if position else ZERO)
        return targets

    async def stop(self) -> None:
        return None

    async def steer(self, symbol: str, target: Decimal, current: Decimal) -> None:
        raise NotImplementedError

    async def send(self, symbol: str, gap: Decimal, current: Decimal, kind: OrderType, price: Decimal | None) -> None:
        """An order for ``gap`` contracts (rounded toward zero on the lot step; none below the venue's minimum),
        reduce-only when it only shrinks the position; its decision mid is the book's mid now."""
        market = self.seat.markets[symbol]
        book = await self.port.inner.fetch_order_book(symbol, 1)
        amount = round_to_step(abs(gap), market.lot_step)
        reduce_only = current * gap < 0 and abs(gap) <= abs(current)
        if book.mid is None or below_minimum(amount, book.mid, market, reduce_only=reduce_only):
            return
        link_id = f"{self.prefix}{next(self._ids)}"
        order = NewOrder(
            category=Category.LINEAR,
            symbol=self._names[symbol],
            side=SimSide.BUY if gap > 0 else SimSide.SELL,
            order_type=kind,
            qty=amount,
            price=price,
            time_in_force=TimeInForce.GTC,
            reduce_only=reduce_only,
            link_id=link_id,
        )
        self.engine.place_order(order)
        self.port.sent(link_id, book.mid)


class TakerHedger(_EngineHedger):
    """A market order for the whole gap whenever the gap leaves ``band`` (the bot's own band)."""

    prefix = "tk"

    def __init__(self, seat: Seat, band: Decimal) -> None:
        super().__init__(seat)
        self.band = band

    async def steer(self, symbol: str, target: Decimal, current: Decimal) -> None:
        gap = target - current
        if out_of_band(gap, target, self.band):
            await self.send(symbol, gap, current, OrderType.MARKET, None)


class MarketableLimitHedger(_EngineHedger):
    """Hummingbot's ``hedge`` strategy: a limit order for the whole gap at the touch plus ``slippage``, at every
    interval when no order of ours is open on the instrument; an order older than ``max_age`` is cancelled."""

    prefix = "ml"

    def __init__(
        self, seat: Seat, slippage: Decimal = HUMMINGBOT_SLIPPAGE, max_age: timedelta = HUMMINGBOT_MAX_ORDER_AGE
    ) -> None:
        super().__init__(seat)
        self.slippage = slippage
        self.max_age = max_age

    async def steer(self, symbol: str, target: Decimal, current: Decimal) -> None:
        now = self.engine.clock.now()
        waiting = False
        for order in await self.port.inner.fetch_open_orders([symbol]):
            if not (order.client_order_id or "").startswith(self.prefix):
                continue
            if order.timestamp is not None and now - order.timestamp >= self.max_age:
                await self.port.inner.cancel_order(symbol, client_order_id=order.client_order_id)
                self.port.cancelled()
            else:
                waiting = True
        gap = target - current
        if waiting or gap == 0:
            return
        book = await self.port.inner.fetch_order_book(symbol, 1)
        if book.best_bid is None or book.best_ask is None:
            return
        tick = self.seat.markets[symbol].tick_size
        if gap > 0:
            price = round_to_step(book.best_ask.price * (1 + self.slippage), tick, Rounding.DOWN)
        else:
            price = round_to_step(book.best_bid.price * (1 - self.slippage), tick, Rounding.UP)
        await self.send(symbol, gap, current, OrderType.LIMIT, price)


def ideal(recording: Recording) -> Recording:
    """The bot's recording as the ideal hedge would have it: every position at its target at every step, held
    at mark until the next step, at zero cost (no fees, no slippage, no funding); no fills, no orders."""
    steps: list[Step] = []
    pnl = ZERO
    held: dict[str, InstrumentStep] = {}
    for step in recording.steps:
        instruments = tuple(replace(i, contracts=i.target, liquidation=None) for i in step.instruments)
        for now in instruments:
            before = held.get(now.symbol)
            if before is not None:
                pnl += before.contracts * before.contract_size * (now.mark - before.mark)
        held = {i.symbol: i for i in instruments}
        steps.append(
            Step(at=step.at, spot_value=step.spot_value, perp_pnl=pnl, fees=ZERO, funding=ZERO, instruments=instruments)
        )
    return Recording(steps=tuple(steps), band=recording.band, step=recording.step, notes=("the ideal hedge",))
