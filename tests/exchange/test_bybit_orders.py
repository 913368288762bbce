"""Bybit v5, request level: placing, looking up and cancelling orders through the real ccxt client."""

from __future__ import annotations

import decimal
import re

import aiohttp
import pytest

from bot.domain import OrderStatus, Side
from bot.errors import (
    AmbiguousOrderOutcome,
    AuthenticationFailed,
    DuplicateClientOrderId,
    ExchangeError,
    InsufficientMargin,
    InvalidOrderSpec,
    OrderNotFound,
    RateLimited,
    ReduceOnlyRejected,
)
from bot.exchange.ccxt_adapter import CcxtExchange
from bot.exchange.port import OrderRequest
from tests.exchange.fake_http import FakeSession, Reply
from tests.exchange.venues import CLIENT_ID, D, bybit_order_row, bybit_reply, recorded_request

LTC_SELL = OrderRequest(
    symbol="LTC/USDT:USDT",
    side=Side.SELL,
    amount=D("0.1"),
    price=D("100"),
    client_order_id=CLIENT_ID,
    reduce_only=True,
)


def accept(session: FakeSession, **state: str) -> None:
    """Bybit acknowledges with ids only; the order then reads back in ``state`` on /v5/order/realtime."""
    session.route("POST", "/v5/order/create", bybit_reply({"orderId": "5cf98b2e-0001", "orderLinkId": CLIENT_ID}))
    row = bybit_order_row(
        symbol="LTCUSDT",
        side="Sell",
        qty="0.1",
        price="100",
        orderId="5cf98b2e-0001",
        orderLinkId=CLIENT_ID,
        timeInForce="PostOnly",
        reduceOnly=True,
        **state,
    )
    session.route("GET", "/v5/order/realtime", bybit_reply({"category": "linear", "list": [row]}))


