"""What to check and read at a venue, derived from the settings and what the bot already knows, and the run's reader
of snapshots (which keeps the price history between its re-reads)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal

from bot.clock import Clock
from bot.core.cycle import hedge_policy
from bot.domain import Holding, Market, Snapshot
from bot.exchange.port import ExchangePort
from bot.exchange.preflight import PreflightPlan
from bot.exchange.snapshot import HistoryRequest, SnapshotRequest, read_market, read_venue_snapshot
from bot.execution.wallets import HoldingsWallets
from bot.settings import CoreSettings, Settings, VenueMode, VenueSettings

QUOTE = "USDT"
HISTORY_TIMEFRAME = "5m"


def holding_assets(core: CoreSettings, wallet_assets: Iterable[str]) -> set[str]:
    """Assets to value: those in the venue's wallet (as last read) and the static holdings that this venue's desk
    hedges (``HoldingsSettings.hedged_here``)."""
    assets = set(wallet_assets) | {h.asset for h in core.holdings.static}
    return {asset for asset in assets if core.holdings.hedged_here(asset)}


def instruments_to_read(core: CoreSettings, assets: Iterable[str], managed: Iterable[str] = ()) -> frozenset[str]:
    """The perpetuals a snapshot needs tickers, books and positions for, before knowing which are listed.

    Every instrument the settings name, the own ``<ASSET>/USDT:USDT`` of each asset whose hedge is not configured
    (excluded and disabled assets aside), and the instruments the planner still manages (``PlannerState.managed``).
    The reader skips the ones not listed.
    """
    hedged = [asset for asset in assets if asset not in core.holdings.exclude]
    return hedge_policy(core).instruments(hedged) | frozenset(managed)


def hedge_symbols(
    core: CoreSettings, wallet_assets: Iterable[str], managed: Iterable[str], markets: Mapping[str, Market]
) -> tuple[str, ...]:
    """Listed perpetuals the bot may hedge with or still manages, for these holdings."""
    wanted = instruments_to_read(core, holding_assets(core, wallet_assets), managed)
    return tuple(sorted(s for s in wanted if s in markets))


def needs_history(core: CoreSettings) -> bool:
    """Whether any proxy hedge estimates its beta from price history: a configured one, or a holding falling back
    on ``policy.proxy.default_instrument``."""
    proxy = core.policy.proxy
    estimated_default = proxy.default_instrument is not None and proxy.default_beta == "estimate"
    return estimated_default or any(hedge.beta == "estimate" for hedge in core.hedges.values())


def snapshot_request(
    settings: Settings,
    wallet_assets: Iterable[str],
    managed: Iterable[str],
    markets: Mapping[str, Market],
    *,
    with_history: bool,
    elsewhere: tuple[Holding, ...] = (),
) -> SnapshotRequest:
    """What to read from the trading venue. ``elsewhere``: the holdings other venues' wallets hold (valued here).
    Only the holdings this venue's desk hedges are counted (``HoldingsSettings.hedged_here``)."""
    core = settings.core
    elsewhere = tuple(h for h in elsewhere if core.holdings.hedged_here(h.asset))
    wallet_assets = {*wallet_assets, *(h.asset for h in elsewhere)}
    history = None
    if with_history and needs_history(core):
        history = HistoryRequest(timeframe=HISTORY_TIMEFRAME, limit=core.policy.proxy.beta_lookback + 1)
    return SnapshotRequest(
        assets=tuple(sorted(holding_assets(core, wallet_assets))),
        hedge_symbols=hedge_symbols(core, wallet_assets, managed, markets),
        static_holdings=(*elsewhere, *(h for h in core.holdings.static if core.holdings.hedged_here(h.asset))),
        read_wallet=settings.venue.name in core.holdings.wallet_venues,
        exclude=core.holdings.exclude | core.holdings.elsewhere,
        only=core.holdings.only,
        quote=QUOTE,
        history=history,
    )


def configured_instruments(core: CoreSettings) -> dict[str, str]:
    """The perpetuals the settings name, each with the configuration key(s) naming it."""
    keys: dict[str, list[str]] = {}
    for asset, hedge in core.hedges.items():
        if hedge.enabled:
            for key, symbol in (("instrument", hedge.instrument), ("proxy", hedge.proxy)):
                if symbol:
                    keys.setdefault(symbol, []).append(f"hedges.{asset}.{key}")
    if core.policy.proxy.default_instrument:
        keys.setdefault(core.policy.proxy.default_instrument, []).append("policy.proxy.default_instrument")
    return {symbol: ", ".join(names) for symbol, names in keys.items()}


def preflight_plan(settings: Settings) -> PreflightPlan:
    """What the settings ask of the venue at start-up: every instrument they name set up as configured."""
    keys = configured_instruments(settings.core)
    plan = PreflightPlan(
        hedge_symbols=tuple(sorted(keys)),
        keys=keys,
        leverage=settings.execution.leverage,
        margin_mode=settings.execution.margin_mode,
        quote=QUOTE,
        unreachable=unreachable_advice(settings.venue),
    )
    # The simulator replays historical time: only a real venue's clock can be compared with ours.
    return replace(plan, max_clock_skew=None) if settings.venue.mode is VenueMode.SIM else plan


def unreachable_advice(venue: VenueSettings) -> str:
    """What to do when the venue cannot be reached."""
    if venue.mode is VenueMode.SIM:
        return f"Is the simulator running at {venue.url}? Start it with `hedgebot sim`"
    return "Check the network, and the venue's status page for maintenance; then start again"


class SnapshotReader:
    """One run's snapshots of its venue, with the holdings of the venues used only for holdings (``wallets``, read
    first). Price history (for estimated betas) is read when asked for (``refresh_history``) or not read yet; in
    between, the last one read is reused."""

    def __init__(
        self, settings: Settings, port: ExchangePort, clock: Clock, wallets: HoldingsWallets | None = None
    ) -> None:
        self._settings = settings
        self._port = port
        self._clock = clock
        self._wallets = wallets
        self._history: Mapping[str, tuple[Decimal, ...]] | None = None
        self._request: SnapshotRequest | None = None  # the last read's, for its market (``read_market``)

    async def read(
        self,
        wallet_assets: Iterable[str],
        managed: Iterable[str],
        markets: Mapping[str, Market],
        *,
        refresh_history: bool = False,
        with_market: bool = True,
    ) -> Snapshot:
        """The venue now; ``with_market=False``: the account only, its market read later by ``read_market``."""
        fresh = refresh_history or self._history is None
        elsewhere = await self._wallets.read() if self._wallets is not None else ()
        request = snapshot_request(
            self._settings, wallet_assets, managed, markets, with_history=fresh, elsewhere=elsewhere
        )
        self._request = request
        snapshot = await read_venue_snapshot(self._port, request, markets, self._clock, with_market=with_market)
        if request.history is not None:
            self._history = snapshot.history
        elif self._history:
            snapshot = replace(snapshot, history=self._history)
        return snapshot

    async def read_market(self, snapshot: Snapshot) -> Snapshot:
        """``snapshot`` (the last ``read``) with its hedge instruments' tickers and books read now, together."""
        assert self._request is not None, "the market is read for a snapshot already read"
        request = self._request
        return await read_market(self._port, snapshot, sorted(set(request.hedge_symbols)), request.book_depth)
