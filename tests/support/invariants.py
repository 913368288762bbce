"""The bot's invariants, checked against the venue's own history (not the bot's beliefs) and the journal.

Each check returns the violations it found, each naming its ``Invariant`` and saying exactly what went wrong
(empty: the invariant holds). The venue's history is read from the in-process simulator: every order it ever held
(final state, creation and end times), every execution, and its request log. The crash trials check a whole
history after each restart; the chaos harness checks it while the bot runs, what is new at a time (``checked``).
"""

from __future__ import annotations

import inspect
import math
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from itertools import accumulate, pairwise

from bot.config import AppConfig
from bot.domain import OrderStatus, is_ours
from bot.execution.executor import Executor
from bot.journal.records import JournalFill, JournalOrder, OrderOrigin
from hedgesim import SimServer
from hedgesim.bybit.app import RequestRecord
from hedgesim.enums import Side
from hedgesim.instruments import Category
from hedgesim.orders import ExecType, Execution, SimOrder, TimeInForce
from hedgesim.orders import OrderStatus as VenueStatus

ZERO = Decimal(0)
BPS = Decimal(10000)
MINUTE_MS = 60_000
CREATE = "/v5/order/create"
TRADES = "/v5/execution/list"
TICKERS = "/v5/market/tickers"
HTTP_OK = 200
LINK_ID = "orderLinkId"  # the client order id, as Bybit names it in requests
# How long the executor keeps an order that the venue does not know as "unknown" (symbol frozen) before it
# concludes the request never arrived: ``Executor(unknown_grace=...)``'s default, which `hedgebot run` uses.
UNKNOWN_GRACE: timedelta = inspect.signature(Executor).parameters["unknown_grace"].default
JOURNAL_STATUS = {
    VenueStatus.NEW: OrderStatus.OPEN,
    VenueStatus.PARTIALLY_FILLED: OrderStatus.OPEN,
    VenueStatus.FILLED: OrderStatus.FILLED,
    VenueStatus.CANCELLED: OrderStatus.CANCELED,
    VenueStatus.REJECTED: OrderStatus.REJECTED,
}

# Per venue symbol ("SOLUSDT"): (exchange ms from which it holds, spot quantity held) - what the hedge of that
# perpetual is measured against.
Holdings = Mapping[str, Sequence[tuple[int, Decimal]]]


class Invariant(StrEnum):
    ONE_ORDER_PER_INTENT = "one live order per intent"
    POST_ONLY = "post-only limit orders only"
    REDUCE_ONLY = "every reduction reduce-only"
    NEVER_LONG = "position never long"
    LEVERAGE = "leverage never above execution.leverage (at most 2)"
    LIMITS = "no configured limit exceeded"
    FILLS_JOURNALED = "every fill in the journal exactly once"
    ORDERS_EXPLAINED = "every journal order on the venue or explained"
    POSITIONS_EXPLAINED = "every position explained by the journal"
    BACK_IN_BAND = "back within the band a bounded time after faults stop"
    KEEPS_TRADING = "never halted, never refusing to restart"


@dataclass(frozen=True, slots=True)
class Violation:
    invariant: Invariant
    detail: str

    def __str__(self) -> str:
        return f"{self.invariant}: {self.detail}"


