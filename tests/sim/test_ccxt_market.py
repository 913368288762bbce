"""Specification, through ccxt, of replayed market data and of the account modes, on hand-made candles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import ccxt.async_support as ccxt
import pytest

from hedgesim import SimServer, bybit_client, running_sim
from tests.sim.conftest import TEST_CLIENT
from tests.sim.factories import D, crash_sample, exchange

pytestmark = pytest.mark.e2e

SOL = "SOL/USDT:USDT"
T0_MS = 1_735_689_600_000  # 2025-01-01 00:00 UTC, the crash sample's start


@pytest.fixture
async def crash() -> AsyncIterator[tuple[SimServer, Any]]:
    """SOL 100, a bar up to 101, then 90; funding 0 / +0.01 % / -0.03 % / +0.01 % every 8 h."""
    async with running_sim(engine=exchange(crash_sample())) as sim:
        client = bybit_client(sim.url, sim.api_key, sim.api_secret, **TEST_CLIENT)
        try:
            yield sim, client
        finally:
            await client.close()


async def test_ohlcv_when_bars_replayed_then_candles_of_the_sample_up_to_now(crash: tuple[SimServer, Any]) -> None:
    sim, client = crash
    sim.advance(timedelta(minutes=15))
    candles = await client.fetch_ohlcv(SOL, "5m", limit=4)
    # 00:00 flat 100; 00:05 100 -> 101; 00:10 flat 90; 00:15 just opened at 90
    assert [c[:5] for c in candles] == [
        [T0_MS, 100.0, 100.0, 100.0, 100.0],
        [T0_MS + 300_000, 100.0, 101.0, 100.0, 101.0],
        [T0_MS + 600_000, 90.0, 90.0, 90.0, 90.0],
        [T0_MS + 900_000, 90.0, 90.0, 90.0, 90.0],
    ]


async def test_funding_rate_history_when_settlements_passed_then_recorded_rates_up_to_now(
    crash: tuple[SimServer, Any],
) -> None:
    sim, client = crash
    sim.advance(timedelta(hours=17))
    history = await client.fetch_funding_rate_history(SOL)
    assert [(h["timestamp"] - T0_MS, h["fundingRate"]) for h in history] == [
        (0, 0.0),
        (8 * 3_600_000, 0.0001),
        (16 * 3_600_000, -0.0003),
    ]


async def test_ticker_when_perpetual_then_mark_index_funding_rate_and_next_funding_time(
    crash: tuple[SimServer, Any],
) -> None:
    sim, client = crash
    sim.advance(timedelta(hours=9))
    ticker = await client.fetch_ticker(SOL)
    info = ticker["info"]
    assert (ticker["markPrice"], ticker["indexPrice"]) == (90.0, 90.0)
    assert (info["fundingRate"], int(info["nextFundingTime"]) - T0_MS) == ("-0.0003", 16 * 3_600_000)


async def test_order_book_when_market_data_is_stale_then_its_timestamp_stays_behind(
    crash: tuple[SimServer, Any],
) -> None:
    sim, client = crash
    sim.engine.freeze()
    sim.advance(timedelta(minutes=30))
    book = await client.fetch_order_book(SOL, 5)
    assert (book["timestamp"], book["bids"][0][0]) == (T0_MS, 99.99)  # as of the freeze, before the fall to 90


async def test_position_mode_when_switched_to_hedge_then_orders_refused_and_two_rows_per_symbol(
    crash: tuple[SimServer, Any],
) -> None:
    _, client = crash
    await client.set_position_mode(True, SOL)
    assert [p["info"]["positionIdx"] for p in await client.fetch_positions([SOL])] == [1, 2]  # integers (docs)
    with pytest.raises(ccxt.BadRequest, match="position idx not match position mode"):
        await client.create_order(SOL, "limit", "sell", 1, 101, {"postOnly": True})
    await client.set_position_mode(False, SOL)
    with pytest.raises(ccxt.NoChange, match="110025"):
        await client.set_position_mode(False, SOL)


async def test_margin_mode_when_a_position_is_open_then_switching_is_refused(crash: tuple[SimServer, Any]) -> None:
    _, client = crash
    await client.create_order(SOL, "market", "sell", 1)
    with pytest.raises(ccxt.ExchangeError, match="3400045"):
        await client.set_margin_mode("isolated", SOL)
    assert (await client.fetch_margin_mode(SOL))["marginMode"] == "cross"


async def test_cross_margin_when_losses_exceed_the_wallet_then_every_position_is_liquidated(
    crash: tuple[SimServer, Any],
) -> None:
    sim, client = crash
    sim.engine.withdraw("USDT", sim.engine.venue.account.coins["USDT"] - 200)  # 200 USDT left
    await client.create_order(SOL, "market", "buy", 15)  # long 1500 USDT at the default 10x: 150 margin
    sim.engine.gap("SOL", D("-0.2"))  # mark 80: the loss (80 - 100.01) x 15 = -300.15 exceeds the wallet
    assert await client.fetch_positions() == []
    assert [t.symbol for t in sim.engine.venue.liquidations] == ["SOLUSDT"]


async def position_row(client: Any) -> dict[str, Any]:
    reply = await client.privateGetV5PositionList({"category": "linear", "symbol": "SOLUSDT"})
    (row,) = reply["result"]["list"]
    return dict(row)


async def test_position_row_when_never_traded_then_seq_minus_one_as_documented(crash: tuple[SimServer, Any]) -> None:
    _, client = crash
    row = await position_row(client)
    assert (row["seq"], row["side"], row["size"]) == (-1, "", "0")  # docs/v5/position/position: seq -1


async def test_position_row_when_reopened_then_created_time_stays_that_of_the_first_position(
    crash: tuple[SimServer, Any],
) -> None:
    sim, client = crash
    await client.create_order(SOL, "market", "sell", 1)  # opened at T0
    sim.advance(timedelta(minutes=10))
    await client.create_order(SOL, "market", "buy", 1, None, {"reduceOnly": True})  # flat at T0 + 10 min
    flat = await position_row(client)
    sim.advance(timedelta(minutes=10))
    await client.create_order(SOL, "market", "sell", 2)  # reopened at T0 + 20 min
    reopened = await position_row(client)
    last_seq = sim.engine.executions[-1].seq
    assert (flat["createdTime"], flat["updatedTime"], flat["seq"]) == (str(T0_MS), str(T0_MS + 600_000), last_seq - 1)
    assert (reopened["createdTime"], reopened["updatedTime"], reopened["seq"]) == (
        str(T0_MS),
        str(T0_MS + 1_200_000),
        last_seq,
    )


async def test_recent_trades_when_the_market_moved_then_its_path_and_volume_printed_newest_first(
    crash: tuple[SimServer, Any],
) -> None:
    sim, client = crash
    sim.advance(timedelta(minutes=10))  # 00:00 flat 100; 00:05 100 -> 101, each bar 100 000 traded
    raw = await client.publicGetV5MarketRecentTrade({"category": "linear", "symbol": "SOLUSDT", "limit": 1000})
    times = [int(row["time"]) for row in raw["result"]["list"]]
    assert times == sorted(times, reverse=True)  # newest first, as Bybit lists them
    trades = await client.fetch_trades(SOL, limit=1000)
    assert (min(t["price"] for t in trades), max(t["price"] for t in trades)) == (100.0, 101.0)
    assert times[0] == T0_MS + 600_000
    total = sum(D(str(t["amount"])) for t in trades)
    assert D(199_900) <= total <= D(200_000)  # each second's volume on the lot step
    above = sum(D(str(t["amount"])) for t in trades if t["price"] > 100.5)
    assert D(49_800) <= above <= D(50_100)  # what resting sells above 100.5 fill from: half a leg, then a leg
