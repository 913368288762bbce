#!/usr/bin/env python3
"""The demo's closing report: what the crash did to the portfolio, unhedged and hedged (from the simulator).

Usage: demo_report.py SIM_URL CONFIG BEFORE_JSON | SIM_URL CONFIG --save FILE | SIM_URL --ping

Reads the simulator's state (/__sim/state, with the control token in $SIM_CONTROL_TOKEN) now and as saved in
BEFORE_JSON at the start of the demo (--save writes it; --ping only checks that the simulator answers), and the
configuration's static holdings, and prints: spot value before and after, the hedge's profit or loss (the
USDT wallet's change: realised PnL, fees and funding; plus open positions' unrealised PnL), and the portfolio's
change with and without the hedge.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.config import load_config


def state(url: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{url}/__sim/state", headers={"Authorization": f"Bearer {os.environ['SIM_CONTROL_TOKEN']}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.load(response))


def spot_value(snapshot: dict[str, Any], static: dict[str, Decimal]) -> Decimal:
    prices = {symbol.split("/")[0]: Decimal(p["last"]) for symbol, p in snapshot["prices"].items() if ":" not in symbol}
    total = Decimal(0)
    for coin, row in snapshot["balances"].items():
        if coin != "USDT" and coin in prices:
            total += Decimal(row["wallet"]) * prices[coin]
    for coin, qty in static.items():
        total += qty * prices[coin]
    return total


def hedge_value(snapshot: dict[str, Any]) -> Decimal:
    usdt = Decimal(snapshot["balances"].get("USDT", {}).get("wallet", "0"))
    unrealised = sum((Decimal(p.get("unrealised", "0")) for p in snapshot["positions"]), Decimal(0))
    return usdt + unrealised


def main(argv: list[str]) -> int:
    if argv[2:3] == ["--ping"]:
        state(argv[1])
        return 0
    if len(argv) >= 4 and argv[3] == "--save":
        Path(argv[4]).write_text(json.dumps(state(argv[1])))
        return 0
    url, config_path, before_path = argv[1], argv[2], argv[3]
    config = load_config(config_path)
    static = {h.asset: h.quantity for h in config.holdings.static}
    before, after = json.loads(Path(before_path).read_text()), state(url)
    spot_before, spot_after = spot_value(before, static), spot_value(after, static)
    hedge_pnl = hedge_value(after) - hedge_value(before)
    spot_change = spot_after - spot_before
    funding = sum((-Decimal(f["fee"]) for f in after["funding"]), Decimal(0))
    fees = sum((Decimal(e["fee"]) for e in after["executions"]), Decimal(0))
    print(f"Market time {before['market_time'][:16]} -> {after['market_time'][:16]} UTC (replayed real data)")
    print(f"  spot holdings       {spot_before:>12,.2f} -> {spot_after:>12,.2f} USDT  ({spot_change:+,.2f})")
    print(f"  hedge P&L           {hedge_pnl:>+12,.2f} USDT  (fees {fees:,.2f}, funding {funding:+,.2f} included)")
    print(f"  unhedged portfolio  {spot_change / spot_before * 100:>+11.2f} %")
    print(f"  hedged portfolio    {(spot_change + hedge_pnl) / spot_before * 100:>+11.2f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
