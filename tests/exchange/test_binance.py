"""Binance demo trading, request level: spot wallet on binance, USD-M perpetuals on binanceusdm, behind one port."""

from __future__ import annotations

import pytest

from bot.config import VenueMode
from bot.domain import Balance, MarginMode, MarketType, OrderStatus, Side
from bot.errors import PostOnlyWouldTake, ReduceOnlyRejected, VenueUnsupported
from bot.exchange.ccxt_adapter import CcxtExchange
from bot.exchange.port import OrderRequest
from tests.exchange.fake_http import FakeSession, Reply
from tests.exchange.venues import CLIENT_ID, D, build, fixture, recorded_reply

LTC_SELL = OrderRequest("LTC/USDT:USDT", Side.SELL, D("0.2"), D("50"), CLIENT_ID, reduce_only=True)


def binance_error(code: int, message: str) -> Reply:
    return Reply({"code": code, "msg": message}, 400)


def our_open_order() -> dict[str, str]:
    """The recorded USD-M GTX order, carrying our client id."""
    return {**recorded_reply("binance", "fetchOpenOrder", "swap open order"), "clientOrderId": CLIENT_ID}


async def test_load_markets_when_demo_then_spot_and_usdm_listings_come_from_their_own_hosts(
    session: FakeSession,
) -> None:
    raw = fixture("binance/exchangeInfo.symbols.raw.json")
    session.route("GET", "/api/v3/exchangeInfo", {"timezone": "UTC", "serverTime": 1, "symbols": raw["spot"]})
    session.route("GET", "/fapi/v1/exchangeInfo", {"timezone": "UTC", "serverTime": 1, "symbols": raw["linear"]})
    port = build("binance", VenueMode.DEMO, session, markets=False)
    markets = await port.load_markets()
    await port.close()
    assert sorted((r.host, r.path) for r in session.requests) == [
        ("demo-api.binance.com", "/api/v3/exchangeInfo"),
        ("demo-fapi.binance.com", "/fapi/v1/exchangeInfo"),
    ]
    perp, spot = markets["BTC/USDT:USDT"], markets["BTC/USDT"]
    assert (perp.type, perp.tick_size, perp.lot_step, perp.min_notional) == (MarketType.PERP, D("0.1"), D("0.001"), 5)
    assert (spot.type, spot.settle) == (MarketType.SPOT, None)


async def test_balances_when_wallets_are_separate_then_spot_and_margin_are_read_apart(
    binance: CcxtExchange, session: FakeSession
) -> None:
    session.route("GET", "/api/v3/account", recorded_reply("binance", "fetchBalance", "Spot balance"))
    account = recorded_reply("binance", "fetchPositions", "Fetch linear positions using account endnpoint")
    session.route("GET", "/fapi/v3/account", account)  # the shape binanceusdm's fetch_balance reads
    spot = await binance.fetch_spot_balances()
    margin = await binance.fetch_margin_balances()
    assert spot == {
        "LTC": Balance("LTC", D("0.919741"), D(0), D("0.919741")),
        "ETH": Balance("ETH", D("0.02229833"), D(0), D("0.02229833")),
    }
    assert "USDT" in margin
    assert "LTC" not in margin
    assert [r.host for r in session.requests] == ["demo-api.binance.com", "demo-fapi.binance.com"]


