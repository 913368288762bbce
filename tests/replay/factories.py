"""Named configurations and windows for replays: the bot hedging real crash data in-process."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.config import AppConfig, parse_config
from bot.replay.session import IN_PROCESS, Prepared, ReplayOptions, prepare

D = Decimal
CASCADE = "2025-10-liquidation-cascade"
CASCADE_START = datetime.fromisoformat("2025-10-10T19:45:00+00:00")  # the hour before the cascade's low


def hedge_config(**sections: Mapping[str, Any]) -> AppConfig:
    """SOL and ETH on the exchange and 0.2 BTC in a hardware wallet, each hedged on its own perpetual at 75 %,
    unattended, with limits wide enough for a crash."""
    data: dict[str, Any] = {
        "venues": {"main": {"exchange": "bybit", "mode": "sim", "url": IN_PROCESS}},
        "holdings": {"venues": ["main"], "static": [{"asset": "BTC", "quantity": "0.2"}]},
        "policy": {"ratio": "0.75"},
        "execution": {"leverage": 1, "margin_mode": "isolated"},
        "risk": {"max_total_hedge_notional": 100_000, "max_orders_per_minute": 60, "max_daily_turnover": 500_000},
        "approval": {"mode": "auto"},
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return parse_config(data, env={})


def cascade_replay(
    out: Path,
    hours: float = 2,
    step: timedelta = timedelta(minutes=1),
    config: AppConfig | None = None,
) -> Prepared:
    """The 10 Oct 2025 cascade from 19:45 UTC for ``hours``: 150 SOL and 4 ETH on the account, 60,000 USDT."""
    options = ReplayOptions(
        sample=CASCADE,
        start=CASCADE_START,
        end=CASCADE_START + timedelta(hours=hours),
        step=step,
        balances={"USDT": D(60_000), "SOL": D(150), "ETH": D(4)},
        out=out,
    )
    return prepare(config or hedge_config(), "main", options)
