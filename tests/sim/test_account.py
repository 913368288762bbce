"""Specification of the account's arithmetic: margins, liquidation prices, fills, fees and funding."""

from __future__ import annotations

import json

import pytest

from hedgesim.account import Account, Fees
from hedgesim.enums import MarginMode, Side
from hedgesim.instruments import perp_instrument, spot_instrument
from hedgesim.margin import cross_liquidation, isolated_prices, order_cost, position_im, position_mm
from tests.conftest import ROOT
from tests.sim.factories import D

RECORDED = ROOT / "tests" / "fixtures" / "bybit" / "recorded.json"

SOL = perp_instrument("SOL", D(100))  # MMR 0.5 % in its first risk tier (100x)
SOL_SPOT = spot_instrument("SOL", D(100))
NOW = 1_735_689_600_000


@pytest.mark.parametrize(
    ("size", "entry", "margin", "liquidation", "bust"),
    [
        # short 10 @ 100 at 2x: margin 500, MM 10 x 100 x 0.5 % = 5 -> liq 100 + (500 - 5) / 10, bust 100 + 500 / 10
        ("-10", "100", "500", "149.5", "150"),
        ("10", "100", "500", "50.5", "50"),
        # long at 1x: bankruptcy at zero is unreachable; liquidation at 100 - 995/10
        ("10", "100", "1000", "0.5", None),
    ],
)
def test_isolated_prices_when_position_and_margin_then_bybit_liquidation_and_bankruptcy(
    size: str, entry: str, margin: str, liquidation: str, bust: str | None
) -> None:
    expected = (D(liquidation), D(bust) if bust else None)
    assert isolated_prices(SOL, D(size), D(entry), D(margin)) == expected


@pytest.mark.parametrize(
    ("size", "spare", "own_mm", "price"),
    [
        ("-10", "1000", "5.8", "199.42"),  # 1000 + (P - 100) x -10 = 5.8
        ("10", "500", "5.8", "50.58"),  # 500 + (P - 100) x 10 = 5.8
        ("10", "1005.8", "5.8", None),  # the spare equity covers the whole value: no liquidation price
    ],
)
def test_cross_liquidation_when_spare_equity_then_price_where_equity_meets_maintenance(
    size: str, spare: str, own_mm: str, price: str | None
) -> None:
    expected = D(price) if price is not None else None
    assert cross_liquidation(D(size), D(100), D(spare), D(own_mm)) == expected


def recorded_position() -> dict[str, str]:
    """The real LTCUSDT position Bybit answered (ccxt's recording, tests/fixtures/bybit/recorded.json)."""
    reply = json.loads(RECORDED.read_text())["responses"]["position/list linear open"]["httpResponse"]
    (row,) = reply["result"]["list"]
    return dict(row)


@pytest.mark.parametrize(("field", "formula"), [("positionIM", "im"), ("positionMM", "mm")])
def test_position_margins_when_the_recorded_position_is_recomputed_then_bybit_figures_to_1e_6(
    field: str, formula: str
) -> None:
    # 1.2 LTC long at 64.59947917, 6x, Bybit's base taker fee 0.055 %, LTCUSDT's first tier (MMR 1 %): the
    # recorded positionIM 12.95542633 = value / 6 + 1.2 x bankruptcy price x 0.055 %, positionMM likewise
    row = recorded_position()
    size, entry, leverage, taker = D(row["size"]), D(row["avgPrice"]), D(row["leverage"]), Fees().linear_taker
    ltc = perp_instrument("LTC", entry)
    assert (ltc.tier_for(size * entry).limit, row["riskLimitValue"]) == (D(row["riskLimitValue"]), "200000")
    ours = {
        "im": position_im(size * entry / leverage, size, entry, leverage, taker),
        "mm": position_mm(ltc, size, entry, leverage, taker),
    }[formula]
    assert abs(ours - D(row[field])) <= D("1e-6"), (ours, row[field])


def test_order_cost_when_bybit_help_centre_example_then_margin_and_both_fees() -> None:
    # "Order Cost (USDT Contract)": 1 BTC long at 50 000, 10x, taker 0.055 %: 5 000 + 27.5 + 24.75
    assert order_cost(D(1), D(50_000), D(10), D("0.00055")) == D("5052.25")
    assert order_cost(D(-1), D(50_000), D(10), D("0.00055")) == D("5000") + D("27.5") + D("30.25")


def test_margins_when_short_at_2x_then_fee_to_close_at_the_bankruptcy_price() -> None:
    # short 10 @ 100 at 2x: IM 500, bankruptcy 150, fee to close 10 x 150 x 0.055 % = 0.825; MM 5 + 0.825
    taker = Fees().linear_taker
    assert position_im(D(500), D(-10), D(100), D(2), taker) == D("500.825")
    assert position_mm(SOL, D(-10), D(100), D(2), taker) == D("5.825")


