"""The control API under /__sim/: inspect the venue, move time, inject faults, act as someone else.

Every request needs the server's control token (``Authorization: Bearer TOKEN``; 401 without it) and every POST
a JSON body (``Content-Type: application/json``; 415 otherwise): the control API moves money and time, so a page
in a browser or a stray form post must not reach it. It is served on loopback only unless the server is told
otherwise (``SimServer.start(allow_remote=True)``).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from hedgesim.bybit.app import BybitApi
from hedgesim.enums import Side
from hedgesim.errors import SimReject
from hedgesim.faults import Fault
from hedgesim.instruments import Category
from hedgesim.jsonable import plain
from hedgesim.keys import KeyPermissions
from hedgesim.orders import NewOrder, OrderType, TimeInForce

PREFIX = "/__sim"
Action = Callable[[BybitApi, dict[str, Any]], Any]


def routes(api: BybitApi, token: str) -> list[web.RouteDef]:
    """The control endpoints, guarded by ``token``. They count against no rate limit and no fault hits them."""

    def wrap(action: Action) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            refused = _refusal(request, token)
            if refused is not None:
                return refused
            try:
                data = await request.json() if request.can_read_body else {}
                result = action(api, {**data, **request.match_info})
            except SimReject as exc:
                return _json({"retCode": exc.ret_code, "retMsg": exc.message}, 400)
            except (KeyError, ValueError, TypeError, InvalidOperation) as exc:
                return _json({"error": f"{type(exc).__name__}: {exc}"}, 400)
            return _json(result if result is not None else {"ok": True})

        return handler

    return [
        web.get(f"{PREFIX}/state", wrap(_state)),
        web.get(f"{PREFIX}/requests", wrap(_requests)),
        web.post(f"{PREFIX}/advance", wrap(_advance)),
        web.get(f"{PREFIX}/faults", wrap(_faults)),
        web.post(f"{PREFIX}/faults", wrap(_add_fault)),
        web.delete(f"{PREFIX}/faults", wrap(lambda a, _: a.faults.clear())),
        web.delete(f"{PREFIX}/faults/{{fault_id}}", wrap(lambda a, d: a.faults.remove(d["fault_id"]))),
        web.post(f"{PREFIX}/market/gap", wrap(lambda a, d: a.engine.gap(d["asset"], Decimal(str(d["move"]))))),
        web.post(f"{PREFIX}/market/freeze", wrap(lambda a, d: a.engine.freeze(d.get("asset")))),
        web.post(f"{PREFIX}/market/unfreeze", wrap(lambda a, d: a.engine.unfreeze(d.get("asset")))),
        web.post(f"{PREFIX}/account/deposit", wrap(lambda a, d: a.engine.deposit(d["coin"], Decimal(str(d["qty"]))))),
        web.post(f"{PREFIX}/account/withdraw", wrap(lambda a, d: a.engine.withdraw(d["coin"], Decimal(str(d["qty"]))))),
        web.post(f"{PREFIX}/account/trade", wrap(_trade)),
        web.post(f"{PREFIX}/account/order", wrap(_order)),
        web.post(f"{PREFIX}/account/cancel", wrap(_cancel)),
        web.post(f"{PREFIX}/account/leverage", wrap(_leverage)),
        web.get(f"{PREFIX}/key", wrap(_key)),
        web.post(f"{PREFIX}/key", wrap(_set_key)),
    ]


def _refusal(request: web.Request, token: str) -> web.Response | None:
    """401 without the right token, 415 for a POST that is not JSON; None when the request may proceed."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        response = _json({"error": "the control API needs its token: Authorization: Bearer TOKEN"}, 401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="hedgesim control"'
        return response
    if request.method == "POST" and request.content_type != "application/json":
        return _json({"error": f"the control API takes JSON bodies only, not {request.content_type}"}, 415)
    return None


def _state(api: BybitApi, _: dict[str, Any]) -> dict[str, Any]:
    return api.engine.state() | {"faults": _faults(api, {}), "requests": _requests(api, {})}


def _requests(api: BybitApi, _: dict[str, Any]) -> list[dict[str, Any]]:
    return [asdict(record) for record in api.requests]


def _advance(api: BybitApi, data: dict[str, Any]) -> dict[str, Any]:
    api.engine.advance(timedelta(seconds=float(data["seconds"])))
    return {"time": api.engine.clock.now(), "market_time": api.engine.market_time()}


def _faults(api: BybitApi, _: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"id": entry.fault_id, "remaining": entry.remaining, **asdict(entry.fault)} for entry in api.faults.active()
    ]


def _add_fault(api: BybitApi, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": api.faults.add(Fault.from_dict(data))}


def _trade(api: BybitApi, data: dict[str, Any]) -> dict[str, Any]:
    """A market order by someone else on the same account (the web app, a colleague)."""
    order = api.engine.trade(
        Category(data.get("category", "linear")), data["symbol"], data["side"], Decimal(str(data["qty"]))
    )
    return {"orderId": order.order_id, "status": order.status}


def _order(api: BybitApi, data: dict[str, Any]) -> dict[str, Any]:
    """A limit order by someone else on the same account."""
    order = api.engine.place_order(
        NewOrder(
            category=Category(data.get("category", "linear")),
            symbol=data["symbol"],
            side=Side(str(data["side"]).lower()),
            order_type=OrderType.LIMIT,
            qty=Decimal(str(data["qty"])),
            price=Decimal(str(data["price"])),
            time_in_force=TimeInForce(data.get("timeInForce", "GTC")),
            reduce_only=bool(data.get("reduceOnly", False)),
            link_id=data.get("orderLinkId"),
        )
    )
    return {"orderId": order.order_id, "status": order.status}


def _cancel(api: BybitApi, data: dict[str, Any]) -> dict[str, Any]:
    order = api.engine.cancel_order(
        Category(data.get("category", "linear")), data["symbol"], data.get("orderId"), data.get("orderLinkId")
    )
    return {"orderId": order.order_id, "status": order.status}


def _leverage(api: BybitApi, data: dict[str, Any]) -> None:
    api.engine.set_leverage(data["symbol"], Decimal(str(data["leverage"])))


def _key(api: BybitApi, _: dict[str, Any]) -> dict[str, Any]:
    return dict(plain(api.engine.key)) | {"permissions": api.engine.key.permissions()}


def _set_key(api: BybitApi, data: dict[str, Any]) -> dict[str, Any]:
    """The API key's permissions in their written form: {"permissions": "trade,withdraw,ip=203.0.113.7"}."""
    api.engine.set_key(KeyPermissions.parse(str(data["permissions"])))
    return _key(api, data)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(plain(data)), status=status, content_type="application/json")
