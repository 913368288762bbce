"""The venues' own dead-man's switches, request level under the real ccxt classes: OKX cancel-all-after (one timer,
scoped to orders tagged as ours), Binance USD-M countdownCancelAll (per symbol, through ccxt's raw endpoint), and
Bybit, whose ordinary accounts have none. OKX replies are minimal ones built from its documented v5 shapes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import VenueMode
from bot.errors import ExchangeUnavailable, VenueUnsupported
from bot.exchange.ccxt_adapter import CcxtExchange
from bot.exchange.port import SwitchScope
from tests.exchange.fake_http import FakeSession, Reply
from tests.exchange.venues import build, okx_reply

CANCEL_ALL_AFTER = "/api/v5/trade/cancel-all-after"
COUNTDOWN = "/fapi/v1/countdownCancelAll"


def okx_timer(seconds: int) -> dict[str, object]:
    return okx_reply([{"triggerTime": str(1760097600 + seconds), "tag": "hedgebot", "ts": "1760097600"}])


@pytest.mark.parametrize(("fires_after", "sent"), [(timedelta(seconds=60), 60), (timedelta(minutes=2), 120)])
async def test_okx_arm_when_refreshed_then_cancel_all_after_with_the_timeout_in_seconds_and_our_tag(
    okx: CcxtExchange, session: FakeSession, fires_after: timedelta, sent: int
) -> None:
    session.route("POST", CANCEL_ALL_AFTER, okx_timer(sent))
    await okx.arm_cancel_switch(["SOL/USDT:USDT"], fires_after)
    await okx.arm_cancel_switch(["SOL/USDT:USDT"], fires_after)  # a refresh is the same request again
    first, again = session.made("POST", CANCEL_ALL_AFTER)
    assert first.json == again.json == {"timeOut": sent, "tag": "hedgebot"}
    assert first.headers["x-simulated-trading"] == "1"  # demo trading, like every other request


async def test_okx_disarm_when_stopping_cleanly_then_the_timer_is_set_to_zero_for_our_tag(
    okx: CcxtExchange, session: FakeSession
) -> None:
    session.route("POST", CANCEL_ALL_AFTER, okx_timer(0))
    await okx.disarm_cancel_switch(["SOL/USDT:USDT"])
    (request,) = session.made("POST", CANCEL_ALL_AFTER)
    assert request.json == {"timeOut": 0, "tag": "hedgebot"}


async def test_okx_switch_when_described_then_one_timer_for_our_tagged_orders_within_10_to_120_seconds(
    okx: CcxtExchange,
) -> None:
    switch = okx.cancel_switch
    assert switch is not None
    assert (switch.name, switch.scope, switch.per_instrument) == ("cancel-all-after", SwitchScope.OUR_ORDERS, False)
    assert switch.timeout_for(timedelta(minutes=5)) == timedelta(minutes=2)
    assert switch.timeout_for(timedelta(seconds=3)) == timedelta(seconds=10)


async def test_okx_arm_when_timeout_outside_its_bounds_then_refused_before_sending(
    okx: CcxtExchange, session: FakeSession
) -> None:
    with pytest.raises(ValueError, match="cancel-all-after takes a timeout"):
        await okx.arm_cancel_switch(["SOL/USDT:USDT"], timedelta(minutes=5))
    assert session.requests == []


async def test_okx_arm_when_the_venue_is_down_then_retried_then_our_error(session: FakeSession) -> None:
    session.route("POST", CANCEL_ALL_AFTER, Reply("Service Unavailable", 503))
    port = build("okx", VenueMode.DEMO, session)
    with pytest.raises(ExchangeUnavailable):
        await port.arm_cancel_switch(["SOL/USDT:USDT"], timedelta(seconds=60))
    await port.close()
    assert (
        len(session.made("POST", CANCEL_ALL_AFTER)) == 4
    )  # the retry policy's attempts: setting a timer is idempotent


async def test_binance_arm_when_two_instruments_then_one_countdown_per_symbol_in_milliseconds(
    binance: CcxtExchange, session: FakeSession
) -> None:
    session.route("POST", COUNTDOWN, {"symbol": "BTCUSDT", "countdownTime": "90000"})
    await binance.arm_cancel_switch(["LTC/USDT:USDT", "BTC/USDT:USDT"], timedelta(seconds=90))
    requests = session.made("POST", COUNTDOWN)
    assert [(r.host, r.params["symbol"], r.params["countdownTime"]) for r in requests] == [
        ("demo-fapi.binance.com", "BTCUSDT", "90000"),
        ("demo-fapi.binance.com", "LTCUSDT", "90000"),
    ]
    assert all("signature" in r.params for r in requests)  # a signed, private endpoint


async def test_binance_disarm_when_stopping_cleanly_then_each_countdown_set_to_zero(
    binance: CcxtExchange, session: FakeSession
) -> None:
    session.route("POST", COUNTDOWN, {"symbol": "BTCUSDT", "countdownTime": "0"})
    await binance.disarm_cancel_switch(["BTC/USDT:USDT"])
    (request,) = session.made("POST", COUNTDOWN)
    assert (request.params["symbol"], request.params["countdownTime"]) == ("BTCUSDT", "0")


async def test_binance_switch_when_described_then_per_symbol_and_it_cancels_every_order_of_the_symbol(
    binance: CcxtExchange,
) -> None:
    switch = binance.cancel_switch
    assert switch is not None
    assert (switch.name, switch.scope, switch.per_instrument) == ("countdownCancelAll", SwitchScope.INSTRUMENT, True)


async def test_bybit_switch_when_asked_then_none_for_ordinary_accounts_and_nothing_sent(
    bybit: CcxtExchange, session: FakeSession
) -> None:
    assert bybit.cancel_switch is None
    with pytest.raises(VenueUnsupported, match="no dead-man's switch"):
        await bybit.arm_cancel_switch(["BTC/USDT:USDT"], timedelta(seconds=60))
    assert session.requests == []
