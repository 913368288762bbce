"""Named, realistic test values: markets as Bybit lists them, books, positions, snapshots."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

from bot.domain import (
    BookLevel,
    Holding,
    Market,
    MarketType,
    OrderBook,
    PerpTicker,
    Position,
    Snapshot,
    SpotQuote,
)

NOW = datetime(2025, 10, 10, 12, 0, tzinfo=UTC)
D = Decimal


def sol_perp_market() -> Market:
    """SOLUSDT linear perpetual as Bybit lists it: tick 0.01, lot 0.1 SOL, min 0.1, min notional 5 USDT."""
    return Market(
        symbol="SOL/USDT:USDT",
        base="SOL",
        quote="USDT",
        settle="USDT",
        type=MarketType.PERP,
        tick_size=D("0.01"),
        lot_step=D("0.1"),
        min_qty=D("0.1"),
        min_notional=D(5),
        contract_size=D(1),
        max_leverage=D(100),
    )


def sol_spot_market() -> Market:
    """SOLUSDT spot as Bybit lists it: tick 0.01, lot 0.001 SOL, min 0.001, min notional 5 USDT."""
    return Market(
        symbol="SOL/USDT",
        base="SOL",
        quote="USDT",
        type=MarketType.SPOT,
        tick_size=D("0.01"),
        lot_step=D("0.001"),
        min_qty=D("0.001"),
        min_notional=D(5),
    )


def btc_perp_market() -> Market:
    """BTCUSDT linear perpetual as Bybit lists it: tick 0.1, lot 0.001 BTC, min notional 5 USDT."""
    return Market(
        symbol="BTC/USDT:USDT",
        base="BTC",
        quote="USDT",
        settle="USDT",
        type=MarketType.PERP,
        tick_size=D("0.1"),
        lot_step=D("0.001"),
        min_qty=D("0.001"),
        min_notional=D(5),
        contract_size=D(1),
        max_leverage=D(100),
    )


def btc_mini_contract_market() -> Market:
    """The seed article's BTC mini-future: one contract is 0.1 BTC, whole contracts only."""
    return Market(
        symbol="BTC/USDT:USDT",
        base="BTC",
        quote="USDT",
        settle="USDT",
        type=MarketType.PERP,
        tick_size=D("0.1"),
        lot_step=D(1),
        min_qty=D(1),
        min_notional=D(0),
        contract_size=D("0.1"),
        max_leverage=D(50),
    )


def book(symbol: str, bid: str, ask: str, size: str = "100", levels: int = 5, tick: str = "0.01") -> OrderBook:
    """A book with ``levels`` levels of ``size`` each side, spaced one tick apart from the touch."""
    step = D(tick)
    return OrderBook(
        symbol=symbol,
        bids=tuple(BookLevel(D(bid) - i * step, D(size)) for i in range(levels)),
        asks=tuple(BookLevel(D(ask) + i * step, D(size)) for i in range(levels)),
        timestamp=NOW,
    )


def spot_quote(asset: str, bid: str, ask: str, last: str | None = None) -> SpotQuote:
    return SpotQuote(
        asset=asset,
        symbol=f"{asset}/USDT",
        bid=D(bid),
        ask=D(ask),
        last=D(last) if last is not None else (D(bid) + D(ask)) / 2,
        timestamp=NOW,
    )


def perp_ticker(symbol: str, mark: str, funding_rate: str = "0.0001") -> PerpTicker:
    return PerpTicker(
        symbol=symbol,
        last=D(mark),
        mark=D(mark),
        index=D(mark),
        bid=D(mark),
        ask=D(mark),
        funding_rate=D(funding_rate),
        next_funding_time=NOW,
        timestamp=NOW,
    )


def short_position(symbol: str, contracts: str, entry: str) -> Position:
    return Position(
        symbol=symbol,
        contracts=-abs(D(contracts)),
        entry_price=D(entry),
        mark_price=D(entry),
        liquidation_price=None,
        leverage=D(1),
        margin_mode=None,
        unrealized_pnl=D(0),
        timestamp=NOW,
    )


def snapshot(
    holdings: Iterable[Holding] = (),
    spot: Iterable[SpotQuote] = (),
    markets: Iterable[Market] = (),
    tickers: Iterable[PerpTicker] = (),
    books: Iterable[OrderBook] = (),
    positions: Iterable[Position] = (),
) -> Snapshot:
    return Snapshot(
        taken_at=NOW,
        holdings=tuple(holdings),
        spot={q.asset: q for q in spot},
        markets={m.symbol: m for m in markets},
        tickers={t.symbol: t for t in tickers},
        books={b.symbol: b for b in books},
        positions={p.symbol: p for p in positions},
    )
