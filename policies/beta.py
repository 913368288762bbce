"""Beta of a holding against a proxy: least squares on log returns over a window, shrunk toward 1."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise

from bot.domain import ONE, ZERO
from policies.base import BetaFit


@dataclass(frozen=True, slots=True)
class BetaRefusal:
    """Why no beta could be estimated; the holding is then not hedged on the proxy this cycle."""

    note: str


def log_returns(closes: Sequence[Decimal]) -> list[Decimal]:
    return [_log_return(earlier, later) for earlier, later in pairwise(closes)]


@lru_cache(maxsize=16_384)
def _log_return(earlier: Decimal, later: Decimal) -> Decimal:
    """ln(later / earlier), remembered: successive windows of history share all but their newest returns."""
    return (later / earlier).ln()


def estimate_beta(
    holding_closes: Sequence[Decimal],
    proxy_closes: Sequence[Decimal],
    *,
    lookback: int,
    shrinkage: Decimal,
    min_r_squared: Decimal,
) -> BetaFit | BetaRefusal:
    """Fit the holding's log returns on the proxy's over the last ``lookback`` returns.

    Both series are closes on the same interval, oldest first, ending at the same time. The raw slope is
    shrunk toward 1 (``beta = raw + shrinkage x (1 - raw)``) because a short window over-fits; the estimate is
    refused when the fit explains less than ``min_r_squared`` of the holding's moves, when the two move in
    opposite directions, or when there is too little history.

    The same closes give the same answer, so it is remembered: the loop re-reads history only every few cycles,
    and the logarithms are most of a cycle's work otherwise.
    """
    return _estimate(tuple(holding_closes), tuple(proxy_closes), lookback, shrinkage, min_r_squared)


@lru_cache(maxsize=256)
def _estimate(
    holding_closes: tuple[Decimal, ...],
    proxy_closes: tuple[Decimal, ...],
    lookback: int,
    shrinkage: Decimal,
    min_r_squared: Decimal,
) -> BetaFit | BetaRefusal:
    needed = lookback + 1
    if len(holding_closes) < needed or len(proxy_closes) < needed:
        return BetaRefusal(
            f"needs {needed} closes of each series, has {len(holding_closes)} (holding) and {len(proxy_closes)} (proxy)"
        )
    holding = holding_closes[-needed:]
    proxy = proxy_closes[-needed:]
    if any(close <= ZERO for close in (*holding, *proxy)):
        return BetaRefusal("price history holds a close of zero or less")
    y = log_returns(holding)
    x = log_returns(proxy)
    mean_x = sum(x, ZERO) / len(x)
    mean_y = sum(y, ZERO) / len(y)
    sxx = sum(((a - mean_x) ** 2 for a in x), ZERO)
    syy = sum(((b - mean_y) ** 2 for b in y), ZERO)
    sxy = sum(((a - mean_x) * (b - mean_y) for a, b in zip(x, y, strict=True)), ZERO)
    if sxx == ZERO or syy == ZERO:
        return BetaRefusal("a price did not move over the window: no fit is possible")
    raw = sxy / sxx
    r_squared = sxy * sxy / (sxx * syy)
    if raw <= ZERO:
        return BetaRefusal(f"the holding moved against the proxy (raw beta {raw:.2f}): shorting it adds risk")
    if r_squared < min_r_squared:
        return BetaRefusal(
            f"poor fit: the proxy explains {r_squared:.0%} of the holding's moves, below min_r_squared "
            f"{min_r_squared:.0%} (raw beta {raw:.2f} over {len(x)} returns)"
        )
    return BetaFit(beta=raw + shrinkage * (ONE - raw), raw_beta=raw, r_squared=r_squared, samples=len(x))