@dataclass(frozen=True)
class VenueHistory:
    """Everything the venue did on its perpetuals, as the venue recorded it. Symbols are venue symbols."""

    orders: tuple[SimOrder, ...]
    trades: tuple[Execution, ...]  # in time order
    creates: tuple[RequestRecord, ...]  # order-create requests as they arrived
    trades_read_ms: Mapping[str, float]  # per symbol, when the newest request for our executions arrived
    mark: Callable[[str, int], Decimal]  # the venue's mark price of a symbol at an exchange time
    positions: Mapping[str, Decimal]
    leverage: Mapping[str, Decimal]
    liquidation_prices: Mapping[str, Decimal]
    liquidations: int
    ticker_reads: tuple[float, ...] = ()  # when requests for the perpetuals' tickers (marks) arrived, in order
    # per client order id: when requests naming it (other than its creation: a look-up by client id) arrived
    lookups: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    @classmethod
    def read(
        cls,
        sim: SimServer,
        symbols: Sequence[str],
        requests: Sequence[RequestRecord] | None = None,
        mark: Callable[[str, int], Decimal] | None = None,
    ) -> VenueHistory:
        """The venue's history on ``symbols``; ``requests``: the requests it received, when the caller kept more of
        them than the simulator's log holds; ``mark``: the mark the venue published at a moment, when the caller
        knows better than the simulator (which applies today's price gap to the past, and ignores frozen data)."""
        engine = sim.engine
        venue = engine.venue
        requests = sim.requests if requests is None else requests
        reads: defaultdict[str, float] = defaultdict(float)
        for request in requests:
            if request.path == TRADES and request.params.get("execType") == "Trade":  # not the funding reads
                symbol = str(request.params.get("symbol"))
                reads[symbol] = max(reads[symbol], _arrival(request))
        views = {s: engine.position(s) for s in symbols}
        return cls(
            orders=tuple(o for o in venue.orders if o.category is Category.LINEAR and o.symbol in views),
            trades=tuple(
                e
                for e in engine.executions
                if e.exec_type is ExecType.TRADE and e.category is Category.LINEAR and e.symbol in views
            ),
            creates=tuple(r for r in requests if r.path == CREATE),
            trades_read_ms=dict(reads),
            mark=mark or (lambda symbol, ms: venue.mark(venue.linear(symbol), ms)),
            positions={s: v.position.size if v.position is not None else ZERO for s, v in views.items()},
            leverage={s: v.leverage for s, v in views.items()},
            liquidation_prices={s: v.liquidation for s, v in views.items() if v.position is not None},
            liquidations=len(venue.liquidations),
            ticker_reads=tuple(
                sorted(_arrival(r) for r in requests if r.path == TICKERS and r.params.get("category") == "linear")
            ),
            lookups=_lookups(requests),
        )

    def read_before(self, ms: float) -> float:
        """When the bot last read the marks before ``ms`` (``ms`` itself if it never did): the mark it decided by."""
        index = bisect_right(self.ticker_reads, ms)
        return self.ticker_reads[index - 1] if index else ms

    @cached_property
    def _positions(self) -> dict[str, tuple[list[int], list[Decimal]]]:
        """Per symbol: trade times, and the position after each (for bisecting)."""
        by_symbol: defaultdict[str, list[Execution]] = defaultdict(list)
        for trade in self.trades:
            by_symbol[trade.symbol].append(trade)
        return {
            symbol: (
                [t.time_ms for t in trades],
                list(accumulate((t.side.sign * t.qty for t in trades), initial=ZERO))[1:],
            )
            for symbol, trades in by_symbol.items()
        }

    @cached_property
    def _fills(self) -> dict[str, tuple[list[int], list[Decimal]]]:
        """Per venue order id: its fill times, and the quantity filled after each."""
        by_order: defaultdict[str, list[Execution]] = defaultdict(list)
        for trade in self.trades:
            by_order[trade.order_id].append(trade)
        return {
            order_id: ([t.time_ms for t in trades], list(accumulate((t.qty for t in trades), initial=ZERO))[1:])
            for order_id, trades in by_order.items()
        }

    def position_at(self, symbol: str, ms: float) -> Decimal:
        return _at(self._positions.get(symbol), ms)

    def worst_short_at(self, symbol: str, ms: float) -> Decimal:
        """The short the position and every sell live on ``symbol`` at ``ms`` could reach (positive)."""
        resting = sum(
            (
                o.qty - self._filled_at(o, ms)
                for o in self.orders
                if o.symbol == symbol and o.side is Side.SELL and _live_at(o, ms)
            ),
            ZERO,
        )
        return resting - self.position_at(symbol, ms)

    def _filled_at(self, order: SimOrder, ms: float) -> Decimal:
        return _at(self._fills.get(order.order_id), ms)


