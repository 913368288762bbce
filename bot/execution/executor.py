"""The executor: sends approved intents as post-only limit orders, journaled before sending, and follows them up.

Rules it keeps:
- every order row is on disk (``Journal.record_order``) before its request leaves; order creation is never
  retried blindly;
- a post-only order that would take liquidity (a synchronous reject, or accepted then cancelled) is re-priced
  from a fresh book at the passive touch, re-checked by the risk gate against the mark read with that book and
  what actually rests (the
  orders' latest states this cycle: cancelled and filled ones no longer rest, their fills are in the position,
  orders sent since count) and the re-check journaled like the cycle's, within
  ``execution.max_post_only_retries_per_minute`` fresh books per instrument (a budget of its own: the planner's
  cancel-and-replace of resting orders counts against ``max_reprices_per_minute``); the instrument's later slices that cycle start from that fresh price;
  when the fresh book quotes no better than the refused price, the book is behind the venue: nothing more is sent
  on that instrument and side at that price or worse this cycle (re-sending it would only be refused again);
  never beyond the price a person's approval covers (``OrderIntent.limit_price``): such an order is not sent, and
  the next cycle plans and asks again;
- an order's state is read back with its acknowledgement where the venue's reply lacks it (Bybit), except a slice
  that is not reduce-only priced at or behind one of this cycle's on its instrument and side read back resting (the
  next listing of open orders tells); a reduce-only order is, as the venue may cut it to the position;
- cancel-and-replace confirms the cancel (or the replaced order's final state) first and never re-orders more
  than what the replaced order had left;
- after an ambiguous failure the symbol is frozen and the order looked up by client id before anything else on
  that symbol; it stays frozen until the outcome is known;
- foreign orders (no ``hb`` client id) are never touched;
- a read that fails while acting (the state after a cancel, a fresh book) skips that order, never the cycle; and
  however a symbol's actions end, ``execute`` returns (or raises) only once every symbol's are done, so nothing
  of a cycle is still being sent when the next one starts.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

import structlog

from bot.clock import Clock
from bot.core.planner.pricing import passive_price
from bot.domain import (
    CancelIntent,
    Market,
    Order,
    OrderIntent,
    OrderStatus,
    PerpTicker,
    ReasonCode,
    Side,
    is_ours,
    round_to_step,
)
from bot.errors import (
    AmbiguousOrderOutcome,
    AuthenticationFailed,
    DataError,
    DuplicateClientOrderId,
    ExchangeError,
    InsufficientMargin,
    OrderNotFound,
    OrderRejected,
    PermissionDenied,
    PostOnlyWouldTake,
)
from bot.exchange.port import ExchangePort, OrderRequest
from bot.execution.ids import ClientOrderIds
from bot.journal.records import OrderTicket
from bot.journal.writer import Journal
from bot.risk.decision import RiskDecision

log = structlog.get_logger(__name__)

MINUTE = timedelta(minutes=1)


class Outcome(StrEnum):
    PLACED = "placed"  # resting (or already filled) at the venue
    REJECTED = "rejected"  # the venue said no
    DENIED = "denied"  # a re-priced order failed the risk gate's re-check (journaled): nothing sent
    UNKNOWN = "unknown"  # ambiguous failure; the symbol is frozen until the lookup answers
    SKIPPED = "skipped"  # not sent: the symbol is frozen, the replaced order is gone, or re-pricing ran out


@dataclass(frozen=True, slots=True)
class Placement:
    intent: OrderIntent
    outcome: Outcome
    client_order_id: str | None = None
    order: Order | None = None
    detail: str = ""


# The risk gate for one re-priced intent, given our orders' latest states learned this cycle (see ``Executor.seen``) and
# the instrument's ticker read with the book the intent was re-priced from (its mark, not the cycle's older one).
Recheck = Callable[[OrderIntent, Sequence[Order], PerpTicker], RiskDecision]


class Executor:
    """Acts on one venue for one run. Each cycle's ``recheck`` is the risk gate for a single re-priced intent, with
    that cycle's context as our orders have since changed it."""

    def __init__(
        self,
        port: ExchangePort,
        journal: Journal,
        ids: ClientOrderIds,
        clock: Clock,
        *,
        run_id: str,
        max_post_only_retries_per_minute: int,
        passive_offset_ticks: int = 0,
        unknown_grace: timedelta = timedelta(seconds=30),
    ) -> None:
        self._port = port
        self._journal = journal
        self._ids = ids
        self._clock = clock
        self._run_id = run_id
        self._max_retries = max_post_only_retries_per_minute
        self._offset = passive_offset_ticks
        self._unknown_grace = unknown_grace
        self._reprices: defaultdict[str, deque[datetime]] = defaultdict(deque)
        self.frozen: dict[str, str] = {}  # symbol -> client order id whose outcome is unknown
        self.margin_exhausted = False  # the venue refused an order for margin this cycle
        # this cycle's latest passive price after a re-price, with the ticker read with its book
        self._fresh: dict[tuple[str, Side], tuple[Decimal, PerpTicker]] = {}
        self._seen: dict[str, Order] = {}  # client id -> the latest state of each order of ours acted on this cycle
        self._rested: dict[tuple[str, Side], Decimal] = {}  # this cycle's price read back resting, by symbol, side
        # this cycle's price refused for crossing that a fresh book could not better: the book is behind the venue
        self._behind: dict[tuple[str, Side], Decimal] = {}

    @property
    def seen(self) -> tuple[Order, ...]:
        """The latest state of every order of ours this cycle has cancelled or sent (one in flight, or of unknown
        outcome, as open): what changed since the cycle's snapshot."""
        return tuple(self._seen.values())

    # -- following up ---------------------------------------------------------------------------------------

    async def resolve_unknown(self) -> None:
        """Look up every order of ours whose outcome is unknown (or never recorded) by client id."""
        for symbol, cid in list(self.frozen.items()):
            known = self._journal.order(cid)
            if known is not None and known.status not in (None, OrderStatus.UNKNOWN):
                del self.frozen[symbol]  # learned meanwhile: adopted by reconciliation, or a later update
        for record in self._journal.unresolved_orders(self._port.venue):
            if record.status not in (None, OrderStatus.UNKNOWN):
                continue
            self.frozen[record.symbol] = record.client_order_id
            try:
                order = await self._port.fetch_order(record.symbol, client_order_id=record.client_order_id)
            except (ExchangeError, DataError) as exc:
                log.warning("order.lookup_failed", client_order_id=record.client_order_id, error=str(exc))
                continue
            if order is not None:
                self._journal.record_order_update(order, "found by client id after an unknown outcome")
                log.info("order.resolved", client_order_id=record.client_order_id, status=order.status)
                self.frozen.pop(record.symbol, None)
            elif self._clock.now() - record.created_at >= self._unknown_grace:
                never = replace(record.as_order(), status=OrderStatus.REJECTED, reject_reason="never reached the venue")
                self._journal.record_order_update(never, "not found by client id after the grace period")
                log.info("order.never_placed", client_order_id=record.client_order_id)
                self.frozen.pop(record.symbol, None)

    async def sync_orders(self, venue_open: Sequence[Order]) -> tuple[Order, ...]:
        """Bring journaled OPEN orders up to date: those the venue no longer lists open are looked up by client id
        for their end. Returns those not found final: they keep counting as resting (in flight, as last known)
        and their symbol is frozen until a lookup finds them final, so a listing that omits an order never
        leads to placing the same hedge again."""
        live = {o.client_order_id for o in venue_open if is_ours(o.client_order_id)}
        unlisted: list[Order] = []
        for record in self._journal.unresolved_orders(self._port.venue):
            if record.status is not OrderStatus.OPEN or record.client_order_id in live:
                continue
            try:
                order = await self._port.fetch_order(record.symbol, client_order_id=record.client_order_id)
            except (ExchangeError, DataError) as exc:
                log.warning("order.lookup_failed", client_order_id=record.client_order_id, error=str(exc))
                order = None
            if order is not None and order.status.is_final:
                self._journal.record_order_update(order, "no longer open at the venue")
                continue
            self.frozen.setdefault(record.symbol, record.client_order_id)
            log.warning("order.unlisted", client_order_id=record.client_order_id, symbol=record.symbol)
            unlisted.append(order if order is not None and order.status is OrderStatus.OPEN else record.as_order())
        return tuple(unlisted)

    # -- acting ---------------------------------------------------------------------------------------------

    async def cancel(self, cancel: CancelIntent) -> Order | None:
        """Cancel one of our orders and return its final state as the venue reports it (None if unknown)."""
        cid = cancel.client_order_id
        if not is_ours(cid):
            log.error("order.cancel_refused", client_order_id=cid, reason="not one of ours")
            return None
        assert cid is not None
        self._journal.record_cancel_requested(cid, cancel.note or cancel.reason.value)
        try:
            await self._port.cancel_order(cancel.symbol, client_order_id=cid)
        except OrderNotFound:
            log.info("order.cancel_found_gone", client_order_id=cid)
        except (ExchangeError, DataError) as exc:
            log.warning("order.cancel_failed", client_order_id=cid, error=str(exc))
            return None
        try:
            order = await self._port.fetch_order(cancel.symbol, client_order_id=cid)
        except (ExchangeError, DataError) as exc:  # cancelled, but its final state unknown: treated as not cancelled
            log.warning("order.lookup_failed", client_order_id=cid, error=str(exc))
            return None
        if order is not None:
            self._journal.record_order_update(order, f"after cancel ({cancel.reason.value})")
            self._seen[cid] = order
        return order

    async def execute(
        self,
        cancels: Sequence[CancelIntent],
        intents: Sequence[tuple[OrderIntent, int | None]],
        markets: Mapping[str, Market],
        recheck: Recheck,
    ) -> list[Placement]:
        """Cancels first, then intents; symbols in parallel, each symbol's actions in order."""
        self.margin_exhausted = False
        self._fresh.clear()
        self._seen.clear()
        self._rested.clear()
        self._behind.clear()
        by_symbol: defaultdict[str, list[tuple[OrderIntent, int | None]]] = defaultdict(list)
        for intent, intent_id in intents:
            by_symbol[intent.symbol].append((intent, intent_id))
        replaced = {intent.replaces for intent, _ in intents if intent.replaces}
        for cancel in cancels:
            if cancel.client_order_id not in replaced:
                await self.cancel(cancel)
        groups = await asyncio.gather(
            *(self._run_symbol(items, markets[symbol], recheck) for symbol, items in by_symbol.items()),
            return_exceptions=True,
        )
        for group in groups:  # raised only once every symbol is done: nothing of this cycle is left sending
            if isinstance(group, BaseException):
                raise group
        return [placement for group in groups if isinstance(group, list) for placement in group]

    async def _run_symbol(
        self, items: list[tuple[OrderIntent, int | None]], market: Market, recheck: Recheck
    ) -> list[Placement]:
        results = []
        for intent, intent_id in items:
            results.append(await self.place(intent, intent_id, market, recheck))
        return results

    async def place(self, intent: OrderIntent, intent_id: int | None, market: Market, recheck: Recheck) -> Placement:
        if intent.symbol in self.frozen:
            return Placement(intent, Outcome.SKIPPED, detail=f"{intent.symbol} is frozen: {self.frozen[intent.symbol]}")
        if intent.replaces:
            adjusted = await self._confirm_replaced(intent, market)
            if adjusted is None:
                return Placement(
                    intent, Outcome.SKIPPED, detail=f"the replaced order {intent.replaces} is not cancelled"
                )
            intent = adjusted
        if self.margin_exhausted and not intent.reduce_only:
            return Placement(intent, Outcome.SKIPPED, detail="the venue refused an order for margin this cycle")
        behind = self._behind.get((intent.symbol, intent.side))
        if behind is not None and not _would_cross(behind, intent.price, intent.side):
            return Placement(intent, Outcome.SKIPPED, detail=_behind_detail(behind))
        fresh = self._fresh.get((intent.symbol, intent.side))
        if fresh is not None and _would_cross(intent.price, fresh[0], intent.side):
            return await self._send_repriced(intent, intent_id, market, *fresh, recheck)
        return await self._send(intent, intent_id, market, recheck)

    async def _confirm_replaced(self, intent: OrderIntent, market: Market) -> OrderIntent | None:
        """Cancel the order ``intent`` replaces; the intent again, cut to what that order had left, or None."""
        assert intent.replaces is not None
        old = await self.cancel(CancelIntent(intent.symbol, intent.replaces, None, ReasonCode.REPRICE, "replaced"))
        if old is None or not old.status.is_final:
            return None
        left = round_to_step(old.remaining, market.lot_step)
        amount = min(intent.amount, left)
        if amount < max(market.min_qty, market.lot_step) or amount <= 0:
            return None
        return replace(intent, amount=amount, notional=market.notional(amount, intent.price), replaces=None)

    async def _send(self, intent: OrderIntent, intent_id: int | None, market: Market, recheck: Recheck) -> Placement:
        request = OrderRequest(
            intent.symbol,
            intent.side,
            intent.amount,
            intent.price,
            self._ids.next(),
            intent.reduce_only,
        )
        ticket = self._journal.record_order(self._port.venue, request, run_id=self._run_id, intent_id=intent_id)
        self._seen[request.client_order_id] = request.as_open()  # on its way
        log.info(
            "order.submitted",
            client_order_id=request.client_order_id,
            symbol=request.symbol,
            side=request.side,
            amount=request.amount,
            price=request.price,
            reduce_only=request.reduce_only,
        )
        rested = self._rested.get((intent.symbol, intent.side))
        confirm = intent.reduce_only or rested is None or _would_cross(intent.price, rested, intent.side)
        try:
            order = await self._port.place_order(ticket.request, confirm=confirm)
        except PostOnlyWouldTake as exc:
            self._rejected(ticket, str(exc))
            return await self._reprice(intent, intent_id, market, str(exc), recheck)
        except AmbiguousOrderOutcome as exc:
            return await self._unknown(intent, ticket, str(exc))
        except DuplicateClientOrderId as exc:
            return await self._unknown(intent, ticket, str(exc))
        except OrderRejected as exc:
            self._rejected(ticket, str(exc))
            self.margin_exhausted |= isinstance(exc, InsufficientMargin)
            log.warning("order.rejected", client_order_id=request.client_order_id, reason=str(exc))
            return Placement(intent, Outcome.REJECTED, request.client_order_id, detail=str(exc))
        except (AuthenticationFailed, PermissionDenied) as exc:
            self._rejected(ticket, str(exc))
            raise
        except ExchangeError as exc:
            self._rejected(ticket, f"not accepted: {exc}")
            log.warning("order.not_accepted", client_order_id=request.client_order_id, error=str(exc))
            return Placement(intent, Outcome.REJECTED, request.client_order_id, detail=str(exc))
        self._journal.record_acknowledged(ticket, order)
        self._seen[request.client_order_id] = order
        if order.post_only_rejected:
            return await self._reprice(intent, intent_id, market, order.reject_reason or "post-only cancelled", recheck)
        if confirm and order.status is OrderStatus.OPEN:
            self._rested[(intent.symbol, intent.side)] = intent.price
        log.info("order.acknowledged", client_order_id=request.client_order_id, status=order.status, confirmed=confirm)
        return Placement(intent, Outcome.PLACED, request.client_order_id, order)

    def _rejected(self, ticket: OrderTicket, reason: str) -> None:
        self._journal.record_rejected(ticket, reason)
        self._seen[ticket.client_order_id] = replace(self._seen[ticket.client_order_id], status=OrderStatus.REJECTED)

    async def _unknown(self, intent: OrderIntent, ticket: OrderTicket, reason: str) -> Placement:
        self._journal.record_outcome_unknown(ticket, reason)
        self.frozen[intent.symbol] = ticket.client_order_id
        log.warning("order.outcome_unknown", client_order_id=ticket.client_order_id, reason=reason)
        await self.resolve_unknown()
        record = self._journal.order(ticket.client_order_id)
        if record is not None and record.status not in (None, OrderStatus.UNKNOWN):
            self._seen[ticket.client_order_id] = record.as_order()
            return Placement(intent, Outcome.PLACED, ticket.client_order_id, record.as_order(), "found after timeout")
        return Placement(intent, Outcome.UNKNOWN, ticket.client_order_id, detail=reason)

    async def _reprice(
        self, intent: OrderIntent, intent_id: int | None, market: Market, why: str, recheck: Recheck
    ) -> Placement:
        now = self._clock.now()
        recent = self._reprices[intent.symbol]
        while recent and now - recent[0] > MINUTE:
            recent.popleft()
        if len(recent) >= self._max_retries:
            log.info("order.reprice_exhausted", symbol=intent.symbol, per_minute=self._max_retries)
            return Placement(intent, Outcome.SKIPPED, detail=f"post-only rejected ({why}); re-pricing limit reached")
        recent.append(now)
        try:
            book, tickers = await asyncio.gather(
                self._port.fetch_order_book(intent.symbol, depth=5), self._port.fetch_perp_tickers([intent.symbol])
            )  # the book and the mark of one moment: the price deviation limit compares the two
        except ExchangeError as exc:
            return Placement(
                intent, Outcome.SKIPPED, detail=f"post-only rejected ({why}); the book cannot be read: {exc}"
            )
        touch = book.best_ask if intent.side is Side.SELL else book.best_bid
        if touch is None:
            return Placement(intent, Outcome.SKIPPED, detail=f"post-only rejected ({why}); the book is empty")
        ticker = tickers.get(intent.symbol)
        if ticker is None:
            return Placement(intent, Outcome.SKIPPED, detail=f"post-only rejected ({why}); no fresh mark price")
        price = passive_price(touch.price, intent.side, market.tick_size, self._offset)
        if not _would_cross(intent.price, price, intent.side):  # the fresh book quotes no better than the refused price
            self._behind[(intent.symbol, intent.side)] = intent.price
            log.info("order.reprice_book_behind", symbol=intent.symbol, refused=intent.price, price=price)
            return Placement(
                intent, Outcome.SKIPPED, detail=f"post-only rejected ({why}); {_behind_detail(intent.price)}"
            )
        self._fresh[(intent.symbol, intent.side)] = (price, ticker)
        return await self._send_repriced(intent, intent_id, market, price, ticker, recheck)

    async def _send_repriced(
        self,
        intent: OrderIntent,
        intent_id: int | None,
        market: Market,
        price: Decimal,
        ticker: PerpTicker,
        recheck: Recheck,
    ) -> Placement:
        """Send ``intent`` at a fresh passive ``price``, if its approval covers that price (``limit_price``) and the
        risk gate still approves it there (against the mark of ``ticker``, read with the book ``price`` comes from)."""
        if not intent.within_limit(price):
            log.info("order.reprice_beyond_approval", symbol=intent.symbol, price=price, limit=intent.limit_price)
            return Placement(
                intent, Outcome.SKIPPED,
                detail=f"re-priced to {price}, beyond the approved limit {intent.limit_price}: planned and asked again",
            )  # fmt: skip
        repriced = replace(
            intent, price=price, notional=market.notional(intent.amount, price), reason=ReasonCode.REPRICE
        )
        decision = recheck(repriced, self.seen, ticker)
        if intent_id is not None:
            self._journal.record_risk_decisions([intent_id], [decision], stage="reprice")
        if not decision.approved:
            log.info("risk.denied", stage="reprice", symbol=intent.symbol, side=intent.side, price=price,
                     reasons=decision.summary)  # fmt: skip
            return Placement(repriced, Outcome.DENIED, detail=decision.summary)
        log.info("order.repriced", symbol=intent.symbol, old_price=intent.price, price=price)
        return await self._send(repriced, intent_id, market, recheck)


def _behind_detail(refused: Decimal) -> str:
    return (
        f"{refused} was refused for taking liquidity and a fresh book quotes no better: the book is behind the "
        "venue, so nothing more is sent at that price or worse this cycle"
    )


def _would_cross(price: Decimal, passive: Decimal, side: Side) -> bool:
    """Whether ``price`` is beyond the latest passive price: a sell below the ask, a buy above the bid."""
    return price < passive if side is Side.SELL else price > passive
