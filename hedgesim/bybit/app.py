"""The Bybit v5 HTTP face: route table, envelope, headers, authentication, rate limits, faults, request log."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import web

from hedgesim.bybit import account_routes, market_routes, trade_routes
from hedgesim.bybit.auth import authenticate
from hedgesim.bybit.limits import Budget, IpLimiter, KeyLimiter
from hedgesim.bybit.params import Params
from hedgesim.engine import SimExchange
from hedgesim.errors import SimReject
from hedgesim.faults import Fault, FaultKind, FaultPlan

log = structlog.get_logger(__name__)

Handler = Callable[[SimExchange, Params], dict[str, Any]]
REQUEST_LOG_SIZE = 10_000
REDACTED = "***"
SECRET_PARAMS = {"api_key", "apikey", "sign", "signature", "secret"}  # parameter names whose value is never kept
REFUSING = {
    FaultKind.MAINTENANCE: (503, "Service Unavailable: the system is under maintenance"),
    FaultKind.IP_BAN: (403, "403 Forbidden: access too frequent"),
}


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint: its method and handler, whether it is signed, and Bybit's per-key limit per second
    (``budget``; ``spot_budget`` where spot orders have their own, higher one)."""

    method: str
    handler: Handler
    private: bool = False
    budget: int = 10
    spot_budget: int | None = None

    def limit_for(self, category: str | None) -> tuple[int, str]:
        """(requests per second, bucket): spot and derivatives count apart where Bybit's table splits them."""
        if self.spot_budget is not None and category == "spot":
            return self.spot_budget, "spot"
        return self.budget, ""


# Per-key limits per second from Bybit's "API Rate Limit Table" (docs/v5/rate-limit/rate-limit, UTA2.0 Pro):
# public market endpoints have no per-key limit, only the per-IP one (600 requests per 5 seconds).
ROUTES: dict[str, Route] = {
    "/v5/market/time": Route("GET", market_routes.server_time),
    "/v5/market/instruments-info": Route("GET", market_routes.instruments_info),
    "/v5/market/risk-limit": Route("GET", market_routes.risk_limit),
    "/v5/market/tickers": Route("GET", market_routes.tickers),
    "/v5/market/orderbook": Route("GET", market_routes.orderbook),
    "/v5/market/recent-trade": Route("GET", market_routes.recent_trades),
    "/v5/market/kline": Route("GET", market_routes.kline),
    "/v5/market/funding/history": Route("GET", market_routes.funding_history),
    "/v5/order/create": Route("POST", trade_routes.create, True, 10, spot_budget=20),
    "/v5/order/cancel": Route("POST", trade_routes.cancel, True, 10, spot_budget=20),
    "/v5/order/cancel-all": Route("POST", trade_routes.cancel_all, True, 10, spot_budget=20),
    "/v5/order/realtime": Route("GET", trade_routes.realtime, True, 50),
    "/v5/order/history": Route("GET", trade_routes.history, True, 50),
    "/v5/execution/list": Route("GET", trade_routes.executions, True, 50),
    "/v5/account/wallet-balance": Route("GET", account_routes.wallet_balance, True, 50),
    "/v5/account/fee-rate": Route("GET", account_routes.fee_rate, True, 5),
    "/v5/account/info": Route("GET", account_routes.account_info, True, 50),
    "/v5/account/set-margin-mode": Route("POST", account_routes.set_margin_mode, True, 5),
    "/v5/position/list": Route("GET", account_routes.positions, True, 50),
    "/v5/position/set-leverage": Route("POST", account_routes.set_leverage, True, 10),
    "/v5/position/switch-mode": Route("POST", account_routes.switch_mode, True, 10),
    "/v5/user/query-api": Route("GET", account_routes.query_api, True, 10),
    "/v5/asset/coin/query-info": Route("GET", account_routes.coin_info, True, 5),
}
SUCCESS_MESSAGES = {"/v5/account/set-margin-mode": "Request accepted"}


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """What the venue saw: one request, how it was answered, and which faults hit it. API keys, secrets and
    signatures never appear in it (``***``): the log is shown by the control API and in test failures."""

    seq: int
    wall_ms: int
    exchange_ms: int
    method: str
    path: str
    params: dict[str, Any]
    status: int
    ret_code: int | None
    ret_msg: str
    faults: tuple[str, ...]
    duration_ms: float


