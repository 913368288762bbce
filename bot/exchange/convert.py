"""Conversions from ccxt's unified structures (floats, ms timestamps) to domain values (Decimal, UTC datetimes).

Every number crosses the boundary as ``Decimal(str(x))``. ccxt amounts on contract markets are contracts, and so
are ours. Positions come back signed (a short is negative).

Nothing malformed gets through: a value that is not a finite number (NaN, Infinity, text, a list), is implausibly
large, or breaks its field's sign (a price or size that is not positive) raises ``DataError`` naming the field,
and a required value that is missing raises too; it never becomes a silent zero. Optional values (a funding
rate, an index price) that are missing stay ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bot import limits
from bot.clock import utc_from_ms
from bot.domain import (
    ONE,
    ZERO,
    Balance,
    BookLevel,
    FeeRates,
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
    PublicTrade,
    Side,
    SpotQuote,
)
from bot.errors import DataError
from bot.exchange.quirks import VenueQuirks

Raw = Mapping[str, Any]

# No real price, size, balance or fee comes near this: a reply carrying a larger number is garbage.
MAX_MAGNITUDE = Decimal("1e18")
_MAX_FLOAT = float(MAX_MAGNITUDE)  # exactly 1e18: a float below it never reads as a Decimal at or above it
# A funding rate beyond 100% per interval is garbage too (venues cap it at a few percent).
MAX_FUNDING_RATE = ONE

_STATUSES = {
    "open": OrderStatus.OPEN,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "expired": OrderStatus.CANCELED,  # e.g. a Binance USD-M GTX order that would have taken
    "rejected": OrderStatus.REJECTED,
}


def dec(value: Any, what: str = "a number") -> Decimal | None:
    """A venue number as a finite Decimal; ``None`` for missing or empty values; ``DataError`` for anything else."""
    if type(value) is float and -_MAX_FLOAT < value < _MAX_FLOAT:  # ccxt's usual number: finite and usable
        return Decimal(repr(value))  # as Decimal(str(value)) below, without the checks it passes
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise DataError(f"the venue sent {_shown(value)} as {what}: not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise DataError(f"the venue sent {_shown(value)} as {what}: not a number") from None
    if not number.is_finite() or abs(number) >= MAX_MAGNITUDE:
        raise DataError(f"the venue sent {_shown(value)} as {what}: not a usable number")
    return number


def need(value: Any, what: str) -> Decimal:
    """A required venue number (see ``dec``)."""
    number = dec(value, what)
    if number is None:
        raise DataError(f"the venue sent no {what}")
    return number


def positive(value: Any, what: str) -> Decimal:
    """A required venue number that must be greater than zero: a price, a size, a tick."""
    number = need(value, what)
    if number <= ZERO:
        raise DataError(f"the venue sent {number} as {what}: it must be greater than 0")
    return number


def optional_positive(value: Any, what: str) -> Decimal | None:
    """An optional price (an index, a bid): missing is ``None``; present, it must be greater than zero."""
    return None if dec(value, what) is None else positive(value, what)


def non_negative(value: Any, what: str) -> Decimal | None:
    """An optional venue number that may be zero but never negative (a filled amount, a minimum)."""
    number = dec(value, what)
    if number is not None and number < ZERO:
        raise DataError(f"the venue sent {number} as {what}: it must not be negative")
    return number


def price_or_none(value: Any, what: str) -> Decimal | None:
    """An optional price where venues write 0 for "none" (a market order's price, an unfilled order's average):
    ``None`` then; negative is malformed."""
    return non_negative(value, what) or None


def text(value: Any, what: str) -> str:
    """A required venue identifier (an id, a symbol): a non-empty string or number, as text."""
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
        raise DataError(f"the venue sent {_shown(value)} as {what}")
    return str(value)


def moment(milliseconds: Any, default: datetime | None) -> datetime:
    """Epoch milliseconds as a UTC datetime; ``default`` when missing (``None``: required); ``DataError`` for
    garbage."""
    if milliseconds in (None, "") and default is not None:
        return default
    number = need(milliseconds, "a timestamp")
    try:
        return utc_from_ms(int(number))
    except (OverflowError, OSError, ValueError):
        raise DataError(f"the venue sent {_shown(milliseconds)} as a timestamp") from None


def optional_moment(milliseconds: Any) -> datetime | None:
    """Epoch milliseconds as a UTC datetime, or ``None`` when the venue sent none (or 0)."""
    return moment(milliseconds, _EPOCH) if milliseconds and milliseconds != "0" else None


_EPOCH = utc_from_ms(0)


def symbol_of(raw: Any) -> Any:
    """The symbol a ccxt row names; ``DataError`` when the row is not a record at all."""
    if not isinstance(raw, Mapping):
        raise DataError(f"the venue sent {_shown(raw)} where a record belongs")
    return raw.get("symbol")


def column(row: Any, index: int) -> Any:
    """One column of a ccxt candle row; ``DataError`` when the row is not one."""
    if not isinstance(row, list | tuple) or len(row) <= index:
        raise DataError(f"the venue sent {_shown(row)} where a candle belongs")
    return row[index]


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else f"{shown[:37]}..."


def to_market(raw: Raw) -> Market | None:
    """A spot or linear-perpetual market (ccxt TICK_SIZE precision); ``None`` for every other kind. ``DataError``
    when the listing's rules are unusable (a tick, lot or contract size that is not a positive number)."""
    if raw.get("spot"):
        kind = MarketType.SPOT
    elif raw.get("swap") and raw.get("linear"):
        kind = MarketType.PERP
    else:
        return None
    precision = raw.get("precision") or {}
    market_limits = raw.get("limits") or {}
    symbol = text(raw.get("symbol"), "a market symbol")
    if precision.get("amount") in (None, "") or precision.get("price") in (None, ""):
        return None  # a listing without precision cannot be traded safely
    lot_step = positive(precision.get("amount"), f"the lot step of {symbol}")
    contract_size = optional_positive(raw.get("contractSize"), f"the contract size of {symbol}")
    max_leverage = non_negative((market_limits.get("leverage") or {}).get("max"), f"the leverage cap of {symbol}")
    return Market(
        symbol=symbol,
        base=text(raw.get("base"), f"the base currency of {symbol}"),
        quote=text(raw.get("quote"), f"the quote currency of {symbol}"),
        type=kind,
        tick_size=positive(precision.get("price"), f"the tick size of {symbol}"),
        lot_step=lot_step,
        min_qty=non_negative((market_limits.get("amount") or {}).get("min"), f"the minimum size of {symbol}")
        or lot_step,
        min_notional=non_negative((market_limits.get("cost") or {}).get("min"), f"the minimum notional of {symbol}")
        or ZERO,
        contract_size=(contract_size or ONE) if kind is MarketType.PERP else ONE,
        settle=raw.get("settle"),
        # Binance publishes it only through leverage brackets: assume no more than the bot's own hard cap.
        max_leverage=max_leverage or limits.MAX_LEVERAGE,
        active=raw.get("active") is not False,
    )


