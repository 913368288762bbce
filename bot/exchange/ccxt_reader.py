"""The read half of the port over ccxt: one venue account's markets, prices, wallets, positions, orders and fills.

Written once against ccxt's unified API; what differs between venues comes from the quirks table. Binance needs
two ccxt instances (``binance`` for spot, ``binanceusdm`` for USD-M perpetuals); Bybit and OKX serve both from one.
Every read is retried under the retry policy, each in a decimal context of its own (ccxt rounds by changing the
thread's context). ``CcxtReader`` has no method that changes the venue: the write half is
``bot.exchange.ccxt_adapter.CcxtExchange``, which a dry run never builds.
"""

from __future__ import annotations

import asyncio
import decimal
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import ccxt.async_support as ccxt
import structlog

from bot.clock import Clock, to_ms, utc_from_ms
from bot.domain import (
    Balance,
    FeeRates,
    Fill,
    FundingPayment,
    MarginMode,
    Market,
    Order,
    OrderBook,
    OrderStatus,
    PerpTicker,
    Position,
    PublicTrade,
    SpotQuote,
    is_ours,
)
from bot.errors import ClockSkew, DataError, OrderNotFound
from bot.exchange import convert
from bot.exchange.ccxt_keys import CcxtKeys
from bot.exchange.errors import Call, translate
from bot.exchange.port import VenueReader
from bot.exchange.quirks import MarginScope, VenueQuirks
from bot.exchange.retry import RetryPolicy, retrying

log = structlog.get_logger(__name__)

T = TypeVar("T")

PAGINATE = {"paginate": True}  # ccxt follows the venue's cursor or time pages (Bybit, Binance and OKX support it)
_PRICE_SOURCES = {
    "tickers": "fetch_tickers",
    "funding_rates": "fetch_funding_rates",
    "mark_prices": "fetch_mark_prices",
}


