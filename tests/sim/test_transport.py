"""Specification of the transport rules: signatures and the receive window, rate limits, fault scopes."""

from __future__ import annotations

from typing import Any

import ccxt.async_support as ccxt_async
import pytest

from hedgesim.bybit.auth import authenticate
from hedgesim.bybit.limits import IP_LIMIT, IpLimiter, KeyLimiter
from hedgesim.errors import SimReject
from hedgesim.faults import Fault, FaultKind, FaultPlan

KEYS = {"key-1": "secret-1"}


class Tick:
    """A settable clock for limiters and fault windows."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def signed(method: str, params: dict[str, Any], secret: str = "secret-1") -> tuple[dict[str, str], str, int]:
    """Headers and payload exactly as ccxt signs a private Bybit v5 request (ccxt's own code, not ours)."""
    client = ccxt_async.bybit({"apiKey": "key-1", "secret": secret})
    request = client.sign("v5/order/realtime", ["private"], method, params)
    payload = request["body"] if method == "POST" else request["url"].split("?", 1)[1]
    return request["headers"], payload, int(request["headers"]["X-BAPI-TIMESTAMP"])


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_authenticate_when_ccxt_signed_the_request_then_its_key_is_accepted(method: str) -> None:
    headers, payload, sent = signed(method, {"category": "linear", "symbol": "SOLUSDT"})
    assert authenticate(headers, payload, KEYS, sent) == "key-1"


@pytest.mark.parametrize(
    ("offset_ms", "accepted"),
    [(0, True), (5000, True), (5001, False), (-999, True), (-1000, False)],  # server - 5000 <= sent < server + 1000
)
def test_authenticate_when_clocks_differ_then_bybit_receive_window_decides(offset_ms: int, accepted: bool) -> None:
    headers, payload, sent = signed("GET", {"category": "linear"})
    if accepted:
        assert authenticate(headers, payload, KEYS, sent + offset_ms) == "key-1"
    else:
        with pytest.raises(SimReject) as info:
            authenticate(headers, payload, KEYS, sent + offset_ms)
        assert info.value.ret_code == 10002


@pytest.mark.parametrize(
    ("keys", "secret", "tamper", "code"),
    [
        ({"other": "secret-1"}, "secret-1", "", 10003),  # unknown key
        (KEYS, "wrong", "", 10004),  # signed with the wrong secret
        (KEYS, "secret-1", "&limit=50", 10004),  # payload changed after signing
    ],
)
def test_authenticate_when_key_or_signature_wrong_then_10003_or_10004(
    keys: dict[str, str], secret: str, tamper: str, code: int
) -> None:
    headers, payload, sent = signed("GET", {"category": "linear"}, secret)
    with pytest.raises(SimReject) as info:
        authenticate(headers, payload + tamper, keys, sent)
    assert info.value.ret_code == code


def test_key_limiter_when_budget_spent_then_refused_until_the_second_rolls() -> None:
    clock = Tick()
    limiter = KeyLimiter(enforce=True, clock=clock)
    budgets = [limiter.hit("k", "/v5/order/create", 10) for _ in range(11)]
    assert [b.remaining for b in budgets[:10]] == list(range(9, -1, -1))
    assert (budgets[10].allowed, budgets[10].remaining, budgets[10].reset_ms) == (False, 0, 1_001_000)
    clock.now += 1.0
    assert limiter.hit("k", "/v5/order/create", 10).allowed


def test_ip_limiter_when_more_than_600_in_5_seconds_then_banned_for_the_ban_time() -> None:
    clock = Tick()
    limiter = IpLimiter(enforce=True, ban_seconds=60, clock=clock)
    assert all(limiter.allow("1.2.3.4") for _ in range(IP_LIMIT))
    assert not limiter.allow("1.2.3.4")
    assert limiter.allow("5.6.7.8")  # per IP
    clock.now += 59
    assert not limiter.allow("1.2.3.4")
    clock.now += 1
    assert limiter.allow("1.2.3.4")


@pytest.mark.parametrize(
    ("fault", "requests", "hit"),
    [
        (Fault(FaultKind.RATE_LIMIT, path="/v5/order/create", times=1), ["/v5/order/create"] * 2, [True, False]),
        (Fault(FaultKind.HANG, path="/v5/order/*"), ["/v5/order/cancel", "/v5/market/tickers"], [True, False]),
        (Fault(FaultKind.LATENCY, method="POST"), ["/v5/order/create", "/v5/position/list"], [True, False]),
    ],
)
def test_fault_plan_when_scoped_then_hits_only_matching_requests_the_given_times(
    fault: Fault, requests: list[str], hit: list[bool]
) -> None:
    plan = FaultPlan()
    plan.add(fault)
    methods = {"/v5/order/create": "POST", "/v5/order/cancel": "POST"}
    assert [bool(plan.take(methods.get(path, "GET"), path)) for path in requests] == hit


def test_fault_plan_when_window_passes_then_fault_expires() -> None:
    clock = Tick()
    plan = FaultPlan(clock)
    plan.add(Fault(FaultKind.MAINTENANCE, seconds=30))
    assert plan.take("GET", "/v5/market/time")
    clock.now += 30
    assert plan.take("GET", "/v5/market/time") == []


def test_fault_from_dict_when_unknown_field_then_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault fields: delay_ms"):
        Fault.from_dict({"kind": "latency", "delay_ms": 5})
