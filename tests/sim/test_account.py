"""Specification of the account's arithmetic: margins, liquidation prices, fills, fees and funding."""

from __future__ import annotations

import pytest

from hedgesim.account import Account, Fees
from hedgesim.enums import MarginMode, Side
from hedgesim.instruments import perp_instrument, spot_instrument
from hedgesim.margin import cross_liquidation, isolated_prices
from tests.sim.factories import D

SOL = perp_instrument("SOL", D(100))  # MMR 0.5 % in its first risk tier
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
    ("size", "spare", "price"),
    [
        ("-10", "1000", D(2000) / D("10.05")),  # (1000 + 100 x 10) / (10 x 1.005)
        ("10", "500", D(500) / D("9.95")),  # (100 x 10 - 500) / (10 x 0.995)
        ("10", "1000", None),  # the spare equity covers the whole value: no liquidation price
    ],
)
def test_cross_liquidation_when_spare_equity_then_price_where_equity_meets_maintenance(
    size: str, spare: str, price: object
) -> None:
    assert cross_liquidation(SOL, D(size), D(100), D(spare)) == price


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
