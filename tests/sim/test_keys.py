"""Specification of the API key's permissions: /v5/user/query-api shows them as Bybit documents, and the venue
enforces them as Bybit does (10005 read-only or not permitted, 10010 unmatched IP, 33004 expired)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import ccxt.async_support as ccxt
import pytest

from hedgesim import SimConfig, SimExchange, SimServer, bybit_client, running_sim
from hedgesim.keys import KeyPermissions
from tests.sim.conftest import TEST_CLIENT

pytestmark = pytest.mark.e2e

SOL = "SOL/USDT:USDT"
START = datetime(2025, 10, 9, tzinfo=UTC)  # the bundled sample's start


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ("trade", KeyPermissions()),
        ("read-only", KeyPermissions(read_only=True, contract_trade=False, spot_trade=False)),
        ("read-only,trade", KeyPermissions(read_only=True)),
        ("spot", KeyPermissions(contract_trade=False)),
        ("trade,transfer,withdraw", KeyPermissions(transfer=True, withdraw=True)),
        ("trade, ip=203.0.113.7, ip=::1", KeyPermissions(ips=("203.0.113.7", "::1"))),
        ("trade,expires=2025-11-08", KeyPermissions(expires=datetime(2025, 11, 8, tzinfo=UTC))),
        ("trade,expires=2025-11-08T12:00:00+02:00", KeyPermissions(expires=datetime(2025, 11, 8, 10, tzinfo=UTC))),
    ],
)
def test_parse_when_a_key_is_written_then_its_permissions(spec: str, key: KeyPermissions) -> None:
    assert KeyPermissions.parse(spec) == key


@pytest.mark.parametrize("spec", ["trading", "ip=localhost", "expires=soon", "withdraw=yes", "ip="])
def test_parse_when_a_word_is_unknown_then_value_error_naming_it(spec: str) -> None:
    with pytest.raises(ValueError, match=f"{spec!r}: expected read-only, trade"):
        KeyPermissions.parse(spec)


@pytest.fixture
async def served(request: pytest.FixtureRequest) -> AsyncIterator[tuple[SimServer, Any]]:
    """A simulator whose key is ``request.param`` (written form), and a ccxt client."""
    engine = SimExchange.deterministic(SimConfig(key=KeyPermissions.parse(request.param)))
    async with running_sim(engine=engine) as sim:
        client = bybit_client(sim.url, sim.api_key, sim.api_secret, **TEST_CLIENT)
        try:
            yield sim, client
        finally:
            await client.close()


async def query_api(client: Any) -> dict[str, Any]:
    return dict((await client.privateGetV5UserQueryApi())["result"])


@pytest.mark.parametrize("served", ["trade"], indirect=True)
async def test_query_api_when_default_key_then_trade_only_any_address_never_expiring(
    served: tuple[SimServer, Any],
) -> None:
    record = await query_api(served[1])
    assert (record["readOnly"], record["ips"], record["deadlineDay"], record["expiredAt"]) == (0, ["*"], -1, "")
    assert record["permissions"]["Wallet"] == []
    assert record["permissions"]["ContractTrade"] == ["Order", "Position"]
    assert record["permissions"]["Spot"] == ["SpotTrade"]
    integers = ("readOnly", "type", "deadlineDay", "uta", "userID", "inviterID", "affiliateID", "unified")
    assert {name: type(record[name]) for name in integers} == dict.fromkeys(integers, int)  # docs: integer


@pytest.mark.parametrize("served", ["trade,transfer,withdraw,ip=127.0.0.1"], indirect=True)
async def test_query_api_when_key_can_withdraw_from_one_address_then_shown_as_bybit_shows_it(
    served: tuple[SimServer, Any],
) -> None:
    record = await query_api(served[1])
    assert (record["permissions"]["Wallet"], record["ips"]) == (["AccountTransfer", "Withdraw"], ["127.0.0.1"])


@pytest.mark.parametrize("served", ["trade,expires=2025-11-08"], indirect=True)
async def test_query_api_when_key_expires_then_days_left_and_the_moment(served: tuple[SimServer, Any]) -> None:
    record = await query_api(served[1])
    assert (record["deadlineDay"], record["expiredAt"]) == (30, "2025-11-08T00:00:00Z")


@pytest.mark.parametrize("served", ["read-only,trade"], indirect=True)
async def test_read_only_key_when_it_places_an_order_then_10005_while_reads_work(
    served: tuple[SimServer, Any],
) -> None:
    sim, client = served
    assert (await client.fetch_balance())["USDT"]["total"] == 10000.0
    with pytest.raises(ccxt.PermissionDenied, match="10005"):
        await client.create_order(SOL, "limit", "sell", 1, 240, {"postOnly": True})
    assert not sim.engine.venue.orders.open_orders()


@pytest.mark.parametrize("served", ["spot"], indirect=True)
async def test_spot_only_key_when_it_trades_a_perpetual_then_10005_and_spot_is_allowed(
    served: tuple[SimServer, Any],
) -> None:
    _, client = served
    with pytest.raises(ccxt.PermissionDenied, match="10005"):
        await client.create_order(SOL, "limit", "sell", 1, 240, {"postOnly": True})
    assert (await client.create_order("SOL/USDT", "limit", "buy", 1, 200))["id"]


@pytest.mark.parametrize("served", ["trade,ip=203.0.113.7"], indirect=True)
async def test_ip_bound_key_when_used_from_elsewhere_then_10010_on_private_calls_only(
    served: tuple[SimServer, Any],
) -> None:
    _, client = served
    tickers = await client.publicGetV5MarketTickers({"category": "linear", "symbol": "SOLUSDT"})
    assert tickers["retCode"] == 0  # public: no key involved
    with pytest.raises(ccxt.PermissionDenied, match="10010"):
        await client.privateGetV5AccountWalletBalance({"accountType": "UNIFIED"})


@pytest.mark.parametrize("served", ["trade,expires=2025-10-10"], indirect=True)
async def test_expiring_key_when_its_day_comes_then_33004(served: tuple[SimServer, Any]) -> None:
    sim, client = served
    assert await client.fetch_positions() == []
    sim.advance(timedelta(days=1))
    with pytest.raises(ccxt.ExchangeError, match="33004"):
        await client.fetch_positions()


async def control(sim: SimServer, method: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{sim.url}/__sim/key", json=body, headers=sim.control_headers) as reply,
    ):
        return reply.status, await reply.json()


async def test_control_api_when_the_key_is_changed_then_query_api_and_enforcement_follow(
    sim: SimServer, connect: Callable[..., Any]
) -> None:
    client = connect()
    status, shown = await control(sim, "POST", {"permissions": "read-only,trade,withdraw"})
    assert (status, shown["read_only"], shown["permissions"]["Wallet"]) == (200, True, ["Withdraw"])
    assert (await control(sim, "GET"))[1] == shown
    assert (await query_api(client))["readOnly"] == 1
    with pytest.raises(ccxt.PermissionDenied, match="10005"):
        await client.cancel_all_orders(SOL)
    status, refused = await control(sim, "POST", {"permissions": "teleport"})
    assert (status, "teleport" in refused["error"]) == (400, True)