def _at(series: tuple[list[int], list[Decimal]] | None, ms: float) -> Decimal:
    """A running total's value at ``ms`` (zero before its first step)."""
    if series is None:
        return ZERO
    times, totals = series
    index = bisect_right(times, ms)
    return totals[index - 1] if index else ZERO


def _ms(moment: datetime) -> float:
    return moment.timestamp() * 1000


def _lookups(requests: Sequence[RequestRecord]) -> dict[str, tuple[float, ...]]:
    found: defaultdict[str, list[float]] = defaultdict(list)
    for request in requests:
        link = request.params.get(LINK_ID)
        if request.path != CREATE and link:
            found[str(link)].append(_arrival(request))
    return {link: tuple(sorted(times)) for link, times in found.items()}


def _arrival(request: RequestRecord) -> float:
    return request.wall_ms - request.duration_ms


def _end_ms(order: SimOrder) -> float:
    return math.inf if order.status.is_open else order.updated_ms


def _rested(order: SimOrder) -> bool:
    """Whether the order was ever live on the book (a post-only order that would take ends as it arrives)."""
    return order.created_ms < _end_ms(order)


def _live_at(order: SimOrder, ms: float) -> bool:
    return order.created_ms <= ms < _end_ms(order)


def venue_symbol(symbol: str) -> str:
    """ "SOL/USDT:USDT" -> "SOLUSDT"."""
    return symbol.split(":")[0].replace("/", "")


def holdings_at(holdings: Sequence[tuple[int, Decimal]], ms: float) -> Decimal:
    return max(((since, qty) for since, qty in holdings if since <= ms), default=(0, ZERO))[1]


def holdings_within(holdings: Sequence[tuple[int, Decimal]], start: float, end: float) -> Decimal:
    """The most held at any moment from ``start`` to ``end``: what a decision made from a snapshot read then could
    have seen."""
    return max([holdings_at(holdings, start), *(qty for since, qty in holdings if start <= since <= end)])


# -- (a) one live order per intent -------------------------------------------------------------------------


def double_live_orders(venue: VenueHistory, journal: Sequence[JournalOrder]) -> list[Violation]:
    """Intents that ever had two orders live at the venue at once, and client ids the venue saw twice."""
    seen: Counter[str] = Counter(order.link_id for order in venue.orders)
    problems = [f"client order id {cid} is on {n} venue orders" for cid, n in seen.items() if n > 1]
    intent_of = {o.client_order_id: o.intent_id for o in journal if o.intent_id is not None}
    by_intent: defaultdict[int, list[SimOrder]] = defaultdict(list)
    for order in venue.orders:
        if order.link_id in intent_of and _rested(order):
            by_intent[intent_of[order.link_id]].append(order)
    for intent, orders in sorted(by_intent.items()):
        orders.sort(key=lambda o: o.created_ms)
        for first, second in pairwise(orders):
            if second.created_ms < _end_ms(first):
                problems.append(
                    f"intent {intent} had two live orders: {first.link_id} ({first.created_ms}..{_end_ms(first)}) "
                    f"and {second.link_id} (from {second.created_ms})"
                )
    return [Violation(Invariant.ONE_ORDER_PER_INTENT, p) for p in [*problems, *_blind_creates(venue, intent_of)]]


