"""Specification of the control API under /__sim/: inspection, time, faults, and actions by someone else."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from hedgesim import SimServer

pytestmark = pytest.mark.e2e


async def call(sim: SimServer, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{sim.url}/__sim{path}", json=body) as reply,
    ):
        return reply.status, await reply.json()


async def test_state_when_requests_were_made_then_it_shows_balances_and_the_request_log(
    sim: SimServer, client: Any
) -> None:
    await client.fetch_time()
    status, state = await call(sim, "GET", "/state")
    assert status == 200
    assert state["balances"]["USDT"]["wallet"] == "10000"
    assert state["market_time"] == "2025-10-09T00:00:00+00:00"
    assert [(r["path"], r["ret_code"]) for r in state["requests"]] == [("/v5/market/time", 0)]


async def test_advance_when_asked_then_exchange_and_market_time_move(sim: SimServer) -> None:
    status, moved = await call(sim, "POST", "/advance", {"seconds": 3600})
    assert (status, moved["market_time"]) == (200, "2025-10-09T01:00:00+00:00")


async def test_faults_when_added_over_http_then_listed_applied_and_cleared(sim: SimServer, client: Any) -> None:
    status, added = await call(sim, "POST", "/faults", {"kind": "maintenance", "path": "/v5/market/time", "times": 2})
    assert status == 200
    _, listed = await call(sim, "GET", "/faults")
    assert [(f["id"], f["kind"], f["remaining"]) for f in listed] == [(added["id"], "maintenance", 2)]
    await call(sim, "DELETE", "/faults")
    assert await client.fetch_time() > 0


async def test_account_actions_when_someone_else_trades_and_deposits_then_the_api_sees_it(
    sim: SimServer, client: Any
) -> None:
    await call(sim, "POST", "/account/deposit", {"coin": "SOL", "qty": "4"})
    await call(sim, "POST", "/account/trade", {"symbol": "SOLUSDT", "side": "sell", "qty": "2"})
    status, order = await call(
        sim, "POST", "/account/order", {"symbol": "SOLUSDT", "side": "sell", "qty": "1", "price": "230"}
    )
    assert (status, order["status"]) == (200, "New")
    balance = await client.fetch_balance()
    (position,) = await client.fetch_positions()
    assert (balance["SOL"]["total"], position["contracts"], position["side"]) == (25.0, 2.0, "short")
    assert [o["price"] for o in await client.fetch_open_orders("SOL/USDT:USDT")] == [230.0]


async def test_action_when_the_venue_refuses_then_400_with_bybit_code(sim: SimServer) -> None:
    status, refused = await call(sim, "POST", "/account/withdraw", {"coin": "USDT", "qty": "1000000"})
    assert (status, refused["retCode"]) == (400, 131001)


async def test_market_faults_when_gap_applied_over_http_then_prices_jump(sim: SimServer, client: Any) -> None:
    before = (await client.fetch_ticker("SOL/USDT:USDT"))["last"]
    await call(sim, "POST", "/market/gap", {"asset": "SOL", "move": "-0.30"})
    after = (await client.fetch_ticker("SOL/USDT:USDT"))["last"]
    assert after == pytest.approx(before * 0.7, abs=0.01)
