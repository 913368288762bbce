"""Specification of client order ids: deterministic, unique, and acceptable to every venue."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.domain import is_ours
from bot.execution.ids import ClientOrderIds, base36, run_id_for

OKX_RULE = re.compile(r"^[A-Za-z0-9]{1,32}$")  # the strictest of Bybit, Binance and OKX


def test_ids_when_same_run_cycle_and_sequence_then_identical() -> None:
    a, b = ClientOrderIds("abc123"), ClientOrderIds("abc123")
    for ids in (a, b):
        ids.start_cycle(42)
    assert [a.next(), a.next()] == [b.next(), b.next()]


def test_ids_when_many_cycles_then_all_unique_and_valid_everywhere() -> None:
    ids = ClientOrderIds(run_id_for(datetime(2026, 1, 1, tzinfo=UTC)))
    seen = set()
    for cycle in range(0, 2_000_000, 997):
        ids.start_cycle(cycle)
        for _ in range(3):
            order_id = ids.next()
            assert OKX_RULE.match(order_id)
            assert is_ours(order_id)
            seen.add(order_id)
    assert len(seen) == 3 * len(range(0, 2_000_000, 997))


def test_ids_when_cycle_goes_backwards_then_refused() -> None:
    ids = ClientOrderIds("abc123")
    ids.start_cycle(5)
    with pytest.raises(ValueError, match="forward"):
        ids.start_cycle(4)


@pytest.mark.parametrize(("value", "expected"), [(0, "0"), (35, "z"), (36, "10"), (1295, "zz")])
def test_base36_when_value_given_then_digits(value: int, expected: str) -> None:
    assert base36(value) == expected


@pytest.mark.parametrize(("order_id", "ours"), [("hbabc1231x0", True), ("web-123", False), (None, False), ("", False)])
def test_is_ours_when_prefix_then_true(order_id: str | None, ours: bool) -> None:
    assert is_ours(order_id) is ours