async def test_place_order_when_post_only_then_gtx_with_our_client_id_and_the_state_comes_back_directly(
    binance: CcxtExchange, session: FakeSession
) -> None:
    session.route("POST", "/fapi/v1/order", our_open_order())
    order = await binance.place_order(LTC_SELL)
    (create,) = session.requests  # the reply carries the order's state: nothing to read back
    assert create.host == "demo-fapi.binance.com"
    assert {k: create.params[k] for k in ("symbol", "side", "type", "quantity", "price", "timeInForce")} == {
        "symbol": "LTCUSDT",
        "side": "SELL",
        "type": "LIMIT",
        "quantity": "0.2",
        "price": "50",
        "timeInForce": "GTX",
    }
    assert (create.params["newClientOrderId"], create.params["reduceOnly"]) == (CLIENT_ID, "true")
    assert (order.status, order.client_order_id, order.order_id, order.post_only) == (
        OrderStatus.OPEN,
        CLIENT_ID,
        "664082074",
        True,
    )


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (
            binance_error(
                -5022, "Due to the order could not be executed as maker, the Post Only order will be rejected."
            ),
            PostOnlyWouldTake,
        ),
        (binance_error(-2022, "ReduceOnly Order is rejected."), ReduceOnlyRejected),
    ],
)
async def test_place_order_when_binance_rejects_synchronously_then_our_error(
    binance: CcxtExchange, session: FakeSession, reply: Reply, error: type[Exception]
) -> None:
    session.route("POST", "/fapi/v1/order", reply)
    with pytest.raises(error):
        await binance.place_order(LTC_SELL)
    assert len(session.requests) == 1


async def test_fetch_order_when_by_client_id_then_orig_client_order_id_is_asked(
    binance: CcxtExchange, session: FakeSession
) -> None:
    session.route("GET", "/fapi/v1/order", our_open_order())
    order = await binance.fetch_order("LTC/USDT:USDT", client_order_id=CLIENT_ID)
    assert order is not None
    assert order.remaining == D("0.2")
    assert (session.requests[0].query["symbol"], session.requests[0].query["origClientOrderId"]) == (
        "LTCUSDT",
        CLIENT_ID,
    )


async def test_fetch_order_when_binance_does_not_know_it_then_none(binance: CcxtExchange, session: FakeSession) -> None:
    session.route("GET", "/fapi/v1/order", binance_error(-2013, "Order does not exist."))
    assert await binance.fetch_order("LTC/USDT:USDT", client_order_id=CLIENT_ID) is None


async def test_cancel_order_when_by_client_id_then_delete_with_orig_client_order_id(
    binance: CcxtExchange, session: FakeSession
) -> None:
    session.route("DELETE", "/fapi/v1/order", {**our_open_order(), "status": "CANCELED"})
    await binance.cancel_order("LTC/USDT:USDT", client_order_id=CLIENT_ID)
    assert session.requests[0].query["origClientOrderId"] == CLIENT_ID


@pytest.mark.parametrize(("sign", "contracts"), [("", "0.009"), ("-", "-0.009")])
async def test_fetch_positions_when_one_way_then_one_request_and_signed_sizes(
    binance: CcxtExchange, session: FakeSession, sign: str, contracts: str
) -> None:
    reply = recorded_reply("binance", "fetchPositions", "Fetch linear positions without symbols")
    reply[0].update(positionAmt=sign + reply[0]["positionAmt"], notional=sign + reply[0]["notional"])  # a short
    session.route("GET", "/fapi/v3/positionRisk", reply)
    positions = await binance.fetch_positions(["BTC/USDT:USDT", "ETH/USDT:USDT"])
    btc = positions["BTC/USDT:USDT"]
    assert (btc.contracts, btc.entry_price, btc.liquidation_price) == (D(contracts), D("67445.9"), D("64846.9875379"))
    assert positions["ETH/USDT:USDT"].is_flat
    assert [r.path for r in session.requests] == ["/fapi/v3/positionRisk"]


async def test_fetch_perp_tickers_when_read_then_24h_ticker_and_premium_index_merge(
    binance: CcxtExchange, session: FakeSession
) -> None:
    # Binance's documented shapes for GET /fapi/v1/ticker/24hr and GET /fapi/v1/premiumIndex
    session.route(
        "GET",
        "/fapi/v1/ticker/24hr",
        [{"symbol": "BTCUSDT", "lastPrice": "67500.10", "openPrice": "66000", "closeTime": 1760097600000}],
    )
    session.route(
        "GET",
        "/fapi/v1/premiumIndex",
        [
            {
                "symbol": "BTCUSDT",
                "markPrice": "67502.68519858",
                "indexPrice": "67510.1",
                "lastFundingRate": "0.00010000",
                "nextFundingTime": 1760112000000,
                "time": 1760097600000,
            }
        ],
    )
    ticker = (await binance.fetch_perp_tickers(["BTC/USDT:USDT"]))["BTC/USDT:USDT"]
    assert (ticker.last, ticker.mark, ticker.index, ticker.funding_rate) == (
        D("67500.1"),
        D("67502.68519858"),
        D("67510.1"),
        D("0.0001"),
    )
    assert len(session.requests) == 2


