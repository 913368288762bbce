"""Bybit v5, request level: malformed replies give a clear ``DataError`` (or an ambiguous order), never garbage."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import VenueMode
from bot.domain import Side
from bot.errors import AmbiguousOrderOutcome, DataError
from bot.exchange.ccxt_adapter import CcxtExchange
from bot.exchange.port import OrderRequest
from tests.exchange.fake_http import FakeSession
from tests.exchange.test_bybit_reads import spot_ticker
from tests.exchange.venues import (
    CLIENT_ID,
    D,
    build,
    bybit_order_row,
    bybit_reply,
    fixture,
    recorded_reply,
    serve_bybit_instruments,
)


def wallet(**coin_changes: Any) -> dict[str, Any]:
    reply = recorded_reply("bybit", "fetchBalance")
    reply["result"]["list"][0]["coin"][0].update(coin_changes)
    return reply


@pytest.mark.parametrize(
    "reply",
    [wallet(walletBalance="NaN"), wallet(walletBalance=None), wallet(walletBalance="Infinity")],
    ids=["nan", "missing", "infinity"],
)
async def test_fetch_balances_when_a_coin_amount_is_malformed_then_data_error(
    bybit: CcxtExchange, session: FakeSession, reply: dict[str, Any]
) -> None:
    session.route("GET", "/v5/account/wallet-balance", reply)
    with pytest.raises(DataError, match=r"fetch_spot_balances|USDC"):
        await bybit.fetch_margin_balances()


async def test_fetch_margin_balances_when_the_reply_lists_no_coin_then_data_error_never_an_empty_wallet(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    reply = recorded_reply("bybit", "fetchBalance")
    del reply["result"]["list"][0]["coin"]
    session.route("GET", "/v5/account/wallet-balance", reply)
    with pytest.raises(DataError, match="lists no coin"):
        await bybit.fetch_margin_balances()


async def test_load_markets_when_one_listing_has_a_nan_tick_then_only_that_one_is_left_out(
    session: FakeSession,
) -> None:
    raw = fixture("bybit/instruments-info.raw.json")
    next(r for r in raw["linear"] if r["symbol"] == "BTCUSDT")["priceFilter"]["tickSize"] = "NaN"
    serve_bybit_instruments(session)
    session.route(
        "GET",
        "/v5/market/instruments-info",
        bybit_reply({"category": "linear", "list": raw["linear"], "nextPageCursor": ""}),
        when={"category": "linear"},
    )
    port = build("bybit", VenueMode.TESTNET, session, markets=False)
    markets = await port.load_markets()
    await port.close()
    assert "BTC/USDT:USDT" not in markets
    assert markets["LTC/USDT:USDT"].tick_size == D("0.01")


async def test_fetch_positions_when_a_row_names_no_listed_market_then_data_error_never_flat(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    reply = recorded_reply("bybit", "fetchPositions")
    reply["result"]["list"][0]["symbol"] = "NOSUCHUSDT"
    session.route("GET", "/v5/position/list", reply)
    with pytest.raises(DataError, match="NOSUCHUSDT"):
        await bybit.fetch_positions(["LTC/USDT:USDT"])


async def test_fetch_open_orders_when_ours_is_listed_in_no_known_state_then_data_error(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    row = bybit_order_row(orderLinkId=CLIENT_ID, orderStatus="Garbled")
    session.route("GET", "/v5/order/realtime", bybit_reply({"category": "linear", "list": [row]}))
    with pytest.raises(DataError, match=CLIENT_ID):
        await bybit.fetch_open_orders(["BTC/USDT:USDT"])


async def test_place_order_when_the_acknowledgement_is_unreadable_then_ambiguous_and_looked_up_by_client_id(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    ack = bybit_reply({"orderId": "5cf98b2e-0001", "orderLinkId": CLIENT_ID, "qty": "NaN"})
    session.route("POST", "/v5/order/create", ack)
    request = OrderRequest("LTC/USDT:USDT", Side.SELL, D("0.1"), D("100"), CLIENT_ID, reduce_only=False)
    with pytest.raises(AmbiguousOrderOutcome) as raised:
        await bybit.place_order(request)
    assert raised.value.client_order_id == CLIENT_ID


async def test_fetch_spot_quotes_when_one_quote_is_malformed_then_only_that_holding_goes_unpriced(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    rows = [spot_ticker("LTCUSDT", "NaN", "70.12", "70.11"), spot_ticker("ADAUSDT", "0.6001", "0.6003", "0.6002")]
    session.route("GET", "/v5/market/tickers", bybit_reply({"category": "spot", "list": rows}))
    quotes = await bybit.fetch_spot_quotes(["LTC", "ADA"])
    assert set(quotes) == {"ADA"}
