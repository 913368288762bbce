"""Public Bybit v5 market endpoints: server time, instruments, risk limits, tickers, order book, recent trades,
klines, funding."""

from __future__ import annotations

from typing import Any

from hedgesim.bybit import wire
from hedgesim.bybit.params import Params, page
from hedgesim.engine import SimExchange
from hedgesim.errors import SimReject, params_error
from hedgesim.instruments import Category, Instrument
from hedgesim.market import TRADE_GRID_MS
from hedgesim.rounding import to_step
from hedgesim.views import book, ticker

BOOK_LIMITS = {Category.SPOT: (1, 200), Category.LINEAR: (25, 500)}  # (default, maximum) levels
TRADE_LIMITS = {Category.SPOT: (60, 60), Category.LINEAR: (500, 1000)}  # (default, maximum) trades
RISK_LIMIT_PAGE = 15  # symbols per page of /v5/market/risk-limit


def server_time(engine: SimExchange, params: Params) -> dict[str, Any]:
    now = engine.now_ms()
    return {"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)}


def instruments_info(engine: SimExchange, params: Params) -> dict[str, Any]:
    category = params.category()
    symbol, status, base = params.text("symbol"), params.text("status"), params.text("baseCoin")
    listed = _listed(engine, category)
    if status not in (None, "Trading"):
        listed = []  # nothing is pre-launch, settling or delivering
    listed = [i for i in listed if (symbol is None or i.name == symbol) and (base is None or i.base == base)]
    if category == "spot":  # spot is not paged
        return {"category": category, "list": [wire.instrument(i) for i in listed]}
    chunk, cursor = page(listed, params, 500, 1000, _by_name, descending=False)
    return {"category": category, "list": [wire.instrument(i) for i in chunk], "nextPageCursor": cursor}


def risk_limit(engine: SimExchange, params: Params) -> dict[str, Any]:
    """Every risk tier of the perpetuals, 15 symbols a page (docs/v5/market/risk-limit)."""
    category = params.category()
    symbol = params.text("symbol")
    listed = [i for i in _listed(engine, category) if category == "linear" and symbol in (None, i.name)]
    if symbol is not None and not listed:
        raise params_error(f"symbol {symbol} invalid")
    chunk, cursor = page(listed, params, RISK_LIMIT_PAGE, RISK_LIMIT_PAGE, _by_name, descending=False)
    rows = [wire.risk_tier(i, tier) for i in chunk for tier in i.tiers]
    return {"category": category, "list": rows, "nextPageCursor": cursor}


def tickers(engine: SimExchange, params: Params) -> dict[str, Any]:
    category = params.category()
    symbol = params.text("symbol")
    listed = _listed(engine, category)
    if symbol is not None:
        listed = [i for i in listed if i.name == symbol]
        if not listed:
            raise SimReject(10001, "Not supported symbols")
    now = engine.now_ms()
    return {"category": category, "list": [wire.ticker(ticker(engine.venue, engine.market, i, now)) for i in listed]}


def orderbook(engine: SimExchange, params: Params) -> dict[str, Any]:
    category = params.trading_category()
    instrument = engine.instrument(category, params.required("symbol"))
    default, maximum = BOOK_LIMITS[category]
    count = params.limit(default, maximum)
    view = book(engine.venue, instrument, engine.now_ms(), count)
    return wire.orderbook(view, view.time_ms // 100, view.time_ms // 10)


def recent_trades(engine: SimExchange, params: Params) -> dict[str, Any]:
    """The most recent public trades of the replayed market, newest first (docs/v5/market/recent-trade)."""
    category = params.trading_category()
    instrument = engine.instrument(category, params.required("symbol"))
    default, maximum = TRADE_LIMITS[category]
    count = params.limit(default, maximum)
    now = engine.market.public_ms(instrument.base, engine.now_ms())
    rows = [
        (moment, instrument.on_tick(price), to_step(qty, instrument.qty_step), buy)
        for moment, price, qty, buy in engine.market.trades(category, instrument.base, now - count * TRADE_GRID_MS, now)
    ]
    printed = [row for row in rows if row[2] > 0][::-1][:count]
    return {"category": category.value, "list": [wire.public_trade(instrument, *row) for row in printed]}


def funding_history(engine: SimExchange, params: Params) -> dict[str, Any]:
    """Past settlements of a perpetual on the exchange's clock (the replayed market's rates), newest first."""
    category = params.trading_category()
    if category is not Category.LINEAR:
        raise params_error("category must be linear")
    instrument = engine.instrument(category, params.required("symbol"))
    now = engine.now_ms()
    end = params.integer("endTime", now)
    assert end is not None
    start = params.integer("startTime", 0)
    assert start is not None
    limit = params.limit(200, 200)
    rows = [
        {"symbol": instrument.name, "fundingRate": wire.num(rate), "fundingRateTimestamp": str(moment)}
        for moment, rate in engine.market.settlements(instrument.base, min(end, now), limit)
        if moment >= start
    ]
    return {"category": "linear", "list": rows}


def kline(engine: SimExchange, params: Params) -> dict[str, Any]:
    """Candles of the replayed series (spot or perpetual trades) up to now, newest first; the last one forming."""
    category = params.trading_category()
    instrument = engine.instrument(category, params.required("symbol"))
    interval = params.required("interval")
    minutes = {"D": 1440, "W": 10080}.get(interval) or _minutes(interval)
    now = engine.now_ms()
    end = min(params.integer("end", now) or now, now)
    limit = params.limit(200, 1000)
    start = params.integer("start")
    try:
        bars = engine.market.bars(category, instrument.base, minutes * 60_000, end, limit, start)
    except ValueError as exc:
        raise params_error(f"interval {interval} is finer than the replayed data") from exc
    rows = [
        [str(t), *(wire.num(instrument.on_tick(v)) for v in ohlc), wire.num(vol), wire.num(turn)]
        for t, ohlc, vol, turn in bars
    ]
    return {"category": category.value, "symbol": instrument.name, "list": rows}


def _by_name(instrument: Instrument) -> tuple[int, str]:
    return 0, instrument.name


def _minutes(interval: str) -> int:
    if interval not in ("1", "3", "5", "15", "30", "60", "120", "240", "360", "720"):
        raise params_error(f"interval {interval} is invalid")
    return int(interval)


def _listed(engine: SimExchange, category: str) -> list[Instrument]:
    if category not in ("spot", "linear"):
        return []  # the simulator lists no inverse contracts or options
    return engine.instruments(Category(category))