async def test_place_order_when_post_only_reduce_only_then_bybit_gets_what_ccxt_recorded_plus_our_id(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    accept(session)
    await bybit.place_order(LTC_SELL)
    (create,) = session.made("POST", "/v5/order/create")
    recorded = recorded_request("createOrder", "Swap limit sell with reduceOnly and postOnly")
    assert create.host == "api-testnet.bybit.com"
    assert create.json == {**recorded["output"], "orderLinkId": CLIENT_ID}
    assert {"X-BAPI-API-KEY", "X-BAPI-SIGN", "X-BAPI-TIMESTAMP"} <= create.headers.keys()


@pytest.mark.parametrize(
    ("state", "status", "filled", "reject_reason"),
    [
        ({"orderStatus": "New"}, OrderStatus.OPEN, "0", None),
        (
            {"orderStatus": "Cancelled", "rejectReason": "EC_PostOnlyWillTakeLiquidity"},
            OrderStatus.CANCELED,
            "0",
            "EC_PostOnlyWillTakeLiquidity",
        ),
        ({"orderStatus": "Filled", "cumExecQty": "0.1", "leavesQty": "0"}, OrderStatus.FILLED, "0.1", None),
        (
            {"orderStatus": "PartiallyFilledCanceled", "cumExecQty": "0.05", "leavesQty": "0"},
            OrderStatus.CANCELED,
            "0.05",
            None,
        ),
    ],
)
async def test_place_order_when_bybit_acknowledges_ids_only_then_the_order_is_read_back_in_its_state(
    bybit: CcxtExchange,
    session: FakeSession,
    state: dict[str, str],
    status: OrderStatus,
    filled: str,
    reject_reason: str | None,
) -> None:
    accept(session, **state)
    order = await bybit.place_order(LTC_SELL)
    (lookup,) = session.made("GET", "/v5/order/realtime")
    assert lookup.query == {"symbol": "LTCUSDT", "category": "linear", "orderLinkId": CLIENT_ID}
    assert (order.status, order.filled, order.reject_reason) == (status, D(filled), reject_reason)
    assert (order.order_id, order.client_order_id, order.side, order.amount) == (
        "5cf98b2e-0001",
        CLIENT_ID,
        Side.SELL,
        D("0.1"),
    )
    assert order.post_only
    assert order.reduce_only


@pytest.mark.parametrize(
    ("state", "post_only_rejected"),
    [
        ({"orderStatus": "Cancelled", "rejectReason": "EC_PostOnlyWillTakeLiquidity"}, True),
        ({"orderStatus": "Cancelled", "rejectReason": "EC_PerCancelRequest"}, False),  # cancelled by request
        ({"orderStatus": "PartiallyFilledCanceled", "cumExecQty": "0.05", "leavesQty": "0"}, False),
        ({"orderStatus": "New"}, False),
    ],
)
async def test_place_order_when_bybit_cancels_it_for_taking_liquidity_then_the_order_says_post_only_rejected(
    bybit: CcxtExchange, session: FakeSession, state: dict[str, str], post_only_rejected: bool
) -> None:
    accept(session, **state)
    order = await bybit.place_order(LTC_SELL)
    assert order.post_only_rejected is post_only_rejected


async def test_place_order_when_not_asked_to_confirm_then_the_acknowledgement_is_taken_as_open_unread(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    accept(session, orderStatus="Cancelled", rejectReason="EC_PostOnlyWillTakeLiquidity")
    order = await bybit.place_order(LTC_SELL, confirm=False)
    assert session.made("GET", "/v5/order/realtime") == []  # no status read: the next listing of open orders tells
    assert (order.status, order.client_order_id, order.order_id) == (OrderStatus.OPEN, CLIENT_ID, "5cf98b2e-0001")


async def test_place_order_when_the_read_back_fails_then_the_accepted_order_is_reported_open(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    accept(session)
    session.route("GET", "/v5/order/realtime", Reply("Service Unavailable", 503))
    order = await bybit.place_order(LTC_SELL)
    assert (order.status, order.order_id, order.price) == (OrderStatus.OPEN, "5cf98b2e-0001", D("100"))


@pytest.mark.parametrize(
    "failure",
    [
        TimeoutError(),
        aiohttp.ClientOSError(104, "Connection reset by peer"),
        aiohttp.ServerDisconnectedError(),
        Reply("<html>Bad Gateway</html>", 502),
        Reply("Service Unavailable", 503),
        Reply(bybit_reply({}, 10016, "System error. Please try again later.")),
        Reply("not json at all"),
    ],
    ids=["timeout", "reset", "disconnected", "502", "503", "10016", "garbled"],
)
async def test_place_order_when_the_outcome_is_unknown_then_ambiguous_and_sent_exactly_once(
    bybit: CcxtExchange, session: FakeSession, failure: Reply | BaseException
) -> None:
    session.route("POST", "/v5/order/create", failure)
    with pytest.raises(AmbiguousOrderOutcome) as raised:
        await bybit.place_order(LTC_SELL)
    assert (raised.value.symbol, raised.value.client_order_id) == ("LTC/USDT:USDT", CLIENT_ID)
    assert len(session.made("POST", "/v5/order/create")) == 1


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(bybit_reply({}, 110017, "Reduce-only rule not satisfied")), ReduceOnlyRejected),
        (Reply(bybit_reply({}, 110007, "ab not enough for new order")), InsufficientMargin),
        (Reply(bybit_reply({}, 110094, "Order notional value below the lower limit")), InvalidOrderSpec),
        (Reply(bybit_reply({}, 110072, "OrderLinkedID is duplicate")), DuplicateClientOrderId),
        (Reply(bybit_reply({}, 10006, "Too many visits!")), RateLimited),
        (Reply("Forbidden", 403), RateLimited),
        (Reply(bybit_reply({}, 10004, "error sign! origin_string[...]")), AuthenticationFailed),
    ],
)
async def test_place_order_when_bybit_refuses_then_our_error_and_no_second_attempt(
    bybit: CcxtExchange, session: FakeSession, reply: Reply, error: type[ExchangeError]
) -> None:
    session.route("POST", "/v5/order/create", reply)
    with pytest.raises(error, match=re.escape("place_order sell 0.1 LTC/USDT:USDT @ 100 client id hb1sol0001")):
        await bybit.place_order(LTC_SELL)
    assert len(session.made("POST", "/v5/order/create")) == 1


@pytest.mark.parametrize("client_id", ["sol-1", "hb-1", "hb" + "x" * 31, "hb_1"])
async def test_place_order_when_the_client_id_breaks_the_rules_then_nothing_is_sent(
    bybit: CcxtExchange, session: FakeSession, client_id: str
) -> None:
    request = OrderRequest("LTC/USDT:USDT", Side.SELL, D("0.1"), D("100"), client_id, reduce_only=False)
    with pytest.raises(ValueError, match="client order id"):
        await bybit.place_order(request)
    assert session.requests == []


