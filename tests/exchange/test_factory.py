"""Building a venue from its configuration: which host each mode reaches, and what is refused at start-up."""

from __future__ import annotations

import pytest

from bot.config import VenueMode
from bot.errors import VenueUnsupported
from bot.exchange.quirks import QUIRKS, check_capabilities
from tests.exchange.fake_http import FakeSession
from tests.exchange.venues import build, bybit_reply, okx_reply

TIME_ROUTES = {
    "bybit": ("/v5/market/time", bybit_reply({"timeSecond": "1760097600", "timeNano": "0"})),
    "binance": ("/fapi/v1/time", {"serverTime": 1760097600000}),
    "okx": ("/api/v5/public/time", okx_reply([{"ts": "1760097600000"}])),
}


@pytest.mark.parametrize(
    ("exchange", "mode", "url", "expected"),
    [
        ("bybit", VenueMode.SIM, "http://127.0.0.1:8765", "http://127.0.0.1:8765/v5/market/time"),
        ("bybit", VenueMode.TESTNET, None, "https://api-testnet.bybit.com/v5/market/time"),
        ("bybit", VenueMode.DEMO, None, "https://api-demo.bybit.com/v5/market/time"),
        ("bybit", VenueMode.LIVE, None, "https://api.bybit.com/v5/market/time"),
        ("binance", VenueMode.DEMO, None, "https://demo-fapi.binance.com/fapi/v1/time"),
        ("binance", VenueMode.LIVE, None, "https://fapi.binance.com/fapi/v1/time"),
        ("okx", VenueMode.DEMO, None, "https://www.okx.com/api/v5/public/time"),
        ("okx", VenueMode.LIVE, None, "https://www.okx.com/api/v5/public/time"),
    ],
)
async def test_build_exchange_when_mode_is_chosen_then_requests_reach_that_environment(
    session: FakeSession, exchange: str, mode: VenueMode, url: str | None, expected: str
) -> None:
    path, reply = TIME_ROUTES[exchange]
    session.route("GET", path, reply)
    port = build(exchange, mode, session, url=url, markets=False)
    await port.server_time()
    await port.close()
    assert session.requests[0].url == expected


async def test_build_exchange_when_sim_then_every_api_entry_points_at_the_simulator(session: FakeSession) -> None:
    port = build("bybit", VenueMode.SIM, session, url="http://127.0.0.1:8765/", markets=False)
    api = port.perp.urls["api"]
    await port.close()
    assert set(api.values()) == {"http://127.0.0.1:8765"}
    assert set(api) == {"spot", "futures", "v2", "public", "private"}


async def test_build_exchange_when_binance_then_two_instances_share_the_given_session(session: FakeSession) -> None:
    port = build("binance", VenueMode.DEMO, session, markets=False)
    ids = [instance.id for instance in port.exchanges]
    sessions = {id(instance.session) for instance in port.exchanges}
    await port.close()
    assert ids == ["binance", "binanceusdm"]
    assert sessions == {id(session)}
    assert not session.closed  # a session handed in is the caller's to close


@pytest.mark.parametrize(
    ("exchange", "mode"),
    [
        ("binance", VenueMode.TESTNET),  # ccxt refuses Binance's retired futures testnet
        ("binance", VenueMode.SIM),
        ("okx", VenueMode.TESTNET),  # OKX has no testnet: its demo account is the sandbox
        ("okx", VenueMode.SIM),
    ],
)
def test_build_exchange_when_the_venue_cannot_run_in_that_mode_then_venue_unsupported(
    session: FakeSession, exchange: str, mode: VenueMode
) -> None:
    with pytest.raises(VenueUnsupported, match=f"{exchange} cannot run in mode '{mode.value}'"):
        build(exchange, mode, session, url="http://127.0.0.1:8765" if mode is VenueMode.SIM else None)


def test_check_capabilities_when_ccxt_lacks_a_needed_call_then_every_gap_is_named() -> None:
    has = dict.fromkeys(("fetchBalance", "fetchTickers", "fetchOrderBook", "fetchOHLCV"), True)
    with pytest.raises(VenueUnsupported) as raised:
        check_capabilities(QUIRKS["bybit"], has, {**has, "fetchPositions": False})
    for missing in ("bybit.fetchPositions", "bybit.createOrder", "bybit.fetchCanceledAndClosedOrders"):
        assert missing in str(raised.value)


@pytest.mark.parametrize("exchange", sorted(QUIRKS))
async def test_check_capabilities_when_a_supported_venue_then_ccxt_offers_everything(
    session: FakeSession, exchange: str
) -> None:
    port = build(exchange, VenueMode.LIVE, session, markets=False)  # raises VenueUnsupported otherwise
    await port.close()
    assert port.quirks is QUIRKS[exchange]