@pytest.mark.parametrize(("depth", "sent"), [(3, "5"), (5, "5"), (7, "10"), (30, "50")])
async def test_fetch_order_book_when_depth_is_not_one_binance_accepts_then_the_next_allowed_is_asked(
    binance: CcxtExchange, session: FakeSession, depth: int, sent: str
) -> None:
    session.route("GET", "/fapi/v1/depth", recorded_reply("binance", "fetchOrderBook", "swap orderbook"))
    book = await binance.fetch_order_book("BTC/USDT:USDT", depth)
    assert session.requests[0].query["limit"] == sent
    assert len(book.bids) == min(depth, 5)


@pytest.mark.parametrize("reply", [{"symbol": "LTCUSDT", "leverage": 2}, binance_error(-4046, "x")])
async def test_settings_when_set_or_already_so_then_success(
    binance: CcxtExchange, session: FakeSession, reply: object
) -> None:
    session.route("POST", "/fapi/v1/leverage", {"symbol": "LTCUSDT", "leverage": 2, "maxNotionalValue": "1000000"})
    session.route("POST", "/fapi/v1/marginType", reply)
    session.route("POST", "/fapi/v1/positionSide/dual", binance_error(-4059, "No need to change position side."))
    await binance.ensure_one_way_mode("LTC/USDT:USDT")
    await binance.set_margin_mode("LTC/USDT:USDT", MarginMode.ISOLATED)
    await binance.set_leverage("LTC/USDT:USDT", D(2))
    assert [
        (r.path, r.params.get("dualSidePosition") or r.params.get("marginType") or r.params.get("leverage"))
        for r in session.requests
    ] == [
        ("/fapi/v1/positionSide/dual", "false"),
        ("/fapi/v1/marginType", "ISOLATED"),
        ("/fapi/v1/leverage", "2"),
    ]


async def test_set_leverage_when_fractional_then_refused_before_sending(
    binance: CcxtExchange, session: FakeSession
) -> None:
    with pytest.raises(VenueUnsupported, match="whole-number leverage"):
        await binance.set_leverage("LTC/USDT:USDT", D("1.5"))
    assert session.requests == []


async def test_fetch_leverage_when_asked_then_read_from_symbol_config(
    binance: CcxtExchange, session: FakeSession
) -> None:
    # the recorded symbolConfig reply (ccxt reads margin mode and leverage from the same endpoint)
    session.route("GET", "/fapi/v1/symbolConfig", recorded_reply("binance", "fetchMarginMode"))
    assert await binance.fetch_leverage("BTC/USDT:USDT") == D(20)


async def test_fetch_funding_payments_when_binance_reports_income_then_paid_is_negative(
    binance: CcxtExchange, session: FakeSession
) -> None:
    session.route("GET", "/fapi/v1/income", recorded_reply("binance", "fetchFundingHistory"))
    (payment,) = await binance.fetch_funding_payments(["BTC/USDT:USDT"])
    assert (payment.payment_id, payment.amount, payment.currency) == ("8082457372019390060", D("-0.04618913"), "USDT")
    assert session.requests[0].query["incomeType"] == "FUNDING_FEE"


async def test_fetch_my_trades_when_read_then_taker_fill_with_fee(binance: CcxtExchange, session: FakeSession) -> None:
    session.route("GET", "/fapi/v1/userTrades", recorded_reply("binance", "fetchMyTrades", "Swap private trade"))
    (fill,) = await binance.fetch_my_trades(["BTC/USDT:USDT"])
    assert (fill.side, fill.amount, fill.price, fill.fee, fill.maker, fill.client_order_id) == (
        Side.BUY,
        D("0.01"),
        D("36567.1"),
        D("0.1462684"),
        False,
        None,  # Binance fills do not carry the client id: match them by order id
    )
