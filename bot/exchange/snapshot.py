"""Read one cycle's Snapshot through the port: concurrent requests, batched so their number does not grow with holdings.

Per cycle: margin balances (and the spot wallet where it is separate), one batched spot-quote request, one
open-orders and then one positions request per settle coin (in that order: see ``_orders_then_positions``); then,
last and together (``read_market``), the batched perp price calls and one order book per hedge instrument (books
grow with hedge instruments, never with holdings). A wallet asset nobody asked to value adds one
more batched quote request. Price history for beta estimation (one candle request per symbol) is optional.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import structlog

from bot.clock import Clock
from bot.domain import Balance, Holding, HoldingSource, Market, Order, OrderBook, Position, Snapshot
from bot.errors import DataError
from bot.exchange.port import ExchangePort

log = structlog.get_logger(__name__)

DEFAULT_EXCLUDED = frozenset({"USDT", "USDC"})


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    """Candle closes to read for beta estimation."""

    timeframe: str = "1h"
    limit: int = 168  # one week of hourly closes


@dataclass(frozen=True, slots=True)
class SnapshotRequest:
    """What one cycle needs to read from one venue."""

    assets: tuple[str, ...]  # spot assets to value (wallet assets are valued too)
    hedge_symbols: tuple[str, ...]  # perpetuals the bot hedges with
    book_depth: int = 20
    # holdings kept elsewhere (static ones, other venues' wallets), valued at this venue's spot price
    static_holdings: tuple[Holding, ...] = ()
    read_wallet: bool = True  # the venue's spot wallet counts as holdings
    exclude: frozenset[str] = field(default=DEFAULT_EXCLUDED)  # assets never counted as holdings
    only: frozenset[str] | None = None  # the only assets counted as holdings (None: all but the excluded)
    quote: str = "USDT"
    history: HistoryRequest | None = None


async def read_venue_snapshot(
    port: ExchangePort,
    request: SnapshotRequest,
    markets: Mapping[str, Market],
    clock: Clock,
    *,
    with_market: bool = True,
) -> Snapshot:
    """Everything one cycle decides from. ``markets`` is what ``port.load_markets()`` returned at start-up.

    The account first (wallet, quotes, open orders, positions), then the hedge instruments' tickers and books together
    (``read_market``), so that a price is set from a book as fresh as it can be, and checked against a mark read
    at the same moment. ``with_market=False`` reads the account only: the caller reads the market later, right before
    pricing.

    ``Snapshot.balances`` holds the wallet that margins the perpetuals (see ``ExchangePort.fetch_margin_balances``).
    Any failed request fails the whole read: a cycle never decides from a partial picture. The exceptions are
    one instrument's malformed book, and tickers and spot quotes the port could not read: those instruments and
    holdings are held this cycle (``Snapshot.bad_data``, or no ticker or quote), the rest decided as usual.
    """
    taken_at = clock.now()
    symbols = tuple(sorted(set(request.hedge_symbols)))
    wanted = _countable(list(request.assets) + [h.asset for h in request.static_holdings], request)

    margin = asyncio.ensure_future(port.fetch_margin_balances())
    wallet = (
        asyncio.ensure_future(port.fetch_spot_balances()) if request.read_wallet and not port.unified_wallet else None
    )
    quotes = asyncio.ensure_future(port.fetch_spot_quotes(sorted(wanted)))
    positions = asyncio.ensure_future(_orders_then_positions(port, symbols))
    first_round: list[asyncio.Future[Any]] = [margin, quotes, positions]
    await _all(first_round + ([wallet] if wallet else []))
    open_orders, current_positions = positions.result()

    if not request.read_wallet:
        wallet_balances: Mapping[str, Balance] = {}
    else:
        wallet_balances = wallet.result() if wallet else margin.result()
    wallet_counted = wallet_holdings(port.venue, wallet_balances, request.exclude, request.quote)
    holdings = (*(h for h in wallet_counted if _counts(h.asset, request)), *request.static_holdings)
    spot = dict(quotes.result())
    unpriced = _countable([h.asset for h in holdings], request) - spot.keys()
    later_quotes = asyncio.ensure_future(port.fetch_spot_quotes(sorted(unpriced))) if unpriced else None
    history = _history(port, request, markets, {h.asset for h in holdings}, symbols)
    await _all(([later_quotes] if later_quotes else []) + list(history.values()))
    if later_quotes:
        spot.update(later_quotes.result())

    spot_symbols = {q.symbol for q in spot.values()}
    snapshot = Snapshot(
        taken_at=taken_at,
        holdings=holdings,
        spot=spot,
        markets={s: m for s, m in markets.items() if s in symbols or s in spot_symbols},
        tickers={},
        books={},
        positions=current_positions,
        open_orders=tuple(open_orders),
        balances=margin.result(),
        history={key: future.result() for key, future in history.items()},
    )
    return await read_market(port, snapshot, symbols, request.book_depth) if with_market else snapshot


async def read_market(port: ExchangePort, snapshot: Snapshot, symbols: Sequence[str], depth: int) -> Snapshot:
    """``snapshot`` with the tickers and order books of ``symbols`` read now, together: an order is priced from a
    book and checked against a mark of the same moment. A malformed book holds its instrument (``bad_data``)."""
    tickers = asyncio.ensure_future(port.fetch_perp_tickers(symbols))
    books = [asyncio.ensure_future(_book(port, s, depth)) for s in symbols]
    await _all([tickers, *books])
    read_books = [book.result() for book in books]
    problems = {symbol: book for symbol, book in zip(symbols, read_books, strict=True) if isinstance(book, str)}
    return replace(
        snapshot,
        tickers=tickers.result(),
        books={book.symbol: book for book in read_books if isinstance(book, OrderBook)},
        bad_data={**problems, **snapshot.bad_data},
    )


async def _book(port: ExchangePort, symbol: str, depth: int) -> OrderBook | str:
    """The instrument's book, or why its reply was unusable: a bad book holds that instrument, not the cycle."""
    try:
        return await port.fetch_order_book(symbol, depth)
    except DataError as exc:
        log.warning("snapshot.book_unusable", symbol=symbol, error=str(exc))
        return f"its order book could not be read: {exc}"


