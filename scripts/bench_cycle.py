#!/usr/bin/env python3
"""Benchmark: HTTP requests per cycle and cycle latency of the real bot loop, for 1, 10 and 50 holdings or hedges.

The bot's cycle pipeline (``CyclePipeline``, the real ccxt client) runs in-process against the in-process simulator on
a shared manual clock: each cycle is one ``run_cycle`` followed by 30 s of market time. Requests are counted from the
simulator's request log (every request the venue saw during the cycle); latency is the wall time of
``run_cycle``, which includes the simulator answering in the same process and on the same core.

Holdings are synthetic assets ALT01..ALTnn, written as a folder of freqtrade-format files: each is the real
SOL/USDT 5-minute spot series of the bundled 2025-10-liquidation-cascade sample (Binance public data) with every
price multiplied by a per-asset constant (1.00, 1.01, ...), volumes unchanged. Two layouts:

  proxy  the holdings have no perpetual of their own and are hedged into one instrument (BTC/USDT:USDT, the real
         bundled BTC series) with a fixed beta of 1: requests per cycle should not depend on the holdings;
  own    each holding also has its own perpetual (the real SOL/USDT:USDT series scaled the same way; default
         funding, mark = trade price) and is hedged directly, so 1, 10 and 50 holdings are 1, 10 and 50 hedge
         instruments: fills and funding are read once for the whole category (Bybit v5 lists every linear
         perpetual's executions at once) and tickers in one batch, so a cycle reads a constant plus one order
         book per hedge instrument.

The first ``--warmup`` cycles (building the hedge) are not measured. Requests per cycle are split into reads
(snapshot, fills, funding) and order management (create, cancel, order look-ups), which follows market activity.

usage: scripts/bench_cycle.py [--holdings 1 10 50] [--layouts proxy own] [--warmup 12] [--cycles 40] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import AppConfig, parse_config  # noqa: E402
from bot.exchange.factory import build_exchange  # noqa: E402
from bot.execution.approval import AutoApprover  # noqa: E402
from bot.execution.cycle import CyclePipeline  # noqa: E402
from bot.execution.run import Run, RunOptions  # noqa: E402
from bot.execution.startup import start_run  # noqa: E402
from bot.journal.writer import open_journal  # noqa: E402
from bot.logging import configure_logging  # noqa: E402
from bot.settings.from_config import settings_for  # noqa: E402
from hedgesim import SimConfig, SimExchange, running_sim  # noqa: E402
from hedgesim.marketdata import SAMPLES_DIR  # noqa: E402

SOURCE = SAMPLES_DIR / "2025-10-liquidation-cascade"
PROXY = "BTC/USDT:USDT"
PROXY_FILES = ("BTC_USDT-5m.json.gz", "BTC_USDT_USDT-5m-futures.json.gz", "BTC_USDT_USDT-1h-funding_rate.json.gz")
HOLDING_VALUE = Decimal(1000)  # USDT of each synthetic holding at the first price
CYCLE = timedelta(seconds=30)
ORDER_PATHS = ("/v5/order/create", "/v5/order/cancel", "/v5/order/cancel-all", "/v5/order/history")
LAYOUTS = ("proxy", "own")


@dataclass(frozen=True, slots=True)
class Result:
    layout: str
    holdings: int
    instruments: int  # hedge instruments whose order book the bot read
    cycles: int
    building: list[int]  # requests per warm-up cycle (the hedge being built: orders placed, filled, re-priced)
    requests: list[int]  # per measured cycle
    reads: list[int]  # per measured cycle, without order management
    latency_ms: list[float]  # per measured cycle
    by_path: dict[str, float]  # mean requests per cycle by endpoint

    def summary(self) -> dict[str, Any]:
        return {
            "layout": self.layout,
            "holdings": self.holdings,
            "instruments": self.instruments,
            "cycles": self.cycles,
            "building_requests_per_cycle": {"mean": _mean(self.building), "max": max(self.building, default=0)},
            "requests_per_cycle": {"mean": _mean(self.requests), "min": min(self.requests), "max": max(self.requests)},
            "reads_per_cycle": {"mean": _mean(self.reads), "min": min(self.reads), "max": max(self.reads)},
            "latency_ms": {"median": round(statistics.median(self.latency_ms), 1), "p95": _p95(self.latency_ms)},
            "by_path": self.by_path,
        }


def assets(holdings: int) -> list[str]:
    return [f"ALT{n:02}" for n in range(1, holdings + 1)]


def write_sample(folder: Path, layout: str, holdings: int) -> dict[str, Decimal]:
    """Write the layout's market data as freqtrade files into ``folder``; returns each holding's quantity."""
    folder.mkdir(parents=True, exist_ok=True)
    spot = _rows(SOURCE / "SOL_USDT-5m.json.gz")
    perp = _rows(SOURCE / "SOL_USDT_USDT-5m-futures.json.gz")
    quantities = {}
    for index, asset in enumerate(assets(holdings)):
        factor = 1 + Decimal(index) / 100
        _write(folder / f"{asset}_USDT-5m.json.gz", spot, factor)
        if layout == "own":
            _write(folder / f"{asset}_USDT_USDT-5m-futures.json.gz", perp, factor)
        quantities[asset] = (HOLDING_VALUE / (spot[0][1] * factor)).quantize(Decimal("0.01"))
    if layout == "proxy":
        for name in PROXY_FILES:
            shutil.copyfile(SOURCE / name, folder / name)
    return quantities


def _rows(path: Path) -> list[list[Decimal]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows: list[list[Decimal]] = json.load(handle, parse_float=Decimal, parse_int=Decimal)
    return rows


def _write(path: Path, rows: list[list[Decimal]], factor: Decimal) -> None:
    """Candles with every price (open, high, low, close) times ``factor``; times and volumes as they were."""
    lines = [
        "[" + ",".join([str(int(row[0])), *(format(p * factor, "f") for p in row[1:5]), format(row[5], "f")]) + "]"
        for row in rows
    ]
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("[" + ",".join(lines) + "]")


def bot_config(url: str, folder: Path, layout: str) -> AppConfig:
    """Auto approval, limits wide enough not to interfere: this measures the loop, not the risk gate."""
    policy: dict[str, Any] = {"ratio": 1}
    if layout == "proxy":
        policy["proxy"] = {"default_instrument": PROXY, "default_beta": 1}
    data = {
        "venues": {"main": {"exchange": "bybit", "mode": "sim", "url": url, "client_rate_limit": False}},
        "holdings": {"venues": ["main"]},
        "policy": policy,
        "execution": {"interval": "30s"},
        "approval": {"mode": "auto"},
        "journal": {"path": str(folder / "journal.sqlite")},
        "risk": {
            "max_total_hedge_notional": 1_000_000,
            "max_orders_per_minute": 600,
            "max_daily_turnover": 10_000_000,
            "kill_switch_file": str(folder / "hedgebot.halt"),
        },
    }
    return parse_config(data, env={})


async def measure(layout: str, holdings: int, *, warmup: int, cycles: int, folder: Path) -> Result:
    """Run the bot ``warmup + cycles`` cycles on a fresh simulator; count and time the last ``cycles``."""
    quantities = write_sample(folder / "sample", layout, holdings)
    balances = {"USDT": Decimal(10) * HOLDING_VALUE * holdings + Decimal(100_000), **quantities}
    engine = SimExchange.deterministic(SimConfig(sample=folder / "sample", balances=balances, rate_limits=False))
    async with running_sim(engine=engine) as sim:
        config = bot_config(sim.url, folder, layout)
        settings = settings_for(config, "main")
        port = build_exchange(
            settings.venue, config.credentials("main"), engine.clock, margin_mode=settings.execution.margin_mode
        )
        journal = open_journal(folder / "journal.sqlite", engine.clock)
        loop = CyclePipeline(Run(settings, port, journal, engine.clock, run_id="bench1"), AutoApprover())
        try:
            await start_run(loop.run, RunOptions())
            building = []
            for _ in range(warmup):
                seen = max((r.seq for r in sim.requests), default=0)
                await loop.run_cycle()
                building.append(sum(1 for r in sim.requests if r.seq > seen))
                sim.advance(CYCLE)
            requests, reads, latency = [], [], []
            paths: Counter[str] = Counter()
            books: set[str] = set()
            for _ in range(cycles):
                seen = max((r.seq for r in sim.requests), default=0)
                started = time.perf_counter()
                await loop.run_cycle()
                latency.append((time.perf_counter() - started) * 1000)
                cycle = [r for r in sim.requests if r.seq > seen]
                paths.update(r.path for r in cycle)
                books.update(str(r.params.get("symbol")) for r in cycle if r.path == "/v5/market/orderbook")
                requests.append(len(cycle))
                reads.append(sum(1 for r in cycle if r.path not in ORDER_PATHS and not _is_lookup(r.params)))
                sim.advance(CYCLE)
        finally:
            await port.close()
            journal.close()
    by_path = {path: round(count / cycles, 2) for path, count in sorted(paths.items())}
    return Result(layout, holdings, len(books), cycles, building, requests, reads, latency, by_path)


def _is_lookup(params: dict[str, Any]) -> bool:
    """An order looked up by id (after placing it, or to learn how it ended): order management, not a read."""
    return "orderLinkId" in params or "orderId" in params


def _mean(values: list[int]) -> float:
    return round(sum(values) / len(values), 2) if values else 0.0


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1)


def table(results: list[Result]) -> str:
    header = (
        f"{'layout':6} {'holdings':>8} {'instruments':>11} {'building':>9} {'cycles':>6} {'requests/cycle':>15} "
        f"{'reads/cycle':>12} {'latency median':>14} {'p95':>8}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        s = r.summary()
        requests = f"{s['requests_per_cycle']['mean']} ({min(r.requests)}-{max(r.requests)})"
        latency = s["latency_ms"]
        lines.append(
            f"{r.layout:6} {r.holdings:8} {r.instruments:11} {s['building_requests_per_cycle']['mean']:9} "
            f"{r.cycles:6} {requests:>15} {s['reads_per_cycle']['mean']:12} {latency['median']:11} ms "
            f"{latency['p95']:5} ms"
        )
    return "\n".join(lines)


async def run(layouts: list[str], counts: list[int], warmup: int, cycles: int) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="hedgebot-bench-") as tmp:
        return [
            await measure(layout, n, warmup=warmup, cycles=cycles, folder=Path(tmp) / f"{layout}-{n}")
            for layout in layouts
            for n in counts
        ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--holdings", type=int, nargs="+", default=[1, 10, 50], help="holding counts (1 10 50)")
    parser.add_argument("--layouts", nargs="+", choices=LAYOUTS, default=list(LAYOUTS), help="proxy and/or own")
    parser.add_argument("--warmup", type=int, default=12, help="cycles before measuring (12)")
    parser.add_argument("--cycles", type=int, default=40, help="measured cycles per case (40)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    configure_logging("warning")
    results = asyncio.run(run(args.layouts, args.holdings, args.warmup, args.cycles))
    if args.json:
        machine = {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "processor": platform.processor(),
        }
        print(json.dumps({"machine": machine, "results": [r.summary() for r in results]}, indent=2))
    else:
        print(table(results))
        print("building: mean requests per warm-up cycle, while the hedge is built (orders follow the hedge's size).")
        print("requests/cycle: mean (min-max) over the measured cycles; reads = snapshot, fills, funding; the rest is")
        print("order management (create, cancel, look-ups by id). latency: run_cycle wall time, with the simulator")
        print("answering in the same process, on the same core.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
