"""Conversions from ccxt's unified structures (floats, ms timestamps) to domain values (Decimal, UTC datetimes).

Every number crosses the boundary as ``Decimal(str(x))``. ccxt amounts on contract markets are contracts, and so
are ours. Positions come back signed (a short is negative).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot import limits
from bot.clock import utc_from_ms
from bot.domain import (
    ONE,
    ZERO,
    Balance,
    BookLevel,
    Fill,
    FundingPayment,
    MarginMode,
    Market,
    MarketType,
    Order,
    OrderBook,
    OrderStatus,
    PerpTicker,
    Position,
    Side,
    SpotQuote,
)
from bot.errors import DataError
from bot.exchange.quirks import VenueQuirks

Raw = Mapping[str, Any]

_STATUSES = {
    "open": OrderStatus.OPEN,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "expired": OrderStatus.CANCELED,  # e.g. a Binance USD-M GTX order that would have taken
    "rejected": OrderStatus.REJECTED,
}


def dec(value: Any) -> Decimal | None:
    """A venue number as a Decimal; ``None`` for missing or empty values."""
    if value is None or value == "":
        return None
    return Decimal(str(value))


def need(value: Any, what: str) -> Decimal:
    number = dec(value)
    if number is None:
        raise DataError(f"the venue sent no {what}")
    return number


def moment(milliseconds: Any, default: datetime) -> datetime:
    return default if milliseconds in (None, "") else utc_from_ms(milliseconds)


def to_market(raw: Raw) -> Market | None:
    """A spot or linear-perpetual market (ccxt TICK_SIZE precision); ``None`` for every other kind."""
    if raw.get("spot"):
        kind = MarketType.SPOT
    elif raw.get("swap") and raw.get("linear"):
        kind = MarketType.PERP
    else:
        return None
    precision = raw.get("precision") or {}
    market_limits = raw.get("limits") or {}
    lot_step = dec(precision.get("amount"))
    tick = dec(precision.get("price"))
    if lot_step is None or tick is None:
        return None  # a listing without precision cannot be traded safely
    return Market(
        symbol=raw["symbol"],
        base=raw["base"],
        quote=raw["quote"],
        type=kind,
        tick_size=tick,
        lot_step=lot_step,
        min_qty=dec((market_limits.get("amount") or {}).get("min")) or lot_step,
        min_notional=dec((market_limits.get("cost") or {}).get("min")) or ZERO,
        contract_size=(dec(raw.get("contractSize")) or ONE) if kind is MarketType.PERP else ONE,
        settle=raw.get("settle"),
        # Binance publishes it only through leverage brackets: assume no more than the bot's own hard cap.
        max_leverage=dec((market_limits.get("leverage") or {}).get("max")) or limits.MAX_LEVERAGE,
        active=raw.get("active") is not False,
    )


def to_balances(raw: Raw) -> dict[str, Balance]:
    """Non-zero balances by asset from a ccxt balance structure."""
    totals = raw.get("total") or {}
    result: dict[str, Balance] = {}
    for asset in totals:
        entry = raw.get(asset) or {}
        total = dec(entry.get("total")) or ZERO
        free = dec(entry.get("free"))
        used = dec(entry.get("used"))
        if total == 0 and not free:
            continue
        free = total - (used or ZERO) if free is None else free
        result[asset] = Balance(asset=asset, free=free, used=total - free if used is None else used, total=total)
    return result


def to_spot_quote(asset: str, raw: Raw, now: datetime) -> SpotQuote:
    return SpotQuote(
        asset=asset,
        symbol=raw["symbol"],
        bid=dec(raw.get("bid")),
        ask=dec(raw.get("ask")),
        last=dec(raw.get("last")),
        timestamp=moment(raw.get("timestamp"), now),
    )


def to_perp_ticker(symbol: str, sources: Sequence[Raw], now: datetime) -> PerpTicker:
    """Merge what several calls say about one perpetual (ticker, funding rate, mark price): first answer wins."""

    def first(*keys: str) -> Any:
        for key in keys:
            for source in sources:
                if source.get(key) not in (None, ""):
                    return source[key]
        return None

    mark = need(first("markPrice"), f"mark price for {symbol}")
    interval = first("interval")
    return PerpTicker(
        symbol=symbol,
        last=dec(first("last", "close")) or mark,
        mark=mark,
        index=dec(first("indexPrice")),
        bid=dec(first("bid")),
        ask=dec(first("ask")),
        funding_rate=dec(first("fundingRate")),
        next_funding_time=moment(first("fundingTimestamp"), now) if first("fundingTimestamp") else None,
        timestamp=moment(first("timestamp"), now),
        funding_interval_hours=_hours(interval) if interval else Decimal(8),
    )


def _hours(interval: str) -> Decimal:
    """ccxt's funding interval ("8h", "1h", "30m") in hours."""
    value, unit = Decimal(interval[:-1]), interval[-1]
    return value / 60 if unit == "m" else value