class BybitApi:
    """Answers Bybit v5 requests from the engine, exactly as Bybit would, faults included."""

    def __init__(
        self,
        engine: SimExchange,
        faults: FaultPlan,
        *,
        rate_limits: bool = True,
        ip_ban_seconds: float = 600.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.faults = faults
        self.keys = {engine.config.api_key: engine.config.api_secret}
        self.requests: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_SIZE)
        self.closing = asyncio.Event()
        self._wall = wall
        self._key_limiter = KeyLimiter(rate_limits, wall)
        self._ip_limiter = IpLimiter(rate_limits, ip_ban_seconds)
        self._seq = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        hits = self.faults.take(request.method, request.path)
        body = await request.text() if request.can_read_body else ""
        if any(f.kind is FaultKind.NETWORK_CUT for f in hits):
            self._record(request, body, hits, 0, None, "connection dropped", started)
            return _cut(request)
        for fault in hits:
            if fault.kind is FaultKind.LATENCY:
                await asyncio.sleep(fault.delay)
        status, code, message, response = await self._answer(request, body, hits)
        if code is not None and any(f.kind is FaultKind.LOSE_RESPONSE for f in hits):
            log.info("sim.fault.response_lost", path=request.path, ret_code=code)
            await self._hold(max(f.hold_seconds for f in hits if f.kind is FaultKind.LOSE_RESPONSE))
            status, response = 504, web.Response(status=504, text="Gateway Timeout")
        self._record(request, body, hits, status, code, message, started)
        return response

    async def _answer(
        self, request: web.Request, body: str, hits: list[Fault]
    ) -> tuple[int, int | None, str, web.StreamResponse]:
        """(HTTP status, retCode or None, message, response) for one request."""
        kinds = {f.kind for f in hits}
        if FaultKind.HANG in kinds:
            await self._hold(max(f.hold_seconds for f in hits if f.kind is FaultKind.HANG))
            return _plain(504, "Gateway Timeout")
        for fault in hits:
            if fault.kind is FaultKind.HTTP_ERROR:
                return _plain(fault.status, f"HTTP {fault.status} (simulated fault)")
            if fault.kind in REFUSING:
                return _plain(*REFUSING[fault.kind])
        if not self._ip_limiter.allow(request.remote or "unknown"):
            return _plain(*REFUSING[FaultKind.IP_BAN])
        route = ROUTES.get(request.path)
        if route is None or route.method != request.method:
            log.warning("sim.http.not_found", method=request.method, path=request.path)
            return _plain(404, "Not Found")
        headers = {"Traceid": uuid.uuid4().hex, "Timenow": str(self._server_ms(hits))}
        try:
            params = Params(_params(request, body))
            if route.private:
                payload = body if request.method == "POST" else request.rel_url.raw_query_string
                api_key = authenticate(request.headers, payload, self.keys, self._server_ms(hits))
                refused = self.engine.key.refusal(
                    request.path, request.method, params.text("category"), request.remote or "", self.engine.clock.now()
                )
                if refused is not None:
                    raise refused
                limit, bucket = route.limit_for(params.text("category"))
                budget = self._budget(api_key, f"{request.path}#{bucket}", limit, FaultKind.RATE_LIMIT in kinds)
                headers |= _limit_headers(budget)
                if not budget.allowed:
                    raise SimReject(10006, "Too many visits!")
            elif FaultKind.RATE_LIMIT in kinds:
                raise SimReject(10006, "Too many visits!")
            self.engine.sync()  # never answer from a stale venue: fills, funding and liquidations first
            result = route.handler(self.engine, params)
            code, message = 0, SUCCESS_MESSAGES.get(request.path, "OK")
        except SimReject as exc:
            code, message, result = exc.ret_code, exc.message, exc.result
        envelope = {
            "retCode": code,
            "retMsg": message,
            "result": result,
            "retExtInfo": {},
            "time": self.engine.now_ms(),
        }
        text = json.dumps(envelope, separators=(",", ":"))
        return 200, code, message, web.Response(text=text, content_type="application/json", headers=headers)

    def _budget(self, api_key: str, path: str, limit: int, forced: bool) -> Budget:
        if forced:
            return Budget(limit, 0, int(self._wall() * 1000) + 1000, False)
        return self._key_limiter.hit(api_key, path, limit)

    def _server_ms(self, hits: list[Fault]) -> int:
        """The venue's wall clock for signatures: the machine's clock plus any clock-skew fault."""
        skew = sum(f.skew_ms for f in hits if f.kind is FaultKind.CLOCK_SKEW)
        return int(self._wall() * 1000) + skew

    async def _hold(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.closing.wait(), seconds)

    def _record(
        self,
        request: web.Request,
        body: str,
        hits: list[Fault],
        status: int,
        code: int | None,
        message: str,
        started: float,
    ) -> None:
        self._seq += 1
        try:
            params = {
                name: REDACTED if name.lower() in SECRET_PARAMS else self._redacted(value)
                for name, value in _params(request, body).items()
            }
        except SimReject:
            params = {"_body": self._redacted(body)}
        record = RequestRecord(
            seq=self._seq,
            wall_ms=int(self._wall() * 1000),
            exchange_ms=self.engine.now_ms(),
            method=request.method,
            path=request.path,
            params=params,
            status=status,
            ret_code=code,
            ret_msg=self._redacted(message),
            faults=tuple(f.kind.value for f in hits),
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        )
        self.requests.append(record)
        log.debug("sim.http.request", method=record.method, path=record.path, status=status, ret_code=code)

    def _redacted(self, value: Any) -> Any:
        """``value`` with every API key and secret the venue knows replaced by ``***`` (text, or JSON-like)."""
        if isinstance(value, str):
            for api_key, secret in self.keys.items():
                value = value.replace(api_key, REDACTED).replace(secret, REDACTED)
            return value
        if isinstance(value, dict):
            return {name: self._redacted(item) for name, item in value.items()}
        if isinstance(value, list):
            return [self._redacted(item) for item in value]
        return value


def _params(request: web.Request, body: str) -> dict[str, Any]:
    if request.method != "POST":
        return dict(request.rel_url.query)
    if not body:
        return {}
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise SimReject(10001, "params error: the body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise SimReject(10001, "params error: the body must be a JSON object")
    return data


def _limit_headers(budget: Budget) -> dict[str, str]:
    return {
        "X-Bapi-Limit": str(budget.limit),
        "X-Bapi-Limit-Status": str(budget.remaining),
        "X-Bapi-Limit-Reset-Timestamp": str(budget.reset_ms),
    }


def _cut(request: web.Request) -> web.StreamResponse:
    """Abort the request's connection (TCP reset): the client gets no answer at all (the response returned is
    never written)."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=504, text="network cut")


def _plain(status: int, text: str) -> tuple[int, None, str, web.StreamResponse]:
    return status, None, text, web.Response(status=status, text=text)
