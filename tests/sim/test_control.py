"""Specification of the control API under /__sim/: its token, inspection, time, faults, and actions by someone else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from hedgesim import SimConfig, SimExchange, SimServer, running_sim
from hedgesim.server import is_loopback

pytestmark = pytest.mark.e2e


async def call(
    sim: SimServer, method: str, path: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """A control API request with the server's token (or the ``headers`` given instead), JSON in and out."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method,
            f"{sim.url}/__sim{path}",
            json=body if body is not None or method != "POST" else {},
            headers=sim.control_headers if headers is None else headers,
        ) as reply,
    ):
        return reply.status, await reply.json()


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/state", {}),
        ("GET", "/requests", {"Authorization": "Bearer not-the-token"}),
        ("POST", "/advance", {}),
        ("POST", "/account/deposit", {"Authorization": "Basic aGVkZ2Vib3Q6"}),
        ("DELETE", "/faults", {"X-BAPI-API-KEY": "hedgebot-sim-key"}),  # the trading key is not the control token
    ],
)
async def test_control_when_the_token_is_missing_or_wrong_then_401_and_nothing_happens(
    sim: SimServer, method: str, path: str, headers: dict[str, str]
) -> None:
    body = {"seconds": 3600} if path == "/advance" else {"coin": "USDT", "qty": "1"}
    status, refused = await call(sim, method, path, body if method == "POST" else None, headers)
    assert (status, "token" in refused["error"]) == (401, True)
    assert sim.state()["market_time"] == "2025-10-09T00:00:00+00:00"
    assert sim.state()["balances"]["USDT"]["wallet"] == "10000"


async def test_control_when_a_post_is_not_json_then_415_and_nothing_happens(sim: SimServer) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{sim.url}/__sim/account/deposit", data="coin=USDT&qty=1", headers=sim.control_headers) as reply,
    ):
        assert reply.status == 415
    assert sim.state()["balances"]["USDT"]["wallet"] == "10000"


async def test_control_token_when_configured_then_that_token_opens_it() -> None:
    async with running_sim(SimConfig(control_token="chosen-token")) as sim:
        assert sim.control_token == "chosen-token"
        assert (await call(sim, "GET", "/faults", headers={"Authorization": "Bearer chosen-token"}))[0] == 200


async def test_control_token_when_not_configured_then_each_server_draws_its_own() -> None:
    async with running_sim() as first, running_sim() as second:
        assert len(first.control_token) >= 32
        # hex digits only: a token that began with "-" would be read as an option when given to --control-token
        assert all(c in "0123456789abcdef" for c in first.control_token)
        assert first.control_token != second.control_token


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("localhost", True), ("0.0.0.0", False),
     ("::", False), ("192.168.1.10", False), ("example.org", False)],
)  # fmt: skip
def test_is_loopback_when_host_given_then_only_this_machine_counts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


async def test_start_when_host_is_not_loopback_then_refused_unless_allowed() -> None:
    server = SimServer(SimExchange.deterministic())
    with pytest.raises(ValueError, match="not a loopback address"):
        await server.start("0.0.0.0", 0)
    assert server.url == ""


async def test_request_log_when_a_signature_is_refused_then_neither_key_nor_secret_is_shown(
    sim: SimServer, connect: Callable[..., Any]
) -> None:
    with pytest.raises(Exception, match="10004"):
        await connect(secret="not-the-secret").fetch_balance()
    record = sim.requests[-1]
    assert record.ret_code == 10004
    _, logged = await call(sim, "GET", "/requests")
    shown = str(record) + str(logged)
    assert "***" in record.ret_msg
    assert sim.api_key not in shown
    assert sim.api_secret not in shown


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
