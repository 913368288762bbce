"""The snapshot reader: what one cycle reads, how many requests it costs, and that they run concurrently."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.config import VenueMode
from bot.domain import Balance, Holding, HoldingSource, Market
from bot.errors import ExchangeUnavailable
from bot.exchange.ccxt_adapter import CcxtExchange
from bot.exchange.snapshot import HistoryRequest, SnapshotRequest, read_venue_snapshot
from tests.exchange.fake_http import FakeSession, Reply
from tests.exchange.fake_port import FakePort
from tests.exchange.venues import (
    NOW,
    D,
    build,
    bybit_reply,
    recorded_reply,
    serve_bybit_account,
    serve_bybit_instruments,
)
from tests.factories import btc_perp_market, sol_perp_market, sol_spot_market

CLOCK = ManualClock(NOW)
ALTS = 50


def alt(index: int) -> str:
    return f"ALT{index:03d}"


def wallet_coin(coin: str, total: str) -> dict[str, Any]:
    """One coin of Bybit's unified wallet-balance reply, shaped like the recorded ones."""
    row = recorded_reply("bybit", "fetchBalance")["result"]["list"][0]["coin"][0]
    return {**row, "coin": coin, "equity": total, "walletBalance": total, "totalPositionIM": "0", "totalOrderIM": "0"}


def serve_cycle(session: FakeSession, holdings: int) -> None:
    """A Bybit account holding ``holdings`` alts and USDT, with every market-data endpoint answering."""
    wallet = recorded_reply("bybit", "fetchBalance")
    coins = [wallet_coin("USDT", "20000")] + [wallet_coin(alt(i), "1000") for i in range(holdings)]
    wallet["result"]["list"][0]["coin"] = coins
    session.route("GET", "/v5/account/wallet-balance", wallet)
    spot_rows = [
        {"symbol": f"{alt(i)}USDT", "bid1Price": "1.00", "ask1Price": "1.02", "lastPrice": "1.01"} for i in range(ALTS)
    ]
    session.route(
        "GET", "/v5/market/tickers", bybit_reply({"category": "spot", "list": spot_rows}), when={"category": "spot"}
    )
    session.route("GET", "/v5/market/tickers", recorded_reply("bybit", "fetchFundingRate"), when={"category": "linear"})
    session.route("GET", "/v5/position/list", recorded_reply("bybit", "fetchPositions"))
    session.route("GET", "/v5/order/realtime", bybit_reply({"category": "linear", "list": []}))
    session.route("GET", "/v5/market/orderbook", recorded_reply("bybit", "fetchOrderBook", "swap orderbook"))


@pytest.fixture
async def bybit_alts(session: FakeSession) -> AsyncIterator[tuple[CcxtExchange, dict[str, Market]]]:
    """Bybit testnet listing 50 more spot coins (cloned from the recorded LTCUSDT listing), markets loaded."""
    serve_bybit_account(session)
    serve_bybit_instruments(session, extra_spot=ALTS)
    port = build("bybit", VenueMode.TESTNET, session, markets=False)
    markets = dict(await port.load_markets())
    session.requests.clear()
    yield port, markets
    await port.close()


@pytest.mark.parametrize("holdings", [1, 10, 50])
@pytest.mark.parametrize(
    ("hedges", "named", "requests"),
    [
        (("BTC/USDT:USDT",), True, 6),  # balance, spot tickers, perp tickers (with funding), positions, orders, 1 book
        (("BTC/USDT:USDT", "LTC/USDT:USDT"), True, 7),  # one more book per hedge instrument
        (("BTC/USDT:USDT",), False, 6),  # wallet coins nobody named: priced by one batched request after
    ],
)
async def test_read_venue_snapshot_when_holdings_grow_then_bybit_requests_per_cycle_do_not(
    bybit_alts: tuple[CcxtExchange, dict[str, Market]],
    session: FakeSession,
    holdings: int,
    hedges: tuple[str, ...],
    named: bool,
    requests: int,
) -> None:
    port, markets = bybit_alts
    serve_cycle(session, holdings)
    assets = tuple(alt(i) for i in range(holdings)) if named else ()
    request = SnapshotRequest(assets=assets, hedge_symbols=hedges)
    await read_venue_snapshot(
        port, request, markets, CLOCK
    )  # the first cycle also learns, once, that the account is unified
    session.requests.clear()
    snapshot = await read_venue_snapshot(port, request, markets, CLOCK)
    assert len(session.requests) == requests
    assert len(snapshot.holdings) == holdings
    assert len(snapshot.spot) == holdings


async def test_read_venue_snapshot_when_read_then_every_part_of_the_cycle_is_there(
    bybit_alts: tuple[CcxtExchange, dict[str, Market]], session: FakeSession
) -> None:
    port, markets = bybit_alts
    serve_cycle(session, 2)
    static = Holding(asset="ALT049", quantity=D(500), source=HoldingSource.static("cold wallet"))
    request = SnapshotRequest(
        assets=("ALT000",), hedge_symbols=("BTC/USDT:USDT", "LTC/USDT:USDT"), book_depth=2, static_holdings=(static,)
    )
    snapshot = await read_venue_snapshot(port, request, markets, CLOCK)
    assert snapshot.taken_at == NOW
    assert snapshot.holdings == (
        Holding("ALT000", D(1000), HoldingSource.exchange("bybit")),
        Holding("ALT001", D(1000), HoldingSource.exchange("bybit")),
        static,
    )  # USDT is excluded: it is the quote, not a holding
    assert {a: q.mid for a, q in snapshot.spot.items()} == {
        "ALT000": D("1.01"),
        "ALT001": D("1.01"),
        "ALT049": D("1.01"),
    }
    assert snapshot.tickers["BTC/USDT:USDT"].mark == D("68591.46")
    assert snapshot.positions["LTC/USDT:USDT"].contracts == D("1.2")
    assert snapshot.positions["BTC/USDT:USDT"].is_flat
    assert len(snapshot.books["BTC/USDT:USDT"].bids) == 2
    assert snapshot.balances["USDT"].total == D(20000)
    assert set(snapshot.markets) == {"BTC/USDT:USDT", "LTC/USDT:USDT", "ALT000/USDT", "ALT001/USDT", "ALT049/USDT"}


