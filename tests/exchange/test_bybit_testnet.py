"""Against the real Bybit testnet: opt-in only (HEDGEBOT_NETWORK_TESTS=1 and BYBIT_TESTNET_API_KEY/_SECRET set).

Reads the account and markets, then rests one post-only buy far below the market (fake money) and cancels it.
"""

from __future__ import annotations

import os
import time
from decimal import Decimal

import pytest
from pydantic import SecretStr

from bot.clock import SystemClock
from bot.config import Credentials, VenueConfig, VenueMode
from bot.domain import OrderStatus, Side, round_price_passive, round_to_step
from bot.exchange.factory import build_exchange
from bot.exchange.port import OrderRequest
from bot.exchange.snapshot import SnapshotRequest, read_venue_snapshot
from bot.settings.from_config import venue_settings

KEY, SECRET = os.environ.get("BYBIT_TESTNET_API_KEY"), os.environ.get("BYBIT_TESTNET_API_SECRET")

pytestmark = [
    pytest.mark.network,
    pytest.mark.skipif(
        os.environ.get("HEDGEBOT_NETWORK_TESTS") != "1" or not (KEY and SECRET),
        reason="talks to the real Bybit testnet: set HEDGEBOT_NETWORK_TESTS=1 and BYBIT_TESTNET_API_KEY/_SECRET",
    ),
]

SYMBOL = "BTC/USDT:USDT"


async def test_bybit_testnet_when_read_and_a_far_post_only_order_rests_then_it_can_be_found_and_cancelled() -> None:
    credentials = Credentials(SecretStr(KEY or ""), SecretStr(SECRET or ""), None, "environment (BYBIT_TESTNET_*)")
    venue = VenueConfig(exchange="bybit", mode=VenueMode.TESTNET, credentials="BYBIT_TESTNET")
    port = build_exchange(venue_settings("bybit-testnet", venue), credentials, SystemClock())
    try:
        markets = await port.load_markets()
        snapshot = await read_venue_snapshot(
            port, SnapshotRequest(assets=("BTC",), hedge_symbols=(SYMBOL,)), markets, SystemClock()
        )
        market, mark = markets[SYMBOL], snapshot.tickers[SYMBOL].mark
        price = round_price_passive(mark * Decimal("0.7"), market.tick_size, Side.BUY)
        amount = max(market.min_qty, round_to_step(market.min_notional / price * 2, market.lot_step))
        client_id = f"hbnet{int(time.time())}"
        order = await port.place_order(OrderRequest(SYMBOL, Side.BUY, amount, price, client_id, reduce_only=False))
        assert order.status is OrderStatus.OPEN
        await port.cancel_order(SYMBOL, client_order_id=client_id)
        cancelled = await port.fetch_order(SYMBOL, client_order_id=client_id)
        assert cancelled is not None
        assert cancelled.status is OrderStatus.CANCELED
    finally:
        await port.close()
