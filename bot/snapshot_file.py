"""Snapshot files: a ``Snapshot`` as JSON (Decimals as strings, times ISO 8601 with a zone), read and written.

Used by ``hedgebot plan --snapshot FILE``, by tests, and to record what a cycle saw. Format (every list and
``history`` optional; unknown keys are errors)::

    {"format": "hedgebot-snapshot/1", "taken_at": "2022-06-20T00:00:00Z",
     "holdings":    [{"asset": "ETH", "quantity": "8", "source": "exchange:main"}],
     "spot":        [{"asset": "ETH", "symbol": "ETH/USDT", "bid": "1128.5", "ask": "1128.6", "last": "1128.53",
                      "timestamp": "..."}],
     "markets":     [{"symbol": "ETH/USDT:USDT", "base": "ETH", "quote": "USDT", "type": "perp",
                      "tick_size": "0.01", "lot_step": "0.01", "min_qty": "0.01", "min_notional": "5", ...}],
     "tickers":     [{"symbol": ..., "last": ..., "mark": ..., "funding_rate": ..., "timestamp": ..., ...}],
     "books":       [{"symbol": ..., "timestamp": ..., "bids": [["1127.87", "40.5"], ...], "asks": [...]}],
     "positions":   [{"symbol": ..., "contracts": "-5", "timestamp": ..., ...}],
     "open_orders": [{"symbol": ..., "side": "sell", "amount": "2", "price": ..., "client_order_id": "hb...", ...}],
     "balances":    [{"asset": "USDT", "free": ..., "used": ..., "total": ...}],
     "history":     {"AVAX": ["16.02", ...], "ETH/USDT:USDT": [...]}}

Quantities follow ``bot.domain``: perpetual amounts in contracts, signed positions (a short is negative).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AwareDatetime, BeforeValidator, Field, PlainSerializer, ValidationError

from bot.config_errors import format_validation_error
from bot.config_types import NonNegativeDecimal, PositiveDecimal, StrictModel
from bot.domain import (
    DEFAULT_MAINTENANCE_MARGIN_RATE,
    ONE,
    ZERO,
    Balance,
    BookLevel,
    Holding,
    HoldingSource,
    MarginMode,
    Market,
    MarketType,
    Order,
    OrderBook,
    OrderStatus,
    PerpTicker,
    Position,
    Side,
    Snapshot,
    SpotQuote,
)
from bot.errors import DataError

FORMAT = "hedgebot-snapshot/1"
_T = TypeVar("_T")


class _Record(StrictModel):
    def fields(self) -> dict[str, Any]:
        """The values the file sets (unset ones take the domain's defaults)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


def _source(value: object) -> object:
    return HoldingSource.parse(value) if isinstance(value, str) else value


# A holding's source as the file writes it: "exchange:main", "static:cold wallet".
SourceText = Annotated[HoldingSource, BeforeValidator(_source), PlainSerializer(str, return_type=str)]


class HoldingRecord(_Record):
    asset: str
    quantity: NonNegativeDecimal
    source: SourceText


class SpotQuoteRecord(_Record):
    asset: str
    symbol: str
    bid: PositiveDecimal | None
    ask: PositiveDecimal | None
    last: PositiveDecimal | None
    timestamp: AwareDatetime


class MarketRecord(_Record):
    symbol: str
    base: str
    quote: str
    type: MarketType
    tick_size: PositiveDecimal
    lot_step: PositiveDecimal
    min_qty: NonNegativeDecimal
    min_notional: NonNegativeDecimal = ZERO
    contract_size: PositiveDecimal = ONE
    settle: str | None = None
    max_leverage: PositiveDecimal = ONE
    active: bool = True
    maintenance_margin_rate: NonNegativeDecimal = DEFAULT_MAINTENANCE_MARGIN_RATE


class TickerRecord(_Record):
    symbol: str
    last: PositiveDecimal
    mark: PositiveDecimal
    index: PositiveDecimal | None = None
    bid: PositiveDecimal | None = None
    ask: PositiveDecimal | None = None
    funding_rate: Decimal | None = None
    next_funding_time: AwareDatetime | None = None
    timestamp: AwareDatetime
    funding_interval_hours: PositiveDecimal = Decimal(8)


class BookRecord(_Record):
    symbol: str
    timestamp: AwareDatetime
    bids: list[tuple[PositiveDecimal, NonNegativeDecimal]] = Field(default_factory=list)
    asks: list[tuple[PositiveDecimal, NonNegativeDecimal]] = Field(default_factory=list)


class PositionRecord(_Record):
    symbol: str
    contracts: Decimal
    entry_price: PositiveDecimal | None = None
    mark_price: PositiveDecimal | None = None
    liquidation_price: NonNegativeDecimal | None = None
    leverage: PositiveDecimal | None = None
    margin_mode: MarginMode | None = None
    unrealized_pnl: Decimal = ZERO
    timestamp: AwareDatetime
    margin: NonNegativeDecimal | None = None
    maintenance_margin: NonNegativeDecimal | None = None


class OrderRecord(_Record):
    symbol: str
    side: Side
    amount: PositiveDecimal
    price: PositiveDecimal | None
    status: OrderStatus = OrderStatus.OPEN
    client_order_id: str | None = None
    order_id: str | None = None
    filled: NonNegativeDecimal = ZERO
    average_price: PositiveDecimal | None = None
    reduce_only: bool = False
    post_only: bool = False
    timestamp: AwareDatetime | None = None
    reject_reason: str | None = None
    post_only_rejected: bool = False


class BalanceRecord(_Record):
    asset: str
    free: Decimal
    used: Decimal
    total: Decimal


class SnapshotFile(StrictModel):
    format: Literal["hedgebot-snapshot/1"]
    taken_at: AwareDatetime
    holdings: list[HoldingRecord] = Field(default_factory=list)
    spot: list[SpotQuoteRecord] = Field(default_factory=list)
    markets: list[MarketRecord] = Field(default_factory=list)
    tickers: list[TickerRecord] = Field(default_factory=list)
    books: list[BookRecord] = Field(default_factory=list)
    positions: list[PositionRecord] = Field(default_factory=list)
    open_orders: list[OrderRecord] = Field(default_factory=list)
    balances: list[BalanceRecord] = Field(default_factory=list)
    history: dict[str, list[PositiveDecimal]] = Field(default_factory=dict)

    def to_snapshot(self) -> Snapshot:
        return Snapshot(
            taken_at=self.taken_at,
            holdings=tuple(Holding(**r.fields()) for r in self.holdings),
            spot=_unique("spot", [(r.asset, SpotQuote(**r.fields())) for r in self.spot]),
            markets=_unique("markets", [(r.symbol, Market(**r.fields())) for r in self.markets]),
            tickers=_unique("tickers", [(r.symbol, PerpTicker(**r.fields())) for r in self.tickers]),
            books=_unique("books", [(r.symbol, _book(r)) for r in self.books]),
            positions=_unique("positions", [(r.symbol, Position(**r.fields())) for r in self.positions]),
            open_orders=tuple(Order(**r.fields()) for r in self.open_orders),
            balances=_unique("balances", [(r.asset, Balance(**r.fields())) for r in self.balances]),
            history={key: tuple(closes) for key, closes in self.history.items()},
        )


def parse_snapshot(text: str, source: str = "snapshot") -> Snapshot:
    """A Snapshot from JSON text. Raises ``DataError`` naming every problem with its key path."""
    try:
        data = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise DataError(f"{source}: not valid JSON: {exc}") from exc
    try:
        return SnapshotFile.model_validate(data).to_snapshot()
    except ValidationError as exc:
        problems = "; ".join(f"{path}: {message}" for path, message in format_validation_error(exc, SnapshotFile))
        raise DataError(f"{source}: not a {FORMAT} file: {problems}") from exc


def read_snapshot_file(path: Path | str) -> Snapshot:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read snapshot file {path}: {exc}") from exc
    return parse_snapshot(text, str(path))


def snapshot_to_json(snapshot: Snapshot) -> str:
    """The snapshot as JSON text in the file format (Decimals as strings)."""
    data = SnapshotFile(
        format=FORMAT,
        taken_at=snapshot.taken_at,
        holdings=[HoldingRecord(asset=h.asset, quantity=h.quantity, source=h.source) for h in snapshot.holdings],
        spot=[SpotQuoteRecord.model_validate(asdict(q)) for q in snapshot.spot.values()],
        markets=[MarketRecord.model_validate(asdict(m)) for m in snapshot.markets.values()],
        tickers=[TickerRecord.model_validate(asdict(t)) for t in snapshot.tickers.values()],
        books=[
            BookRecord(
                symbol=b.symbol,
                timestamp=b.timestamp,
                bids=[(level.price, level.size) for level in b.bids],
                asks=[(level.price, level.size) for level in b.asks],
            )
            for b in snapshot.books.values()
        ],
        positions=[PositionRecord.model_validate(asdict(p)) for p in snapshot.positions.values()],
        open_orders=[OrderRecord.model_validate(asdict(o)) for o in snapshot.open_orders],
        balances=[BalanceRecord.model_validate(asdict(b)) for b in snapshot.balances.values()],
        history={key: list(closes) for key, closes in snapshot.history.items()},
    )
    return json.dumps(data.model_dump(mode="json"), indent=1) + "\n"


def write_snapshot_file(path: Path | str, snapshot: Snapshot) -> None:
    Path(path).write_text(snapshot_to_json(snapshot), encoding="utf-8")


def _book(record: BookRecord) -> OrderBook:
    return OrderBook(
        symbol=record.symbol,
        bids=tuple(BookLevel(price, size) for price, size in record.bids),
        asks=tuple(BookLevel(price, size) for price, size in record.asks),
        timestamp=record.timestamp,
    )


def _unique(section: str, items: list[tuple[str, _T]]) -> dict[str, _T]:
    keyed: dict[str, _T] = {}
    for key, item in items:
        if key in keyed:
            raise DataError(f"snapshot {section}: {key!r} appears twice")
        keyed[key] = item
    return keyed