def _blind_creates(venue: VenueHistory, intent_of: Mapping[str, int]) -> list[str]:
    """Orders sent for an intent whose earlier order reached the venue unanswered (its reply lost, timed out) while
    the bot had not looked that order up by its client id: a blind retry, even when the first had already ended
    (filled within the silence) so that the two were never live together."""
    created = {str(r.params.get(LINK_ID)): r for r in venue.creates}
    by_intent: defaultdict[int, list[SimOrder]] = defaultdict(list)
    for order in venue.orders:
        if order.link_id in intent_of:
            by_intent[intent_of[order.link_id]].append(order)
    problems = []
    for intent, orders in sorted(by_intent.items()):
        orders.sort(key=lambda o: o.created_ms)
        for first, second in pairwise(orders):
            asked, retried = created.get(first.link_id), created.get(second.link_id)
            if asked is None or retried is None or asked.status == HTTP_OK:
                continue  # the bot was told the first one's outcome
            silence = (asked.wall_ms, _arrival(retried))
            if not any(silence[0] <= at <= silence[1] for at in venue.lookups.get(first.link_id, ())):
                problems.append(
                    f"intent {intent}: {second.link_id} was sent after the creation of {first.link_id} went "
                    f"unanswered (HTTP {asked.status}) without looking {first.link_id} up: a blind retry"
                )
    return problems


# -- (b) limits, over the venue's history ------------------------------------------------------------------


def limit_breaches(
    venue: VenueHistory,
    holdings: Holdings,
    config: AppConfig,
    *,
    checked: Set[str] = frozenset(),
    decided_ms: Mapping[str, float] | None = None,
    priced_ms: Mapping[str, float] | None = None,
) -> list[Violation]:
    """Every configured limit the venue's history shows broken, and the hard rules (post-only, reduce-only buys,
    never net long, leverage), checked at each order's creation and after each fill (but those ``checked`` before:
    venue order and execution ids).

    An order is judged by what its decision could know: its price against the mark the venue published when the
    bot last read it before deciding (``decided_ms``, by client id: when the risk gate approved it; default: its
    creation), its short against the most held from then to its creation. A re-priced order's price is judged
    against the mark read with its fresh book (``priced_ms``: when the gate re-checked it; default: ``decided_ms``)."""
    risk = config.risk
    problems: list[Violation] = []
    for order in venue.orders:
        if order.order_id in checked:
            continue
        decided = venue.read_before(min((decided_ms or {}).get(order.link_id, order.created_ms), order.created_ms))
        priced = venue.read_before(min((priced_ms or {}).get(order.link_id, decided), order.created_ms))
        problems += _order_breaches(venue, order, config, max(decided, priced))
        if order.side is Side.SELL and _rested(order):
            problems += _exposure_breaches(venue, order, holdings, config, decided)
    for trade in venue.trades:
        if trade.exec_id not in checked and (position := venue.position_at(trade.symbol, trade.time_ms)) > 0:
            problems.append(
                Violation(
                    Invariant.NEVER_LONG, f"{trade.symbol} was {position} contracts net long after {trade.exec_id}"
                )
            )
    busiest = _busiest_minute([_arrival(r) for r in venue.creates])
    if busiest > risk.max_orders_per_minute:
        problems.append(
            Violation(
                Invariant.LIMITS,
                f"{busiest} orders reached the venue within a minute, above {risk.max_orders_per_minute}",
            )
        )
    turnover: defaultdict[str, Decimal] = defaultdict(Decimal)
    for trade in venue.trades:  # per UTC day, as the bot counts it
        turnover[datetime.fromtimestamp(trade.time_ms / 1000, UTC).date().isoformat()] += trade.qty * trade.price
    problems += [
        Violation(
            Invariant.LIMITS, f"turnover on {day} is {value}, above risk.max_daily_turnover {risk.max_daily_turnover}"
        )
        for day, value in sorted(turnover.items())
        if value > risk.max_daily_turnover
    ]
    allowed = min(risk.max_leverage, config.execution.leverage)
    exposed = {o.symbol for o in venue.orders if o.status.is_open} | {s for s, x in venue.positions.items() if x}
    problems += [
        Violation(Invariant.LEVERAGE, f"{s} leverage is {x}, above {allowed}, with a position or order open")
        for s, x in venue.leverage.items()
        if x > allowed and s in exposed
    ]
    if venue.liquidations:
        problems.append(Violation(Invariant.LIMITS, f"{venue.liquidations} liquidation(s) at the venue"))
    for symbol, price in venue.liquidation_prices.items():
        mark = venue.mark(symbol, max((t.time_ms for t in venue.trades), default=0))
        if abs(price - mark) / mark < risk.min_liquidation_distance:
            problems.append(
                Violation(
                    Invariant.LIMITS,
                    f"{symbol} liquidation price {price} is within {risk.min_liquidation_distance} of {mark}",
                )
            )
    return problems


