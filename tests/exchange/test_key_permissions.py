"""The API key's permissions at the request level, under the real ccxt classes on a fake session: each venue's own
record (Bybit /v5/user/query-api, Binance /sapi/v1/account/apiRestrictions, OKX /api/v5/account/config) is asked
for and read into ``KeyPermissions``; a record that does not say what it must is unreadable, never "cannot
withdraw". Bybit's shape is the simulator's (docs/v5/user/apikey-info); Binance's and OKX's are the documented
fields, not captures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.config import VenueMode
from bot.errors import AuthenticationFailed, DataError, VenueUnsupported
from bot.exchange.ccxt_adapter import CcxtExchange
from bot.exchange.port import KeyPermissions
from tests.exchange.fake_http import FakeSession, Reply
from tests.exchange.venues import build, bybit_reply, okx_reply

TRADE_ONLY = KeyPermissions(trade=True, withdraw=False, transfer=False, ip_restricted=True)


@pytest.fixture
async def binance_live(session: FakeSession) -> AsyncIterator[CcxtExchange]:
    """Binance live (its /sapi endpoints exist only there), ccxt's recorded markets loaded."""
    port = build("binance", VenueMode.LIVE, session)
    yield port
    await port.close()


def bybit_key(**changes: Any) -> dict[str, Any]:
    """A /v5/user/query-api record: a trade-only key bound to one address, never expiring."""
    empty: dict[str, list[str]] = {name: [] for name in ("Options", "CopyTrading", "BlockTrade", "Exchange", "NFT")}
    record = {
        "id": "1",
        "apiKey": "test-api-key-0001",
        "readOnly": 0,
        "permissions": empty
        | {
            "ContractTrade": ["Order", "Position"],
            "Derivatives": ["DerivativesTrade"],
            "Spot": ["SpotTrade"],
            "Wallet": [],
        },
        "ips": ["203.0.113.7"],
        "deadlineDay": -1,
        "expiredAt": "",
        "uta": 1,
    }
    return record | changes


def binance_key(**changes: Any) -> dict[str, Any]:
    """A /sapi/v1/account/apiRestrictions answer: a futures-trading key bound to IPs."""
    return {
        "ipRestrict": True,
        "createTime": 1698645219000,
        "enableReading": True,
        "enableWithdrawals": False,
        "enableInternalTransfer": False,
        "enableMargin": False,
        "enableFutures": True,
        "permitsUniversalTransfer": False,
        "enableVanillaOptions": False,
        "enableSpotAndMarginTrading": False,
        "enablePortfolioMarginTrading": False,
    } | changes


def okx_key(**changes: str) -> dict[str, Any]:
    """/api/v5/account/config's record: a trading key bound to one address."""
    return {"uid": "44705892343619584", "acctLv": "2", "posMode": "net_mode", "perm": "read_only,trade",
            "ip": "203.0.113.7", "label": "hedgebot"} | changes  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, TRADE_ONLY),
        (
            {"permissions": bybit_key()["permissions"] | {"Wallet": ["AccountTransfer", "Withdraw"]}, "ips": ["*"]},
            KeyPermissions(trade=True, withdraw=True, transfer=True, ip_restricted=False),
        ),
        (
            {"readOnly": 1, "ips": ["*"], "expiredAt": "2025-10-15T00:00:00Z", "deadlineDay": 5},
            KeyPermissions(False, False, False, False, datetime(2025, 10, 15, tzinfo=UTC)),
        ),
    ],
    ids=["trade only", "withdraw and transfer, any address", "read only, expiring"],
)
async def test_bybit_key_permissions_when_asked_then_query_api_read(
    bybit: CcxtExchange, session: FakeSession, changes: dict[str, Any], expected: KeyPermissions
) -> None:
    session.route("GET", "/v5/user/query-api", bybit_reply(bybit_key(**changes)))
    assert await bybit.fetch_key_permissions() == expected
    assert [r.path for r in session.requests][-1] == "/v5/user/query-api"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, TRADE_ONLY),
        ({"enableWithdrawals": True}, KeyPermissions(True, True, False, True)),
        ({"permitsUniversalTransfer": True, "ipRestrict": False}, KeyPermissions(True, False, True, False)),
        (
            {"enableFutures": False, "tradingAuthorityExpirationTime": 1760486400000},
            KeyPermissions(False, False, False, True, datetime(2025, 10, 15, tzinfo=UTC)),
        ),
    ],
    ids=["futures trading only", "withdrawals", "universal transfer, no IP", "no futures, expiring"],
)
async def test_binance_key_permissions_when_live_then_api_restrictions_read_on_the_spot_api(
    binance_live: CcxtExchange, session: FakeSession, changes: dict[str, Any], expected: KeyPermissions
) -> None:
    session.route("GET", "/sapi/v1/account/apiRestrictions", binance_key(**changes))
    assert await binance_live.fetch_key_permissions() == expected
    request = session.requests[-1]
    assert request.path == "/sapi/v1/account/apiRestrictions"
    assert "signature" in request.query  # a signed request with the key's own credentials


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, TRADE_ONLY),
        ({"perm": "read_only,withdraw,trade", "ip": ""}, KeyPermissions(True, True, False, False)),
        ({"perm": "read_only"}, KeyPermissions(False, False, False, True)),
    ],
    ids=["trade", "withdraw, no IP", "read only"],
)
async def test_okx_key_permissions_when_asked_then_account_config_read(
    okx: CcxtExchange, session: FakeSession, changes: dict[str, str], expected: KeyPermissions
) -> None:
    session.route("GET", "/api/v5/account/config", okx_reply([okx_key(**changes)]))
    assert await okx.fetch_key_permissions() == expected
    assert session.requests[-1].path == "/api/v5/account/config"


@pytest.mark.parametrize(
    "record",
    [bybit_key(readOnly="maybe"), bybit_key(ips=None), {k: v for k, v in bybit_key().items() if k != "permissions"}],
    ids=["read-only flag not a yes or no", "no address list", "no permissions"],
)
async def test_bybit_key_permissions_when_the_record_is_malformed_then_data_error_never_cannot_withdraw(
    bybit: CcxtExchange, session: FakeSession, record: dict[str, Any]
) -> None:
    session.route("GET", "/v5/user/query-api", bybit_reply(record))
    with pytest.raises(DataError, match="the API key's record could not be read"):
        await bybit.fetch_key_permissions()


async def test_binance_key_permissions_when_demo_then_unsupported_binance_demo_has_no_sapi(
    binance: CcxtExchange, session: FakeSession
) -> None:
    session.route("GET", "/sapi/v1/account/apiRestrictions", binance_key())
    with pytest.raises(VenueUnsupported, match="sapi"):
        await binance.fetch_key_permissions()
    assert not session.requests  # nothing was sent: the start-up check counts the key as unknown


async def test_binance_key_permissions_when_the_key_is_refused_then_authentication_failed(
    binance_live: CcxtExchange, session: FakeSession
) -> None:
    refused = {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}
    session.route("GET", "/sapi/v1/account/apiRestrictions", Reply(refused, status=401))
    with pytest.raises(AuthenticationFailed):
        await binance_live.fetch_key_permissions()
