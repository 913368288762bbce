"""OKX demo trading, request level. No recordings exist for OKX: every reply here is a minimal one built from the
shapes OKX documents for its v5 REST API (https://www.okx.com/docs-v5/en/), not a capture of a real answer."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import VenueMode
from bot.domain import Balance, MarginMode, OrderStatus, Side
from bot.errors import ReduceOnlyRejected
from bot.exchange.ccxt_adapter import CcxtExchange
from bot.exchange.port import OrderRequest
from tests.exchange.fake_http import FakeSession
from tests.exchange.venues import CLIENT_ID, D, build, okx_instruments, okx_reply

SOL_PERP = "SOL/USDT:USDT"
SOL_SELL = OrderRequest(SOL_PERP, Side.SELL, D(3), D("150.5"), CLIENT_ID, reduce_only=False)


def order_detail(**changes: str) -> dict[str, Any]:
    """A GET /api/v5/trade/order record (documented fields) for our post-only sell of 3 SOL-USDT-SWAP."""
    return {
        "instType": "SWAP",
        "instId": "SOL-USDT-SWAP",
        "ordId": "2510789768709120",
        "clOrdId": CLIENT_ID,
        "tag": "",
        "px": "150.5",
        "sz": "3",
        "ordType": "post_only",
        "side": "sell",
        "posSide": "net",
        "tdMode": "isolated",
        "accFillSz": "0",
        "fillSz": "0",
        "avgPx": "",
        "state": "live",
        "lever": "2",
        "fee": "0",
        "feeCcy": "USDT",
        "reduceOnly": "false",
        "cancelSource": "",
        "cancelSourceReason": "",
        "cTime": "1760097600000",
        "uTime": "1760097600100",
        **changes,
    }


def accept(session: FakeSession, **state: str) -> None:
    ack = {
        "clOrdId": CLIENT_ID,
        "ordId": "2510789768709120",
        "tag": "",
        "ts": "1760097600000",
        "sCode": "0",
        "sMsg": "",
    }
    session.route("POST", "/api/v5/trade/batch-orders", okx_reply([ack]))
    session.route("GET", "/api/v5/trade/order", okx_reply([order_detail(**state)]))


async def test_every_request_when_demo_then_simulated_trading_header_on_the_live_host(
    okx: CcxtExchange, session: FakeSession
) -> None:
    session.route("GET", "/api/v5/public/time", okx_reply([{"ts": "1760097600000"}]))
    session.route("GET", "/api/v5/account/balance", okx_reply([{"uTime": "1760097600000", "details": []}]))
    await okx.server_time()
    await okx.fetch_spot_balances()
    assert [(r.host, r.headers.get("x-simulated-trading")) for r in session.requests] == [("www.okx.com", "1")] * 2
    assert session.requests[1].headers["OK-ACCESS-PASSPHRASE"] == "test-passphrase"


async def test_every_request_when_live_then_no_simulated_trading_header(session: FakeSession) -> None:
    session.route("GET", "/api/v5/public/time", okx_reply([{"ts": "1760097600000"}]))
    port = build("okx", VenueMode.LIVE, session)
    await port.server_time()
    await port.close()
    assert "x-simulated-trading" not in session.requests[0].headers


async def test_load_markets_when_okx_lists_instruments_then_spot_and_swap_are_asked_for(session: FakeSession) -> None:
    for kind in ("SPOT", "SWAP"):
        session.route("GET", "/api/v5/public/instruments", okx_reply(okx_instruments(kind)), when={"instType": kind})
    port = build("okx", VenueMode.DEMO, session, markets=False)
    markets = await port.load_markets()
    await port.close()
    assert sorted(r.query["instType"] for r in session.requests) == ["SPOT", "SWAP"]
    perp = markets[SOL_PERP]
    assert (perp.tick_size, perp.lot_step, perp.contract_size, perp.max_leverage) == (D("0.01"), D("0.01"), 1, 50)


async def test_balances_when_unified_trading_account_then_available_and_frozen(
    okx: CcxtExchange, session: FakeSession
) -> None:
    details = [
        {"ccy": "USDT", "eq": "5000", "cashBal": "5000", "availBal": "4800", "frozenBal": "200", "uTime": "1"},
        {"ccy": "SOL", "eq": "100", "cashBal": "100", "availBal": "100", "frozenBal": "0", "uTime": "1"},
    ]
    session.route("GET", "/api/v5/account/balance", okx_reply([{"uTime": "1760097600000", "details": details}]))
    assert await okx.fetch_margin_balances() == {
        "USDT": Balance("USDT", D(4800), D(200), D(5000)),
        "SOL": Balance("SOL", D(100), D(0), D(100)),
    }


@pytest.mark.parametrize(("mode", "td_mode"), [(MarginMode.ISOLATED, "isolated"), (MarginMode.CROSS, "cross")])
async def test_place_order_when_post_only_then_ord_type_post_only_with_our_id_tag_and_margin_mode(
    okx: CcxtExchange, session: FakeSession, mode: MarginMode, td_mode: str
) -> None:
    accept(session)
    await okx.set_margin_mode(SOL_PERP, mode)  # OKX sends it with every order: nothing goes out here
    await okx.place_order(SOL_SELL)
    (create,) = session.made("POST", "/api/v5/trade/batch-orders")
    assert create.json == [
        {
            "instId": "SOL-USDT-SWAP",
            "side": "sell",
            "ordType": "post_only",
            "sz": "3",
            "tdMode": td_mode,
            "px": "150.5",
            "clOrdId": CLIENT_ID,
            "tag": "hedgebot",  # what scopes cancel-all-after to our orders
        }
    ]


@pytest.mark.parametrize(
    ("state", "status", "reject_reason"),
    [
        ({"state": "live"}, OrderStatus.OPEN, None),
        (
            {
                "state": "canceled",
                "cancelSource": "31",
                "cancelSourceReason": "The post-only order will take liquidity in taker orders",
            },
            OrderStatus.CANCELED,
            "The post-only order will take liquidity in taker orders",
        ),
        ({"state": "filled", "accFillSz": "3", "avgPx": "150.5"}, OrderStatus.FILLED, None),
    ],
)
async def test_place_order_when_okx_acknowledges_then_the_order_is_read_back_by_client_id(
    okx: CcxtExchange, session: FakeSession, state: dict[str, str], status: OrderStatus, reject_reason: str | None
) -> None:
    accept(session, **state)
    order = await okx.place_order(SOL_SELL)
    assert (order.status, order.reject_reason, order.client_order_id) == (status, reject_reason, CLIENT_ID)
    (lookup,) = session.made("GET", "/api/v5/trade/order")
    assert lookup.query == {"instId": "SOL-USDT-SWAP", "clOrdId": CLIENT_ID}


@pytest.mark.parametrize(
    ("state", "post_only_rejected"),
    [
        (
            {
                "state": "canceled",
                "cancelSource": "31",
                "cancelSourceReason": "The post-only order will take liquidity in taker orders",
            },
            True,
        ),
        ({"state": "canceled", "cancelSource": "1", "cancelSourceReason": "Order canceled by user"}, False),
        ({"state": "live"}, False),
    ],
)
async def test_place_order_when_okx_cancels_it_for_taking_liquidity_then_the_order_says_post_only_rejected(
    okx: CcxtExchange, session: FakeSession, state: dict[str, str], post_only_rejected: bool
) -> None:
    accept(session, **state)
    order = await okx.place_order(SOL_SELL)
    assert order.post_only_rejected is post_only_rejected


async def test_place_order_when_reduce_only_finds_no_position_then_reduce_only_rejected(
    okx: CcxtExchange, session: FakeSession
) -> None:
    refused = {"clOrdId": CLIENT_ID, "ordId": "", "tag": "", "sCode": "51169", "sMsg": "no position to reduce"}
    session.route("POST", "/api/v5/trade/batch-orders", okx_reply([refused], code="1", message="All operations failed"))
    request = OrderRequest(SOL_PERP, Side.BUY, D(3), D("149"), CLIENT_ID, reduce_only=True)
    with pytest.raises(ReduceOnlyRejected):
        await okx.place_order(request)


async def test_fetch_order_when_okx_does_not_know_the_client_id_then_none(
    okx: CcxtExchange, session: FakeSession
) -> None:
    refused = {"sCode": "51603", "sMsg": "Order does not exist"}
    session.route("GET", "/api/v5/trade/order", okx_reply([refused], code="51603", message="Order does not exist"))
    assert await okx.fetch_order(SOL_PERP, client_order_id=CLIENT_ID) is None


async def test_fetch_positions_when_net_mode_short_then_negative_contracts(
    okx: CcxtExchange, session: FakeSession
) -> None:
    row = {
        "instType": "SWAP",
        "instId": "SOL-USDT-SWAP",
        "mgnMode": "isolated",
        "posSide": "net",
        "pos": "-3",
        "avgPx": "150",
        "markPx": "150.5",
        "upl": "-1.5",
        "lever": "2",
        "liqPx": "224.7",
        "margin": "225",
        "ccy": "USDT",
        "cTime": "1760090000000",
        "uTime": "1760097600000",
    }
    session.route("GET", "/api/v5/account/positions", okx_reply([row]))
    position = (await okx.fetch_positions([SOL_PERP]))[SOL_PERP]
    assert (position.contracts, position.entry_price, position.liquidation_price, position.margin_mode) == (
        D(-3),
        D(150),
        D("224.7"),
        MarginMode.ISOLATED,
    )


async def test_fetch_perp_tickers_when_read_then_tickers_funding_and_mark_merge_in_three_requests(
    okx: CcxtExchange, session: FakeSession
) -> None:
    ticker = {"instId": "SOL-USDT-SWAP", "last": "150.52", "bidPx": "150.51", "askPx": "150.53", "ts": "1760097600000"}
    funding = {
        "instId": "SOL-USDT-SWAP",
        "fundingRate": "0.0001",
        "fundingTime": "1760112000000",
        "nextFundingTime": "1760140800000",
        "ts": "1760097600000",
    }
    session.route("GET", "/api/v5/market/tickers", okx_reply([{"instType": "SWAP", **ticker}]))
    session.route("GET", "/api/v5/public/funding-rate", okx_reply([{"instType": "SWAP", **funding}]))
    session.route(
        "GET",
        "/api/v5/public/mark-price",
        okx_reply([{"instType": "SWAP", "instId": "SOL-USDT-SWAP", "markPx": "150.5", "ts": "1760097600000"}]),
    )
    result = (await okx.fetch_perp_tickers([SOL_PERP]))[SOL_PERP]
    assert (result.last, result.bid, result.ask, result.mark, result.funding_rate, result.funding_interval_hours) == (
        D("150.52"),
        D("150.51"),
        D("150.53"),
        D("150.5"),
        D("0.0001"),
        8,
    )
    assert sorted(r.path for r in session.requests) == [
        "/api/v5/market/tickers",
        "/api/v5/public/funding-rate",
        "/api/v5/public/mark-price",
    ]


async def test_leverage_when_set_and_read_then_margin_mode_goes_with_it(
    okx: CcxtExchange, session: FakeSession
) -> None:
    answer = {"lever": "2", "mgnMode": "isolated", "instId": "SOL-USDT-SWAP", "posSide": "net"}
    session.route("POST", "/api/v5/account/set-leverage", okx_reply([answer]))
    session.route("GET", "/api/v5/account/leverage-info", okx_reply([answer]))
    session.route("POST", "/api/v5/account/set-position-mode", okx_reply([{"posMode": "net_mode"}]))
    await okx.ensure_one_way_mode(SOL_PERP)
    await okx.set_leverage(SOL_PERP, D(2))
    assert await okx.fetch_leverage(SOL_PERP) == D(2)
    assert [r.json for r in session.requests if r.method == "POST"] == [
        {"posMode": "net_mode"},
        {"lever": 2, "mgnMode": "isolated", "instId": "SOL-USDT-SWAP", "posSide": "net"},
    ]
    assert session.made("GET", "/api/v5/account/leverage-info")[0].query["mgnMode"] == "isolated"


async def test_fetch_funding_payments_when_okx_reports_balance_changes_then_received_is_positive(
    okx: CcxtExchange, session: FakeSession
) -> None:
    bills = [
        {
            "billId": "6239",
            "ccy": "USDT",
            "balChg": "0.0451",
            "type": "8",
            "instId": "SOL-USDT-SWAP",
            "ts": "1760083200000",
        },
        {
            "billId": "6240",
            "ccy": "USDT",
            "balChg": "-0.012",
            "type": "8",
            "instId": "SOL-USDT-SWAP",
            "ts": "1760112000000",
        },
    ]
    session.route("GET", "/api/v5/account/bills-archive", okx_reply(bills))
    payments = await okx.fetch_funding_payments([SOL_PERP])
    assert [(p.payment_id, p.amount) for p in payments] == [("6239", D("0.0451")), ("6240", D("-0.012"))]
    assert session.requests[0].query["type"] == "8"
