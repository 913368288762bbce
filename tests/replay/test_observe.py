"""Specification of what the replay counts of a hedger's dealings with the venue, and the mids orders were decided at."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.domain import OrderStatus, Side
from bot.exchange.port import OrderRequest
from bot.replay.observe import ObservedPort
from bot.replay.port import SimPort
from bot.replay.record import OrderCounts
from hedgesim import SimConfig, SimExchange
from tests.replay.factories import CASCADE, CASCADE_START

D = Decimal
SOL = "SOL/USDT:USDT"


def venue() -> tuple[ObservedPort, SimExchange]:
    engine = SimExchange.deterministic(
        SimConfig(sample=CASCADE, start=CASCADE_START, balances={"USDT": D(50_000)}, rate_limits=False)
    )
    return ObservedPort(SimPort("main", engine), engine.clock), engine


def sell(cid: str, price: Decimal, amount: str = "1") -> OrderRequest:
    return OrderRequest(SOL, Side.SELL, D(amount), price, cid, reduce_only=False)


async def test_observed_port_when_a_post_only_sell_would_take_then_rejection_then_reprice_counted() -> None:
    port, _ = venue()
    book = await port.fetch_order_book(SOL, 5)  # the cycle's snapshot: the decision mid
    assert book.mid is not None
    rejected = await port.place_order(sell("hbtst1x0", book.bids[0].price))  # at the bid: would take
    assert rejected.status is OrderStatus.CANCELED
    fresh = await port.fetch_order_book(SOL, 5)  # the re-price's fresh book, same moment
    await port.place_order(sell("hbtst1x1", fresh.asks[0].price))  # re-priced at the ask: rests
    await port.place_order(OrderRequest(SOL, Side.BUY, D(1), book.bids[0].price - 1, "hbtst1x2", False))
    assert port.counts == OrderCounts(orders=3, cancels=0, post_only_rejections=1, reprices=1)
    assert port.decision_mid("hbtst1x1") == book.mid  # the mid of the decision, not of the re-price's book


@pytest.mark.parametrize("later", [timedelta(0), timedelta(minutes=1)])
async def test_observed_port_when_an_order_follows_a_cancel_then_a_reprice_only_in_the_same_moment(
    later: timedelta,
) -> None:
    port, engine = venue()
    book = await port.fetch_order_book(SOL, 5)
    await port.place_order(sell("hbtst2x0", book.asks[0].price + 1))
    await port.cancel_order(SOL, client_order_id="hbtst2x0")
    engine.advance(later)
    book = await port.fetch_order_book(SOL, 5)
    await port.place_order(sell("hbtst2x1", book.asks[0].price + 1))
    assert port.counts == OrderCounts(orders=2, cancels=1, post_only_rejections=0, reprices=1 if not later else 0)
    assert port.decision_mid("hbtst2x1") == book.mid
    assert port.decision_mid("hbunknown") is None