def to_balances(raw: Raw) -> dict[str, Balance]:
    """Non-zero balances by asset from a ccxt balance structure. An asset listed without an amount is malformed
    (``DataError``), never a zero balance."""
    totals = raw.get("total") or {}
    result: dict[str, Balance] = {}
    for asset in totals:
        text(asset, "a coin in the wallet reply")
        entry = raw.get(asset) or {}
        total = need(entry.get("total"), f"the {asset} balance")
        free = dec(entry.get("free"), f"the free {asset} balance")
        used = dec(entry.get("used"), f"the {asset} balance in use")
        if total == 0 and not free:
            continue
        free = total - (used or ZERO) if free is None else free
        result[str(asset)] = Balance(
            asset=str(asset), free=free, used=total - free if used is None else used, total=total
        )
    return result


def to_spot_quote(asset: str, raw: Raw, now: datetime) -> SpotQuote:
    symbol = text(raw.get("symbol"), f"the spot symbol of {asset}")
    return SpotQuote(
        asset=asset,
        symbol=symbol,
        bid=optional_positive(raw.get("bid"), f"the bid of {symbol}"),
        ask=optional_positive(raw.get("ask"), f"the ask of {symbol}"),
        last=optional_positive(raw.get("last"), f"the last price of {symbol}"),
        timestamp=moment(raw.get("timestamp"), now),
    )


def to_spot_quotes(assets: Mapping[str, str], raw: Raw, now: datetime) -> tuple[dict[str, SpotQuote], dict[str, str]]:
    """Quotes by asset from a batched ticker reply (``assets``: spot symbol -> asset), and why each symbol's quote
    that came back unusable could not be read: one bad quote never spoils the others."""
    quotes: dict[str, SpotQuote] = {}
    problems: dict[str, str] = {}
    for symbol, asset in sorted(assets.items()):
        if not raw.get(symbol):
            continue
        try:
            quotes[asset] = to_spot_quote(asset, raw[symbol], now)
        except DataError as exc:
            problems[symbol] = str(exc)
    return quotes, problems


