"""Requests per cycle do not grow with holdings hedged through one proxy (the property scripts/bench_cycle.py
measures, guarded here without timing anything): the real loop against the in-process simulator."""

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
    # Today 9 a cycle: wallet, spot tickers, perp tickers, funding rates, positions, open orders, the proxy's order
    # book, its fills and its funding payments. None of them is per holding, so 50 holdings read what 1 does.
    assert fifty.reads == one.reads
    assert len(set(one.reads)) == 1
