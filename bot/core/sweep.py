"""Which resting orders of ours are too old to keep (``execution.max_order_age``), whatever the planner holds (pure)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta

from bot.domain import CancelIntent, Order, OrderStatus, ReasonCode, is_ours


def stale_orders(
    orders: Iterable[Order],
    now: datetime,
    max_age: timedelta,
    *,
    placed: Mapping[str, datetime] | None = None,
    keep: Collection[str] = (),
) -> tuple[CancelIntent, ...]:
    """Our open orders older than ``max_age`` at ``now``, as cancels. An order's age runs from the venue's creation
    time, else from when the journal wrote it (``placed``, by client order id); an order whose age cannot be told is
    stale (fail closed). Foreign orders are never touched; ``keep``: client ids already being cancelled or replaced."""
    cancels = []
    for order in orders:
        cid = order.client_order_id
        if not is_ours(cid) or order.status is not OrderStatus.OPEN or cid in keep:
            continue
        assert cid is not None
        created = order.timestamp or (placed or {}).get(cid)
        if created is not None and now - created <= max_age:
            continue
        age = "of unknown age" if created is None else f"{(now - created).total_seconds():.0f}s old"
        note = f"{age}: older than execution.max_order_age ({max_age.total_seconds():.0f}s)"
        cancels.append(CancelIntent(order.symbol, cid, order.order_id, ReasonCode.STALE_ORDER, note))
    return tuple(cancels)
