"""Specification of the maximum order age (bot.core.sweep): which resting orders of ours are too old to keep."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core.sweep import stale_orders
from bot.domain import Order, OrderStatus, ReasonCode, Side
from tests.core.factories import our_order
from tests.factories import NOW

MAX_AGE = timedelta(minutes=30)


def order(age_minutes: float | None, **changes: object) -> Order:
    """One of our resting sells, placed ``age_minutes`` before NOW (None: the venue gave no creation time)."""
    placed = our_order(Side.SELL, "5", "150", age=timedelta(minutes=age_minutes or 0))
    return replace(placed, timestamp=None, **changes) if age_minutes is None else replace(placed, **changes)


@pytest.mark.parametrize(
    ("resting", "stale"),
    [
        (order(29), False),
        (order(30), False),  # exactly the maximum age: kept
        (order(31), True),
        (order(None), True),  # its age cannot be told: fail closed
        (order(90, client_order_id="manual1"), False),  # foreign: never touched
        (order(90, status=OrderStatus.FILLED), False),  # no longer resting
    ],
    ids=["younger", "exactly the max", "older", "age unknown", "foreign", "filled"],
)
def test_stale_orders_when_an_order_rests_then_cancelled_only_if_ours_open_and_older_than_the_max(
    resting: Order, stale: bool
) -> None:
    cancels = stale_orders([resting], NOW, MAX_AGE)
    assert [c.client_order_id for c in cancels] == ([resting.client_order_id] if stale else [])
    assert all(c.reason is ReasonCode.STALE_ORDER and "execution.max_order_age" in c.note for c in cancels)


def test_stale_orders_when_the_venue_gives_no_time_then_the_journals_write_time_counts() -> None:
    unknown = order(None)
    journaled = {"hbtest1x0": NOW - timedelta(minutes=5)}
    assert stale_orders([unknown], NOW, MAX_AGE, placed=journaled) == ()
    assert len(stale_orders([unknown], NOW + timedelta(minutes=26), MAX_AGE, placed=journaled)) == 1


def test_stale_orders_when_already_being_cancelled_or_replaced_then_left_to_that() -> None:
    assert stale_orders([order(90)], NOW, MAX_AGE, keep={"hbtest1x0"}) == ()
