"""Requests per cycle do not grow with holdings hedged through one proxy, and grow by one order book per hedge
instrument (the properties scripts/bench_cycle.py measures, guarded here without timing anything): the real loop
against the in-process simulator."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_cycle.py"


def _bench() -> ModuleType:
    """scripts/bench_cycle.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_cycle", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_cycle", module)
    spec.loader.exec_module(module)
    return module


async def test_bench_cycle_when_1_or_50_holdings_hedged_through_one_proxy_then_same_reads_every_cycle(
    tmp_path: Path,
) -> None:
    bench = _bench()
    one = await bench.measure("proxy", 1, warmup=3, cycles=3, folder=tmp_path / "one")
    fifty = await bench.measure("proxy", 50, warmup=3, cycles=3, folder=tmp_path / "fifty")
    assert one.instruments == fifty.instruments == 1
    # 8 a cycle: wallet, spot tickers, perp tickers (with funding), positions, open orders, the proxy's order book,
    # the category's fills and its funding payments. None of them is per holding, so 50 holdings read what 1 does.
    assert fifty.reads == one.reads
    assert len(set(one.reads)) == 1


async def test_bench_cycle_when_10_holdings_hedged_on_their_own_perpetuals_then_one_more_read_each_their_book(
    tmp_path: Path,
) -> None:
    bench = _bench()
    one = await bench.measure("own", 1, warmup=2, cycles=2, folder=tmp_path / "one")
    ten = await bench.measure("own", 10, warmup=2, cycles=2, folder=tmp_path / "ten")
    assert (one.instruments, ten.instruments) == (1, 10)
    assert one.reads == [8, 8]  # as with one proxy: fills and funding are one read each for the whole category
    assert ten.reads == [17, 17]  # 9 more order books, nothing else
    assert ten.by_path["/v5/market/orderbook"] == 10
