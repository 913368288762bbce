"""Passive post-only prices from the touch, whether a book can be traded on, and when to re-price an order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from bot.domain import ZERO, Order, OrderBook, PerpTicker, ReasonCode, Side, round_price_passive
from bot.settings import PlannerParams

BPS = Decimal(10_000)


def passive_price(best: Decimal, side: Side, tick: Decimal, offset_ticks: int) -> Decimal:
    """The post-only price behind ``best`` (the best ask for a sell, the best bid for a buy): ``offset_ticks`` further
    from the touch, rounded away from it on the tick, never below one tick. The one passive price: the planner's
    orders and the executor's re-prices after a post-only refusal alike."""
    price = round_price_passive(best - side.sign * offset_ticks * tick, tick, side)
    return price if price > ZERO else tick


@dataclass(frozen=True, slots=True)
class Touch:
    """A usable (two-sided, uncrossed, fresh) book's touch and visible depth per side, and the mark price."""

    bid: Decimal
    ask: Decimal
    bid_depth: Decimal  # contracts on the visible bid levels
    ask_depth: Decimal
    mark: Decimal

    def passive_price(self, side: Side, tick: Decimal, offset_ticks: int) -> Decimal:
        """A sell at the best ask (or ``offset_ticks`` above it), a buy at the best bid (or below): never crossing."""
        return passive_price(self.ask if side is Side.SELL else self.bid, side, tick, offset_ticks)


@dataclass(frozen=True, slots=True)
class BookProblem:
    reason: ReasonCode
    note: str


def read_touch(
    book: OrderBook | None, ticker: PerpTicker | None, now: datetime, max_age: timedelta
) -> Touch | BookProblem:
    """The touch of a book that can be traded on now, or why it cannot (no, one-sided, crossed or stale data)."""
    if book is None or ticker is None:
        return BookProblem(ReasonCode.NO_BOOK, "no order book" if book is None else "no ticker")
    best_bid, best_ask = book.best_bid, book.best_ask
    if best_bid is None or best_ask is None:
        return BookProblem(ReasonCode.NO_BOOK, "the order book is one-sided")
    if best_bid.price >= best_ask.price:
        return BookProblem(ReasonCode.NO_BOOK, f"the order book is crossed ({best_bid.price} >= {best_ask.price})")
    for what, at in (("order book", book.timestamp), ("ticker", ticker.timestamp)):
        if now - at > max_age:
            age = (now - at).total_seconds()
            note = f"the {what} is {age:.0f}s old (max {max_age.total_seconds():.0f}s)"
            return BookProblem(ReasonCode.STALE_PRICE, note)
    if ticker.mark <= ZERO:
        return BookProblem(ReasonCode.NO_BOOK, "the ticker has no mark price")
    bid_depth = sum((level.size for level in book.bids), ZERO)
    ask_depth = sum((level.size for level in book.asks), ZERO)
    return Touch(best_bid.price, best_ask.price, bid_depth, ask_depth, ticker.mark)


def reprice_reason(order: Order, price: Decimal, now: datetime, params: PlannerParams) -> str | None:
    """Why ``order`` should be cancelled and replaced at ``price``, or None to keep it resting."""
    if order.timestamp is not None and now - order.timestamp > params.order_ttl:
        return f"older than order_ttl ({params.order_ttl.total_seconds():.0f}s)"
    if order.price is None:
        return "resting without a price"
    moved = abs(price - order.price) / order.price * BPS
    if moved > params.reprice_threshold_bps:
        return f"the touch moved {moved:.1f} bps, from {order.price} to {price}"
    return None
