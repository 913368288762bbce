#!/usr/bin/env python3
"""Benchmark: how many ccxt requests per second the exchange simulator sustains on one CPU core.

Starts `hedgebot sim` (rate limits off) in its own process pinned to one core, drives it from separate
processes pinned to the other cores, each running several unmodified ccxt Bybit clients concurrently through
the calls one bot cycle makes (batched tickers, order book, balance, positions, open orders, a post-only
order placed and cancelled, fills). Reports requests per second, the call mix, and the server's CPU use, so
that a driver-bound run still tells the server's capacity (requests per CPU-second of the server).

usage: scripts/bench_sim.py [--duration 10] [--drivers N] [--clients 8] [--server-core 0]
Linux only (CPU pinning with os.sched_setaffinity). Not a test: run it by hand and read the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hedgesim import bybit_client  # noqa: E402
from hedgesim.credentials import SIM_API_KEY, SIM_API_SECRET  # noqa: E402

SPOT = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
PERPS = ["BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"]
PERP = "SOL/USDT:USDT"


async def cycle(client: Any, counts: Counter[str]) -> None:
    """One bot-like cycle: 9 requests."""
    await client.fetch_tickers(SPOT)
    counts["fetch_tickers(spot)"] += 1
    await client.fetch_tickers(PERPS)
    counts["fetch_tickers(linear)"] += 1
    book = await client.fetch_order_book(PERP, 25)
    counts["fetch_order_book"] += 1
    await client.fetch_balance()
    counts["fetch_balance"] += 1
    await client.fetch_positions()
    counts["fetch_positions"] += 1
    await client.fetch_open_orders(PERP)
    counts["fetch_open_orders"] += 1
    price = round(book["bids"][0][0] * 0.95, 2)
    order = await client.create_order(PERP, "limit", "buy", 0.1, price, {"postOnly": True})
    counts["create_order(post-only)"] += 1
    await client.cancel_order(order["id"], PERP)
    counts["cancel_order"] += 1
    await client.fetch_my_trades(PERP)
    counts["fetch_my_trades"] += 1


async def drive(url: str, clients: int, duration: float) -> tuple[Counter[str], int, float]:
    """Run the clients for ``duration`` seconds: (calls by kind, errors, seconds the timed phase took)."""
    exchanges = [
        bybit_client(url, SIM_API_KEY, SIM_API_SECRET, enableRateLimit=False, timeout_on_exit=0) for _ in range(clients)
    ]
    counts: Counter[str] = Counter()
    errors = 0
    try:
        await asyncio.gather(*(e.load_markets() for e in exchanges))
        await exchanges[0].fetch_balance()  # ccxt's one-time account probes, outside the timed window
        started = time.perf_counter()
        deadline = started + duration

        async def loop(exchange: Any) -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                try:
                    await cycle(exchange, counts)
                except Exception:
                    errors += 1

        await asyncio.gather(*(loop(e) for e in exchanges))
        timed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(e.close() for e in exchanges))
    return counts, errors, timed


def driver(args: tuple[str, int, float, int]) -> tuple[Counter[str], int, float]:
    url, clients, duration, core = args
    os.sched_setaffinity(0, {core})
    return asyncio.run(drive(url, clients, duration))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load (default 10)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent ccxt clients per driver process (8)")
    parser.add_argument("--drivers", type=int, default=0, help="driver processes (default: one per other core)")
    parser.add_argument("--server-core", type=int, default=0, help="the core the simulator is pinned to (0)")
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    others = [c for c in cores if c != args.server_core] or cores
    drivers = args.drivers or len(others)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "sim", "--port", str(port), "--no-rate-limits", "--log-level", "warning"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
        preexec_fn=lambda: os.sched_setaffinity(0, {args.server_core}),
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:
            if "Stop with Ctrl-C" in line:
                break
        print(
            f"simulator pid {server.pid} on core {args.server_core}; {drivers} driver process(es) on {others}, "
            f"{args.clients} ccxt clients each, {args.duration:g} s"
        )
        cpu_before = cpu_seconds(server.pid)
        jobs = [(url, args.clients, args.duration, others[i % len(others)]) for i in range(drivers)]
        with multiprocessing.get_context("spawn").Pool(drivers) as pool:
            results = pool.map(driver, jobs)
        cpu = cpu_seconds(server.pid) - cpu_before  # includes the drivers' set-up requests: conservative
    finally:
        server.terminate()
        server.wait(timeout=20)
    counts: Counter[str] = Counter()
    errors = 0
    for part, failed, _ in results:
        counts.update(part)
        errors += failed
    total = sum(counts.values())
    elapsed = max(timed for _, _, timed in results)
    print(f"\n{total} requests in {elapsed:.1f} s: {total / elapsed:.0f} requests/s ({errors} errors)")
    print(
        f"simulator CPU: {cpu:.1f} s, {100 * cpu / elapsed:.0f} % of one core over the timed window -> "
        f"{total / cpu:.0f} requests per CPU-second (its one-core capacity)"
    )
    print("mix:")
    for name, count in counts.most_common():
        print(f"  {name:26} {count:7}  {100 * count / total:5.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