def test_settle_funding_when_isolated_then_the_payment_moves_the_position_margin() -> None:
    ledger = account()
    ledger.linear_fill(SOL, Side.SELL, D(10), D(100), False, NOW)  # margin 500
    ledger.settle_funding("SOLUSDT", D("-0.0003"), D(100), NOW)  # the short pays 0.3
    assert ledger.positions["SOLUSDT"].margin == D("499.7")
    assert ledger.coins["USDT"] == D("9999.15")


def account(usdt: str = "10000", sol: str = "0", leverage: str = "2") -> Account:
    return Account({"USDT": D(usdt), "SOL": D(sol)}, Fees(), D(leverage), MarginMode.ISOLATED)


@pytest.mark.parametrize(
    ("fills", "size", "entry", "margin", "realised", "wallet"),
    [
        # open short 10 @ 100 as taker: fee 10 x 100 x 0.055 % = 0.55; margin 1000 / 2
        ([("sell", "10", "100", False)], "-10", "100", "500", "0", "9999.45"),
        # add 10 @ 110 as maker (fee 0.22): entry 105, margin 500 + 550
        ([("sell", "10", "100", False), ("sell", "10", "110", True)], "-20", "105", "1050", "0", "9999.23"),
        # buy back 5 @ 90 as maker: realised (90 - 100) x 5 x -1 = 50, fee 0.09; margin 500 x 5/10
        ([("sell", "10", "100", False), ("buy", "5", "90", True)], "-5", "100", "250", "50", "10049.36"),
        # flip: buy 15 @ 90 taker closes 10 (realised 100) and opens 5 long @ 90 (margin 225); fee 0.7425
        ([("sell", "10", "100", False), ("buy", "15", "90", False)], "5", "90", "225", "100", "10098.7075"),
        # close exactly: no position left
        ([("sell", "10", "100", False), ("buy", "10", "100", False)], None, None, None, "0", "9998.9"),
    ],
)
def test_linear_fill_when_trades_applied_then_position_realised_pnl_and_wallet_exact(
    fills: list[tuple[str, str, str, bool]],
    size: str | None,
    entry: str | None,
    margin: str | None,
    realised: str,
    wallet: str,
) -> None:
    ledger = account()
    total_realised = D(0)
    for side, qty, price, maker in fills:
        total_realised += ledger.linear_fill(SOL, Side(side), D(qty), D(price), maker, NOW).realised
    position = ledger.positions.get("SOLUSDT")
    if size is None:
        assert position is None
    else:
        assert position is not None
        assert (position.size, position.entry, position.margin) == (D(size), D(entry), D(margin))
    assert total_realised == D(realised)
    assert ledger.coins["USDT"] == D(wallet)


@pytest.mark.parametrize(
    ("side", "usdt", "sol", "fee", "fee_coin"),
    [
        ("buy", "9800", "1.998", "0.002", "SOL"),  # buy 2 @ 100: the 0.1 % fee comes out of the SOL received
        ("sell", "10199.8", "3", "0.2", "USDT"),  # sell 2 @ 100: the fee comes out of the USDT received
    ],
)
def test_spot_fill_when_traded_then_fee_taken_from_what_is_received(
    side: str, usdt: str, sol: str, fee: str, fee_coin: str
) -> None:
    ledger = account(sol="5" if side == "sell" else "0")
    fill = ledger.spot_fill(SOL_SPOT, Side(side), D(2), D(100), maker=False)
    assert (ledger.coins["USDT"], ledger.coins["SOL"], fill.fee, fill.fee_coin) == (D(usdt), D(sol), D(fee), fee_coin)


@pytest.mark.parametrize(
    ("side", "rate", "paid", "wallet"),
    [
        ("buy", "0.0001", "0.1", "9999.35"),  # long pays a positive rate: 10 x 100 x 0.01 %
        ("sell", "0.0001", "-0.1", "9999.55"),  # short receives it
        ("sell", "-0.0003", "0.3", "9999.15"),  # short pays a negative rate
    ],
)
def test_settle_funding_when_rate_then_longs_pay_positive_rates_on_value_at_mark(
    side: str, rate: str, paid: str, wallet: str
) -> None:
    ledger = account()
    ledger.linear_fill(SOL, Side(side), D(10), D(100), False, NOW)  # taker fee 0.55
    assert ledger.settle_funding("SOLUSDT", D(rate), D(100), NOW) == D(paid)
    assert ledger.coins["USDT"] == D(wallet)
