"""What to check and read at a venue, derived from the configuration and what the bot already knows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from bot.config import AppConfig, VenueConfig, VenueMode
from bot.core.factory import instruments_to_read, static_holdings
from bot.domain import Market
from bot.exchange.preflight import PreflightPlan
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


def configured_instruments(config: AppConfig, venue: str) -> dict[str, str]:
    """The perpetuals the configuration names for ``venue``, each with the key(s) naming it."""
    keys: dict[str, list[str]] = {}
    for asset, hedge in config.hedges.items():
        if hedge.enabled and config.venue_of(asset) == venue:
            for key, symbol in (("instrument", hedge.instrument), ("proxy", hedge.proxy)):
                if symbol:
                    keys.setdefault(symbol, []).append(f"hedges.{asset}.{key}")
    if config.policy.proxy.default_instrument:
        keys.setdefault(config.policy.proxy.default_instrument, []).append("policy.proxy.default_instrument")
    return {symbol: ", ".join(names) for symbol, names in keys.items()}


def preflight_plan(config: AppConfig, venue: str) -> PreflightPlan:
    """What the configuration asks of ``venue`` at start-up: every instrument it names set up as configured."""
    keys = configured_instruments(config, venue)
    plan = PreflightPlan(
        hedge_symbols=tuple(sorted(keys)),
        keys=keys,
        leverage=config.execution.leverage,
        margin_mode=config.execution.margin_mode,
        quote=QUOTE,
    )
    plan = replace(plan, unreachable=unreachable_advice(config.venues[venue]))
    # The simulator replays historical time: only a real venue's clock can be compared with ours.
    return replace(plan, max_clock_skew=None) if config.venues[venue].mode is VenueMode.SIM else plan


def unreachable_advice(venue: VenueConfig) -> str:
    """What to do when the venue cannot be reached."""
    if venue.mode is VenueMode.SIM:
        return f"Is the simulator running at {venue.url}? Start it with `hedgebot sim`"
    return "Check the network, and the venue's status page for maintenance; then start again"
