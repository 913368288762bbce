"""Acceptance: in cross margin spot coins count as collateral at their collateral value ratio (USDT alone in
isolated margin), in the margin balance, in what an order may use, and in the wallet reply.

Help centre, "Understanding Collateral Value Ratios in Unified Trading Account": wallet balance (USD) = sum of
quantity x USD index price x collateral value ratio; margin balance = that + perpetual unrealised PnL; available =
margin balance - initial margin (docs/v5/account/wallet-balance, totalAvailableBalance).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt
import pytest

from hedgesim import SimConfig, SimExchange, SimReject, bybit_client, running_sim
from hedgesim.collateral import CollateralTier, collateral_quantity
from hedgesim.enums import MarginMode, Side
from hedgesim.instruments import Category
from hedgesim.orders import NewOrder, OrderType
from tests.sim.conftest import TEST_CLIENT
from tests.sim.factories import D

pytestmark = pytest.mark.e2e

SOL = "SOL/USDT:USDT"
TIERED = (CollateralTier(D("0.98"), D(10)), CollateralTier(D("0.95"), D(20)), CollateralTier(D(0)))


@pytest.mark.parametrize(
    ("qty", "tiers", "counted"),
    [
        ("100", (CollateralTier(D("0.95")),), "95"),
        ("5", TIERED, "4.9"),  # all in the first tier
        ("15", TIERED, "14.55"),  # the help centre's shape: 10 x 0.98 + 5 x 0.95
        ("25", TIERED, "19.3"),  # beyond the last ratio's bound: the rest counts for nothing
        ("-3", TIERED, "-3"),  # a liability counts in full
    ],
)
def test_collateral_quantity_when_tiered_then_each_part_at_its_ratio(
    qty: str, tiers: tuple[CollateralTier, ...], counted: str
) -> None:
    assert collateral_quantity(D(qty), tiers) == D(counted)


def account(mode: MarginMode) -> SimExchange:
    """The bundled sample: 1 000 USDT and 100 SOL (about 22 900 USDT)."""
    return SimExchange.deterministic(SimConfig(balances={"USDT": D(1000), "SOL": D(100)}, margin_mode=mode))


async def wallet(client: Any) -> dict[str, Any]:
    reply = await client.privateGetV5AccountWalletBalance({"accountType": "UNIFIED"})
    return dict(reply["result"]["list"][0])


async def test_cross_when_spot_coins_held_then_margin_balance_counts_them_at_the_collateral_ratio() -> None:
    engine = account(MarginMode.CROSS)
    async with running_sim(engine=engine) as sim:
        client = bybit_client(sim.url, sim.api_key, sim.api_secret, **TEST_CLIENT)
        try:
            sol_price = Decimal(str((await client.fetch_ticker("SOL/USDT"))["last"]))
            counted = D(1000) + 100 * sol_price * D("0.95")
            before = await wallet(client)
            assert Decimal(before["totalWalletBalance"]) == counted
            assert Decimal(before["totalMarginBalance"]) == counted
            assert Decimal(before["totalAvailableBalance"]) == counted
            assert Decimal(before["totalEquity"]) == D(1000) + 100 * sol_price  # equity: no ratio
            await client.set_leverage(2, SOL)
            order = await client.create_order(SOL, "market", "sell", 30)  # about 3 435 USDT of margin: > 1 000
            assert (await client.fetch_order(order["id"], SOL, {"acknowledged": True}))["status"] == "closed"
            after = await wallet(client)
            assert Decimal(after["totalAvailableBalance"]) == Decimal(after["totalMarginBalance"]) - Decimal(
                after["totalInitialMargin"]
            )
        finally:
            await client.close()


async def test_isolated_when_spot_coins_held_then_only_usdt_backs_perpetual_orders() -> None:
    async with running_sim(engine=account(MarginMode.ISOLATED)) as sim:
        client = bybit_client(sim.url, sim.api_key, sim.api_secret, **TEST_CLIENT)
        try:
            await client.set_leverage(2, SOL)
            with pytest.raises(ccxt.InsufficientFunds, match="110007"):
                await client.create_order(SOL, "market", "sell", 30)
        finally:
            await client.close()


def test_withdraw_when_the_coins_back_a_cross_position_then_refused_beyond_what_the_margin_spares() -> None:
    ex = account(MarginMode.CROSS)
    ex.set_leverage("SOLUSDT", D(2))
    ex.place_order(NewOrder(Category.LINEAR, "SOLUSDT", Side.SELL, OrderType.MARKET, D(30)))  # ~3 435 of margin
    with pytest.raises(SimReject) as info:
        ex.withdraw("SOL", D(90))  # 90 x 229 x 0.95 ~ 19 580 of collateral: more than the margin spares
    assert info.value.ret_code == 131001
    ex.withdraw("SOL", D(10))
    assert ex.venue.account.coins["SOL"] == D(90)
