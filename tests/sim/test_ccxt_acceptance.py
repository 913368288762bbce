"""Acceptance: the unmodified ccxt Bybit client against the simulator, through every call the bot makes."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import ccxt.async_support as ccxt
import pytest

from hedgesim import SimServer

pytestmark = pytest.mark.e2e

SOL = "SOL/USDT:USDT"
HOLD = 5  # seconds a hang or a lost reply holds the faulted request
IMPATIENT_MS = 2000  # a client timeout well under HOLD, yet ample for an answer on a busy 2-core machine


@contextlib.contextmanager
def impatient(client: Any) -> Iterator[Any]:
    """``client`` gives up on a request after ``IMPATIENT_MS`` inside the block (its usual timeout outside)."""
    usual, client.timeout = client.timeout, IMPATIENT_MS
    try:
        yield client
    finally:
        client.timeout = usual


async def test_load_markets_when_client_connects_then_spot_and_linear_markets_with_bybit_specs(client: Any) -> None:
    markets = await client.load_markets()
    assert set(markets) == {"BTC/USDT", "ETH/USDT", "SOL/USDT", "BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"}
    sol = markets[SOL]
    assert (sol["swap"], sol["linear"], sol["settle"], sol["contractSize"]) == (True, True, "USDT", 1.0)
    assert (sol["precision"]["price"], sol["precision"]["amount"], sol["limits"]["cost"]["min"]) == (0.01, 0.1, 5.0)
    assert sol["limits"]["leverage"]["max"] == 100.0


async def test_post_only_when_passive_then_it_rests_on_the_book(client: Any) -> None:
    # inside the synthetic spread (228.94 / 228.98 around 228.96): it becomes the best ask
    order = await client.create_order(SOL, "limit", "sell", 1, 228.97, {"postOnly": True, "clientOrderId": "hb1"})
    (resting,) = await client.fetch_open_orders(SOL)
    assert (resting["id"], resting["clientOrderId"], resting["status"], resting["postOnly"]) == (
        order["id"],
        "hb1",
        "open",
        True,
    )
    book = await client.fetch_order_book(SOL, 5)
    assert book["asks"][0] == [228.97, 1.0]


async def test_post_only_when_crossing_then_accepted_and_ends_cancelled_with_bybit_reason(client: Any) -> None:
    order = await client.create_order(SOL, "limit", "sell", 1, 228, {"postOnly": True})
    fetched = await client.fetch_order(order["id"], SOL, {"acknowledged": True})
    assert (fetched["status"], fetched["filled"]) == ("canceled", 0.0)
    assert fetched["info"]["rejectReason"] == "EC_PostOnlyWillTakeLiquidity"


async def test_reduce_only_when_no_position_then_invalid_order(client: Any) -> None:
    with pytest.raises(ccxt.InvalidOrder, match="110017"):
        await client.create_order(SOL, "limit", "buy", 1, 220, {"reduceOnly": True, "postOnly": True})


async def test_set_leverage_when_same_value_twice_then_bad_request_110043(client: Any) -> None:
    await client.set_leverage(2, SOL)
    with pytest.raises(ccxt.BadRequest, match="110043"):
        await client.set_leverage(2, SOL)


async def test_private_call_when_secret_is_wrong_then_authentication_error(connect: Callable[..., Any]) -> None:
    with pytest.raises(ccxt.AuthenticationError, match="10004"):
        await connect(secret="not-the-secret").fetch_balance()


async def test_private_call_when_key_is_unknown_then_authentication_error(connect: Callable[..., Any]) -> None:
    with pytest.raises(ccxt.AuthenticationError, match="10003"):
        await connect(api_key="someone-else").fetch_positions([SOL])


async def test_private_call_when_clocks_disagree_then_invalid_nonce(sim: SimServer, client: Any) -> None:
    await client.load_markets()
    sim.fault("clock_skew", skew_ms=60_000)  # the venue's clock a minute ahead: outside the 5 s window
    with pytest.raises(ccxt.InvalidNonce, match="10002"):
        await client.fetch_balance()


async def test_private_call_when_rate_limited_then_rate_limit_exceeded(sim: SimServer, client: Any) -> None:
    await client.load_markets()
    sim.fault("rate_limit", path="/v5/order/create", times=1)
    with pytest.raises(ccxt.RateLimitExceeded, match="10006"):
        await client.create_order(SOL, "limit", "sell", 1, 230, {"postOnly": True})
    assert not sim.engine.venue.orders.open_orders()  # refused, not processed


async def test_budget_when_more_requests_than_bybit_allows_per_second_then_10006_and_limit_headers(
    client: Any,
) -> None:
    await client.load_markets()
    await client.fetch_trading_fee(SOL)
    headers = client.last_response_headers
    assert (headers["X-Bapi-Limit"], headers["X-Bapi-Limit-Status"]) == ("5", "4")
    with pytest.raises(ccxt.RateLimitExceeded):
        await repeat(client.fetch_trading_fee, SOL, times=6)  # fee-rate allows 5 per second per key


# Bybit's "API Rate Limit Table" (docs/v5/rate-limit/rate-limit): per key, per endpoint, per second
BYBIT_LIMITS = [
    ("privatePostV5OrderCreate", {"category": "linear"}, "10"),
    ("privatePostV5OrderCreate", {"category": "spot"}, "20"),
    ("privatePostV5OrderCancel", {"category": "spot"}, "20"),
    ("privatePostV5OrderCancelAll", {"category": "linear"}, "10"),
    ("privateGetV5OrderRealtime", {"category": "linear", "settleCoin": "USDT"}, "50"),
    ("privateGetV5PositionList", {"category": "linear", "settleCoin": "USDT"}, "50"),
    ("privateGetV5AccountWalletBalance", {"accountType": "UNIFIED"}, "50"),
    ("privatePostV5AccountSetMarginMode", {"setMarginMode": "REGULAR_MARGIN"}, "5"),
    ("privatePostV5PositionSetLeverage", {"category": "linear"}, "10"),
    ("privateGetV5UserQueryApi", {}, "10"),
    ("privateGetV5AssetCoinQueryInfo", {}, "5"),
]


@pytest.mark.parametrize(("method", "params", "limit"), BYBIT_LIMITS)
async def test_budget_when_an_endpoint_is_called_then_its_limit_is_bybits_for_that_endpoint_and_category(
    client: Any, method: str, params: dict[str, str], limit: str
) -> None:
    with contextlib.suppress(ccxt.BadRequest, ccxt.ArgumentsRequired):  # a refused request counts all the same
        await getattr(client, method)(params)
    assert client.last_response_headers["X-Bapi-Limit"] == limit


async def test_budget_when_linear_orders_spend_theirs_then_spot_orders_still_have_their_own(client: Any) -> None:
    bad = {"symbol": "SOLUSDT", "side": "Buy", "orderType": "Limit", "qty": "0", "price": "1"}
    for _ in range(10):
        with contextlib.suppress(ccxt.BadRequest):
            await client.privatePostV5OrderCreate({"category": "linear"} | bad)
    with pytest.raises(ccxt.RateLimitExceeded):
        await client.privatePostV5OrderCreate({"category": "linear"} | bad)
    with contextlib.suppress(ccxt.InvalidOrder, ccxt.BadRequest):
        await client.privatePostV5OrderCreate({"category": "spot"} | bad)
    assert client.last_response_headers["X-Bapi-Limit-Status"] == "19"


async def repeat(call: Callable[..., Any], *args: Any, times: int) -> None:
    for _ in range(times):
        await call(*args)


async def test_create_when_reply_is_lost_then_request_timeout_while_the_order_rests(
    sim: SimServer, client: Any
) -> None:
    await client.load_markets()
    sim.fault("lose_response", path="/v5/order/create", times=1, delay=HOLD)
    with impatient(client), pytest.raises(ccxt.RequestTimeout):
        await client.create_order(SOL, "limit", "sell", 1, 230, {"postOnly": True, "clientOrderId": "hbLost1"})
    found = await client.fetch_open_orders(SOL, None, None, {"orderLinkId": "hbLost1"})
    assert [o["clientOrderId"] for o in found] == ["hbLost1"]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"kind": "http_error", "status": 502}, ccxt.ExchangeNotAvailable),
        ({"kind": "maintenance"}, ccxt.ExchangeNotAvailable),
        ({"kind": "ip_ban"}, ccxt.RateLimitExceeded),  # Bybit's 403, as ccxt reads it
        ({"kind": "hang", "delay": HOLD}, ccxt.RequestTimeout),
    ],
)
async def test_request_when_transport_fault_then_ccxt_raises_what_bybit_would_cause(
    sim: SimServer, client: Any, fault: dict[str, Any], error: type[Exception]
) -> None:
    await client.load_markets()
    sim.fault(path="/v5/market/tickers", times=1, **fault)
    with impatient(client), pytest.raises(error):
        await client.fetch_ticker(SOL)
    assert (await client.fetch_ticker(SOL))["last"] > 0  # the fault hit one request only


async def test_request_when_network_cut_then_connection_reset_unanswered_and_nothing_processed(
    sim: SimServer, client: Any
) -> None:
    await client.load_markets()
    cut = sim.fault("network_cut")  # until removed: aiohttp re-sends a GET once on a fresh connection
    with pytest.raises(ccxt.NetworkError):
        await client.fetch_ticker(SOL)
    with pytest.raises(ccxt.NetworkError):
        await client.create_order(SOL, "limit", "sell", 1, 230, {"postOnly": True})
    assert not sim.engine.venue.orders.open_orders()
    cut_off = [r for r in sim.requests if r.faults == ("network_cut",)]
    assert cut_off
    assert {r.status for r in cut_off} == {0}  # recorded as dropped: no HTTP status at all
    sim.faults.remove(cut)
    assert (await client.fetch_ticker(SOL))["last"] > 0


async def test_request_when_latency_added_then_answered_after_the_delay(sim: SimServer, client: Any) -> None:
    sim.fault("latency", path="/v5/market/time", delay=0.2, times=1)
    await client.fetch_time()
    (record,) = [r for r in sim.requests if r.path == "/v5/market/time"]
    assert record.duration_ms >= 200
    assert record.faults == ("latency",)


async def test_fetch_order_when_closed_and_asked_by_client_id_then_realtime_returns_it(client: Any) -> None:
    await client.create_order(SOL, "limit", "sell", 1, 228, {"postOnly": True, "clientOrderId": "hbGone1"})
    response = await client.privateGetV5OrderRealtime(
        {"category": "linear", "symbol": "SOLUSDT", "orderLinkId": "hbGone1"}
    )
    assert [o["orderStatus"] for o in response["result"]["list"]] == ["Cancelled"]
    assert await client.fetch_open_orders(SOL) == []


async def test_positions_when_flat_then_by_symbol_a_flat_row_and_by_settle_coin_none(client: Any) -> None:
    (flat,) = await client.fetch_positions([SOL])
    assert (flat["contracts"], flat["side"]) == (0.0, None)
    assert await client.fetch_positions() == []


async def test_positions_when_short_opened_then_signed_size_entry_and_leverage(client: Any) -> None:
    await client.set_leverage(2, SOL)
    await client.create_order(SOL, "market", "sell", 3)
    (short,) = await client.fetch_positions()
    assert (short["side"], short["contracts"], short["leverage"]) == ("short", 3.0, 2.0)
    assert short["entryPrice"] == 228.94  # the best bid of the synthetic book at 228.96
    trades = await client.fetch_my_trades(SOL)
    assert [(t["side"], t["amount"], t["takerOrMaker"]) for t in trades] == [("sell", 3.0, "taker")]


async def test_funding_history_when_intervals_pass_then_one_entry_per_settlement(sim: SimServer, client: Any) -> None:
    await client.create_order(SOL, "market", "sell", 3)
    sim.advance(timedelta(hours=17))
    history = await client.fetch_funding_history(SOL)
    assert [h["datetime"] for h in history] == ["2025-10-09T08:00:00.000Z", "2025-10-09T16:00:00.000Z"]


async def test_cancel_all_when_orders_rest_then_every_one_cancelled(client: Any) -> None:
    for price in (230, 231):
        await client.create_order(SOL, "limit", "sell", 1, price, {"postOnly": True})
    cancelled = await client.cancel_all_orders(SOL)
    assert len(cancelled) == 2
    assert await client.fetch_open_orders(SOL) == []


async def test_cancel_when_asked_by_client_id_then_that_order_is_cancelled(client: Any) -> None:
    await client.create_order(SOL, "limit", "sell", 1, 230, {"postOnly": True, "clientOrderId": "hbKeep"})
    await client.create_order(SOL, "limit", "sell", 1, 231, {"postOnly": True, "clientOrderId": "hbDrop"})
    await client.cancel_order(None, SOL, {"orderLinkId": "hbDrop"})
    assert [o["clientOrderId"] for o in await client.fetch_open_orders(SOL)] == ["hbKeep"]


async def test_spot_when_limit_buy_rests_then_quote_is_used_and_holdings_unchanged(client: Any) -> None:
    before = await client.fetch_balance()
    await client.create_order("SOL/USDT", "limit", "buy", 1, 200)
    after = await client.fetch_balance()
    assert after["USDT"]["used"] == 200.0
    assert after["SOL"]["total"] == before["SOL"]["total"]


async def test_instruments_when_paged_then_cursor_walks_every_linear_instrument(client: Any) -> None:
    names, cursor = [], None
    while True:
        params = {"category": "linear", "limit": 2} | ({"cursor": cursor} if cursor else {})
        result = (await client.publicGetV5MarketInstrumentsInfo(params))["result"]
        names += [item["symbol"] for item in result["list"]]
        cursor = result["nextPageCursor"]
        if not cursor:
            break
    assert names == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]


async def test_unknown_path_when_requested_then_404_and_logged(sim: SimServer, client: Any) -> None:
    with pytest.raises(ccxt.ExchangeNotAvailable):
        await client.publicGetV5MarketOpenInterest({"category": "linear"})
    assert sim.requests[-1].status == 404


async def test_leverage_tiers_when_fetched_then_bybit_published_btc_table_and_each_perpetual_s_tiers(
    client: Any,
) -> None:
    await client.load_markets()
    btc = await client.fetch_market_leverage_tiers("BTC/USDT:USDT")
    assert len(btc) == 20
    assert [(t["tier"], t["maxNotional"], t["maintenanceMarginRate"], t["maxLeverage"]) for t in btc[:3]] == [
        (1, 2_000_000.0, 0.005, 100.0),
        (2, 2_600_000.0, 0.0056, 90.0),
        (3, 3_200_000.0, 0.0063, 80.0),
    ]
    assert (btc[-1]["maxNotional"], btc[-1]["info"]["mmDeduction"]) == (80_000_000.0, "1482000")
    (sol,) = await client.fetch_market_leverage_tiers(SOL)
    assert (sol["maxLeverage"], sol["maintenanceMarginRate"]) == (100.0, 0.005)


async def test_risk_limit_when_paged_then_15_symbols_a_page_and_integers_where_documented(client: Any) -> None:
    result = (await client.publicGetV5MarketRiskLimit({"category": "linear"}))["result"]
    assert {row["symbol"] for row in result["list"]} == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    assert result["nextPageCursor"] == ""
    assert {(type(row["id"]), type(row["isLowestRisk"])) for row in result["list"]} == {(int, int)}