def _order_breaches(venue: VenueHistory, order: SimOrder, config: AppConfig, decided: float) -> list[Violation]:
    risk = config.risk
    name = f"order {order.link_id} on {order.symbol}"
    problems = []
    if order.time_in_force is not TimeInForce.POST_ONLY:
        problems.append(
            Violation(Invariant.POST_ONLY, f"{name} is {order.order_type} {order.time_in_force}, not post-only")
        )
    if order.side is Side.BUY and not order.reduce_only:
        problems.append(Violation(Invariant.REDUCE_ONLY, f"{name} is a buy that is not reduce-only"))
    if (notional := order.qty * order.price) > risk.max_order_notional:
        problems.append(
            Violation(
                Invariant.LIMITS, f"{name} is worth {notional}, above risk.max_order_notional {risk.max_order_notional}"
            )
        )
    if _rested(order):
        mark = venue.mark(order.symbol, int(decided))
        if (deviation := abs(order.price - mark) / mark * BPS) > risk.max_price_deviation_bps:
            problems.append(
                Violation(Invariant.LIMITS, f"{name} at {order.price} is {deviation:.1f} bps from the mark {mark}")
            )
    return problems


def _exposure_breaches(
    venue: VenueHistory, order: SimOrder, holdings: Holdings, config: AppConfig, decided: float
) -> list[Violation]:
    """The shorts the positions and every live sell could reach, the moment ``order`` was created."""
    at = order.created_ms
    worst = {symbol: venue.worst_short_at(symbol, at) for symbol in holdings}
    allowed = holdings_within(holdings[order.symbol], decided, at) * config.risk.max_hedge_ratio
    problems = []
    if worst[order.symbol] > allowed:
        problems.append(
            Violation(
                Invariant.LIMITS,
                f"with order {order.link_id} the {order.symbol} short could reach {worst[order.symbol]} contracts, "
                f"above the {allowed} allowed (holdings x risk.max_hedge_ratio)",
            )
        )
    total = sum((max(short, ZERO) * venue.mark(symbol, at) for symbol, short in worst.items()), ZERO)
    if total > config.risk.max_total_hedge_notional:
        problems.append(
            Violation(
                Invariant.LIMITS,
                f"with order {order.link_id} the hedges could reach {total}, above max_total_hedge_notional",
            )
        )
    return problems


def _busiest_minute(moments: Sequence[float]) -> int:
    ordered = sorted(moments)
    busiest, start = 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= MINUTE_MS:
            start += 1
        busiest = max(busiest, end - start + 1)
    return busiest


# -- (c) the journal agrees with the venue -----------------------------------------------------------------


