"""Bybit v5, request level: markets, balances, prices, positions, fills, funding and settings from recorded replies."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import unquote

import pytest

from bot.config import VenueMode
from bot.domain import Balance, BookLevel, MarginMode, MarketType, OrderStatus, Side
from bot.errors import AuthenticationFailed, DataError, ExchangeUnavailable
from bot.exchange.ccxt_adapter import CcxtExchange
from tests.exchange.fake_http import FakeSession, Reply
from tests.exchange.venues import (
    CLIENT_ID,
    D,
    build,
    bybit_order_row,
    bybit_reply,
    recorded_reply,
    recorded_request,
    serve_bybit_instruments,
)


def utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def spot_ticker(symbol: str, bid: str, ask: str, last: str) -> dict[str, str]:
    """A /v5/market/tickers?category=spot row (Bybit's documented shape)."""
    return {
        "symbol": symbol,
        "bid1Price": bid,
        "bid1Size": "12.5",
        "ask1Price": ask,
        "ask1Size": "8.1",
        "lastPrice": last,
        "prevPrice24h": last,
        "price24hPcnt": "0",
        "highPrice24h": ask,
        "lowPrice24h": bid,
        "turnover24h": "1000000",
        "volume24h": "14000",
    }


@pytest.mark.parametrize(
    ("symbol", "kind", "tick", "lot", "min_qty", "min_notional", "max_leverage"),
    [
        ("LTC/USDT:USDT", MarketType.PERP, "0.01", "0.1", "0.1", "5", "50"),
        ("BTC/USDT:USDT", MarketType.PERP, "0.1", "0.001", "0.001", "5", "100"),
        ("LTC/USDT", MarketType.SPOT, "0.01", "0.00001", "0.00923", "5", "2"),
    ],
)
async def test_load_markets_when_bybit_lists_instruments_then_markets_carry_its_rules(
    session: FakeSession,
    symbol: str,
    kind: MarketType,
    tick: str,
    lot: str,
    min_qty: str,
    min_notional: str,
    max_leverage: str,
) -> None:
    serve_bybit_instruments(session)
    port = build("bybit", VenueMode.TESTNET, session, markets=False)
    markets = await port.load_markets()
    await port.close()
    market = markets[symbol]
    assert (market.type, market.tick_size, market.lot_step, market.min_qty) == (kind, D(tick), D(lot), D(min_qty))
    assert (market.min_notional, market.max_leverage, market.contract_size) == (D(min_notional), D(max_leverage), 1)
    # spot and linear (ccxt asks for pre-launch linear listings separately); no currencies, inverse or options
    assert sorted(r.query["category"] for r in session.requests) == ["linear", "linear", "spot"]
    assert "BTC/USD:BTC" not in markets


async def test_fetch_balances_when_unified_account_then_one_wallet_serves_spot_and_margin(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    session.route("GET", "/v5/account/wallet-balance", recorded_reply("bybit", "fetchBalance"))
    spot = await bybit.fetch_spot_balances()
    margin = await bybit.fetch_margin_balances()
    assert spot == margin
    assert spot["USDT"] == Balance("USDT", free=D("3229.64065465"), used=D("92.61831144"), total=D("3322.25896609"))
    assert spot["LTC"] == Balance("LTC", free=D("0.02101953"), used=D(0), total=D("0.02101953"))
    assert [r.query for r in session.made("GET", "/v5/account/wallet-balance")] == [{"accountType": "UNIFIED"}] * 2


async def test_fetch_spot_quotes_when_many_assets_then_one_batched_request(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    rows = [spot_ticker("LTCUSDT", "70.10", "70.12", "70.11"), spot_ticker("ADAUSDT", "0.6001", "0.6003", "0.6002")]
    session.route("GET", "/v5/market/tickers", bybit_reply({"category": "spot", "list": rows}))
    quotes = await bybit.fetch_spot_quotes(["LTC", "ADA", "USDT", "NOTLISTED"])
    assert {a: (q.symbol, q.bid, q.ask, q.last) for a, q in quotes.items()} == {
        "LTC": ("LTC/USDT", D("70.10"), D("70.12"), D("70.11")),
        "ADA": ("ADA/USDT", D("0.6001"), D("0.6003"), D("0.6002")),
    }
    assert [r.query for r in session.requests] == [{"category": "spot"}]


async def test_fetch_perp_tickers_when_read_then_one_tickers_request_gives_prices_and_funding(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    reply = recorded_reply("bybit", "fetchFundingRate")
    session.route("GET", "/v5/market/tickers", reply)
    ticker = (await bybit.fetch_perp_tickers(["BTC/USDT:USDT"]))["BTC/USDT:USDT"]
    assert (ticker.last, ticker.mark, ticker.index) == (D("68577.50"), D("68591.46"), D("68599.90"))
    assert (ticker.bid, ticker.ask, ticker.funding_rate) == (D("68577.40"), D("68577.50"), D("0.0001"))
    assert (ticker.next_funding_time, ticker.funding_interval_hours) == (utc(1730736000000), 8)
    assert ticker.timestamp == utc(int(reply["time"]))  # Bybit tickers carry no time of their own: the reply's
    assert len(session.requests) == 1  # the funding rates are the tickers reply: no second call for bid, ask, last


async def test_fetch_order_book_when_asked_for_depth_then_levels_are_decimal_best_first(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    session.route("GET", "/v5/market/orderbook", recorded_reply("bybit", "fetchOrderBook", "swap orderbook"))
    book = await bybit.fetch_order_book("BTC/USDT:USDT", 2)
    assert book.bids == (BookLevel(D("42544.7"), D("172.404")), BookLevel(D("42544.5"), D("88.856")))
    assert book.asks == (BookLevel(D("42548"), D("108.998")), BookLevel(D("42548.2"), D("75.008")))
    assert book.timestamp == utc(1706803948569)
    assert session.requests[0].query == {"symbol": "BTCUSDT", "limit": "2", "category": "linear"}


@pytest.mark.parametrize(("side", "contracts"), [("Buy", "1.2"), ("Sell", "-1.2")])
async def test_fetch_positions_when_several_symbols_then_one_request_by_settle_coin_and_signed_sizes(
    bybit: CcxtExchange, session: FakeSession, side: str, contracts: str
) -> None:
    reply = recorded_reply("bybit", "fetchPositions")
    reply["result"]["list"][0]["side"] = side
    session.route("GET", "/v5/position/list", reply)
    positions = await bybit.fetch_positions(["LTC/USDT:USDT", "BTC/USDT:USDT"])
    ltc = positions["LTC/USDT:USDT"]
    assert (ltc.contracts, ltc.entry_price, ltc.mark_price, ltc.leverage) == (
        D(contracts),
        D("64.59947917"),
        D("71.1"),
        D(6),
    )
    assert (ltc.unrealized_pnl, ltc.liquidation_price) == (D("7.800625"), None)
    assert positions["BTC/USDT:USDT"].is_flat
    assert [r.query for r in session.requests] == [{"settleCoin": "USDT", "limit": "200", "category": "linear"}]


async def test_fetch_positions_when_the_account_is_in_hedge_mode_then_data_error(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    reply = recorded_reply("bybit", "fetchPositions")
    short = {**reply["result"]["list"][0], "side": "Sell", "positionIdx": "2"}
    reply["result"]["list"].append(short)
    session.route("GET", "/v5/position/list", reply)
    with pytest.raises(DataError, match="hedge mode"):
        await bybit.fetch_positions(["LTC/USDT:USDT"])


async def test_fetch_open_orders_when_several_symbols_then_one_request_and_only_those_symbols(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    ours = bybit_order_row(orderLinkId=CLIENT_ID)
    other = bybit_order_row(symbol="ETHUSDT", orderId="e7c2", price="2500")
    session.route("GET", "/v5/order/realtime", bybit_reply({"category": "linear", "list": [ours, other]}))
    orders = await bybit.fetch_open_orders(["BTC/USDT:USDT", "LTC/USDT:USDT"])
    assert [(o.symbol, o.client_order_id, o.status, o.remaining) for o in orders] == [
        ("BTC/USDT:USDT", CLIENT_ID, OrderStatus.OPEN, D("0.001"))
    ]
    assert [r.query for r in session.requests] == [{"settleCoin": "USDT", "category": "linear", "limit": "50"}]


async def test_fetch_my_trades_when_since_is_given_then_one_request_for_the_category_gives_fills_in_contracts(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    reply = recorded_reply("bybit", "fetchMyTrades", "Swap private trade")
    reply["result"]["list"][0].update(execType="Trade", isMaker=True, orderLinkId=CLIENT_ID)  # made one of ours
    last_page = {**reply, "result": {**reply["result"], "list": [], "nextPageCursor": ""}}
    session.route("GET", "/v5/execution/list", reply, last_page)  # every page is read, up to an empty one
    (fill,) = await bybit.fetch_my_trades(["LTC/USDT:USDT"], since=utc(1699948000000))
    assert (fill.trade_id, fill.order_id, fill.client_order_id) == (
        "6dff7827-9774-4881-b275-d2b9eec1ce9b",
        "4dbe586c-8706-4d73-a3b0-f60a60955e95",
        CLIENT_ID,
    )
    assert (fill.side, fill.amount, fill.price, fill.fee, fill.fee_currency, fill.maker) == (
        Side.BUY,
        D("1.2"),
        D("72.25"),
        D("0.00867"),
        "USDT",
        True,
    )
    assert session.requests[0].query == {  # no symbol: every linear perpetual's fills in one request
        "execType": "Trade",
        "category": "linear",
        "startTime": "1699948000000",
        "limit": "100",
    }


async def test_fetch_funding_payments_when_bybit_reports_fees_then_received_is_positive_from_one_category_read(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    reply = recorded_reply("bybit", "fetchFundingHistory")
    last_page = {**reply, "result": {**reply["result"], "list": [], "nextPageCursor": ""}}
    session.route("GET", "/v5/execution/list", reply, last_page)  # every page is read, up to an empty one
    payments = await bybit.fetch_funding_payments(["LTC/USDT:USDT"])
    # execFee -0.00708126 (rate -0.000881, long): received; 0.0007797 (rate 0.0001, long): paid
    assert sorted((p.timestamp, p.amount, p.rate) for p in payments) == [
        (utc(1710864000000), D("0.00236058"), D("-0.000293")),
        (utc(1710892800000), D("-0.0007797"), D("0.0001")),
        (utc(1710921600000), D("0.00708126"), D("-0.000881")),
    ]
    recorded = recorded_request("fetchFundingHistory", "funding history linear")
    # the first page is what ccxt's recording sends, for the whole category: no symbol
    assert session.requests[0].url == recorded["url"].replace("symbol=LTCUSDT&", "")
    assert session.requests[1].query["cursor"] == unquote(reply["result"]["nextPageCursor"])  # then the cursor


@pytest.mark.parametrize(("leverage", "sent"), [(D(2), "2"), (D("1.5"), "1.5"), (D(1), "1")])
async def test_set_leverage_when_set_then_both_sides_are_sent_as_ccxt_records(
    bybit: CcxtExchange, session: FakeSession, leverage: D, sent: str
) -> None:
    session.route("POST", "/v5/position/set-leverage", bybit_reply({}))
    await bybit.set_leverage("LTC/USDT:USDT", leverage)
    recorded = recorded_request("setLeverage", "Set leverage swap linear")["output"]
    assert session.requests[0].json == {**recorded, "buyLeverage": sent, "sellLeverage": sent}


async def test_set_leverage_when_bybit_says_not_modified_then_success(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    session.route("POST", "/v5/position/set-leverage", bybit_reply({}, 110043, "Set leverage not modified"))
    await bybit.set_leverage("LTC/USDT:USDT", D(1))
    assert len(session.requests) == 1


@pytest.mark.parametrize("leverage", [D(3), D("2.01"), D("0.5")])
async def test_set_leverage_when_outside_the_hard_limit_then_nothing_is_sent(
    bybit: CcxtExchange, session: FakeSession, leverage: D
) -> None:
    with pytest.raises(ValueError, match="hard limits"):
        await bybit.set_leverage("LTC/USDT:USDT", leverage)
    assert session.requests == []


async def test_fetch_leverage_when_flat_then_read_from_the_symbols_position_row(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    reply = recorded_reply("bybit", "fetchPosition")
    reply["result"]["list"][0]["leverage"] = "1.5"  # ccxt's own fetchLeverage would truncate this to 1
    session.route("GET", "/v5/position/list", reply)
    assert await bybit.fetch_leverage("LTC/USDT:USDT") == D("1.5")
    assert session.requests[0].query == {"symbol": "LTCUSDT", "limit": "200", "category": "linear"}


@pytest.mark.parametrize(
    ("ret_code", "description"), [(0, "set margin mode to isolated margin"), (110026, "not modified")]
)
async def test_set_margin_mode_when_isolated_then_the_unified_account_switches_or_already_is(
    bybit: CcxtExchange, session: FakeSession, ret_code: int, description: str
) -> None:
    session.route("POST", "/v5/account/set-margin-mode", bybit_reply({}, ret_code, description))
    await bybit.set_margin_mode("BTC/USDT:USDT", MarginMode.ISOLATED)
    recorded = recorded_request("setMarginMode", "set margin mode to isolated margin")["output"]
    assert session.made("POST", "/v5/account/set-margin-mode")[0].json == recorded


@pytest.mark.parametrize("ret_code", [0, 110025])
async def test_ensure_one_way_mode_when_switched_or_already_one_way_then_success(
    bybit: CcxtExchange, session: FakeSession, ret_code: int
) -> None:
    session.route("POST", "/v5/position/switch-mode", bybit_reply({}, ret_code, "Position mode is not modified"))
    await bybit.ensure_one_way_mode("BTC/USDT:USDT")
    recorded = recorded_request("setPositionMode", "Set position mode to one-way mode")["output"]
    assert session.requests[0].json == recorded


async def test_read_when_the_clock_is_skewed_then_resynchronised_and_retried_once(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    session.route(
        "GET",
        "/v5/position/list",
        bybit_reply({}, 10002, "invalid request, please check your server timestamp or recv_window param"),
        recorded_reply("bybit", "fetchPositions"),
    )
    session.route("GET", "/v5/market/time", bybit_reply({"timeSecond": "1760097600", "timeNano": "0"}))
    positions = await bybit.fetch_positions(["LTC/USDT:USDT"])
    assert positions["LTC/USDT:USDT"].contracts == D("1.2")
    assert [r.path for r in session.requests] == ["/v5/position/list", "/v5/market/time", "/v5/position/list"]


async def test_read_when_the_key_is_refused_then_authentication_failed_without_retry(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    session.route("GET", "/v5/position/list", bybit_reply({}, 10003, "API key is invalid."))
    with pytest.raises(AuthenticationFailed):
        await bybit.fetch_positions(["LTC/USDT:USDT"])
    assert len(session.requests) == 1


async def test_read_when_bybit_stays_unavailable_then_four_attempts_then_unavailable(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    session.route("GET", "/v5/market/orderbook", Reply("Bad Gateway", 502))
    with pytest.raises(ExchangeUnavailable, match="fetch_order_book BTC/USDT:USDT"):
        await bybit.fetch_order_book("BTC/USDT:USDT", 5)
    assert len(session.requests) == 4


async def test_server_time_when_asked_then_the_venues_clock(bybit: CcxtExchange, session: FakeSession) -> None:
    session.route("GET", "/v5/market/time", bybit_reply({"timeSecond": "1760097601", "timeNano": "0"}))
    assert await bybit.server_time() == utc(1760097600000)  # ccxt reads the envelope's time


async def test_fetch_price_history_when_asked_then_closes_oldest_first(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    candles = [  # Bybit lists klines newest first: [start, open, high, low, close, volume, turnover]
        ["1760097600000", "68000", "68100", "67900", "68050.5", "10", "680505"],
        ["1760094000000", "67800", "68050", "67700", "68000", "12", "816000"],
    ]
    session.route("GET", "/v5/market/kline", bybit_reply({"category": "linear", "symbol": "BTCUSDT", "list": candles}))
    assert await bybit.fetch_price_history("BTC/USDT:USDT", "1h", 2) == (D("68000"), D("68050.5"))
    assert session.requests[0].query == {"symbol": "BTCUSDT", "interval": "60", "limit": "2", "category": "linear"}
