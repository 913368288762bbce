"""The error table: every row, what it means for any request and for an order creation."""

from __future__ import annotations

import json
from decimal import Decimal

import ccxt.async_support as ccxt
import pytest

from bot.domain import Side
from bot.errors import (
    AmbiguousOrderOutcome,
    AuthenticationFailed,
    ClockSkew,
    DuplicateClientOrderId,
    ExchangeError,
    ExchangeUnavailable,
    InsufficientMargin,
    InvalidOrderSpec,
    OrderNotFound,
    OrderRejected,
    PermissionDenied,
    PostOnlyWouldTake,
    RateLimited,
    ReduceOnlyRejected,
    RequestTimedOut,
    VenueUnsupported,
)
from bot.exchange.errors import RULES, Call, is_not_modified, matching_rule, translate


def bybit(code: int, message: str = "") -> str:
    return "bybit " + json.dumps({"retCode": code, "retMsg": message, "result": {}, "retExtInfo": {}, "time": 1})


def binance(code: int, message: str = "") -> str:
    return "binance " + json.dumps({"code": code, "msg": message})


def okx(code: str, message: str = "") -> str:
    data = [{"clOrdId": "hb1", "ordId": "", "sCode": code, "sMsg": message, "tag": ""}]
    return "okx " + json.dumps({"code": "1", "data": data, "msg": "Operation failed."})


# (ccxt exception as ccxt raises it, venue, ours for any request, ours when the request created an order)
# fmt: off
CASES = [
    (ccxt.InvalidOrder(bybit(110072, "OrderLinkedID is duplicate")), "bybit", DuplicateClientOrderId, DuplicateClientOrderId),
    (ccxt.ExchangeError(binance(-4116, "ClientOrderId is duplicated.")), "binance", DuplicateClientOrderId, DuplicateClientOrderId),
    (ccxt.InvalidOrder("binance Duplicate order sent."), "binance", DuplicateClientOrderId, DuplicateClientOrderId),
    (ccxt.ExchangeError(okx("51016", "Duplicated clOrdId")), "okx", DuplicateClientOrderId, DuplicateClientOrderId),
    (ccxt.InvalidOrder(bybit(110017, "Reduce-only rule not satisfied")), "bybit", ReduceOnlyRejected, ReduceOnlyRejected),
    (ccxt.InvalidOrder(binance(-2022, "ReduceOnly Order is rejected.")), "binance", ReduceOnlyRejected, ReduceOnlyRejected),
    (ccxt.ExchangeError(okx("51169", "no position to reduce")), "okx", ReduceOnlyRejected, ReduceOnlyRejected),
    (ccxt.OrderNotFillable(binance(-5022, "Post Only order will be rejected.")), "binance", PostOnlyWouldTake, PostOnlyWouldTake),
    (ccxt.InvalidOrder("binance Order would immediately match and take."), "binance", PostOnlyWouldTake, PostOnlyWouldTake),
    (ccxt.InvalidOrder(bybit(110008, "Order has been finished or canceled")), "bybit", OrderNotFound, OrderNotFound),
    (ccxt.OperationRejected(binance(-2011, "Unknown order sent.")), "binance", OrderNotFound, OrderNotFound),
    (ccxt.ExchangeError("binance Unknown order sent."), "binance", OrderNotFound, OrderNotFound),
    (ccxt.OrderNotFound(okx("51400", "order does not exist")), "okx", OrderNotFound, OrderNotFound),
    (ccxt.BadRequest(binance(-1021, "Timestamp outside of the recvWindow.")), "binance", ClockSkew, ClockSkew),
    (ccxt.BadRequest(binance(-1022, "Signature is not valid.")), "binance", AuthenticationFailed, AuthenticationFailed),
    (ccxt.ExchangeError(bybit(10016, "System error")), "bybit", ExchangeUnavailable, AmbiguousOrderOutcome),
    (ccxt.ExchangeError(binance(-1001, "Internal error")), "binance", ExchangeUnavailable, AmbiguousOrderOutcome),
    (ccxt.BadResponse(binance(-1007, "Send status unknown")), "binance", RequestTimedOut, AmbiguousOrderOutcome),
    (ccxt.DuplicateOrderId("okx duplicate"), "okx", DuplicateClientOrderId, DuplicateClientOrderId),
    (ccxt.OrderImmediatelyFillable("x would take"), "okx", PostOnlyWouldTake, PostOnlyWouldTake),
    (ccxt.OrderNotFound("bybit unknown orderInfo"), "bybit", OrderNotFound, OrderNotFound),
    (ccxt.InsufficientFunds(bybit(110007, "ab not enough for new order")), "bybit", InsufficientMargin, InsufficientMargin),
    (ccxt.InvalidNonce(bybit(10002, "invalid request, please check your timestamp")), "bybit", ClockSkew, ClockSkew),
    (ccxt.RateLimitExceeded(bybit(10006, "Too many visits!")), "bybit", RateLimited, RateLimited),
    (ccxt.DDoSProtection("binance 418 I'm a teapot"), "binance", RateLimited, RateLimited),
    (ccxt.RequestTimeout("bybit POST https://api.bybit.com/v5/order/create"), "bybit", RequestTimedOut, AmbiguousOrderOutcome),
    (ccxt.ExchangeNotAvailable("bybit POST /v5/order/create 503 Service Unavailable"), "bybit", ExchangeUnavailable, AmbiguousOrderOutcome),
    (ccxt.NullResponse("bybit empty reply"), "bybit", ExchangeUnavailable, AmbiguousOrderOutcome),
    (ccxt.PermissionDenied(bybit(10005, "Permission denied")), "bybit", PermissionDenied, PermissionDenied),
    (ccxt.AccountSuspended(bybit(10008, "User had been banned")), "bybit", PermissionDenied, PermissionDenied),
    (ccxt.AuthenticationError(bybit(10004, "error sign!")), "bybit", AuthenticationFailed, AuthenticationFailed),
    (ccxt.NotSupported("okx fetchX() is not supported"), "okx", VenueUnsupported, VenueUnsupported),
    (ccxt.InvalidOrder(bybit(110094, "Order notional value below the lower limit")), "bybit", InvalidOrderSpec, InvalidOrderSpec),
    (ccxt.BadSymbol(bybit(10001, "Not supported symbols")), "bybit", ExchangeError, InvalidOrderSpec),
    (ccxt.ArgumentsRequired("bybit fetchOrder() requires a symbol"), "bybit", ExchangeError, InvalidOrderSpec),
    (ccxt.MarketClosed("okx market closed"), "okx", ExchangeError, OrderRejected),
    (ccxt.ExchangeError(bybit(99999, "something new")), "bybit", ExchangeError, AmbiguousOrderOutcome),
]
# fmt: on