async def test_fetch_order_when_realtime_has_it_then_one_lookup_by_client_id(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    row = bybit_order_row(orderLinkId=CLIENT_ID)
    session.route("GET", "/v5/order/realtime", bybit_reply({"category": "linear", "list": [row]}))
    order = await bybit.fetch_order("BTC/USDT:USDT", client_order_id=CLIENT_ID)
    assert order is not None
    assert (order.symbol, order.side, order.amount, order.price, order.status, order.client_order_id) == (
        "BTC/USDT:USDT",
        Side.BUY,
        D("0.001"),
        D("102000"),
        OrderStatus.OPEN,
        CLIENT_ID,
    )
    assert [r.query for r in session.requests if r.path.startswith("/v5/order")] == [
        {"symbol": "BTCUSDT", "category": "linear", "orderLinkId": CLIENT_ID}
    ]


async def test_fetch_order_when_only_history_has_it_then_history_is_asked_second(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    session.route("GET", "/v5/order/realtime", bybit_reply({"category": "linear", "list": []}))
    filled = bybit_order_row(orderId="aee7453a", orderStatus="Filled", cumExecQty="0.001", leavesQty="0")
    session.route("GET", "/v5/order/history", bybit_reply({"category": "linear", "list": [filled]}))
    order = await bybit.fetch_order("BTC/USDT:USDT", order_id="aee7453a")
    assert order is not None
    assert (order.status, order.filled) == (OrderStatus.FILLED, D("0.001"))
    (history,) = session.made("GET", "/v5/order/history")
    assert (history.query["orderId"], history.query["category"]) == ("aee7453a", "linear")


async def test_fetch_order_when_bybit_knows_no_such_order_then_none(bybit: CcxtExchange, session: FakeSession) -> None:
    for path in ("/v5/order/realtime", "/v5/order/history"):
        session.route("GET", path, bybit_reply({"category": "linear", "list": []}))
    assert await bybit.fetch_order("BTC/USDT:USDT", client_order_id=CLIENT_ID) is None


async def test_cancel_order_when_by_client_id_then_orderlinkid_is_sent(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    session.route("POST", "/v5/order/cancel", bybit_reply({"orderId": "5cf98b2e-0001", "orderLinkId": CLIENT_ID}))
    await bybit.cancel_order("LTC/USDT:USDT", client_order_id=CLIENT_ID)
    (cancel,) = session.made("POST", "/v5/order/cancel")
    assert cancel.json == {"symbol": "LTCUSDT", "orderLinkId": CLIENT_ID, "category": "linear"}


async def test_cancel_order_when_by_venue_id_then_the_request_is_what_ccxt_recorded(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    recorded = recorded_request("cancelOrder", "Swap cancelOrder")
    session.route("POST", "/v5/order/cancel", bybit_reply({"orderId": recorded["input"][0], "orderLinkId": ""}))
    await bybit.cancel_order("LTC/USDT:USDT", order_id=recorded["input"][0])
    assert session.made("POST", "/v5/order/cancel")[0].json == recorded["output"]


async def test_cancel_order_when_the_order_is_gone_then_order_not_found_without_retry(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    session.route("POST", "/v5/order/cancel", bybit_reply({}, 110001, "Order does not exist"))
    with pytest.raises(OrderNotFound):
        await bybit.cancel_order("LTC/USDT:USDT", client_order_id=CLIENT_ID)
    assert len(session.made("POST", "/v5/order/cancel")) == 1


async def test_cancel_order_when_bybit_is_briefly_unavailable_then_it_is_retried(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    session.route(
        "POST",
        "/v5/order/cancel",
        Reply("Service Unavailable", 503),
        bybit_reply({"orderId": "5cf98b2e-0001", "orderLinkId": CLIENT_ID}),
    )
    await bybit.cancel_order("LTC/USDT:USDT", client_order_id=CLIENT_ID)
    assert len(session.made("POST", "/v5/order/cancel")) == 2


async def test_place_order_when_ccxt_rounds_the_amount_then_our_decimal_context_is_left_as_it_was(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    accept(session)
    with decimal.localcontext(decimal.Context(rounding=decimal.ROUND_HALF_EVEN)):  # whatever earlier tests left
        await bybit.place_order(LTC_SELL)  # ccxt's amount_to_precision sets the context's rounding to ROUND_HALF_UP
        assert decimal.getcontext().rounding == decimal.ROUND_HALF_EVEN
