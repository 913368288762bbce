"""Holdings and valuation: wallet and static holdings combined per asset, minus exclusions, at spot price."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from bot.domain import ZERO, Holding, HoldingSource, ReasonCode, SourceKind, SpotQuote, ValuedHolding
from bot.settings import PriceKind


def static_holding(asset: str, quantity: Decimal, label: str) -> Holding:
    """A holding kept off the exchange (cold wallet, another venue), as listed in the configuration."""
    return Holding(asset, quantity, HoldingSource.static(label))


def with_static_holdings(holdings: Iterable[Holding], static: Iterable[Holding]) -> tuple[Holding, ...]:
    """``holdings`` with every static entry replaced by ``static`` (the configuration's current list)."""
    kept = [h for h in holdings if h.source.kind is not SourceKind.STATIC]
    return (*kept, *static)


def value_holdings(
    holdings: Iterable[Holding],
    quotes: Mapping[str, SpotQuote],
    *,
    exclude: Collection[str],
    price_kind: PriceKind,
    max_age: timedelta,
    now: datetime,
) -> tuple[ValuedHolding, ...]:
    """One valued holding per asset, sorted by asset.

    Excluded assets are reported (EXCLUDED) but not valued. A holding whose chosen price is missing, or older
    than ``max_age`` at ``now``, has no value and the reason STALE_PRICE: it must not lead to a trade.
    """
    quantities: dict[str, Decimal] = {}
    sources: dict[str, list[HoldingSource]] = {}
    for holding in holdings:
        quantities[holding.asset] = quantities.get(holding.asset, ZERO) + holding.quantity
        sources.setdefault(holding.asset, []).append(holding.source)
    return tuple(
        _value(asset, quantities[asset], tuple(sources[asset]), quotes.get(asset), exclude, price_kind, max_age, now)
        for asset in sorted(quantities)
        if quantities[asset] > ZERO
    )


def _value(
    asset: str,
    quantity: Decimal,
    sources: tuple[HoldingSource, ...],
    quote: SpotQuote | None,
    exclude: Collection[str],
    price_kind: PriceKind,
    max_age: timedelta,
    now: datetime,
) -> ValuedHolding:
    def result(
        price: Decimal | None = None, reason: ReasonCode | None = None, note: str = "", value: Decimal | None = None
    ) -> ValuedHolding:
        at = quote.timestamp if quote is not None else None
        age = None if at is None else Decimal((now - at) // timedelta(microseconds=1)) / Decimal(1_000_000)
        return ValuedHolding(asset, quantity, sources, price_kind, price, at, age, value, reason, note)

    if asset in exclude:
        return result(reason=ReasonCode.EXCLUDED, note="listed in holdings.exclude")
    if quote is None:
        return result(reason=ReasonCode.STALE_PRICE, note=f"no spot quote for {asset}")
    price = quote.mid if price_kind == "mid" else quote.last
    if price is None or price <= ZERO:
        return result(reason=ReasonCode.STALE_PRICE, note=f"the {quote.symbol} quote has no {price_kind} price")
    if now - quote.timestamp > max_age:
        age = now - quote.timestamp
        note = f"{quote.symbol} {price_kind} is {age.total_seconds():.0f}s old (max {max_age.total_seconds():.0f}s)"
        return result(price, ReasonCode.STALE_PRICE, note)
    return result(price, value=quantity * price)