def to_book(raw: Raw, depth: int, now: datetime) -> OrderBook:
    def levels(side: Sequence[Sequence[Any]]) -> tuple[BookLevel, ...]:
        return tuple(BookLevel(need(level[0], "book price"), need(level[1], "book size")) for level in side[:depth])

    return OrderBook(
        symbol=raw["symbol"],
        bids=levels(raw.get("bids") or ()),
        asks=levels(raw.get("asks") or ()),
        timestamp=moment(raw.get("timestamp"), now),
    )


def flat_position(symbol: str, now: datetime) -> Position:
    return Position(
        symbol=symbol,
        contracts=ZERO,
        entry_price=None,
        mark_price=None,
        liquidation_price=None,
        leverage=None,
        margin_mode=None,
        unrealized_pnl=ZERO,
        timestamp=now,
    )


def to_position(raw: Raw, now: datetime) -> Position:
    """A position as read at ``now``. Its timestamp is the read time, not the venue's ``updatedTime`` (when the
    position last changed): a position untouched for an hour is current data, not an hour-old one."""
    size = abs(dec(raw.get("contracts")) or ZERO)
    mode = raw.get("marginMode")
    return Position(
        symbol=raw["symbol"],
        contracts=-size if raw.get("side") == "short" else size,
        entry_price=dec(raw.get("entryPrice")),
        mark_price=dec(raw.get("markPrice")),
        liquidation_price=dec(raw.get("liquidationPrice")) or None,  # venues send 0 or "" when there is none
        leverage=dec(raw.get("leverage")),
        margin_mode=MarginMode(mode) if mode in ("isolated", "cross") else None,
        unrealized_pnl=dec(raw.get("unrealizedPnl")) or ZERO,
        timestamp=now,
        margin=dec(raw.get("initialMargin")),
    )


def order_status(status: str | None, amount: Decimal, filled: Decimal) -> OrderStatus:
    """ccxt's order status as ours. ccxt calls a partially filled order that was then cancelled "closed"."""
    if status is None:
        return OrderStatus.OPEN  # an acknowledgement that carries no state yet: the venue accepted the order
    if status == "closed":
        return OrderStatus.FILLED if filled >= amount else OrderStatus.CANCELED
    return _STATUSES.get(status, OrderStatus.UNKNOWN)


def to_order(raw: Raw, quirks: VenueQuirks, *, fallback: Order | None = None) -> Order:
    """An order from ccxt; ``fallback`` fills what a bare acknowledgement (ids only) leaves out."""
    info = raw.get("info") or {}
    amount = dec(raw.get("amount")) or (fallback.amount if fallback else ZERO)
    filled = dec(raw.get("filled")) or ZERO
    side = raw.get("side") or (fallback.side.value if fallback else None)
    if side not in ("buy", "sell"):
        raise DataError(f"order {raw.get('id')} on {raw.get('symbol')} has no side")
    reason = info.get(quirks.reject_reason_field) if quirks.reject_reason_field else None
    status = order_status(raw.get("status"), amount, filled)
    cancel_field = quirks.post_only_cancel_field
    post_only_cancel = cancel_field is not None and str(info.get(cancel_field)) in quirks.post_only_cancel_values
    return Order(
        symbol=raw.get("symbol") or (fallback.symbol if fallback else ""),
        side=Side(side),
        amount=amount,
        price=dec(raw.get("price")) or (fallback.price if fallback else None),
        status=status,
        client_order_id=raw.get("clientOrderId") or info.get(quirks.client_id_field) or None,
        order_id=raw.get("id"),
        filled=filled,
        average_price=dec(raw.get("average")),
        reduce_only=bool(raw.get("reduceOnly")) or (fallback.reduce_only if fallback else False),
        post_only=bool(raw.get("postOnly")) or (fallback.post_only if fallback else False),
        timestamp=utc_from_ms(raw["timestamp"]) if raw.get("timestamp") else None,
        reject_reason=None if reason in quirks.no_reject_reason else reason,
        post_only_rejected=status is OrderStatus.CANCELED and post_only_cancel,
    )


def to_fill(raw: Raw, quirks: VenueQuirks, now: datetime) -> Fill:
    fee = raw.get("fee") or {}
    role = raw.get("takerOrMaker")
    info = raw.get("info") or {}
    return Fill(
        trade_id=str(raw["id"]),
        order_id=raw.get("order"),
        client_order_id=info.get(quirks.client_id_field) or None,
        symbol=raw["symbol"],
        side=Side(raw["side"]),
        amount=need(raw.get("amount"), "trade amount"),
        price=need(raw.get("price"), "trade price"),
        fee=dec(fee.get("cost")) or ZERO,
        fee_currency=fee.get("currency") or "",
        maker=None if role is None else role == "maker",
        timestamp=moment(raw.get("timestamp"), now),
    )


def to_funding_payment(raw: Raw, quirks: VenueQuirks, now: datetime) -> FundingPayment:
    amount = need(raw.get("amount"), "funding amount")
    return FundingPayment(
        payment_id=str(raw["id"]),
        symbol=raw["symbol"],
        amount=-amount if quirks.funding_paid_positive else amount,
        currency=raw.get("code") or "",
        rate=dec(raw.get("rate")),
        position_contracts=None,
        timestamp=moment(raw.get("timestamp"), now),
    )
