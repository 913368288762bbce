"""Acceptance: exact accounting over a scripted hedge (open short at 2x, price move, two fundings, partial close).

The script, on the synthetic crash sample (SOL 100, a bar up to 101, then 90; funding +0.01 % at 08:00 and
-0.03 % at 16:00), with Bybit's base-tier fees:

    00:00  post-only sell 10 @ 100.50 rests (the book is 99.99 / 100.01)
    00:05  the bar trades up to 101: filled as maker, fee 10 x 100.5 x 0.02 %          = 0.201
    00:10  the price falls to 90
    08:00  funding +0.01 % on 10 x 90: the short receives                             -0.09 paid
    16:00  funding -0.03 % on 10 x 90: the short pays                                  0.27 paid
    16:05  reduce-only market buy 4: fills at the ask 90.01 as taker, fee 4 x 90.01 x 0.055 % = 0.198022,
           realised (90.01 - 100.5) x 4 x -1                                          = 41.96

    wallet   10000 - 0.201 + 0.09 - 0.27 + 41.96 - 0.198022                           = 10041.380978
    position -6 @ 100.5; isolated margin: 502.5, funding in and out of it (+0.09 - 0.27) = 502.32,
             then 6/10 of it                                                          = 301.392
    positionIM: margin + fee to close 6 x 100.5 x (1 + 1/2) x 0.055 % (0.497475)      = 301.889475
    unrealised at 90: (90 - 100.5) x -6                                               = 63
    liquidation 100.5 + (301.392 - 6 x 100.5 x 0.5 %) / 6 = 150.2295, on the 0.01 tick = 150.23
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from hedgesim import SimServer, bybit_client, running_sim
from hedgesim.enums import MarginMode
from hedgesim.orders import ExecType
from tests.sim.conftest import TEST_CLIENT
from tests.sim.factories import D, crash_sample, exchange

pytestmark = pytest.mark.e2e

SOL = "SOL/USDT:USDT"


async def run_script(sim: SimServer, client: Any) -> None:
    await client.set_margin_mode("isolated", SOL)
    await client.set_leverage(2, SOL)
    await client.create_order(SOL, "limit", "sell", 10, 100.5, {"postOnly": True, "clientOrderId": "hbOpen"})
    sim.advance(timedelta(minutes=10))
    sim.advance(timedelta(hours=15, minutes=55))
    await client.create_order(SOL, "market", "buy", 4, None, {"reduceOnly": True})


@pytest.fixture
async def scripted() -> Any:
    engine = exchange(crash_sample(), usdt="10000", margin_mode=MarginMode.CROSS)
    async with running_sim(engine=engine) as sim:
        client = bybit_client(sim.url, sim.api_key, sim.api_secret, **TEST_CLIENT)
        try:
            await run_script(sim, client)
            yield sim, client
        finally:
            await client.close()


async def test_accounting_when_scripted_hedge_runs_then_engine_figures_are_exact(scripted: Any) -> None:
    sim, _ = scripted
    account = sim.engine.venue.account
    position = account.positions["SOLUSDT"]
    assert account.coins["USDT"] == D("10041.380978")
    assert account.cum_realised["SOLUSDT"] == D("41.380978")
    assert (position.size, position.entry, position.margin) == (D(-6), D("100.5"), D("301.392"))
    fees = [e.fee for e in sim.engine.executions if e.exec_type is ExecType.TRADE]
    funding = [e.fee for e in sim.engine.executions if e.exec_type is ExecType.FUNDING]
    assert (fees, funding) == ([D("0.201"), D("0.198022")], [D("-0.09"), D("0.27")])


async def test_accounting_when_read_through_ccxt_then_balances_position_and_fees_match(scripted: Any) -> None:
    _, client = scripted
    balance = await client.fetch_balance()
    assert (balance["USDT"]["total"], balance["USDT"]["used"], balance["USDT"]["free"]) == (
        10041.380978,
        301.889475,
        9739.491503,
    )
    (position,) = await client.fetch_positions()
    assert (position["side"], position["contracts"], position["entryPrice"]) == ("short", 6.0, 100.5)
    assert (position["unrealizedPnl"], position["liquidationPrice"], position["realizedPnl"]) == (
        63.0,
        150.23,
        41.380978,
    )
    trades = await client.fetch_my_trades(SOL)
    assert [(t["takerOrMaker"], t["price"], t["fee"]["cost"]) for t in trades] == [
        ("maker", 100.5, 0.201),
        ("taker", 90.01, 0.198022),
    ]
    funding = await client.fetch_funding_history(SOL)
    assert [f["amount"] for f in funding] == [-0.09, 0.27]


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("walletBalance", "10041.380978"),
        ("totalPositionIM", "301.889475"),
        ("unrealisedPnl", "63"),
        ("cumRealisedPnl", "41.380978"),
    ],
)
async def test_accounting_when_wallet_read_raw_then_exact_decimal_strings(
    scripted: Any, field: str, expected: str
) -> None:
    _, client = scripted
    response = await client.privateGetV5AccountWalletBalance({"accountType": "UNIFIED"})
    usdt = next(c for c in response["result"]["list"][0]["coin"] if c["coin"] == "USDT")
    assert Decimal(usdt[field]) == Decimal(expected)