def journal_disagreements(
    venue: VenueHistory,
    orders: Sequence[JournalOrder],
    fills: Sequence[JournalFill],
    explained: Mapping[str, Decimal],
    last_cycle: datetime,
) -> list[Violation]:
    """Venue orders the journal lacks, journal outcomes that are pending without reason or contradict the venue,
    fills missed, invented or recorded twice, and positions the journal cannot explain. ``explained`` is per venue
    symbol; ``last_cycle`` is when the bot's newest cycle started (it looked up every unknown order after that)."""
    journal = {o.client_order_id: o for o in orders}
    problems = [
        Violation(Invariant.ORDERS_EXPLAINED, f"venue order {o.link_id} ({o.status}) is not in the journal")
        for o in venue.orders
        if not is_ours(o.link_id) or o.link_id not in journal
    ]
    at_venue = {o.link_id: o for o in venue.orders}
    for record in orders:
        order = at_venue.get(record.client_order_id)
        if record.status is None or record.status is OrderStatus.UNKNOWN:
            problems += _pending(record, order, orders, last_cycle)
        else:
            problems += _order_disagreement(record, order, last_cycle)
    problems += _fill_disagreements(venue, fills)
    journaled = {f.fill.trade_id for f in fills}
    unseen = [t for t in venue.trades if t.exec_id not in journaled]
    for symbol, position in venue.positions.items():
        since_read = sum((t.side.sign * t.qty for t in unseen if t.symbol == symbol), ZERO)
        if explained.get(symbol, ZERO) + since_read != position:
            problems.append(
                Violation(
                    Invariant.POSITIONS_EXPLAINED,
                    f"the journal explains {symbol} {explained.get(symbol, ZERO)} (+{since_read} filled since it last "
                    f"read), the venue holds {position}",
                )
            )
    return problems


def _fill_disagreements(venue: VenueHistory, fills: Sequence[JournalFill]) -> list[Violation]:
    counted = Counter(f.fill.trade_id for f in fills)
    trades = {t.exec_id for t in venue.trades}
    problems = [f"journal fill {trade_id} never happened at the venue" for trade_id in sorted(counted.keys() - trades)]
    problems += [f"venue fill {trade_id} is in the journal {n} times" for trade_id, n in counted.items() if n > 1]
    problems += [
        f"fill {t.exec_id} of {t.link_id} at {t.time_ms} is missing from the journal (read at {venue.trades_read_ms})"
        for t in venue.trades
        if t.exec_id not in counted and t.time_ms < venue.trades_read_ms.get(t.symbol, 0)
    ]
    return [Violation(Invariant.FILLS_JOURNALED, p) for p in problems]


def _pending(
    record: JournalOrder, order: SimOrder | None, orders: Sequence[JournalOrder], last_cycle: datetime
) -> list[Violation]:
    """An order whose outcome the journal does not know is acceptable only while the bot could not know it: the
    venue did not have it when the bot last looked (a held request may land later), the executor's grace for it
    has not run out, and nothing was sent on its symbol since (frozen)."""
    cid = record.client_order_id
    problems = []
    if order is not None and order.created_ms <= _ms(last_cycle):
        problems.append(f"journal order {cid} is left with an unknown outcome; the venue has it ({order.status})")
    if last_cycle - record.created_at >= UNKNOWN_GRACE:
        problems.append(f"journal order {cid} is unknown {last_cycle - record.created_at} after it was written")
    later = [
        o.client_order_id
        for o in orders
        if o.symbol == record.symbol and o.origin is OrderOrigin.SENT and o.created_at > record.created_at
    ]
    if later:
        problems.append(f"orders {later} were sent on {record.symbol} while {cid} was unknown (not frozen)")
    return [Violation(Invariant.ORDERS_EXPLAINED, p) for p in problems]


def _order_disagreement(record: JournalOrder, order: SimOrder | None, last_cycle: datetime) -> list[Violation]:
    cid, status = record.client_order_id, record.status
    problem = None
    if order is None:
        problem = None if status is OrderStatus.REJECTED else f"journal order {cid} is {status}, the venue never had it"
    elif status is OrderStatus.OPEN and JOURNAL_STATUS[order.status] is not OrderStatus.OPEN:
        if order.updated_ms < _ms(last_cycle):  # else it ended during or after the bot's last look: the next records it
            problem = f"journal order {cid} is {status}, the venue's is {order.status}"
    elif status is not JOURNAL_STATUS[order.status]:
        problem = f"journal order {cid} is {status}, the venue's is {order.status}"
    elif status is not None and status.is_final and (record.filled or ZERO) != order.cum_qty:
        problem = f"journal order {cid} filled {record.filled}, the venue's filled {order.cum_qty}"
    return [] if problem is None else [Violation(Invariant.ORDERS_EXPLAINED, problem)]