async def _orders_then_positions(
    port: ExchangePort, symbols: Sequence[str]
) -> tuple[list[Order], Mapping[str, Position]]:
    """Open orders first, positions after: never the other way round, and never at the same time.

    If one of our orders fills between the two reads, reading orders first counts the fill twice (still resting,
    and in the position): the planner sees a bigger hedge than there is and under-hedges for one cycle. Read the
    other way round (or concurrently), the fill could be counted nowhere (gone from the orders, not yet in the
    position) and the planner would send the same hedge again.
    """
    orders = await port.fetch_open_orders(symbols)
    return orders, await port.fetch_positions(symbols)


def _counts(asset: str, request: SnapshotRequest) -> bool:
    return asset != request.quote and asset not in request.exclude and (request.only is None or asset in request.only)


def _countable(assets: Iterable[str], request: SnapshotRequest) -> set[str]:
    return {a for a in assets if _counts(a, request)}


def wallet_holdings(
    venue: str, balances: Mapping[str, Balance], exclude: frozenset[str], quote: str
) -> tuple[Holding, ...]:
    """The holdings a venue's wallet counts: every coin it holds but the quote currency and the excluded ones."""
    return tuple(
        Holding(asset=b.asset, quantity=b.total, source=HoldingSource.exchange(venue))
        for b in sorted(balances.values(), key=lambda b: b.asset)
        if b.total > 0 and b.asset != quote and b.asset not in exclude
    )


def _history(
    port: ExchangePort,
    request: SnapshotRequest,
    markets: Mapping[str, Market],
    assets: set[str],
    symbols: Sequence[str],
) -> dict[str, asyncio.Future[tuple[Decimal, ...]]]:
    """Close prices keyed by asset (spot) and by symbol (perp), for the symbols the venue lists, when asked for."""
    if request.history is None:
        return {}
    timeframe, limit = request.history.timeframe, request.history.limit
    keys = {a: f"{a}/{request.quote}" for a in sorted(_countable(assets | set(request.assets), request))}
    keys.update({s: s for s in symbols})
    keys = {key: symbol for key, symbol in keys.items() if symbol in markets}
    return {
        key: asyncio.ensure_future(port.fetch_price_history(symbol, timeframe, limit)) for key, symbol in keys.items()
    }


async def _all(futures: Sequence[asyncio.Future[Any]]) -> None:
    """Wait for every request, then raise the first failure; nothing is left running or unretrieved."""
    if not futures:
        return
    try:
        await asyncio.wait(futures)
    finally:
        for future in futures:
            future.cancel()  # only those still running: the caller itself was cancelled
    failures = [failure for future in futures if (failure := future.exception()) is not None]
    if failures:
        raise failures[0]