async def test_read_venue_snapshot_when_a_request_fails_then_the_whole_read_fails(
    bybit_alts: tuple[CcxtExchange, dict[str, Market]], session: FakeSession
) -> None:
    port, markets = bybit_alts
    serve_cycle(session, 1)
    session.route("GET", "/v5/market/orderbook", Reply("Bad Gateway", 502))
    with pytest.raises(ExchangeUnavailable, match="fetch_order_book BTC/USDT:USDT"):
        await read_venue_snapshot(
            port, SnapshotRequest(assets=("ALT000",), hedge_symbols=("BTC/USDT:USDT",)), markets, CLOCK
        )


def fake_venue(*, unified_wallet: bool = True) -> FakePort:
    usdt = Balance("USDT", D(5000), D(0), D(5000))
    sol = Balance("SOL", D(100), D(0), D(100))
    return FakePort(
        markets=[sol_perp_market(), btc_perp_market()],
        balances={"USDT": usdt} if not unified_wallet else {"USDT": usdt, "SOL": sol},
        spot_balances={"SOL": sol, "USDT": usdt},
        prices={"SOL": "150", "BTC": "60000", "SOL/USDT:USDT": "150.1", "BTC/USDT:USDT": "60010"},
        unified_wallet=unified_wallet,
    )


async def test_read_venue_snapshot_when_read_then_the_account_first_then_tickers_and_books_together() -> None:
    port = fake_venue()
    request = SnapshotRequest(assets=("SOL",), hedge_symbols=("SOL/USDT:USDT", "BTC/USDT:USDT"))
    await read_venue_snapshot(port, request, port.markets, CLOCK)
    names = [name for name, _ in port.calls]
    market = {"fetch_perp_tickers", "fetch_order_book"}
    first_market = min(i for i, name in enumerate(names) if name in market)
    assert set(names[first_market:]) == market  # the market last: nothing of the account after it
    assert port.most_in_flight == 3  # margin, quotes and open orders at once; then the tickers and two books
    assert port.called("fetch_spot_balances") == []  # a unified wallet is read once


async def test_read_venue_snapshot_when_read_then_positions_are_requested_only_after_open_orders_answered() -> None:
    port = fake_venue()
    answered: list[str] = []
    fetch_orders, fetch_positions = port.fetch_open_orders, port.fetch_positions

    async def orders(symbols):  # type: ignore[no-untyped-def]
        result = await fetch_orders(symbols)
        answered.append("orders")
        return result

    async def positions(symbols):  # type: ignore[no-untyped-def]
        assert answered == ["orders"], "positions must be read after the open orders (a fill in between is safe)"
        return await fetch_positions(symbols)

    port.fetch_open_orders, port.fetch_positions = orders, positions  # type: ignore[method-assign]
    request = SnapshotRequest(assets=("SOL",), hedge_symbols=("SOL/USDT:USDT",))
    snapshot = await read_venue_snapshot(port, request, port.markets, CLOCK)
    assert "SOL/USDT:USDT" in snapshot.positions


async def test_read_venue_snapshot_when_wallets_are_separate_then_holdings_come_from_spot_and_balances_from_margin() -> (
    None
):
    port = fake_venue(unified_wallet=False)
    request = SnapshotRequest(assets=(), hedge_symbols=("SOL/USDT:USDT",))
    snapshot = await read_venue_snapshot(port, request, port.markets, CLOCK)
    assert snapshot.holdings == (Holding("SOL", D(100), HoldingSource.exchange("bybit")),)
    assert set(snapshot.balances) == {"USDT"}


async def test_read_venue_snapshot_when_the_wallet_does_not_count_then_only_static_holdings() -> None:
    port = fake_venue()
    static = Holding("BTC", D("0.5"), HoldingSource.static("ledger"))
    request = SnapshotRequest(assets=(), hedge_symbols=("BTC/USDT:USDT",), static_holdings=(static,), read_wallet=False)
    snapshot = await read_venue_snapshot(port, request, port.markets, CLOCK)
    assert (snapshot.holdings, list(snapshot.spot)) == ((static,), ["BTC"])


async def test_read_venue_snapshot_when_history_is_asked_then_closes_per_listed_symbol() -> None:
    port = fake_venue()
    port.markets["SOL/USDT"] = sol_spot_market()
    request = SnapshotRequest(assets=("SOL",), hedge_symbols=("BTC/USDT:USDT",), history=HistoryRequest("1h", 3))
    snapshot = await read_venue_snapshot(port, request, port.markets, CLOCK)
    assert snapshot.history == {"SOL": (D(100), D(101), D(102)), "BTC/USDT:USDT": (D(100), D(101), D(102))}
    assert sorted(args[0] for args in port.called("fetch_price_history")) == ["BTC/USDT:USDT", "SOL/USDT"]