READ = Call("fetch_positions", "SOL/USDT:USDT")
CREATE = Call(
    "place_order",
    "SOL/USDT:USDT",
    Side.SELL,
    Decimal("10"),
    Decimal("150.5"),
    client_order_id="hb1sol0001",
    creates_order=True,
)


@pytest.mark.parametrize(("error", "venue", "ours", "on_create"), CASES)
def test_translate_when_ccxt_raises_then_our_error_for_reads_and_creates(
    error: Exception, venue: str, ours: type[Exception], on_create: type[Exception]
) -> None:
    assert type(translate(error, venue, READ)) is ours
    assert type(translate(error, venue, CREATE)) is on_create


def test_error_table_when_every_case_is_run_then_every_row_is_exercised() -> None:
    exercised = {matching_rule(error, venue) for error, venue, _, _ in CASES}
    assert [rule for rule in RULES if rule not in exercised] == []


def test_translate_when_a_venue_code_belongs_to_another_venue_then_the_generic_row_applies() -> None:
    # 110017 is Bybit's reduce-only code; from OKX it means nothing special.
    assert type(translate(ccxt.InvalidOrder(bybit(110017)), "okx", READ)) is InvalidOrderSpec


def test_translate_when_creating_then_message_names_symbol_side_qty_price_and_client_id() -> None:
    error = translate(ccxt.InsufficientFunds(bybit(110007, "ab not enough")), "bybit", CREATE)
    assert "place_order sell 10 SOL/USDT:USDT @ 150.5 client id hb1sol0001" in str(error)
    assert "110007" in str(error)


def test_translate_when_ambiguous_then_symbol_and_client_id_are_attached() -> None:
    error = translate(ccxt.RequestTimeout("bybit POST /v5/order/create"), "bybit", CREATE)
    assert isinstance(error, AmbiguousOrderOutcome)
    assert (error.symbol, error.client_order_id) == ("SOL/USDT:USDT", "hb1sol0001")


def test_translate_when_creating_fails_with_a_non_ccxt_error_then_ambiguous() -> None:
    # e.g. ccxt's parser tripping over the venue's reply: the order may well be on the book.
    assert type(translate(KeyError("orderId"), "bybit", CREATE)) is AmbiguousOrderOutcome


def test_translate_when_message_carries_a_signature_then_it_is_masked() -> None:
    url = "https://fapi.binance.com/fapi/v1/order?symbol=SOLUSDT&timestamp=1&signature=9f86d081884c7d65"
    error = translate(ccxt.ExchangeNotAvailable(f"binance POST {url} 502 Bad Gateway"), "binance", READ)
    assert "9f86d081884c7d65" not in str(error)
    assert "signature=***" in str(error)


@pytest.mark.parametrize(
    ("error", "venue", "expected"),
    [
        (ccxt.BadRequest(bybit(110043, "Set leverage not modified")), "bybit", True),
        (ccxt.NoChange(bybit(110025, "Position mode is not modified")), "bybit", True),
        (ccxt.MarginModeAlreadySet(bybit(110026, "Cross/isolated margin mode is not modified")), "bybit", True),
        (ccxt.MarginModeAlreadySet(binance(-4046, "No need to change margin type.")), "binance", True),
        (ccxt.BadRequest(binance(-4059, "No need to change position side.")), "binance", True),
        (ccxt.InvalidOrder(bybit(110017, "Reduce-only rule not satisfied")), "bybit", False),
        (ccxt.BadRequest(bybit(110043, "Set leverage not modified")), "binance", False),
        (ccxt.RequestTimeout("bybit POST /v5/position/set-leverage"), "bybit", False),
    ],
)
def test_is_not_modified_when_a_setting_is_answered_then_only_already_set_counts(
    error: Exception, venue: str, expected: bool
) -> None:
    assert is_not_modified(error, venue) is expected