class CcxtReader(CcxtKeys):
    """The read half of the port (``VenueReader``) for any ccxt venue with a row in the quirks table."""

    def __init__(
        self,
        venue: str,
        quirks: VenueQuirks,
        spot: Any,
        perp: Any,
        clock: Clock,
        *,
        retry: RetryPolicy | None = None,
        quote: str = "USDT",
        margin_mode: MarginMode = MarginMode.ISOLATED,
    ) -> None:
        self.venue = venue
        self.unified_wallet = quirks.unified_wallet
        self.quirks = quirks
        self.spot = spot  # ccxt instances are untyped
        self.perp = perp
        self.quote = quote
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._margin_mode = margin_mode
        self._margin_modes: dict[str, MarginMode] = {}
        self._markets: dict[str, Market] = {}

    @property
    def exchanges(self) -> tuple[Any, ...]:
        """The distinct ccxt instances behind this port."""
        return (self.spot,) if self.spot is self.perp else (self.spot, self.perp)

    # -- markets and account -----------------------------------------------------------------------------------

    async def load_markets(self) -> Mapping[str, Market]:
        loaded = await asyncio.gather(*(self._read(Call("load_markets"), ex.load_markets) for ex in self.exchanges))
        markets: dict[str, Market] = {}
        for raw_markets in loaded:
            for raw in raw_markets.values():
                try:
                    market = convert.to_market(raw)
                except DataError as exc:  # that listing cannot be traded safely; the others can
                    log.warning("exchange.market_unusable", venue=self.venue, symbol=raw.get("symbol"), error=str(exc))
                    continue
                if market is not None:
                    markets[market.symbol] = market
        self._markets = markets
        return dict(markets)

    async def server_time(self) -> datetime:
        milliseconds = await self._read(Call("server_time"), self.perp.fetch_time)
        return utc_from_ms(milliseconds)

    async def fetch_spot_balances(self) -> Mapping[str, Balance]:
        raw = await self._read(Call("fetch_spot_balances"), self.spot.fetch_balance)
        return convert.to_balances(raw)

    async def fetch_margin_balances(self) -> Mapping[str, Balance]:
        if self.unified_wallet:
            balances = await self.fetch_spot_balances()
        else:
            balances = convert.to_balances(await self._read(Call("fetch_margin_balances"), self.perp.fetch_balance))
        if not balances:  # never "no holdings, no margin" from a reply that lost its coins: the hedge would go
            raise DataError(f"{self.venue}: the margin wallet reply lists no coin at all (an empty account?)")
        return balances

    # -- market data -------------------------------------------------------------------------------------------

    async def fetch_spot_quotes(self, assets: Iterable[str]) -> Mapping[str, SpotQuote]:
        markets = await self._known_markets()
        by_symbol = {f"{a}/{self.quote}": a for a in assets if f"{a}/{self.quote}" in markets}
        if not by_symbol:
            return {}
        symbols = sorted(by_symbol)
        raw = await self._read(Call("fetch_spot_quotes"), lambda: self.spot.fetch_tickers(symbols))
        quotes, problems = convert.to_spot_quotes(by_symbol, raw, self._clock.now())
        for symbol, problem in problems.items():  # that holding cannot be valued this cycle; the others can
            log.warning("exchange.quote_unusable", venue=self.venue, symbol=symbol, error=problem)
        return quotes

    async def fetch_perp_tickers(self, symbols: Iterable[str]) -> Mapping[str, PerpTicker]:
        wanted = sorted(set(symbols))
        if not wanted:
            return {}
        results: list[Any] = await asyncio.gather(
            *(
                self._read(
                    Call(f"fetch_perp_tickers ({source})"),
                    partial(getattr(self.perp, _PRICE_SOURCES[source]), wanted),
                )
                for source in self.quirks.perp_price_sources
            )
        )
        if self.quirks.tickers_in_funding_rates:
            results.append(self._tickers_of(results[0]))
        now = self._clock.now()
        tickers: dict[str, PerpTicker] = {}
        for symbol in wanted:
            sources = [result[symbol] for result in results if isinstance(result.get(symbol), Mapping)]
            try:
                tickers[symbol] = convert.to_perp_ticker(symbol, sources, now)
            except DataError as exc:
                log.warning("exchange.ticker_incomplete", venue=self.venue, symbol=symbol, error=str(exc))
        return tickers

    def _tickers_of(self, rates: Mapping[str, Any]) -> dict[str, Any]:
        """Tickers (last, bid, ask) parsed by ccxt from the raw rows of a funding-rates reply that is a tickers reply
        (no second request); a row ccxt cannot parse is left out, and its instrument then reads without them."""
        tickers: dict[str, Any] = {}
        for symbol, rate in rates.items():
            try:
                tickers[symbol] = self.perp.parse_ticker(rate["info"], self.perp.market(symbol))
            except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError, ccxt.BaseError) as exc:
                log.warning("exchange.ticker_unreadable", venue=self.venue, symbol=symbol, error=repr(exc))
        return tickers

    async def fetch_order_book(self, symbol: str, depth: int) -> OrderBook:
        exchange = self._exchange_for(symbol)
        limit = depth
        if exchange is self.perp and self.quirks.perp_book_depths:
            limit = min((d for d in self.quirks.perp_book_depths if d >= depth), default=depth)
        raw = await self._read(Call("fetch_order_book", symbol), lambda: exchange.fetch_order_book(symbol, limit))
        return convert.to_book(raw, depth, self._clock.now())

    async def fetch_price_history(self, symbol: str, timeframe: str, limit: int) -> tuple[Decimal, ...]:
        exchange = self._exchange_for(symbol)
        rows = await self._read(
            Call("fetch_price_history", symbol), lambda: exchange.fetch_ohlcv(symbol, timeframe, None, limit)
        )
        return tuple(convert.positive(convert.column(row, 4), f"a close of {symbol}") for row in rows)

    async def fetch_fee_rates(self, symbol: str) -> FeeRates:
        raw = await self._read(Call("fetch_fee_rates", symbol), lambda: self.perp.fetch_trading_fee(symbol))
        return convert.to_fee_rates(raw, symbol)

    async def fetch_public_trades(self, symbol: str, since: datetime | None = None) -> list[PublicTrade]:
        limit = self.quirks.public_trades_limit
        rows = await self._read(
            Call("fetch_public_trades", symbol), lambda: self.perp.fetch_trades(symbol, _ms(since), limit)
        )
        return sorted((convert.to_public_trade(raw) for raw in rows), key=lambda t: (t.timestamp, t.trade_id))

    # -- positions and orders ----------------------------------------------------------------------------------

    async def fetch_positions(self, symbols: Iterable[str]) -> Mapping[str, Position]:
        wanted = set(symbols)
        if not wanted:
            return {}
        rows = await self._list_by_settle(
            "fetch_positions", wanted, lambda params: self.perp.fetch_positions(None, params)
        )
        now = self._clock.now()
        positions: dict[str, Position] = {}
        for raw in rows:
            if self._listed_symbol(raw, "a position") not in wanted:
                continue
            position = convert.to_position(raw, now)
            if position.is_flat:
                continue
            if position.symbol in positions:
                raise DataError(
                    f"{self.venue} reports two positions in {position.symbol}: the account is in hedge mode; "
                    "hedgebot needs one-way mode"
                )
            positions[position.symbol] = position
        return {s: positions.get(s) or convert.flat_position(s, now) for s in sorted(wanted)}

    async def fetch_open_orders(self, symbols: Iterable[str]) -> list[Order]:
        wanted = set(symbols)
        if not wanted:
            return []
        limit = self.quirks.open_orders_limit
        rows = await self._list_by_settle(
            "fetch_open_orders", wanted, lambda params: self.perp.fetch_open_orders(None, None, limit, params)
        )
        orders = [convert.to_order(raw, self.quirks) for raw in rows if self._listed_symbol(raw, "an order") in wanted]
        if unknown := [
            o.client_order_id for o in orders if o.status is OrderStatus.UNKNOWN and is_ours(o.client_order_id)
        ]:
            raise DataError(f"{self.venue} lists our open order(s) {', '.join(map(str, unknown))} in no known state")
        return orders

    async def fetch_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> Order | None:
        if (order_id is None) == (client_order_id is None):
            raise ValueError("fetch_order needs exactly one of order_id and client_order_id")
        call = Call("fetch_order", symbol, client_order_id=client_order_id, order_id=order_id)
        if self.quirks.lookup_by_listing:
            # Bybit v5: /v5/order/realtime answers open and recent closed orders by id; /v5/order/history the rest.
            params = (
                {self.quirks.order_id_field: order_id} if order_id else {self.quirks.client_id_field: client_order_id}
            )
            for method in (self.perp.fetch_open_orders, self.perp.fetch_canceled_and_closed_orders):
                rows = await self._read(call, partial(method, symbol, None, None, dict(params)))
                if rows:
                    return convert.to_order(rows[0], self.quirks)
            return None
        params = {self.quirks.client_id_field: client_order_id} if client_order_id else {}
        try:
            raw = await self._read(call, lambda: self.perp.fetch_order(order_id, symbol, params))
        except OrderNotFound:
            return None
        return convert.to_order(raw, self.quirks)

    async def fetch_my_trades(self, symbols: Iterable[str], since: datetime | None = None) -> list[Fill]:
        # Every page: one page (Bybit's newest 50) loses fills when more happened since the last read.
        rows = await self._history(
            "fetch_my_trades", symbols, since, self.perp.fetch_my_trades, PAGINATE, self.perp.parse_trade
        )
        now = self._clock.now()
        return [convert.to_fill(raw, self.quirks, now) for raw in rows]

    async def fetch_funding_payments(
        self, symbols: Iterable[str], since: datetime | None = None
    ) -> list[FundingPayment]:
        # Every page where ccxt can follow them (Bybit: 100 a page); elsewhere the venue's single answer.
        params = PAGINATE if self.quirks.paginated_funding else {}
        rows = await self._history(
            "fetch_funding_payments", symbols, since, self.perp.fetch_funding_history, params, self.perp.parse_income
        )
        now = self._clock.now()
        return [convert.to_funding_payment(raw, self.quirks, now) for raw in rows]

    async def fetch_leverage(self, symbol: str) -> Decimal:
        call = Call("fetch_leverage", symbol)
        if self.quirks.leverage_from_position:
            rows = await self._read(call, lambda: self.perp.fetch_positions([symbol]))
            values = [row.get("leverage") for row in rows if row.get("symbol") == symbol]
        else:
            params = self._margin_params(symbol)
            raw = await self._read(call, lambda: self.perp.fetch_leverage(symbol, params))
            values = [raw.get("longLeverage"), raw.get("shortLeverage")]
        found = [v for v in (convert.dec(value) for value in values) if v is not None]
        if not found:
            raise DataError(f"{self.venue} reports no leverage for {symbol}")
        return max(found)

    async def close(self) -> None:
        await asyncio.gather(*(ex.close() for ex in self.exchanges))

    # -- plumbing ----------------------------------------------------------------------------------------------

    async def _read(self, call: Call, request: Callable[[], Awaitable[T]]) -> T:
        """An idempotent request: ccxt errors translated, retried under the policy (after a clock skew, each ccxt
        instance re-learns its offset from the venue's clock first)."""

        async def attempt() -> T:
            try:
                with decimal.localcontext():  # ccxt's rounding (ROUND_HALF_UP) stays inside ccxt
                    return await request()
            except ccxt.BaseError as exc:
                raise translate(exc, self.quirks.exchange, call) from exc
            except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as exc:
                # ccxt could not parse what the venue sent (a NaN where a number belongs, a missing list, ...)
                raise DataError(f"{self.venue}: {call.describe()}: the reply could not be read: {exc!r}") from exc

        async def resync(failure: BaseException) -> None:
            if isinstance(failure, ClockSkew):
                try:
                    await asyncio.gather(*(ex.load_time_difference() for ex in self.exchanges))
                except ccxt.BaseError as exc:
                    raise translate(exc, self.quirks.exchange, Call("resync clock")) from exc

        return await retrying(attempt, self._retry, describe=call.describe(), before_retry=resync)

    async def _list_by_settle(
        self, operation: str, symbols: set[str], request: Callable[[dict[str, Any]], Awaitable[list[Any]]]
    ) -> list[Any]:
        """One batched request per settle coin where the venue needs it (Bybit settleCoin), else one in all."""
        settle_param = self.quirks.settle_param
        groups = sorted({s.partition(":")[2] for s in symbols}) if settle_param else [None]
        results = await asyncio.gather(
            *(
                self._read(
                    Call(operation if settle is None else f"{operation} (settle {settle})"),
                    partial(request, {settle_param: settle} if settle_param else {}),
                )
                for settle in groups
            )
        )
        return [row for rows in results for row in rows]

    async def _history(
        self,
        operation: str,
        symbols: Iterable[str],
        since: datetime | None,
        method: Callable[..., Awaitable[list[Any]]],
        params: Mapping[str, Any],
        parse: Callable[[Any, Any], Any],
    ) -> list[Any]:
        """Rows on ``symbols`` from a ccxt history method ``(symbol, since, limit, params)``: one request for the
        whole category where the quirks row says how to ask for it, else one per symbol. Rows on other listed
        instruments are left out; a row on no listed market fails the read (``DataError``).

        Asked without a symbol, ccxt cannot tell a perpetual's row from a spot one by its id alone (Bybit's rows do
        not say their category): each row is parsed again (``parse``, ccxt's own parser) with its perpetual market.
        """
        wanted = set(symbols)
        if not wanted:
            return []
        category = self.quirks.history_category
        asks: list[tuple[str | None, dict[str, Any]]] = (
            [(None, {**params, **category})] if category is not None else [(s, dict(params)) for s in sorted(wanted)]
        )
        results = await asyncio.gather(
            *(
                self._read(Call(operation, symbol), partial(method, symbol, _ms(since), None, ask))
                for symbol, ask in asks
            )
        )
        rows = [row for rows in results for row in rows]
        if category is not None:
            try:
                rows = [parse(row["info"], self.perp.safe_market(row["info"]["symbol"], None, None, "contract"))
                        for row in rows]  # fmt: skip
            except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError, ccxt.BaseError) as exc:
                raise DataError(f"{self.venue}: {operation}: a row could not be read: {exc!r}") from exc
        return [row for row in rows if self._listed_symbol(row, "a fill or payment") in wanted]

    def _listed_symbol(self, raw: Any, what: str) -> str:
        """The symbol of a listed row; ``DataError`` when the row names no market the venue lists (a row that
        cannot be placed must not read as "nothing there")."""
        symbol = convert.symbol_of(raw)
        if symbol not in (self.perp.markets or {}):
            raise DataError(f"{self.venue} lists {what} on {symbol!r}, which is not one of its markets")
        return str(symbol)

    async def _known_markets(self) -> Mapping[str, Market]:
        if not self._markets:
            await self.load_markets()
        return self._markets

    def _exchange_for(self, symbol: str) -> Any:
        """Contract symbols (``BASE/QUOTE:SETTLE``) live on the perp instance, the rest on the spot one."""
        return self.perp if ":" in symbol else self.spot

    def _margin_mode_of(self, symbol: str) -> MarginMode:
        return self._margin_modes.get(symbol, self._margin_mode)

    def _margin_params(self, symbol: str) -> dict[str, Any]:
        if self.quirks.margin_scope is MarginScope.ORDER:
            return {"marginMode": self._margin_mode_of(symbol).value}
        return {}


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else to_ms(moment)


if TYPE_CHECKING:  # mypy proves the reader implements the read half of the port
    _implements: type[VenueReader] = CcxtReader
