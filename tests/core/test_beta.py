"""Specification of beta estimation: log returns over a window, least squares, shrunk toward 1, refusals."""

from __future__ import annotations

import math
from decimal import Decimal
from itertools import pairwise

import pytest

from hedgesim.marketdata import load_sample
from policies.base import BetaFit
from policies.beta import BetaRefusal, estimate_beta

D = Decimal
R = D("0.01")  # a 1% log return
TOLERANCE = D("1e-20")


def closes(returns: list[Decimal]) -> list[Decimal]:
    """Prices from 100 whose log returns are exactly ``returns`` (to Decimal precision)."""
    prices = [D(100)]
    for r in returns:
        prices.append(prices[-1] * r.exp())
    return prices


def pattern(*returns: Decimal, times: int = 5) -> list[Decimal]:
    return list(returns) * times


PROXY = pattern(R, -R, R, -R)  # 20 returns
NOISE = pattern(R, R, -R, -R)  # orthogonal to PROXY, mean zero


def fit(holding_returns: list[Decimal], shrinkage: str = "0.3", min_r_squared: str = "0.3") -> BetaFit | BetaRefusal:
    return estimate_beta(
        closes(holding_returns),
        closes(PROXY),
        lookback=20,
        shrinkage=D(shrinkage),
        min_r_squared=D(min_r_squared),
    )


@pytest.mark.parametrize(
    ("holding", "shrinkage", "raw", "r_squared", "beta"),
    [
        # y = 2x exactly: raw 2, R² 1; shrunk 30% toward 1: 2 + 0.3 x (1 - 2) = 1.7
        ([2 * x for x in PROXY], "0.3", "2", "1", "1.7"),
        ([2 * x for x in PROXY], "0", "2", "1", "2"),
        ([2 * x for x in PROXY], "1", "2", "1", "1"),
        # y = 2x + noise of twice the proxy's size: sxy = 8r², sxx = 4r², syy = 16r² + 16r² -> R² = 0.5
        ([2 * x + 2 * n for x, n in zip(PROXY, NOISE, strict=True)], "0.3", "2", "0.5", "1.7"),
        # y = x / 2: a low-beta holding, shrunk up toward 1: 0.5 + 0.3 x 0.5 = 0.65
        ([x / 2 for x in PROXY], "0.3", "0.5", "1", "0.65"),
    ],
)
def test_estimate_beta_when_fit_is_good_then_least_squares_slope_shrunk_toward_one(
    holding: list[Decimal], shrinkage: str, raw: str, r_squared: str, beta: str
) -> None:
    result = fit(holding, shrinkage)
    assert isinstance(result, BetaFit)
    assert abs(result.raw_beta - D(raw)) < TOLERANCE
    assert abs(result.r_squared - D(r_squared)) < TOLERANCE
    assert abs(result.beta - D(beta)) < TOLERANCE
    assert result.samples == 20


@pytest.mark.parametrize(
    ("holding", "proxy_closes", "note_part"),
    [
        # y = x + noise twice its size: R² = r² / (r² + 4r²) = 0.2 < 0.3
        ([x + 2 * n for x, n in zip(PROXY, NOISE, strict=True)], closes(PROXY), "explains 20%"),
        ([-x for x in PROXY], closes(PROXY), "moved against the proxy"),
        (PROXY, closes(PROXY)[:-1], "needs 21 closes"),
        (PROXY, [D(100)] * 21, "did not move"),
    ],
)
def test_estimate_beta_when_fit_is_poor_or_data_unusable_then_refused_with_reason(
    holding: list[Decimal], proxy_closes: list[Decimal], note_part: str
) -> None:
    result = estimate_beta(closes(holding), proxy_closes, lookback=20, shrinkage=D("0.3"), min_r_squared=D("0.3"))
    assert isinstance(result, BetaRefusal)
    assert note_part in result.note


def _float_fit(holding: list[Decimal], proxy: list[Decimal]) -> tuple[float, float]:
    """An independent float implementation of the same regression, to check the Decimal one against."""
    y = [math.log(float(b) / float(a)) for a, b in pairwise(holding)]
    x = [math.log(float(b) / float(a)) for a, b in pairwise(proxy)]
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / sxx, sxy * sxy / (sxx * syy)


@pytest.mark.parametrize(
    ("proxy", "accepted_at_0_7"),
    [("BTC", False), ("ETH", True)],  # AVAX tracked ETH more closely than BTC in June 2022
)
def test_estimate_beta_when_avax_on_the_2022_sample_then_matches_an_independent_fit_and_refuses_below_min_r2(
    proxy: str, accepted_at_0_7: bool
) -> None:
    sample = load_sample("2022-06-3ac-crash")
    avax = [c.close for c in sample.find("AVAX/USDT").candles]  # type: ignore[union-attr]
    other = [c.close for c in sample.find(f"{proxy}/USDT").candles]  # type: ignore[union-attr]
    lookback = len(avax) - 1  # the whole ten days of 5-minute returns
    result = estimate_beta(avax, other, lookback=lookback, shrinkage=D("0.3"), min_r_squared=D("0.3"))
    assert isinstance(result, BetaFit)
    raw, r_squared = _float_fit(avax, other)
    assert float(result.raw_beta) == pytest.approx(raw, rel=1e-9)
    assert float(result.r_squared) == pytest.approx(r_squared, rel=1e-9)
    assert 0.8 < raw < 1.4  # a plausible alt-vs-major fit, not a degenerate one
    assert 0.6 < r_squared < 0.8
    assert result.beta == result.raw_beta + D("0.3") * (1 - result.raw_beta)
    strict = estimate_beta(avax, other, lookback=lookback, shrinkage=D("0.3"), min_r_squared=D("0.7"))
    assert isinstance(strict, BetaFit) is accepted_at_0_7
