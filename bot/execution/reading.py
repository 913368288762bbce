"""What to read from a venue each cycle, derived from the configuration and what the bot already knows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.config import AppConfig
from bot.core.factory import instruments_to_read, static_holdings
from bot.domain import Market
from bot.exchange.snapshot import HistoryRequest, SnapshotRequest

QUOTE = "USDT"
HISTORY_TIMEFRAME = "5m"


def holding_assets(config: AppConfig, wallet_assets: Iterable[str]) -> set[str]:
    """Assets to value: those in the venue's wallet (as last read) and the static holdings."""
    return set(wallet_assets) | {s.asset for s in config.holdings.static}


def hedge_symbols(
    config: AppConfig, wallet_assets: Iterable[str], managed: Iterable[str], markets: Mapping[str, Market]
) -> tuple[str, ...]:
    """Listed perpetuals the bot may hedge with or still manages, for these holdings."""
    wanted = instruments_to_read(config, holding_assets(config, wallet_assets), managed)
    return tuple(sorted(s for s in wanted if s in markets))


def needs_history(config: AppConfig) -> bool:
    """Whether any proxy hedge estimates its beta from price history."""
    return any(hedge.beta == "estimate" for hedge in config.hedges.values())


def snapshot_request(
    config: AppConfig,
    venue: str,
    wallet_assets: Iterable[str],
    managed: Iterable[str],
    markets: Mapping[str, Market],
    *,
    with_history: bool,
) -> SnapshotRequest:
    history = None
    if with_history and needs_history(config):
        history = HistoryRequest(timeframe=HISTORY_TIMEFRAME, limit=config.policy.proxy.beta_lookback + 1)
    return SnapshotRequest(
        assets=tuple(sorted(holding_assets(config, wallet_assets))),
        hedge_symbols=hedge_symbols(config, wallet_assets, managed, markets),
        static_holdings=static_holdings(config),
        read_wallet=venue in config.holdings.venues,
        exclude=frozenset(config.holdings.exclude),
        quote=QUOTE,
        history=history,
    )
