"""The `proxy` layer every policy uses: which perpetual hedges a holding (its own, or a liquid proxy) and beta.

Routing, most specific first:
1. the holding's own ``instrument`` setting: a direct hedge on it (no fallback if it is not listed);
2. the holding's own ``proxy`` setting: a proxy hedge with the holding's ``beta`` (a number or "estimate");
3. the holding's own ``<ASSET>/USDT:USDT`` perpetual, if listed, active, and with at least
   ``min_perp_depth_notional`` of visible book depth (both sides, quote currency);
4. ``default_instrument`` with ``default_beta``;
5. nothing: NO_PERP_NO_PROXY.
Several holdings may route to one proxy: their targets net into one order on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from bot.domain import ONE, ZERO, MarketType, ReasonCode, Snapshot
from bot.settings import Beta, HoldingOverride, ProxySettings
from policies.base import BetaFit, HedgeKind
from policies.beta import BetaRefusal, estimate_beta

QUOTE = "USDT"


@dataclass(frozen=True, slots=True)
class Route:
    instrument: str
    kind: HedgeKind
    beta: Decimal
    fit: BetaFit | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class NoRoute:
    """No hedge for the holding this cycle, and why; ``instrument`` names the perpetual it would have used."""

    reason: ReasonCode
    note: str
    instrument: str | None = None


@dataclass(frozen=True, slots=True)
class Router:
    overrides: Mapping[str, HoldingOverride]  # by asset; a holding without one follows the policy
    params: ProxySettings

    def enabled(self, asset: str) -> bool:
        override = self.overrides.get(asset)
        return override is None or override.enabled

    def configured_instruments(self) -> frozenset[str]:
        """Every instrument the settings name: hedges on them are managed even when no holding maps there."""
        named = {o.instrument or o.proxy for o in self.overrides.values() if o.enabled}
        named.add(self.params.default_instrument)
        return frozenset(symbol for symbol in named if symbol)

    def candidates(self, assets: Iterable[str]) -> frozenset[str]:
        """Every instrument routing may choose for ``assets``: the configured ones, and the own perpetual of each
        enabled holding that names neither an instrument nor a proxy (rule 3; never one whose hedge is set)."""
        own = {_own(asset) for asset in assets if self.enabled(asset) and not self._configured(asset)}
        return self.configured_instruments() | own

    def own(self, asset: str) -> str:
        """The holding's own USDT perpetual (rule 3's candidate)."""
        return _own(asset)

    def route(self, asset: str, snapshot: Snapshot) -> Route | NoRoute:
        override = self.overrides.get(asset)
        if override is not None and override.instrument:
            if _listed(override.instrument, snapshot):
                return Route(override.instrument, HedgeKind.DIRECT, ONE, note="configured instrument")
            return NoRoute(ReasonCode.NO_PERP_NO_PROXY, f"configured instrument {override.instrument} is not listed")
        if override is not None and override.proxy:
            return self._proxy(asset, override.proxy, override.beta, snapshot)
        own = self.own(asset)
        thin = ""
        if _listed(own, snapshot):
            depth = _depth_notional(own, snapshot)
            if depth >= self.params.min_perp_depth_notional:
                return Route(own, HedgeKind.DIRECT, ONE, note="own perpetual")
            thin = f"{own} is too thin ({depth:.0f} of depth, min_perp_depth_notional {self.params.min_perp_depth_notional})"
        if self.params.default_instrument:
            route = self._proxy(asset, self.params.default_instrument, self.params.default_beta, snapshot)
            if isinstance(route, Route) and thin:
                return Route(route.instrument, route.kind, route.beta, route.fit, f"{thin}; {route.note}")
            return route
        return NoRoute(ReasonCode.NO_PERP_NO_PROXY, thin or f"no {own} perpetual listed and no proxy configured")

    def _configured(self, asset: str) -> bool:
        """Whether the holding's own settings name its instrument or proxy."""
        override = self.overrides.get(asset)
        return override is not None and bool(override.instrument or override.proxy)

    def _proxy(self, asset: str, proxy: str, beta: Beta, snapshot: Snapshot) -> Route | NoRoute:
        if not _listed(proxy, snapshot):
            return NoRoute(ReasonCode.NO_PERP_NO_PROXY, f"proxy {proxy} is not listed")
        if isinstance(beta, Decimal):
            return Route(proxy, HedgeKind.PROXY, beta, note=f"proxy at configured beta {beta}")
        holding_closes = snapshot.history.get(asset, ())
        proxy_closes = snapshot.history.get(proxy) or snapshot.history.get(proxy.split("/")[0], ())
        fit = estimate_beta(
            holding_closes,
            proxy_closes,
            lookback=self.params.beta_lookback,
            shrinkage=self.params.beta_shrinkage,
            min_r_squared=self.params.min_r_squared,
        )
        if isinstance(fit, BetaRefusal):
            return NoRoute(ReasonCode.BETA_REFUSED, f"beta of {asset} on {proxy} refused: {fit.note}", proxy)
        note = f"proxy at estimated beta {fit.beta:.3f} (raw {fit.raw_beta:.3f}, R² {fit.r_squared:.2f})"
        return Route(proxy, HedgeKind.PROXY, fit.beta, fit, note)


def _own(asset: str) -> str:
    return f"{asset}/{QUOTE}:{QUOTE}"


def _listed(symbol: str, snapshot: Snapshot) -> bool:
    market = snapshot.markets.get(symbol)
    return market is not None and market.type is MarketType.PERP and market.active


def _depth_notional(symbol: str, snapshot: Snapshot) -> Decimal:
    book = snapshot.books.get(symbol)
    if book is None:
        return ZERO
    size = snapshot.markets[symbol].contract_size
    return sum((level.price * level.size * size for level in (*book.bids, *book.asks)), ZERO)
