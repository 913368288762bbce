"""The ExchangePort straight onto the simulator's engine, in-process: what a replay trades against, at full speed.

No HTTP and no ccxt requests: each method reads or changes the ``hedgesim.SimExchange`` directly. It answers
exactly what the ccxt adapter answers when the same engine is served over HTTP (a test compares them method by
method and journal by journal): positions, orders, fills, funding and balances are the simulator's own Bybit rows
(``hedgesim.bybit.wire``) read as ccxt reads them and converted by the adapter's ``convert`` functions; prices and
books, the hot path, are converted directly with the same rounding (every number crosses ccxt's boundary as a
float). A post-only order that would take comes back CANCELED with Bybit's reason; executions come in Bybit's
7-day windows; a refusal is translated through ccxt's Bybit error table and the adapter's, as over HTTP.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import ccxt

from bot import limits
from bot.clock import to_ms, utc_from_ms
from bot.domain import (
    Balance,
    FeeRates,
    Fill,
    FundingPayment,
    MarginMode,
    Market,
    Order,
    OrderBook,
    PerpTicker,
    Position,
    PublicTrade,
    SpotQuote,
)
from bot.errors import VenueUnsupported
from bot.exchange import convert
from bot.exchange.ccxt_keys import read_key_record
from bot.exchange.convert import flat_position
from bot.exchange.errors import Call, is_not_modified, translate
from bot.exchange.port import ExchangePort, KeyPermissions, OrderRequest
from bot.exchange.quirks import VenueQuirks, check_client_order_id
from bot.replay import rows
from hedgesim import SimExchange, SimReject
from hedgesim.bybit import account_routes
from hedgesim.bybit import wire as bybit
from hedgesim.bybit.params import Params
from hedgesim.enums import MarginMode as SimMarginMode
from hedgesim.enums import Side as SimSide
from hedgesim.instruments import Category, Instrument
from hedgesim.orders import ExecType, Execution, NewOrder, OrderType, SimOrder, TimeInForce

T = TypeVar("T")

EXCHANGE, QUIRKS, QUOTE = rows.EXCHANGE, rows.QUIRKS, rows.QUOTE
WINDOW = timedelta(days=7)  # Bybit's execution list answers at most 7 days from its start time
OPEN_ORDERS_PAGE = 50


class SimPort:
    """ExchangePort over an in-process ``SimExchange``: one Bybit unified account."""

    def __init__(self, venue: str, engine: SimExchange) -> None:
        self.venue = venue
        self.engine = engine
        self.quirks: VenueQuirks = QUIRKS
        self.unified_wallet = self.quirks.unified_wallet
        # Bybit's switch is for market makers only: none here, as none through the ccxt adapter.
        self.cancel_switch = self.quirks.cancel_switch.switch if self.quirks.cancel_switch else None
        self._instruments: dict[str, Instrument] = {}  # ccxt symbol -> instrument
        self._errors = ccxt.bybit()  # its error table only: nothing is ever sent
        self._by_key: dict[tuple[Category, str, ExecType], list[Execution]] = {}
        self._seen = 0  # executions indexed so far
        self._fills: dict[str, Fill] = {}  # execution id -> its domain value
        self._payments: dict[str, FundingPayment] = {}
        self._symbols: dict[str, str] = {}  # linear venue name -> ccxt symbol

    # -- markets and account -------------------------------------------------------------------------------

    async def load_markets(self) -> Mapping[str, Market]:
        markets: dict[str, Market] = {}
        for category in (Category.SPOT, Category.LINEAR):
            for instrument in self.engine.instruments(category):
                self._instruments[instrument.symbol] = instrument
                if category is Category.LINEAR:
                    self._symbols[instrument.name] = instrument.symbol
                markets[instrument.symbol] = rows.market(instrument)
        return markets

    async def server_time(self) -> datetime:
        return utc_from_ms(self.engine.now_ms())

    async def fetch_key_permissions(self) -> KeyPermissions:
        """The simulator's key record (/v5/user/query-api) read as the adapter reads Bybit's."""
        info = self.quirks.key_info
        assert info is not None, "Bybit's row says how to read its keys"
        record = self._call(Call("fetch_key_permissions"), lambda: account_routes.query_api(self.engine, Params({})))
        return read_key_record(self.quirks.exchange, info.report, {"result": record})

    async def fetch_spot_balances(self) -> Mapping[str, Balance]:
        raw: dict[str, Any] = {"total": {}}
        for row in self._call(Call("fetch_spot_balances"), self.engine.balances):
            coin = bybit.coin(row)  # ccxt: free is what the wallet holds less what is locked, margined or in orders
            total = Decimal(coin["walletBalance"])
            used = Decimal(coin["locked"]) + Decimal(coin["totalPositionIM"]) + Decimal(coin["totalOrderIM"])
            raw[row.coin] = {"total": float(total), "used": float(used), "free": float(total - used)}
            raw["total"][row.coin] = float(total)
        return convert.to_balances(raw)

    async def fetch_margin_balances(self) -> Mapping[str, Balance]:
        return await self.fetch_spot_balances()

    # -- market data -----------------------------------------------------------------------------------------

    async def fetch_spot_quotes(self, assets: Iterable[str]) -> Mapping[str, SpotQuote]:
        await self._known()
        quotes: dict[str, SpotQuote] = {}
        now = self._now()
        for asset in sorted(set(assets)):
            instrument = self._instruments.get(f"{asset}/{QUOTE}")
            if instrument is None:
                continue
            view = self._call(Call("fetch_spot_quotes"), lambda i=instrument: self.engine.quote(i.category, i.name))
            quotes[asset] = SpotQuote(
                asset=asset,
                symbol=instrument.symbol,
                bid=rows.wire(view.bid.price),
                ask=rows.wire(view.ask.price),
                last=rows.wire(view.last),
                timestamp=now,
            )
        return quotes

    async def fetch_perp_tickers(self, symbols: Iterable[str]) -> Mapping[str, PerpTicker]:
        await self._known()
        tickers: dict[str, PerpTicker] = {}
        now = self._now()
        for symbol in sorted(set(symbols)):
            instrument = self._instruments.get(symbol)
            if instrument is None or instrument.category is not Category.LINEAR:
                continue
            view = self._call(Call("fetch_perp_tickers"), lambda i=instrument: self.engine.quote(i.category, i.name))
            mark = rows.wire(view.mark)
            assert mark is not None, "a perpetual's ticker always carries its mark"
            hours = instrument.funding_interval_minutes // 60  # ccxt: the whole hours of fundingInterval
            tickers[symbol] = PerpTicker(
                symbol=symbol,
                last=rows.wire(view.last) or mark,
                mark=mark,
                index=rows.wire(view.index),
                bid=rows.wire(view.bid.price),
                ask=rows.wire(view.ask.price),
                funding_rate=rows.wire(view.funding_rate),
                next_funding_time=utc_from_ms(view.next_funding_ms) if view.next_funding_ms else None,
                timestamp=now,
                funding_interval_hours=Decimal(hours),
            )
        return tickers

    async def fetch_order_book(self, symbol: str, depth: int) -> OrderBook:
        instrument = await self._instrument(symbol, Call("fetch_order_book", symbol))
        await _request()
        view = self._call(
            Call("fetch_order_book", symbol),
            lambda: self.engine.order_book(instrument.category, instrument.name, depth),
        )
        return OrderBook(
            symbol, rows.book_side(view.bids[:depth]), rows.book_side(view.asks[:depth]), utc_from_ms(view.time_ms)
        )

    async def fetch_fee_rates(self, symbol: str) -> FeeRates:
        instrument = await self._instrument(symbol, Call("fetch_fee_rates", symbol))
        fees = self.engine.venue.account.fees
        return FeeRates(
            maker=rows.exact(fees.rate(instrument.category, maker=True)),
            taker=rows.exact(fees.rate(instrument.category, maker=False)),
        )

    async def fetch_public_trades(self, symbol: str, since: datetime | None = None) -> list[PublicTrade]:
        """Not served: only a dry run's paper fills read the public tape, and a replay trades on the simulator."""
        raise VenueUnsupported(f"{self.venue}: the replay's in-process port serves no public trade tape ({symbol})")

    async def fetch_price_history(self, symbol: str, timeframe: str, limit: int) -> tuple[Decimal, ...]:
        instrument = await self._instrument(symbol, Call("fetch_price_history", symbol))
        interval_ms = int(self._errors.parse_timeframe(timeframe)) * 1000
        bars = self._call(
            Call("fetch_price_history", symbol),
            lambda: self.engine.bars(instrument.category, instrument.name, interval_ms, limit),
        )
        return tuple(rows.exact(bar.ohlc[3]) for bar in bars)

    # -- positions and orders --------------------------------------------------------------------------------

    async def fetch_positions(self, symbols: Iterable[str]) -> Mapping[str, Position]:
        wanted = set(symbols)
        if not wanted:
            return {}
        await self._known()
        now = self._now()
        positions: dict[str, Position] = {}
        for symbol in sorted(wanted):
            instrument = self._instruments.get(symbol)
            if instrument is None or instrument.category is not Category.LINEAR:
                continue
            view = self._call(Call("fetch_positions"), lambda i=instrument: self.engine.position(i.name))
            if view.position is None or view.position.size == 0:
                continue
            row = bybit.position(view)
            position = convert.to_position(
                {
                    "symbol": symbol,
                    "contracts": rows.number(row["size"]),
                    "side": {"Buy": "long", "Sell": "short"}.get(row["side"]),
                    "entryPrice": rows.nonzero(row["avgPrice"]),
                    "markPrice": rows.number(row["markPrice"]),
                    "liquidationPrice": rows.nonzero(row["liqPrice"]),
                    "leverage": rows.number(row["leverage"]),
                    "unrealizedPnl": rows.nonzero(row["unrealisedPnl"]),
                    "initialMargin": rows.number(row["positionIM"]),
                    "maintenanceMargin": rows.number(row["positionMM"]),
                    "marginMode": None,  # Bybit's position rows no longer say (tradeMode is deprecated)
                },
                now,
            )
            if not position.is_flat:
                positions[symbol] = position
        return {s: positions.get(s) or flat_position(s, now) for s in sorted(wanted)}

    async def fetch_open_orders(self, symbols: Iterable[str]) -> list[Order]:
        wanted = set(symbols)
        if not wanted:
            return []
        await self._known()
        listed = self._call(Call("fetch_open_orders"), lambda: self.engine.open_orders(Category.LINEAR))
        page = sorted(listed[:OPEN_ORDERS_PAGE], key=lambda o: o.created_ms)  # ccxt sorts the newest page by time
        orders = [self._order(o) for o in page]
        return [o for o in orders if o.symbol in wanted]

    async def fetch_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> Order | None:
        if (order_id is None) == (client_order_id is None):
            raise ValueError("fetch_order needs exactly one of order_id and client_order_id")
        call = Call("fetch_order", symbol, client_order_id=client_order_id, order_id=order_id)
        instrument = await self._instrument(symbol, call)
        for recent_only in (True, False):  # /v5/order/realtime (open and recent), then /v5/order/history
            await _request()
            found = self._call(
                call, lambda r=recent_only: self.engine.find_orders(order_id, client_order_id, recent_only=r)
            )
            matching = [o for o in found if o.category is instrument.category and o.symbol == instrument.name]
            if matching:
                return self._order(matching[0])
        return None

    async def place_order(self, request: OrderRequest, *, confirm: bool = True) -> Order:
        if request.amount <= 0 or request.price <= 0:
            raise ValueError(f"an order needs a positive amount and price: {request}")
        check_client_order_id(request.client_order_id)
        call = Call.placing(request)
        instrument = await self._instrument(request.symbol, call)
        new = NewOrder(
            category=instrument.category,
            symbol=instrument.name,
            side=SimSide(request.side.value),
            order_type=OrderType.LIMIT,
            qty=rows.to_precision(request.amount, instrument.qty_step, ROUND_DOWN),
            price=rows.to_precision(request.price, instrument.tick_size, ROUND_HALF_UP),
            time_in_force=TimeInForce.POST_ONLY if request.post_only else TimeInForce.GTC,
            reduce_only=request.reduce_only,
            link_id=request.client_order_id,
        )
        await _request()
        placed = self._call(call, lambda: self.engine.place_order(new))
        acknowledged = replace(request.as_open(), order_id=placed.order_id)
        # Bybit acknowledges with ids only: the adapter reads the order once to learn its state (when asked to).
        if not confirm:
            return acknowledged
        return await self.fetch_order(request.symbol, client_order_id=request.client_order_id) or acknowledged

    async def cancel_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> None:
        if (order_id is None) == (client_order_id is None):
            raise ValueError("cancel_order needs exactly one of order_id and client_order_id")
        call = Call("cancel_order", symbol, client_order_id=client_order_id, order_id=order_id)
        instrument = await self._instrument(symbol, call)
        await _request()
        self._call(
            call, lambda: self.engine.cancel_order(instrument.category, instrument.name, order_id, client_order_id)
        )

    async def fetch_my_trades(self, symbols: Iterable[str], since: datetime | None = None) -> list[Fill]:
        executions = await self._history(symbols, ExecType.TRADE, since)
        return [self._converted(e, rows.fill, self._fills) for e in executions]

    async def fetch_funding_payments(
        self, symbols: Iterable[str], since: datetime | None = None
    ) -> list[FundingPayment]:
        executions = await self._history(symbols, ExecType.FUNDING, since)
        return [self._converted(e, rows.funding, self._payments) for e in executions]

    # -- settings --------------------------------------------------------------------------------------------

    async def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        if not limits.MIN_LEVERAGE <= leverage <= limits.MAX_LEVERAGE:
            raise ValueError(f"leverage {leverage} is outside the bot's hard limits 1..{limits.MAX_LEVERAGE}")
        call = Call("set_leverage", symbol)
        instrument = await self._instrument(symbol, call)
        self._setting(call, lambda: self.engine.set_leverage(instrument.name, leverage))

    async def fetch_leverage(self, symbol: str) -> Decimal:
        call = Call("fetch_leverage", symbol)
        instrument = await self._instrument(symbol, call)
        view = self._call(call, lambda: self.engine.position(instrument.name))
        leverage = rows.wire(view.leverage)
        assert leverage is not None
        return leverage

    async def set_margin_mode(self, symbol: str, mode: MarginMode) -> None:
        self._setting(Call("set_margin_mode", symbol), lambda: self.engine.set_margin_mode(SimMarginMode(mode.value)))

    async def ensure_one_way_mode(self, symbol: str) -> None:
        self._setting(Call("ensure_one_way_mode", symbol), lambda: self.engine.set_hedge_mode(False))

    async def arm_cancel_switch(self, symbols: Iterable[str], fires_after: timedelta) -> None:
        raise VenueUnsupported(f"{EXCHANGE} has no dead-man's switch for ordinary accounts")

    async def disarm_cancel_switch(self, symbols: Iterable[str]) -> None:
        raise VenueUnsupported(f"{EXCHANGE} has no dead-man's switch for ordinary accounts")

    async def close(self) -> None:
        return None

    # -- plumbing --------------------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return utc_from_ms(self.engine.now_ms())

    async def _known(self) -> None:
        if not self._instruments:
            await self.load_markets()

    async def _instrument(self, symbol: str, call: Call) -> Instrument:
        await self._known()
        instrument = self._instruments.get(symbol)
        if instrument is None:
            raise translate(ccxt.BadSymbol(f"bybit does not have market symbol {symbol}"), EXCHANGE, call)
        return instrument

    def _call(self, call: Call, request: Any) -> Any:
        """Run one engine request; a refusal becomes our exception, exactly as over HTTP and ccxt."""
        try:
            return request()
        except SimReject as reject:
            raise translate(self._ccxt_error(reject), EXCHANGE, call) from reject

    def _setting(self, call: Call, request: Any) -> None:
        """A settings change: Bybit's "not modified" answers count as success, as in the adapter."""
        try:
            request()
        except SimReject as reject:
            error = self._ccxt_error(reject)
            if not is_not_modified(error, EXCHANGE):
                raise translate(error, EXCHANGE, call) from reject

    def _ccxt_error(self, reject: SimReject) -> Exception:
        """The exception ccxt's Bybit class raises for this reply (its own error table decides)."""
        response = {"retCode": reject.ret_code, "retMsg": reject.message, "result": reject.result, "retExtInfo": {}}
        body = json.dumps(response, separators=(",", ":"))
        try:
            self._errors.handle_errors(200, "OK", "", "POST", {}, body, response, {}, "")
        except Exception as exc:  # ccxt's classes are untyped: any raised one is the answer
            return exc
        return Exception(f"bybit {body}")

    async def _history(self, symbols: Iterable[str], kind: ExecType, since: datetime | None) -> list[Execution]:
        """Executions of one kind on these perpetuals, as the adapter reads Bybit's whole linear category at once:
        rows on other instruments left out, an unlisted symbol simply absent, ordered by time as ccxt sorts them."""
        await self._known()
        found: list[Execution] = []
        for symbol in sorted(set(symbols)):
            instrument = self._instruments.get(symbol)
            if instrument is not None and instrument.category is Category.LINEAR:
                found.extend(self._executions(instrument, kind, since))
        return sorted(found, key=lambda e: e.time_ms)

    def _executions(self, instrument: Instrument, kind: ExecType, since: datetime | None) -> list[Execution]:
        """Executions of one kind on one instrument in Bybit's window (7 days from ``since``, else the last 7
        days), newest first as the venue lists them."""
        now = self.engine.now_ms()
        start = to_ms(since) if since is not None else now - to_ms_delta(WINDOW)
        end = start + to_ms_delta(WINDOW) if since is not None else now
        self._call(Call("executions"), self.engine.sync)
        found = []
        for execution in reversed(self._indexed(instrument, kind)):  # time order: stop at the window's start
            if execution.time_ms < start:
                break
            if execution.time_ms <= end:
                found.append(execution)
        return found

    def _converted(self, execution: Execution, convert: Callable[[str, Execution], T], known: dict[str, T]) -> T:
        """An execution as a domain value, converted once (executions never change)."""
        value = known.get(execution.exec_id)
        if value is None:
            value = known[execution.exec_id] = convert(self._symbols[execution.symbol], execution)
        return value

    def _indexed(self, instrument: Instrument, kind: ExecType) -> list[Execution]:
        """The account's executions of one kind on one instrument, oldest first (the engine only appends)."""
        executions = self.engine.executions
        for execution in executions[self._seen :]:
            key = (execution.category, execution.symbol, execution.exec_type)
            self._by_key.setdefault(key, []).append(execution)
        self._seen = len(executions)
        return self._by_key.get((instrument.category, instrument.name, kind), [])

    def _order(self, order: SimOrder) -> Order:
        """An order as ccxt parses Bybit's row of it (statuses, client id, post-only from the time in force)."""
        row = bybit.order(order)
        instrument = self.engine.instrument(order.category, order.symbol)
        raw = {
            "id": row["orderId"],
            "clientOrderId": row["orderLinkId"] or None,
            "symbol": instrument.symbol,
            "side": row["side"].lower(),
            "amount": rows.number(row["qty"]),
            "price": rows.number(row["price"]),
            "average": rows.nonzero(row["avgPrice"]),
            "filled": rows.number(row["cumExecQty"]),
            "status": rows.CCXT_STATUSES[order.status],
            "reduceOnly": row["reduceOnly"],
            "postOnly": row["timeInForce"] == TimeInForce.POST_ONLY.value,
            "timestamp": int(row["createdTime"]),
            "info": row,
        }
        return convert.to_order(raw, self.quirks)


async def _request() -> None:
    """Where the ccxt adapter would wait for the venue's answer, give way to the other tasks: orders on several
    instruments go out concurrently, and their ids and journal rows follow the same interleaving as over HTTP."""
    await asyncio.sleep(0)


def to_ms_delta(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)


if TYPE_CHECKING:  # mypy proves the port is an ExchangePort
    _implements: type[ExchangePort] = SimPort