def to_perp_ticker(symbol: str, sources: Sequence[Raw], now: datetime) -> PerpTicker:
    """Merge what several calls say about one perpetual (ticker, funding rate, mark price): first answer wins."""

    def first(*keys: str) -> Any:
        for key in keys:
            for source in sources:
                if source.get(key) not in (None, ""):
                    return source[key]
        return None

    mark = positive(first("markPrice"), f"mark price for {symbol}")
    funding_rate = dec(first("fundingRate"), f"the funding rate of {symbol}")
    if funding_rate is not None and abs(funding_rate) > MAX_FUNDING_RATE:
        raise DataError(f"the venue sent {funding_rate} as the funding rate of {symbol}")
    funding_time = first("fundingTimestamp")
    interval = first("interval")
    return PerpTicker(
        symbol=symbol,
        last=optional_positive(first("last", "close"), f"the last price of {symbol}") or mark,
        mark=mark,
        index=optional_positive(first("indexPrice"), f"the index price of {symbol}"),
        bid=optional_positive(first("bid"), f"the bid of {symbol}"),
        ask=optional_positive(first("ask"), f"the ask of {symbol}"),
        funding_rate=funding_rate,
        next_funding_time=moment(funding_time, now) if funding_time else None,
        timestamp=moment(first("timestamp"), now),
        funding_interval_hours=_hours(interval, symbol) if interval else Decimal(8),
    )


def _hours(interval: Any, symbol: str) -> Decimal:
    """ccxt's funding interval ("8h", "1h", "30m") in hours."""
    what = f"the funding interval of {symbol}"
    if not isinstance(interval, str) or interval[-1:] not in ("h", "m"):
        raise DataError(f"the venue sent {_shown(interval)} as {what}")
    value = positive(interval[:-1], what)
    return value / 60 if interval.endswith("m") else value


