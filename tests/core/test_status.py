"""Specification of the status figures (bot.core.status): both legs' PnL since the hedge opened and today, shares of
a shared proxy, adopted positions, basis, liquidation and margin, all hand-computed."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from bot.config import parse_config
from bot.core.cycle import CoreState, plan_cycle
from bot.core.plan import Plan
from bot.core.status import LegHistory, SpotHistory, StatusReport, openings, status_report
from bot.domain import FundingPayment, Holding, HoldingSource, MarginMode, Market, Position, Side, Snapshot
from bot.settings.from_config import core_settings
from tests.core.factories import our_order
from tests.factories import NOW, book, perp_ticker, short_position, snapshot, sol_perp_market, spot_quote
from tests.journal.factories import sol_fill

D = Decimal
SOL, ETH = "SOL/USDT:USDT", "ETH/USDT:USDT"
DAY_START = NOW.replace(hour=0)  # NOW is 12:00 UTC
OPENED = NOW - timedelta(days=2)
VENUE = '[venues.main]\nexchange = "bybit"\nmode = "sim"\nurl = "http://127.0.0.1:8765"\n'


def plan_for(venue: Snapshot, settings: str = "[policy]\nratio = 0.7\n") -> Plan:
    config = parse_config(tomllib.loads(VENUE + settings), env={})
    return plan_cycle(core_settings(config), venue, CoreState(), NOW)[0]


def funding(at: datetime, amount: str) -> FundingPayment:
    return FundingPayment(f"f{at:%d%H}", SOL, D(amount), "USDT", D("0.0001"), D(-70), at)


def sol_history(**changes: object) -> LegHistory:
    """The SOL hedge: sold 40 @ 200 and 30 @ 190 two days ago, bought 10 back @ 160 today at 08:00 (short 60 now);
    funding +2.5 yesterday and -1.0 today; fees 0.8, 0.6 and 0.32; the mark was 171 at 00:00."""
    fills = (
        replace(sol_fill("t1", Side.SELL, "40", "200", OPENED), fee=D("0.8")),
        replace(sol_fill("t2", Side.SELL, "30", "190", OPENED + timedelta(hours=1)), fee=D("0.6")),
        replace(sol_fill("t3", Side.BUY, "10", "160", DAY_START + timedelta(hours=8)), fee=D("0.32")),
    )
    history = LegHistory(
        symbol=SOL,
        contract_size=D(1),
        opened_at=OPENED,
        fills=fills,
        funding=(funding(OPENED + timedelta(hours=8), "2.5"), funding(DAY_START + timedelta(hours=4), "-1.0")),
        day_start_mark=D(171),
    )
    return replace(history, **changes)


def sol_position(contracts: str = "60") -> Position:
    """Short at entry 195.71, mark 151, liquidation 290, isolated: margin 11742, unrealised 2682, maintenance 90.6."""
    return replace(
        short_position(SOL, contracts, "195.71"),
        mark_price=D(151),
        liquidation_price=D(290),
        margin_mode=MarginMode.ISOLATED,
        margin=D(11742),
        unrealized_pnl=D(2682),
        maintenance_margin=D("90.6"),
    )


def sol_venue(position: Position | None = None, quantity: str = "100") -> Snapshot:
    """100 SOL at 150 spot, the SOL perp marked at 151, the short of ``sol_position``."""
    return snapshot(
        holdings=[Holding("SOL", D(quantity), HoldingSource.exchange("main"))],
        spot=[spot_quote("SOL", "150", "150")],
        markets=[sol_perp_market()],
        tickers=[perp_ticker(SOL, "151")],
        books=[book(SOL, "150.99", "151.00", size="1000")],
        positions=[position or sol_position()],
    )


def sol_report(history: LegHistory | None = None, venue: Snapshot | None = None) -> StatusReport:
    return status_report(
        plan_for(venue or sol_venue()),
        venue or sol_venue(),
        {SOL: history or sol_history()},
        {"SOL": SpotHistory("SOL", at_open=D(200), at_day_start=D(170))},
        day_start=DAY_START,
        margin_mode=MarginMode.ISOLATED,
    )


def test_status_when_a_direct_hedge_since_open_then_both_legs_funding_fees_and_combined_by_hand() -> None:
    (sol,) = sol_report().holdings
    # spot: 100 x (150 - 200); hedge: -60 x 151 - (-40 x 200 - 30 x 190 + 10 x 160); funding 2.5 - 1.0
    assert sol.since_open.spot == D(-5000)
    assert sol.since_open.hedge == D(-9060) + D(12100)
    assert (sol.since_open.funding, sol.since_open.fees) == (D("1.5"), D("1.72"))
    assert sol.since_open.combined == D(-5000) + D(3040) + D("1.5") - D("1.72")
    assert (sol.opened_at, sol.value_at_open, sol.spot_value) == (OPENED, D(20000), D(15000))


def test_status_when_today_then_position_held_at_midnight_valued_at_that_marks_and_todays_fills_after() -> None:
    (sol,) = sol_report().holdings
    # spot: 100 x (150 - 170); hedge: -60 x 151 - (-70 x 171) - 10 x 160 (the buy-back at 08:00)
    assert sol.today.spot == D(-2000)
    assert sol.today.hedge == D(-9060) + D(11970) - D(1600)
    assert (sol.today.funding, sol.today.fees) == (D("-1.0"), D("0.32"))
    assert sol.today.combined == D(-2000) + D(1310) - D("1.0") - D("0.32")


def test_status_when_hedge_opened_today_then_today_is_since_open() -> None:
    opened = DAY_START + timedelta(hours=8)
    history = sol_history(opened_at=opened, fills=(sol_fill("t9", Side.SELL, "10", "160", opened),), funding=())
    venue = sol_venue(sol_position("10"))
    plan = plan_for(venue)
    spot = {"SOL": SpotHistory("SOL", at_open=D(158), at_day_start=D(158))}  # the opening's price, both
    (sol,) = status_report(
        plan, venue, {SOL: history}, spot, day_start=DAY_START, margin_mode=MarginMode.ISOLATED
    ).holdings
    assert sol.today == sol.since_open
    assert sol.since_open.hedge == D(-10) * D(151) + D(1600)
    assert sol.since_open.spot == D(100) * (D(150) - D(158))


def test_status_when_a_direct_hedge_then_ratio_basis_liquidation_and_margin_by_hand() -> None:
    report = sol_report()
    (sol,), (perp,) = report.holdings, report.instruments
    assert (sol.ratio, sol.target_ratio, sol.share) == (D("0.6"), D("0.7"), D(1))  # -60 of a full short of -100
    assert sol.hedge_notional == perp.hedge_notional == D(60) * D(151)
    assert sol.risk.basis_bps == (D(151) - D(150)) / D(150) * D(10000)
    assert sol.risk.liquidation_price == D(290)
    assert sol.risk.liquidation_distance == D(139) / D(151)
    assert sol.risk.margin_ratio == D("90.6") / (D(11742) + D(2682))
    assert report.total.ratio == sol.ratio  # by contracts, as the holding's: not 9060 / 15000 by notional at mark
    assert report.total.target_ratio == D("0.7")


@pytest.mark.parametrize(
    ("reported", "configured", "claimed"),
    [
        (MarginMode.CROSS, MarginMode.ISOLATED, False),  # the venue says cross: the account's equity backs it
        (None, MarginMode.ISOLATED, True),  # the venue does not say (Bybit): as configured
        (None, MarginMode.CROSS, False),
    ],
)
def test_status_margin_ratio_when_isolated_as_reported_else_as_configured_then_claimed_only_for_isolated(
    reported: MarginMode | None, configured: MarginMode, claimed: bool
) -> None:
    venue = sol_venue(replace(sol_position(), margin_mode=reported))
    report = status_report(
        plan_for(venue), venue, {SOL: sol_history()}, {}, day_start=DAY_START, margin_mode=configured
    )
    (sol,) = report.holdings
    assert sol.risk.margin_ratio == (D("90.6") / (D(11742) + D(2682)) if claimed else None)
    assert sol.risk.liquidation_distance == D(139) / D(151)


def test_status_total_when_one_holding_then_unhedged_and_hedged_change_from_the_value_at_open() -> None:
    total = sol_report().total
    assert total.since_open == sol_report().holdings[0].since_open
    assert total.unhedged_change == D(-5000) / D(20000)
    assert total.hedged_change == (D(-5000) + D(3040) + D("1.5") - D("1.72")) / D(20000)


@pytest.mark.parametrize(
    ("changes", "period"),
    [
        ({"day_start_mark": None}, "today"),  # the short held at 00:00 cannot be valued
        ({"start_contracts": D(-70), "fills": ()}, "since_open"),  # an adopted short without its mark
    ],
    ids=["no mark at 00:00", "adopted without a mark"],
)
def test_status_when_a_price_is_not_journaled_then_the_figure_and_every_sum_it_enters_is_unknown(
    changes: dict[str, object], period: str
) -> None:
    report = sol_report(sol_history(**changes))
    sol = report.holdings[0]
    assert getattr(sol, period).hedge is None
    assert getattr(sol, period).combined is None
    assert getattr(report.total, period).combined is None
    assert getattr(sol, period).spot is not None  # the spot leg is still known


def test_status_when_an_adopted_position_then_its_pnl_runs_from_the_mark_at_adoption() -> None:
    history = sol_history(start_contracts=D(-60), start_price=D(160), fills=(), funding=())
    (sol,) = sol_report(history).holdings
    assert sol.since_open.hedge == D(-60) * D(151) - D(-60) * D(160)


def test_status_when_venue_holds_more_than_the_journal_explains_then_a_note_says_whose_fills_count() -> None:
    report = sol_report(venue=sol_venue(sol_position("65")))
    assert report.instruments[0].explained == D(-60)
    assert any("the venue holds -65 contracts, the journal explains -60" in note for note in report.notes)


def test_status_when_resting_orders_then_ours_listed_and_foreign_not() -> None:
    mine = our_order(Side.SELL, "5", "152", client_order_id="hbtest1x0")
    venue = replace(sol_venue(), open_orders=(mine, replace(mine, client_order_id="manual1")))
    (perp,) = sol_report(venue=venue).instruments
    assert perp.resting == (mine,)


def eth_perp_market() -> Market:
    return replace(sol_perp_market(), symbol=ETH, base="ETH")


def proxy_venue(with_orphan: bool = False) -> Snapshot:
    """AVAX worth 6000 and LINK worth 2000, both proxy-hedged with the ETH perp (mark 2000) at ratio 0.5, beta 1: a
    short of 1.5 + 0.5 = 2 ETH held; with ``with_orphan``, also a SOL short whose holding is gone."""
    positions = [replace(short_position(ETH, "2", "2100"), mark_price=D(2000))]
    if with_orphan:
        positions.append(sol_position("10"))
    return snapshot(
        holdings=[
            Holding("AVAX", D(200), HoldingSource.exchange("main")),
            Holding("LINK", D(100), HoldingSource.exchange("main")),
        ],
        spot=[spot_quote("AVAX", "30", "30"), spot_quote("LINK", "20", "20"), spot_quote("ETH", "1990", "1990")],
        markets=[eth_perp_market(), sol_perp_market()],
        tickers=[perp_ticker(ETH, "2000"), perp_ticker(SOL, "151")],
        books=[book(ETH, "1999.99", "2000.00", size="1000"), book(SOL, "150.99", "151.00", size="1000")],
        positions=positions,
    )


PROXIES = '[policy]\nratio = 0.5\n[hedges.AVAX]\nproxy = "ETH/USDT:USDT"\n[hedges.LINK]\nproxy = "ETH/USDT:USDT"\n'


def proxy_report(with_orphan: bool = False) -> StatusReport:
    eth = LegHistory(ETH, D(1), OPENED, fills=(replace(sol_fill("e1", Side.SELL, "2", "2100", OPENED), symbol=ETH),))
    legs = {ETH: eth, SOL: sol_history()}
    spot = {"AVAX": SpotHistory("AVAX", D(33), D(31)), "LINK": SpotHistory("LINK", D(22), D(21))}
    venue = proxy_venue(with_orphan)
    plan = plan_for(venue, PROXIES)
    return status_report(plan, venue, legs, spot, day_start=DAY_START, margin_mode=MarginMode.ISOLATED)


def test_status_when_two_holdings_share_a_proxy_then_its_figures_split_by_their_target_shares() -> None:
    avax, link = proxy_report().holdings
    # the ETH short gained 2 x (2100 - 2000) = 200; AVAX's target is 1.5 of the 2 ETH, LINK's 0.5
    assert (avax.share, link.share) == (D("0.75"), D("0.25"))
    assert (avax.since_open.hedge, link.since_open.hedge) == (D(150), D(50))
    assert (avax.since_open.spot, link.since_open.spot) == (D(200) * D(-3), D(100) * D(-2))
    assert avax.ratio == link.ratio == D("0.5")  # the short held / the full short (2 of 4 ETH)
    assert proxy_report().total.ratio == D("0.5")  # every holding's, whatever the betas and the ETH price
    assert avax.risk.basis_bps == (D(2000) - D(1990)) / D(1990) * D(10000)  # the proxy's own basis


def test_status_total_when_an_instrument_no_holding_names_then_counted_in_the_total_only() -> None:
    report = proxy_report(with_orphan=True)
    avax, link = report.holdings
    sol = next(i for i in report.instruments if i.symbol == SOL)
    assert sol.holdings == ()
    assert report.total.since_open.hedge == D(200) + D(3040)
    assert report.total.since_open.spot == avax.since_open.spot + link.since_open.spot  # type: ignore[operator]
    assert report.total.hedge_notional == D(4000) + D(10) * D(151)


def test_openings_when_a_holding_has_no_hedge_of_its_own_then_the_portfolios_first_opening() -> None:
    venue = replace(
        proxy_venue(), holdings=(*proxy_venue().holdings, Holding("DOGE", D(1000), HoldingSource.exchange("main")))
    )
    plan = plan_for(venue, PROXIES)
    legs = {ETH: LegHistory(ETH, D(1), OPENED + timedelta(hours=3)), SOL: LegHistory(SOL, D(1), OPENED)}
    assert openings(plan, legs) == {
        "AVAX": OPENED + timedelta(hours=3),
        "DOGE": OPENED,
        "LINK": OPENED + timedelta(hours=3),
    }


def test_status_when_never_hedged_then_nothing_since_open_and_today_is_the_spot_leg_alone() -> None:
    venue = replace(sol_venue(), positions={})
    plan = plan_for(venue)
    report = status_report(
        plan, venue, {}, {"SOL": SpotHistory("SOL", None, D(170))}, day_start=DAY_START, margin_mode=MarginMode.ISOLATED
    )
    (sol,) = report.holdings
    assert (sol.opened_at, sol.since_open.spot, sol.since_open.combined) == (None, None, None)
    assert sol.today.combined == D(-2000)


def test_status_when_the_hedge_is_bought_back_flat_then_its_ratio_is_zero_and_its_pnl_realised() -> None:
    buy_back = sol_fill("t4", Side.BUY, "60", "151", NOW - timedelta(minutes=1))
    history = sol_history(fills=(*sol_history().fills, buy_back))
    venue = replace(sol_venue(), positions={})
    (sol,) = sol_report(history, venue).holdings
    assert str(sol.ratio) == "0"  # not -0
    assert sol.since_open.hedge == D(12100) - D(60) * D(151)  # every fill's proceeds less what buying back cost
