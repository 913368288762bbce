"""Bybit's answers as the ccxt adapter sees them: the simulator's rows and prices turned into domain values the way
ccxt parses them (every number a float) and the adapter converts them (``bot.exchange.convert``)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache

from bot import limits
from bot.clock import utc_from_ms
from bot.domain import ONE, BookLevel, Fill, FundingPayment, Market, MarketType
from bot.exchange import convert
from bot.exchange.quirks import quirks_for
from hedgesim.book import Level
from hedgesim.bybit import wire as bybit
from hedgesim.bybit.wire import num
from hedgesim.instruments import Category, Instrument
from hedgesim.orders import Execution
from hedgesim.orders import OrderStatus as SimStatus

EXCHANGE = "bybit"
QUIRKS = quirks_for(EXCHANGE)  # the simulator speaks Bybit v5: its quirks row and error table apply
QUOTE = "USDT"
ZERO_FLOAT = Decimal("0.0")  # zero as ccxt's float renders it
CONTRACT_SIZE = Decimal("1.0")  # Bybit's linear contracts are one base unit: ccxt's float 1.0
CCXT_STATUSES = {
    SimStatus.NEW: "open",
    SimStatus.PARTIALLY_FILLED: "open",
    SimStatus.FILLED: "closed",
    SimStatus.CANCELLED: "canceled",
    SimStatus.REJECTED: "rejected",
    SimStatus.PARTIALLY_FILLED_CANCELED: "closed",
}


def wire(value: Decimal | None) -> Decimal | None:
    """A venue number as the ccxt adapter receives it: Bybit's text (at most ten decimals), a float in ccxt,
    then ``Decimal(str(x))``."""
    return None if value is None else exact(value)


@lru_cache(maxsize=65_536)
def exact(value: Decimal) -> Decimal:
    """A venue figure through ccxt's float (``wire`` of a number that is always there), remembered: prices on the
    tick and sizes on the lot repeat all the time."""
    if not value:
        return ZERO_FLOAT  # Bybit writes any zero as "0" (never "-0")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -10:  # Bybit's text is the same number: skip writing it
        return Decimal(repr(float(value)))
    return Decimal(repr(float(num(value))))


def book_side(levels: Sequence[Level]) -> tuple[BookLevel, ...]:
    """One side of a book as the adapter reads it: each price and size ``exact``, at the speed of the float alone.

    A displayed level's price and size are positive and on the instrument's tick and lot (the simulator's book is
    built so), never finer than Bybit's ten decimals: for them ``exact`` is the float's round trip, nothing more."""
    prices = map(Decimal, map(repr, map(float, [level.price for level in levels])))
    sizes = map(Decimal, map(repr, map(float, [level.size for level in levels])))
    return tuple(map(BookLevel, prices, sizes))


def to_precision(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    """ccxt's amount_to_precision (truncated) and price_to_precision (rounded) onto the instrument's step."""
    number = Decimal(str(float(value)))
    return (number / step).quantize(ONE, rounding=rounding) * step


def market(instrument: Instrument) -> Market:
    perp = instrument.category is Category.LINEAR
    return Market(
        symbol=instrument.symbol,
        base=instrument.base,
        quote=instrument.quote,
        type=MarketType.PERP if perp else MarketType.SPOT,
        tick_size=exact(instrument.tick_size),
        lot_step=exact(instrument.qty_step),
        min_qty=exact(instrument.min_qty),
        min_notional=exact(instrument.min_notional),
        contract_size=CONTRACT_SIZE if perp else ONE,
        settle=instrument.quote if perp else None,
        max_leverage=exact(instrument.max_leverage) if perp else limits.MAX_LEVERAGE,
        active=True,
    )


def fill(symbol: str, execution: Execution) -> Fill:
    """A trade as ccxt parses Bybit's execution row (a linear fee is in the settle coin)."""
    row = bybit.execution(execution)
    raw = {
        "id": row["execId"],
        "order": row["orderId"],
        "symbol": symbol,
        "side": row["side"].lower(),
        "amount": number(row["execQty"]),
        "price": number(row["execPrice"]),
        "takerOrMaker": "maker" if row["isMaker"] else "taker",
        "fee": {"cost": number(row["execFee"]), "currency": QUOTE},
        "timestamp": int(row["execTime"]),
        "info": row,
    }
    return convert.to_fill(raw, QUIRKS, utc_from_ms(execution.time_ms))


def funding(symbol: str, execution: Execution) -> FundingPayment:
    """A funding settlement as ccxt parses Bybit's execution row (execFee: what the account paid)."""
    row = bybit.execution(execution)
    raw = {
        "id": row["execId"],
        "symbol": symbol,
        "code": QUOTE,
        "amount": number(row["execFee"]),
        "rate": number(row["feeRate"]),
        "timestamp": int(row["execTime"]),
    }
    return convert.to_funding_payment(raw, QUIRKS, utc_from_ms(execution.time_ms))


@lru_cache(maxsize=65_536)
def number(text: str) -> float | None:
    """A number in a Bybit reply as ccxt parses it: a float ("" is none)."""
    return float(text) if text != "" else None


def nonzero(text: str) -> float | None:
    """ccxt's ``omit_zero``: "", "0" and the like are none."""
    value = number(text)
    return value or None
