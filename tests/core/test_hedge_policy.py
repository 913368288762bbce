"""Specification of the composed policy: direct and proxy sizing, routing, netting, holds, modifiers, state."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from bot.config import HedgeConfig
from bot.config_policy import PolicyConfig, ProxyParams
from bot.domain import Market, OrderBook, PerpTicker, ReasonCode, Snapshot, ValuedHolding
from bot.settings import HoldingOverride
from bot.settings.from_config import hedge_settings, policy_settings
from policies.base import HedgeKind
from policies.hedge_policy import HedgePolicy
from policies.registry import build_policy
from policies.state import PolicyState, TakeProfitMemory
from tests.core.factories import eth_perp_market, valued
from tests.factories import NOW, book, btc_perp_market, perp_ticker, snapshot, sol_perp_market

D = Decimal
BTC, ETH, SOL = "BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"


def policy(
    ratio: str = "0.5",
    *overrides: HoldingOverride,
    proxy: ProxyParams | None = None,
    modifiers: tuple[str, ...] = (),
) -> HedgePolicy:
    config = PolicyConfig(ratio=D(ratio), proxy=proxy or ProxyParams(), modifiers=list(modifiers))  # type: ignore[arg-type]
    return build_policy(policy_settings(config), overrides)


def override(asset: str, **fields: object) -> HoldingOverride:
    """``[hedges.ASSET]`` with ``fields`` set, as the settings carry it (the schema's defaults for the rest)."""
    return hedge_settings(asset, HedgeConfig.model_validate(fields))


def venue(
    marks: dict[str, str],
    markets: tuple[Market, ...] = (btc_perp_market(), eth_perp_market(), sol_perp_market()),
    books: tuple[OrderBook, ...] = (),
    tickers: tuple[PerpTicker, ...] = (),
) -> Snapshot:
    """A venue listing ``markets`` with perp marks ``marks`` (symbol -> mark)."""
    return snapshot(markets=markets, tickers=tickers or tuple(perp_ticker(s, m) for s, m in marks.items()), books=books)


def test_direct_hedge_when_perp_trades_17pct_below_spot_then_short_matches_the_coins_held() -> None:
    # 100 SOL valued at a spot of 200 while the perp marks 166 (10 Oct 2025): ratio 1 wants -100 SOL, not
    # 20000 / 166 = -120.48 (a notional-sized short would over-hedge by 20% into the rebound).
    result = policy("1").target(venue({SOL: "166"}), [valued("SOL", "100", "200")], NOW, PolicyState())
    sol = result.targets[SOL]
    assert sol.contracts == D(-100)
    assert sol.full_contracts == D(-100)
    assert sol.notional == D(16600)  # at the perp's mark
    (hedge,) = result.hedges
    assert (hedge.kind, hedge.hedge_notional) == (HedgeKind.DIRECT, D(20000))  # value x ratio x beta


@pytest.mark.parametrize(
    ("ratio", "beta", "contracts"),
    [
        ("0.5", "1.3", "-3.25"),  # 1000 LINK x 15 = 15000; x 0.5 x 1.3 = 9750 USDT; / 3000 = 3.25 ETH
        ("1", "1", "-5"),
        ("1.5", "0.8", "-6"),  # above 1 up to the cap: 15000 x 1.5 x 0.8 / 3000
    ],
)
def test_proxy_hedge_when_beta_configured_then_value_times_ratio_times_beta_over_proxy_mark(
    ratio: str, beta: str, contracts: str
) -> None:
    link = override("LINK", proxy=ETH, beta=D(beta))
    result = policy(ratio, link).target(venue({ETH: "3000"}), [valued("LINK", "1000", "15")], NOW, PolicyState())
    assert result.targets[ETH].contracts == D(contracts)
    assert result.targets[ETH].full_contracts == D(contracts) / D(ratio)


def test_proxy_basket_when_several_holdings_on_btc_then_they_net_into_one_target() -> None:
    basket = (
        override("AVAX", proxy=BTC, beta=D("1.2")),
        override("LINK", proxy=BTC, beta=D("1.3")),
        override("ADA", proxy=BTC, beta=D("1.1")),
    )
    holdings = [valued("ADA", "20000", "0.5"), valued("AVAX", "500", "20"), valued("LINK", "1000", "15")]
    result = policy("0.5", *basket).target(venue({BTC: "60000"}), holdings, NOW, PolicyState())
    assert list(result.targets) == [BTC]
    btc = result.targets[BTC]
    # 0.5 x (10000 x 1.1 + 10000 x 1.2 + 15000 x 1.3) = 21250 USDT; / 60000 = 0.3541666... BTC
    assert abs(btc.contracts - D(-21250) / D(60000)) < D("1e-20")  # components summed at Decimal precision
    assert abs(btc.notional - D(21250)) < D("1e-20")
    assert [c.asset for c in btc.components] == ["ADA", "AVAX", "LINK"]
    assert sum(c.contracts for c in btc.components) == btc.contracts


THIN = book(SOL, "149.99", "150.00", size="1", levels=2)  # ~600 USDT of depth on both sides
DEEP = book(SOL, "149.99", "150.00", size="100", levels=5)  # ~150,000 USDT


@pytest.mark.parametrize(
    ("override", "proxy", "markets", "expected"),
    [
        # (instrument, kind, reason)
        (None, ProxyParams(), (sol_perp_market(),), (SOL, HedgeKind.DIRECT, None)),
        (override("SOL", instrument=SOL), ProxyParams(), (), (None, None, ReasonCode.NO_PERP_NO_PROXY)),
        (
            override("SOL", proxy=BTC, beta=D(1)),
            ProxyParams(),
            (btc_perp_market(),),
            (BTC, HedgeKind.PROXY, None),
        ),
        (override("SOL", proxy=ETH, beta=D(1)), ProxyParams(), (), (None, None, ReasonCode.NO_PERP_NO_PROXY)),
        (None, ProxyParams(default_instrument=BTC), (btc_perp_market(),), (BTC, HedgeKind.PROXY, None)),
        (None, ProxyParams(), (btc_perp_market(),), (None, None, ReasonCode.NO_PERP_NO_PROXY)),
        (override("SOL", enabled=False), ProxyParams(), (sol_perp_market(),), (None, None, ReasonCode.EXCLUDED)),
        # own perp too thin for min_perp_depth_notional: falls back to the default proxy
        (
            None,
            ProxyParams(default_instrument=BTC, min_perp_depth_notional=D(1000)),
            (sol_perp_market(), btc_perp_market()),
            (BTC, HedgeKind.PROXY, None),
        ),
        (
            None,
            ProxyParams(min_perp_depth_notional=D(1000)),
            (sol_perp_market(),),
            (None, None, ReasonCode.NO_PERP_NO_PROXY),
        ),
    ],
)
def test_routing_when_settings_and_listings_vary_then_most_specific_usable_route(
    override: HoldingOverride | None,
    proxy: ProxyParams,
    markets: tuple[Market, ...],
    expected: tuple[str | None, HedgeKind | None, ReasonCode | None],
) -> None:
    overrides = (override,) if override else ()
    snap = venue({SOL: "150", BTC: "60000"}, markets=markets, books=(THIN,))
    (hedge,) = (
        policy("0.5", *overrides, proxy=proxy).target(snap, [valued("SOL", "10", "150")], NOW, PolicyState()).hedges
    )
    instrument = hedge.instrument if hedge.reason is None else None
    assert (instrument, hedge.kind, hedge.reason) == expected


def test_routing_when_own_perp_deep_enough_then_direct() -> None:
    snap = venue({SOL: "150"}, books=(DEEP,))
    params = ProxyParams(default_instrument=BTC, min_perp_depth_notional=D(1000))
    (hedge,) = policy("0.5", proxy=params).target(snap, [valued("SOL", "10", "150")], NOW, PolicyState()).hedges
    assert (hedge.instrument, hedge.kind) == (SOL, HedgeKind.DIRECT)


def test_stale_holding_when_sharing_a_proxy_then_instrument_on_hold_and_others_still_sized() -> None:
    basket = (override("AVAX", proxy=BTC), override("LINK", proxy=BTC))
    stale = replace(valued("AVAX", "500", "20"), value=None, reason=ReasonCode.STALE_PRICE, note="20s old")
    result = policy("0.5", *basket).target(
        venue({BTC: "60000"}), [stale, valued("LINK", "1000", "15")], NOW, PolicyState()
    )
    assert result.holds[BTC].reason is ReasonCode.STALE_PRICE
    assert "AVAX" in result.holds[BTC].note
    avax, link = result.hedges
    assert (avax.reason, avax.contracts) == (ReasonCode.STALE_PRICE, 0)
    assert link.reason is None


def test_estimated_beta_when_refused_then_holding_unhedged_and_the_rest_of_the_instrument_stands() -> None:
    basket = (override("AVAX", proxy=BTC, beta="estimate"), override("LINK", proxy=BTC))
    snap = replace(venue({BTC: "60000"}), history={})  # no price history to fit on
    result = policy("0.5", *basket).target(
        snap, [valued("AVAX", "500", "20"), valued("LINK", "1000", "15")], NOW, PolicyState()
    )
    avax, _ = result.hedges
    assert avax.reason is ReasonCode.BETA_REFUSED
    assert "needs 289 closes" in avax.note
    assert result.holds == {}
    assert result.targets[BTC].contracts == D(-7500) / D(60000)  # LINK alone: 15000 x 0.5


def test_modifier_when_funding_guard_scales_then_target_components_and_holding_ratio_follow() -> None:
    snap = venue({}, tickers=(perp_ticker(SOL, "150", funding_rate="-0.0004"),))  # the short pays 43.8% a year
    result = policy("0.5", modifiers=("funding_guard",)).target(snap, [valued("SOL", "100", "150")], NOW, PolicyState())
    sol = result.targets[SOL]
    assert sol.contracts == D(-25)  # -50 x floor 0.5
    assert sol.full_contracts == D(-100)  # the ratio-1 reference is not scaled
    assert sol.components[0].ratio == D("0.25")
    assert result.hedges[0].ratio == D("0.25")
    (effect,) = result.effects[SOL]
    assert (effect.modifier, effect.factor) == ("funding_guard", D("0.5"))


def test_take_profit_memory_when_instrument_no_longer_hedged_then_dropped() -> None:
    remembered = PolicyState(take_profit={SOL: TakeProfitMemory(D(150), D(140)), BTC: TakeProfitMemory(D(1), D(1))})
    result = policy("0", modifiers=("take_profit",)).target(
        venue({SOL: "150"}), [valued("SOL", "100", "150")], NOW, remembered
    )
    assert result.targets[SOL].contracts == 0
    assert result.state.take_profit == {}


def test_policy_name_when_modifiers_then_base_plus_modifiers_in_order() -> None:
    assert policy("0.5", modifiers=("take_profit", "funding_guard")).name == "fixed_ratio + take_profit + funding_guard"


def test_instruments_when_settings_name_them_then_configured_instruments_listed() -> None:
    configured = policy(
        "0.5",
        override("SOL", instrument=SOL),
        override("LINK", proxy=ETH),
        proxy=ProxyParams(default_instrument=BTC),
    )
    assert configured.instruments() == {SOL, ETH, BTC}


def test_holdings_when_valued_then_one_hedge_per_holding_in_order() -> None:
    holdings: list[ValuedHolding] = [valued("BTC", "1", "60000"), valued("SOL", "10", "150")]
    result = policy("0.5").target(venue({SOL: "150", BTC: "60000"}), holdings, NOW, PolicyState())
    assert [h.asset for h in result.hedges] == ["BTC", "SOL"]