def to_book(raw: Raw, depth: int, now: datetime) -> OrderBook:
    symbol = text(raw.get("symbol"), "an order book's symbol")

    def levels(side: Any, name: str) -> tuple[BookLevel, ...]:
        if not isinstance(side, Sequence) or isinstance(side, str):
            raise DataError(f"the venue sent {_shown(side)} as the {name} of {symbol}'s book")
        result = []
        for level in side[:depth]:
            if not isinstance(level, Sequence) or isinstance(level, str) or len(level) < 2:
                raise DataError(f"the venue sent {_shown(level)} as a level of {symbol}'s book")
            price = positive(level[0], f"a {name[:-1]} price in {symbol}'s book")
            result.append(BookLevel(price, positive(level[1], f"a {name[:-1]} size in {symbol}'s book")))
        return tuple(result)

    bids, asks = levels(raw.get("bids") or (), "bids"), levels(raw.get("asks") or (), "asks")
    if not bids and not asks:  # a listed market's book is never empty on both sides: the reply lost it
        raise DataError(f"the venue sent an empty order book for {symbol}")
    return OrderBook(symbol=symbol, bids=bids, asks=asks, timestamp=moment(raw.get("timestamp"), now))


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
    symbol = text(raw.get("symbol"), "a position's symbol")
    size = need(raw.get("contracts"), f"the size of the {symbol} position")
    if size < ZERO:
        raise DataError(f"the venue sent {size} as the size of the {symbol} position")
    side = raw.get("side")
    if size and side not in ("long", "short"):
        raise DataError(f"the venue sent {_shown(side)} as the side of the {symbol} position of {size} contracts")
    mode = raw.get("marginMode")
    liquidation = dec(raw.get("liquidationPrice"), f"the liquidation price of {symbol}")
    return Position(
        symbol=symbol,
        contracts=-size if side == "short" else size,
        entry_price=optional_positive(raw.get("entryPrice"), f"the entry price of {symbol}"),
        mark_price=optional_positive(raw.get("markPrice"), f"the mark price of the {symbol} position"),
        liquidation_price=liquidation if liquidation and liquidation > ZERO else None,  # 0, "" or less: none
        leverage=optional_positive(raw.get("leverage"), f"the leverage of {symbol}"),
        margin_mode=MarginMode(mode) if mode in ("isolated", "cross") else None,
        unrealized_pnl=dec(raw.get("unrealizedPnl"), f"the unrealised PnL of {symbol}") or ZERO,
        timestamp=now,
        margin=non_negative(raw.get("initialMargin"), f"the margin of {symbol}"),
        maintenance_margin=non_negative(raw.get("maintenanceMargin"), f"the maintenance margin of {symbol}"),
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
    symbol = raw.get("symbol") or (fallback.symbol if fallback else None)
    where = f"order {_shown(raw.get('id'))} on {_shown(symbol)}"
    symbol = text(symbol, f"the symbol of {where}")
    amount = optional_positive(raw.get("amount"), f"the amount of {where}") or (fallback.amount if fallback else None)
    if amount is None:
        raise DataError(f"the venue sent no amount for {where}")
    filled = non_negative(raw.get("filled"), f"the filled amount of {where}") or ZERO
    if filled > amount:
        raise DataError(f"the venue says {where} filled {filled} of {amount}")
    side = raw.get("side") or (fallback.side.value if fallback else None)
    if side not in ("buy", "sell"):
        raise DataError(f"{where} has no side")
    status = raw.get("status")
    if status is not None and not isinstance(status, str):
        raise DataError(f"the venue sent {_shown(status)} as the status of {where}")
    reason = info.get(quirks.reject_reason_field) if quirks.reject_reason_field else None
    reason = reason if isinstance(reason, str) else None
    order_id = raw.get("id")
    client_order_id = raw.get("clientOrderId") or info.get(quirks.client_id_field) or None
    ours = order_status(status, amount, filled)
    cancel_field = quirks.post_only_cancel_field
    post_only_cancel = cancel_field is not None and str(info.get(cancel_field)) in quirks.post_only_cancel_values
    return Order(
        symbol=symbol,
        side=Side(side),
        amount=amount,
        price=price_or_none(raw.get("price"), f"the price of {where}") or (fallback.price if fallback else None),
        status=ours,
        client_order_id=None if client_order_id is None else text(client_order_id, f"the client id of {where}"),
        order_id=None if order_id in (None, "") else text(order_id, f"the id of {where}"),
        filled=filled,
        average_price=price_or_none(raw.get("average"), f"the average price of {where}"),
        reduce_only=bool(raw.get("reduceOnly")) or (fallback.reduce_only if fallback else False),
        post_only=bool(raw.get("postOnly")) or (fallback.post_only if fallback else False),
        timestamp=optional_moment(raw.get("timestamp")),
        reject_reason=None if reason in quirks.no_reject_reason else reason,
        post_only_rejected=ours is OrderStatus.CANCELED and post_only_cancel,
    )


def to_fill(raw: Raw, quirks: VenueQuirks, now: datetime) -> Fill:
    """One execution. Everything a journaled fill needs must be there and sane (an id, a side, a positive amount
    and price, a fee, a time): the journal is append-only, so a malformed fill is refused here (``DataError``),
    never recorded."""
    fee = raw.get("fee") or {}
    role = raw.get("takerOrMaker")
    info = raw.get("info") or {}
    trade_id = text(raw.get("id"), "a trade id")
    where = f"trade {trade_id}"
    side = raw.get("side")
    if side not in ("buy", "sell"):
        raise DataError(f"the venue sent {_shown(side)} as the side of {where}")
    order_id = raw.get("order")
    client_order_id = info.get(quirks.client_id_field) or None
    return Fill(
        trade_id=trade_id,
        order_id=None if order_id in (None, "") else text(order_id, f"the order id of {where}"),
        client_order_id=None if client_order_id is None else text(client_order_id, f"the client id of {where}"),
        symbol=text(raw.get("symbol"), f"the symbol of {where}"),
        side=Side(side),
        amount=positive(raw.get("amount"), f"the amount of {where}"),
        price=positive(raw.get("price"), f"the price of {where}"),
        fee=need(fee.get("cost"), f"the fee of {where}"),
        fee_currency=str(fee.get("currency") or ""),
        maker=None if role is None else role == "maker",
        timestamp=moment(raw.get("timestamp"), None),
    )


def to_fee_rates(raw: Raw, symbol: str) -> FeeRates:
    return FeeRates(
        maker=need(raw.get("maker"), f"the maker fee of {symbol}"),
        taker=need(raw.get("taker"), f"the taker fee of {symbol}"),
    )


def to_public_trade(raw: Raw) -> PublicTrade:
    """One trade of the public tape; a malformed one is refused (``DataError``), never read as a price."""
    trade_id = text(raw.get("id"), "a public trade id")
    return PublicTrade(
        trade_id=trade_id,
        symbol=text(raw.get("symbol"), f"the symbol of public trade {trade_id}"),
        price=positive(raw.get("price"), f"the price of public trade {trade_id}"),
        amount=positive(raw.get("amount"), f"the amount of public trade {trade_id}"),
        timestamp=moment(raw.get("timestamp"), None),
    )


def to_funding_payment(raw: Raw, quirks: VenueQuirks, now: datetime) -> FundingPayment:
    payment_id = text(raw.get("id"), "a funding payment id")
    amount = need(raw.get("amount"), f"the amount of funding payment {payment_id}")
    return FundingPayment(
        payment_id=payment_id,
        symbol=text(raw.get("symbol"), f"the symbol of funding payment {payment_id}"),
        amount=-amount if quirks.funding_paid_positive else amount,
        currency=str(raw.get("code") or ""),
        rate=dec(raw.get("rate"), f"the rate of funding payment {payment_id}"),
        position_contracts=None,
        timestamp=moment(raw.get("timestamp"), None),  # journaled by settlement time: never guessed
    )
